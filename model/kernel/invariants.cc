#include "model/kernel/invariants.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_format.h"
#include "model/kernel/machine.h"

namespace forksim {
namespace {

// Counts the holders of each object of one kind, keyed by serial.
template <typename T>
class Holders {
 public:
  void Add(const T* object) {
    if (object != nullptr) ++counts_[object->serial];
  }
  int64_t Of(const T* object) const {
    auto it = counts_.find(object->serial);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::map<uint64_t, int64_t> counts_;
};

class Checker {
 public:
  explicit Checker(const Machine& m) : m_(m) {}

  std::vector<Violation> Run() {
    CountHolders();
    CheckRefcounts();
    CheckPidTables();
    CheckTaskLinks();
    CheckFdTables();
    CheckProcessCounts();
    CheckThreadCounts();
    CheckUcounts();
    CheckCgroups();
    return std::move(violations_);
  }

 private:
  void Report(std::string object, std::string rule, std::string detail) {
    violations_.push_back(
        {std::move(object), std::move(rule), std::move(detail)});
  }

  void CountHolders() {
    for (const Task* t : m_.tasks) {
      creds_.Add(t->real_cred);
      creds_.Add(t->cred);
      files_structs_.Add(t->files);
      fs_.Add(t->fs);
      sighands_.Add(t->sighand);
      signals_.Add(t->signal);
      mms_.Add(t->mm);
      nsproxies_.Add(t->nsproxy);
      sem_.Add(t->sysvsem);
      io_.Add(t->io_context);
      cgroups_.Add(t->cgroup);
    }
    for (const Cgroup* c : m_.cgroups) {
      cgroups_.Add(c->parent);
      if (c->online) cgroups_.Add(c);  // the hierarchy's own reference
    }
    for (const Cred* c : m_.creds) {
      users_.Add(c->user);
      user_ns_.Add(c->user_ns);
    }
    for (const UserNamespace* ns : m_.user_namespaces) user_ns_.Add(ns->parent);
    for (const Namespace* ns : m_.namespaces) user_ns_.Add(ns->user_ns);
    for (const PidNamespace* ns : m_.pid_namespaces) {
      user_ns_.Add(ns->user_ns);
      pid_ns_.Add(ns->parent);
    }
    for (const NsProxy* p : m_.nsproxies) {
      for (const Namespace* ns : {p->mnt, p->uts, p->ipc, p->cgroup, p->net}) {
        namespaces_.Add(ns);
      }
      if (p->time != nullptr) {  // kernels with time namespaces
        namespaces_.Add(p->time);
        namespaces_.Add(p->time_for_children);
      }
      pid_ns_.Add(p->pid_for_children);
    }
    for (const Pid* pid : m_.pids) {
      // The initial reference stands for the numbers (dropped by free_pid);
      // init_struct_pid's is static.
      if (pid->is_init_struct_pid || IsHashed(pid)) pids_.Add(pid);
      if (!pid->is_init_struct_pid) pid_ns_.Add(pid->numbers.back().ns);
    }
    for (const FilesStruct* files : m_.files_structs) {
      for (const File* file : files->fd) files_.Add(file);
    }
    for (const File* file : m_.files) {
      pids_.Add(file->pid);
      cgroups_.Add(file->cgroup);
    }
  }

  bool IsHashed(const Pid* pid) const {
    const Upid& upid = pid->numbers.back();
    return upid.ns->idr.Find(upid.nr.value) == pid;
  }

  template <typename T>
  void CheckKind(const Registry<T>& registry, const Holders<T>& holders,
                 std::string_view kind) {
    for (const T* object : registry) {
      const std::string name = absl::StrFormat("%s#%d", kind, object->serial);
      if (object->refcount <= 0) {
        Report(name, "refcount",
               absl::StrFormat("alive with refcount %d", object->refcount));
      }
      if (object->refcount != holders.Of(object)) {
        Report(name, "refcount",
               absl::StrFormat("refcount %d, but %d holder(s) found",
                               object->refcount, holders.Of(object)));
      }
    }
  }

