#include "model/kernel/cgroup.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_format.h"
#include "model/kernel/constants.h"
#include "model/kernel/cred.h"
#include "model/kernel/machine.h"
#include "model/kernel/task.h"

namespace forksim {
namespace {

struct Controller {
  std::string_view name;
  bool threaded;
};

// The v2 controllers of [6.12], with their .threaded flag.
constexpr Controller kControllers[] = {
    {"cpuset", true},  {"cpu", true},      {"io", false},
    {"memory", false}, {"hugetlb", false}, {"pids", true},
    {"rdma", false},   {"misc", false},    {"perf_event", true},
};

// "/a/b" -> "/a"; "/a" -> "/".
std::string_view ParentPath(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

bool ValidPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  return path.find("//") == std::string_view::npos;
}

bool IsMixable(const Cgroup* cgroup) { return cgroup->parent == nullptr; }

bool IsThreadRoot(const Cgroup* cgroup) {
  return std::any_of(cgroup->children.begin(), cgroup->children.end(),
                     [](const Cgroup* c) { return c->threaded; });
}

}  // namespace

bool IsCgroupController(std::string_view name) {
  return std::any_of(std::begin(kControllers), std::end(kControllers),
                     [name](const Controller& c) { return c.name == name; });
}

bool IsThreadedController(std::string_view name) {
  for (const Controller& c : kControllers) {
    if (c.name == name) return c.threaded;
  }
  return false;
}

absl::StatusOr<Cgroup*> CgroupMkdir(Machine& m, std::string_view path) {
  if (!ValidPath(path) || path == "/") {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' is not a cgroup path below /", path));
  }
  if (CgroupLookup(m, path) != nullptr) {
    return absl::AlreadyExistsError(absl::StrFormat("%s exists", path));
  }
  Cgroup* parent = CgroupLookup(m, ParentPath(path));
  if (parent == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("no cgroup %s to make %s in", ParentPath(path), path));
  }
  Cgroup* cgroup = m.cgroups.Create();  // the hierarchy's reference
  cgroup->path = std::string(path);
  cgroup->parent = parent;
  GetCgroup(parent);
  parent->children.push_back(cgroup);
  return cgroup;
}

absl::Status CgroupRmdir(Machine& m, std::string_view path) {
  Cgroup* cgroup = CgroupLookup(m, path);
  if (cgroup == nullptr || cgroup->parent == nullptr) {
    return absl::NotFoundError(absl::StrFormat("no cgroup %s to remove", path));
  }
  // cgroup_destroy_locked() (kernel/cgroup/cgroup.c:5965-6040 [6.12]).
  if (CgroupIsPopulated(cgroup)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s has tasks (EBUSY)", path));
  }
  if (!cgroup->children.empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s has children (EBUSY)", path));
  }
  cgroup->online = false;
  auto& siblings = cgroup->parent->children;
  siblings.erase(std::find(siblings.begin(), siblings.end(), cgroup));
  PutCgroup(m, cgroup);  // percpu_ref_kill(): the hierarchy lets go
  return absl::OkStatus();
}

Cgroup* CgroupLookup(const Machine& m, std::string_view path) {
  if (path == "/") return m.cgroup_root;
  Cgroup* parent = CgroupLookup(m, ParentPath(path));
  if (parent == nullptr) return nullptr;
  for (Cgroup* child : parent->children) {
    if (child->path == path) return child;
  }
  return nullptr;
}

void CgroupAttach(Machine& m, Task* task, Cgroup* cgroup) {
  for (Task* t : ThreadGroup(task)) {
    if (t->cgroup == cgroup) continue;
    const bool linked = (t->flags & kPfExiting) == 0;  // before cgroup_exit()
    Cgroup* old = t->cgroup;
    GetCgroup(cgroup);
    t->cgroup = cgroup;
    if (linked) {
      --old->nr_tasks;
      ++cgroup->nr_tasks;
    }
    PutCgroup(m, old);
  }
}

void GetCgroup(Cgroup* cgroup) { Registry<Cgroup>::Get(cgroup); }

void PutCgroup(Machine& m, Cgroup* cgroup) {
  while (cgroup != nullptr && Registry<Cgroup>::Release(cgroup)) {
    Cgroup* parent = cgroup->parent;
    m.cgroups.Destroy(cgroup);
    cgroup = parent;  // the child's reference on its parent
  }
}

bool CgroupIsPopulated(const Cgroup* cgroup) {
  if (cgroup->nr_tasks > 0) return true;
  return std::any_of(cgroup->children.begin(), cgroup->children.end(),
                     CgroupIsPopulated);
}

const Cgroup* CgroupDomain(const Cgroup* cgroup) {
  while (cgroup->threaded && cgroup->parent != nullptr) {
    cgroup = cgroup->parent;
  }
  return cgroup;
}

bool CgroupIsValidDomain(const Cgroup* cgroup) {
  // The cgroup itself can be a thread root, but its ancestors cannot unless
  // mixable (the root).
  if (cgroup->threaded) return false;
  for (const Cgroup* c = cgroup->parent; c != nullptr; c = c->parent) {
    if (!IsMixable(c) && IsThreadRoot(c)) return false;
    if (c->threaded) return false;
  }
  return true;
}

bool CgroupCanBeThreadRoot(const Cgroup* cgroup) {
  if (IsMixable(cgroup)) return true;
  if (cgroup->threaded) return false;
  // Either domain or threaded children, not both.
  for (const Cgroup* child : cgroup->children) {
    if (!child->threaded && CgroupIsPopulated(child)) return false;
  }
  // No domain controller enabled.
  return std::all_of(cgroup->subtree_control.begin(),
                     cgroup->subtree_control.end(), IsThreadedController);
}

const Cgroup* CgroupCommonAncestor(const Cgroup* a, const Cgroup* b) {
  for (const Cgroup* x = a; x != nullptr; x = x->parent) {
    for (const Cgroup* y = b; y != nullptr; y = y->parent) {
      if (x == y) return x;
    }
  }
  return nullptr;
}

bool CgroupMayWrite(const Machine& m, const Cgroup* cgroup, const Cred* cred) {
  // inode_permission(MAY_WRITE) on a 0644 file: the owner, or
  // CAP_DAC_OVERRIDE.
  return cred->fsuid == cgroup->procs_uid || Capable(m, cred, kCapDacOverride);
}

}  // namespace forksim
