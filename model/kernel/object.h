// -----------------------------------------------------------------------------
// File: model/kernel/object.h
// -----------------------------------------------------------------------------
//
// Refcounted kernel objects and the registries that own them.
//
// Every shared structure of the model (struct pid, files_struct, struct file,
// mm_struct, fs_struct, sighand_struct, signal_struct, nsproxy, each namespace,
// cred, ...) is a KObject: it has a serial number, unique per kind and handed
// out in creation order, and an explicit refcount, as in the kernel. A
// Registry<T> owns the objects of one kind; holders keep plain pointers and
// take and drop references with Get() and Release(), kernel style:
//
//   if (files_registry.Release(files)) {  // atomic_dec_and_test()
//     CloseFiles(files);                  // the kernel's release work
//     files_registry.Destroy(files);      // kfree()
//   }
//
// Registries iterate in serial order, never in pointer or hash order, so
// anything printed from them is deterministic. The invariant checker walks
// every registry and compares each refcount with the holders it can find.

#ifndef FORKSIM_MODEL_KERNEL_OBJECT_H_
#define FORKSIM_MODEL_KERNEL_OBJECT_H_

#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

namespace forksim {

struct KObject {
  uint64_t serial = 0;   // 1, 2, 3, ... per kind, in creation order
  int32_t refcount = 0;  // the kernel's count/usage/users field
};

template <typename T>
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Create()
  //
  // A new object with refcount 1 (the creator's reference).
  template <typename... Args>
  T* Create(Args&&... args) {
    auto object = std::make_unique<T>(std::forward<Args>(args)...);
    object->serial = ++last_serial_;
    object->refcount = 1;
    T* raw = object.get();
    objects_.emplace(raw->serial, std::move(object));
    return raw;
  }

  static void Get(T* object) {
    assert(object->refcount > 0);
    ++object->refcount;
  }

  // Release()
  //
  // Drops one reference; true when it was the last one. The caller then does
  // the release work and calls Destroy().
  static bool Release(T* object) {
    assert(object->refcount > 0);
    return --object->refcount == 0;
  }

  // Destroy()
  //
  // Frees an object whose last reference is gone.
  void Destroy(T* object) {
    assert(object->refcount == 0);
    objects_.erase(object->serial);
  }

  // PutAndDestroy()
  //
  // Release() and, at zero, Destroy(): for objects with no release work.
  // Returns true if the object was freed.
  bool PutAndDestroy(T* object) {
    if (!Release(object)) return false;
    Destroy(object);
    return true;
  }

  size_t size() const { return objects_.size(); }

  // The object with this serial, or nullptr.
  T* Find(uint64_t serial) const {
    auto it = objects_.find(serial);
    return it == objects_.end() ? nullptr : it->second.get();
  }

  // Calls f(T*) for each object with a serial of at least `serial`, in
  // order.
  template <typename F>
  void ForEachFrom(uint64_t serial, F f) const {
    for (auto it = objects_.lower_bound(serial); it != objects_.end(); ++it) {
      f(it->second.get());
    }
  }
  uint64_t last_serial() const { return last_serial_; }

  // Iteration in serial (creation) order.
  class Iterator {
   public:
    using Inner =
        typename std::map<uint64_t, std::unique_ptr<T>>::const_iterator;
    explicit Iterator(Inner it) : it_(it) {}
    T* operator*() const { return it_->second.get(); }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return it_ == other.it_; }

   private:
    Inner it_;
  };
  Iterator begin() const { return Iterator(objects_.begin()); }
  Iterator end() const { return Iterator(objects_.end()); }

 private:
  uint64_t last_serial_ = 0;
  std::map<uint64_t, std::unique_ptr<T>> objects_;
};

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_OBJECT_H_