  void CheckRefcounts() {
    CheckKind(m_.creds, creds_, "cred");
    CheckKind(m_.users, users_, "user");
    CheckKind(m_.user_namespaces, user_ns_, "user_ns");
    CheckKind(m_.pid_namespaces, pid_ns_, "pid_ns");
    CheckKind(m_.namespaces, namespaces_, "ns");
    CheckKind(m_.nsproxies, nsproxies_, "nsproxy");
    CheckKind(m_.pids, pids_, "pid");
    CheckKind(m_.mms, mms_, "mm");
    CheckKind(m_.fs_structs, fs_, "fs");
    CheckKind(m_.sighands, sighands_, "sighand");
    CheckKind(m_.signals, signals_, "signal");
    CheckKind(m_.sem_undo_lists, sem_, "sem_undo");
    CheckKind(m_.io_contexts, io_, "io_context");
    CheckKind(m_.files, files_, "file");
    CheckKind(m_.files_structs, files_structs_, "files");
    CheckKind(m_.cgroups, cgroups_, "cgroup");
    for (const Task* t : m_.tasks) {
      if (t->refcount != 1) {
        Report(TaskName(t), "refcount",
               absl::StrFormat("task refcount %d, expected 1", t->refcount));
      }
    }
  }

  void CheckPidTables() {
    for (const PidNamespace* ns : m_.pid_namespaces) {
      const std::string name = absl::StrFormat("pid_ns#%d", ns->serial);
      for (const auto& [nr, pid] : ns->idr.entries()) {
        if (pid == nullptr) {
          Report(
              name, "pid-table",
              absl::StrFormat("number %d is reserved (NULL) with no pid", nr));
          continue;
        }
        if (ns->level > pid->level || pid->numbers[ns->level].ns != ns ||
            pid->numbers[ns->level].nr.value != nr) {
          Report(
              name, "pid-table",
              absl::StrFormat("number %d points at pid#%d, which has another "
                              "number at this level",
                              nr, pid->serial));
        }
      }
      const uint64_t counted = ns->pid_allocated & ~kPidnsAdding;
      if (counted != ns->idr.entries().size()) {
        Report(
            name, "pid-table",
            absl::StrFormat("pid_allocated counts %d pid(s), the idr holds %d",
                            counted, ns->idr.entries().size()));
      }
    }
    for (const Pid* pid : m_.pids) {
      if (pid->is_init_struct_pid || !IsHashed(pid)) continue;
      for (const Upid& upid : pid->numbers) {
        if (upid.ns->idr.Find(upid.nr.value) != pid) {
          Report(absl::StrFormat("pid#%d", pid->serial), "pid-table",
                 absl::StrFormat("number %d at level %d is not in its "
                                 "namespace's idr",
                                 upid.nr.value, upid.ns->level));
        }
      }
      bool attached = false;
      for (const auto& list : pid->tasks) attached = attached || !list.empty();
      if (!attached) {
        Report(absl::StrFormat("pid#%d", pid->serial), "pid-table",
               "numbers allocated but no task attached");
      }
    }
  }

  std::string TaskName(const Task* t) const {
    return absl::StrFormat("task %d", t->pid.value);
  }

  static bool Contains(const std::vector<Task*>& list, const Task* t) {
    return std::count(list.begin(), list.end(), t) == 1;
  }

  bool IsLive(const Task* t) const {
    for (const Task* live : m_.tasks) {
      if (live == t) return true;
    }
    return false;
  }

  void CheckTaskLinks() {
    for (const Task* t : m_.tasks) {
      const std::string name = TaskName(t);
      if (!IsLive(t->group_leader) || !IsThreadGroupLeader(*t->group_leader)) {
        Report(name, "task-links", "group_leader is not a live leader");
        continue;
      }
      if (t->thread_pid == nullptr ||
          !Contains(t->thread_pid->tasks[kPidTypePid], t)) {
        Report(name, "task-links", "not attached to its pid as PIDTYPE_PID");
        continue;
      }
      if (t->pid.value != t->thread_pid->numbers[0].nr.value) {
        Report(
            name, "task-links",
            absl::StrFormat("task->pid %d but its pid's global number is %d",
                            t->pid.value, t->thread_pid->numbers[0].nr.value));
      }
      if (t->tgid.value != t->group_leader->pid.value) {
        Report(name, "task-links",
               absl::StrFormat("tgid %d but its leader is %d", t->tgid.value,
                               t->group_leader->pid.value));
      }
      if (t == m_.idle) continue;
      if (!IsLive(t->real_parent)) {
        Report(name, "task-links", "real_parent is not a live task");
        continue;
      }
      if (IsThreadGroupLeader(*t)) {
        if (!Contains(t->real_parent->children, t)) {
          Report(name, "task-links",
                 absl::StrFormat("not once in its parent %d's children",
                                 t->real_parent->pid.value));
        }
        if (!Contains(t->thread_pid->tasks[kPidTypeTgid], t)) {
          Report(name, "task-links", "leader not attached as PIDTYPE_TGID");
        }
      } else if (!Contains(t->group_leader->threads, t)) {
        Report(name, "task-links",
               absl::StrFormat("not once in leader %d's thread list",
                               t->group_leader->pid.value));
      }
      for (const Task* child : t->children) {
        if (!IsLive(child) || child->real_parent != t) {
          Report(name, "task-links",
                 "children lists a task that is not its child");
        }
      }
    }
  }

  void CheckFdTables() {
    for (const FilesStruct* files : m_.files_structs) {
      for (const std::string& problem : CheckFdTable(m_.fd_env(), *files)) {
        Report(absl::StrFormat("files#%d", files->serial), "fd-table", problem);
      }
      // Between syscalls no fd is half-made: an open bit with an empty slot
      // is a number reserved by get_unused_fd_flags() and never installed
      // nor given back.
      for (uint32_t fd = 0; fd < files->max_fds; ++fd) {
        if (files->open_fds.Test(fd) && files->fd[fd] == nullptr) {
          Report(
              absl::StrFormat("files#%d", files->serial), "fd-table",
              absl::StrFormat("fd %d is reserved but was never installed", fd));
        }
      }
    }
  }

  void CheckProcessCounts() {
    Holders<UserStruct> processes;
    for (const Task* t : m_.tasks) {
      if (t != m_.idle && t->real_cred != nullptr)
        processes.Add(t->real_cred->user);
    }
    for (const UserStruct* user : m_.users) {
      if (user->processes != processes.Of(user)) {
        Report(absl::StrFormat("user#%d (uid %d)", user->serial, user->uid),
               "nproc",
               absl::StrFormat("processes %d, but %d task(s) found",
                               user->processes, processes.Of(user)));
      }
    }
  }

  void CheckThreadCounts() {
    int64_t threads = 0;
    Holders<SignalStruct> in_group, alive;
    for (const Task* t : m_.tasks) {
      if (t == m_.idle) continue;
      ++threads;
      in_group.Add(t->signal);
      if (t->state != TaskState::kZombie && t->state != TaskState::kDead) {
        alive.Add(t->signal);
      }
    }
    if (threads != m_.nr_threads) {
      Report("machine", "nr-threads",
             absl::StrFormat("nr_threads %d, but %d task(s) found",
                             m_.nr_threads, threads));
    }
    for (const SignalStruct* s : m_.signals) {
      if (s == m_.idle->signal) continue;
      const std::string name = absl::StrFormat("signal#%d", s->serial);
      if (s->nr_threads != in_group.Of(s)) {
        Report(name, "nr-threads",
               absl::StrFormat("nr_threads %d, but %d thread(s) found",
                               s->nr_threads, in_group.Of(s)));
      }
      if (s->live != alive.Of(s)) {
        Report(name, "nr-threads",
               absl::StrFormat("live %d, but %d running thread(s) found",
                               s->live, alive.Of(s)));
      }
    }
  }

  void CheckUcounts() {
    // Expected counts, from every live namespace's charge.
    std::map<std::pair<uint64_t, uint32_t>, std::array<int64_t, kUcountCount>>
        expected;
    auto charge = [&](const UserNamespace* ns, uint32_t uid, UcountType type) {
      for (; ns != nullptr; uid = ns->ucount_uid, ns = ns->parent) {
        ++expected[{ns->serial, uid}][type];
      }
    };
    for (const UserNamespace* ns : m_.user_namespaces) {
      if (ns->parent != nullptr)
        charge(ns->parent, ns->ucount_uid, kUcountUserNamespaces);
    }
    for (const PidNamespace* ns : m_.pid_namespaces) {
      if (ns->parent != nullptr)
        charge(ns->user_ns, ns->ucount_uid, kUcountPidNamespaces);
    }
    for (const Namespace* ns : m_.namespaces) {
      if (!ns->charged) continue;
      constexpr UcountType kTypes[] = {
          kUcountMntNamespaces,    kUcountUtsNamespaces, kUcountIpcNamespaces,
          kUcountCgroupNamespaces, kUcountNetNamespaces, kUcountTimeNamespaces};
      charge(ns->user_ns, ns->ucount_uid, kTypes[static_cast<int>(ns->type)]);
    }
    for (const UserNamespace* ns : m_.user_namespaces) {
      std::map<uint32_t, std::array<int64_t, kUcountCount>> want;
      for (const auto& [key, counts] : expected) {
        if (key.first == ns->serial) want[key.second] = counts;
      }
      auto have = ns->ucounts;
      for (const auto& [uid, counts] : want) have.try_emplace(uid);
      for (const auto& [uid, counts] : have) {
        const auto want_counts =
            want.count(uid) ? want[uid] : std::array<int64_t, kUcountCount>{};
        for (int type = 0; type < kUcountCount; ++type) {
          if (counts[type] != want_counts[type]) {
            Report(
                absl::StrFormat("user_ns#%d", ns->serial), "ucounts",
                absl::StrFormat("uid %d has %d %s namespace(s) charged, but %d "
                                "live",
                                uid, counts[type],
                                UcountName(static_cast<UcountType>(type)),
                                want_counts[type]));
          }
        }
      }
    }
  }

  void CheckCgroups() {
    // nr_tasks counts the tasks linked from cgroup_post_fork() to
    // cgroup_exit(); every task has a cgroup after its fork.
    std::map<const Cgroup*, int64_t> linked;
    for (const Task* t : m_.tasks) {
      if (t->cgroup == nullptr) {
        Report(TaskName(t), "cgroup", "in no cgroup");
        continue;
      }
      if ((t->flags & kPfExiting) == 0) ++linked[t->cgroup];
    }
    for (const Cgroup* c : m_.cgroups) {
      const int64_t want = linked.count(c) ? linked[c] : 0;
      if (c->nr_tasks != want) {
        Report(absl::StrFormat("cgroup#%d", c->serial), "cgroup",
               absl::StrFormat("nr_tasks %d, but %d live task(s) in %s",
                               c->nr_tasks, want, c->path));
      }
      if (!c->online && (c->nr_tasks > 0 || !c->children.empty())) {
        Report(absl::StrFormat("cgroup#%d", c->serial), "cgroup",
               "removed, but populated");
      }
    }
  }

  const Machine& m_;
  std::vector<Violation> violations_;
  Holders<Cred> creds_;
  Holders<UserStruct> users_;
  Holders<UserNamespace> user_ns_;
  Holders<PidNamespace> pid_ns_;
  Holders<Namespace> namespaces_;
  Holders<NsProxy> nsproxies_;
  Holders<Pid> pids_;
  Holders<Mm> mms_;
  Holders<FsStruct> fs_;
  Holders<Sighand> sighands_;
  Holders<SignalStruct> signals_;
  Holders<SemUndoList> sem_;
  Holders<IoContext> io_;
  Holders<File> files_;
  Holders<FilesStruct> files_structs_;
  Holders<Cgroup> cgroups_;
};

}  // namespace

std::string Violation::ToString() const {
  return absl::StrFormat("%s: %s: %s", object, rule, detail);
}

std::vector<Violation> CheckInvariants(const Machine& m) {
  return Checker(m).Run();
}

}  // namespace forksim
