// The `expect` statements: each reads the machine (never changes it) and
// fails the run with what it found.

#include <string>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/invariants.h"
#include "model/kernel/names.h"
#include "model/kernel/pid.h"
#include "sim/scenario/run.h"

namespace forksim {
namespace {

// The structure `what` of a task, as `expect ... shares` names it.
const void* Shared(const Task* t, std::string_view what) {
  if (what == "mm") return t->mm;
  if (what == "files") return t->files;
  if (what == "fs") return t->fs;
  if (what == "sighand") return t->sighand;
  if (what == "signal") return t->signal;
  if (what == "cred") return t->cred;
  if (what == "nsproxy") return t->nsproxy;
  if (what == "sysvsem") return t->sysvsem;
  if (what == "io") return t->io_context;
  if (what == "mnt") return t->nsproxy->mnt;
  if (what == "uts") return t->nsproxy->uts;
  if (what == "ipc") return t->nsproxy->ipc;
  if (what == "net") return t->nsproxy->net;
  if (what == "cgroup") return t->nsproxy->cgroup;
  if (what == "time") return t->nsproxy->time;
  if (what == "time_for_children") return t->nsproxy->time_for_children;
  if (what == "pidns") return TaskActivePidNs(t);
  return t->cred->user_ns;  // userns
}

}  // namespace

void ScenarioRun::ExpectMemory(const Statement& st) {
  Task* task = Actor(st);
  std::optional<uint64_t> addr = Eval(st.args[0], task);
  if (!task || !addr) return;
  if (task->mm == nullptr) return Fail("the task has no mm");
  if (auto id = StructFromName(st.name)) {
    const StructLayout& layout = LayoutFor(*id, task->abi);
    auto bytes = task->mm->memory->Peek(*addr, layout.size);
    if (!bytes.ok()) return Fail(std::string(bytes.status().message()));
    const StructValue have = DecodeStruct(layout, *bytes);
    for (const FieldInit& f : st.fields) {
      std::optional<uint64_t> want = Eval(f.value, task);
      if (!want) return;
      std::optional<uint64_t> got = have.Get(f.name);
      if (!got) {
        return Fail(absl::StrFormat("%s has no field '%s'", st.name, f.name));
      }
      if (*got != *want) {
        return Fail(absl::StrFormat("%s.%s: expected %#x, got %#x", st.name,
                                    f.name, *want, *got));
      }
    }
    return;
  }
  const uint32_t size = MemoryTypeSize(st.name);
  auto bytes = task->mm->memory->Peek(*addr, size);
  if (!bytes.ok()) return Fail(std::string(bytes.status().message()));
  uint64_t got = LoadLittleEndian(bytes->data(), size);
  std::optional<uint64_t> want = Eval(st.args[1], task);
  if (!want) return;
  if (st.name == "s32") {
    got = SignExtend(got, 4);
  } else if (size < 8) {
    *want &= (uint64_t{1} << (8 * size)) - 1;
  }
  if (got != *want) {
    Fail(absl::StrFormat("%s at %#x: expected %d (%#x), got %d (%#x)", st.name,
                         *addr, static_cast<int64_t>(*want), *want,
                         static_cast<int64_t>(got), got));
  }
}

void ScenarioRun::ExpectFd(const Statement& st) {
  Task* task = Actor(st);
  std::optional<uint64_t> fd = Eval(st.args[0], task);
  if (!task || !fd) return;
  if (task->files == nullptr) return Fail("the task has no files");
  const int n = static_cast<int>(*fd);
  const File* file = FdLookup(*task->files, n);
  if (st.name == "closed") {
    if (file != nullptr) {
      Fail(absl::StrFormat("fd %d is open (%s)", n, file->name));
    }
    return;
  }
  if (file == nullptr) return Fail(absl::StrFormat("fd %d is not open", n));
  if (st.name == "file" &&
      (file->kind != FileKind::kRegular || file->name != st.text)) {
    return Fail(absl::StrFormat("fd %d is %s, expected file \"%s\"", n,
                                file->name, st.text));
  }
  if (st.name == "pidfd") {
    const Task* target = TaskNamed(st.text);
    if (target == nullptr) return;
    if (file->kind != FileKind::kPidfd || file->pid != target->thread_pid) {
      return Fail(absl::StrFormat("fd %d is %s, expected a pidfd of %s", n,
                                  file->name, st.text));
    }
  }
  for (const std::string& flag : st.words) {
    // cloexec: the fd's flag; thread: PIDFD_THREAD in the file's f_flags.
    const bool want = flag == "cloexec" || flag == "thread";
    const bool have = (flag == "cloexec" || flag == "nocloexec")
                          ? FdIsCloexec(*task->files, n)
                          : (file->f_flags & kPidfdThread) != 0;
    if (have != want) {
      return Fail(absl::StrFormat("fd %d: expected %s", n, flag));
    }
  }
}

void ScenarioRun::ExpectTask(const Statement& st) {
  const Task* task = TaskNamed(st.text);
  if (task == nullptr) return;
  const Task* viewer = st.actor.empty() ? TaskNamed("p") : Actor(st);
  for (const FieldInit& f : st.fields) {
    if (f.name == "cgroup") {
      const std::string have =
          task->cgroup != nullptr ? task->cgroup->path : "(none)";
      if (have != f.value.text) {
        return Fail(
            absl::StrFormat("cgroup: expected %s, got %s", f.value.text, have));
      }
      continue;
    }
    if (f.name == "state") {
      const std::string want =
          f.value.terms.empty() ? "" : f.value.terms[0].name;
      std::string have = "running";
      if (kernel_.IsBlocked(task)) have = "blocked";
      if (task->state == TaskState::kZombie) have = "zombie";
      if (want != have) {
        return Fail(absl::StrFormat("state: expected %s, got %s", want, have));
      }
      continue;
    }
    if (f.name == "parent" || f.name == "leader") {
      if (f.value.terms.size() != 1) {
        return Fail(absl::StrFormat("%s= takes a task name or pid", f.name));
      }
      const Expr::Term& term = f.value.terms[0];
      const Task* want =
          TaskNamed(term.is_number ? std::to_string(term.number) : term.name);
      if (want == nullptr) return;
      const Task* have =
          f.name == "parent" ? task->real_parent : task->group_leader;
      if (have != want) {
        return Fail(absl::StrFormat("%s: expected task %d, got task %d", f.name,
                                    want->pid.value, have->pid.value));
      }
      continue;
    }
    std::optional<uint64_t> want = Eval(f.value, viewer);
    if (!want) return;
    const Task* seen_by = viewer != nullptr ? viewer : task;
    int64_t have = 0;
    if (f.name == "tgid") {
      have = TaskTgidVnr(task, seen_by).value;
    } else if (f.name == "exit_signal") {
      have = task->exit_signal;
    } else if (f.name == "exit_code") {
      have = task->exit_code;
    } else if (f.name == "pid") {
      have = TaskPidVnr(task, seen_by).value;
    } else if (f.name.starts_with("pid@")) {
      const size_t level = std::stoul(f.name.substr(4));
      if (level >= task->thread_pid->numbers.size()) {
        return Fail(absl::StrFormat("%s: the task has no pid at level %d",
                                    f.name, level));
      }
      have = task->thread_pid->numbers[level].nr.value;
    }
    if (have != static_cast<int64_t>(*want)) {
      return Fail(absl::StrFormat("%s: expected %d, got %d", f.name,
                                  static_cast<int64_t>(*want), have));
    }
  }
}

void ScenarioRun::ExpectShares(const Statement& st) {
  const Task* a = TaskNamed(st.text);
  const Task* b = TaskNamed(st.bind);
  if (a == nullptr || b == nullptr) return;
  const bool want_shared = st.name == "shares";
  for (const std::string& what : st.words) {
    const void* x = Shared(a, what);
    const void* y = Shared(b, what);
    const bool shared = x != nullptr && x == y;
    if (shared != want_shared) {
      return Fail(absl::StrFormat("%s: %s and %s %s", what, st.text, st.bind,
                                  shared ? "share it" : "do not share it"));
    }
  }
}

void ScenarioRun::ExpectSignal(const Statement& st) {
  const Task* task = TaskNamed(st.text);
  std::optional<uint64_t> sig = Eval(st.args[0], task);
  if (!task || !sig) return;
  bool pending = false;
  for (int s : task->pending) pending = pending || s == static_cast<int>(*sig);
  for (int s : task->signal->shared_pending) {
    pending = pending || s == static_cast<int>(*sig);
  }
  const bool want = st.words.empty();
  if (pending != want) {
    Fail(absl::StrFormat("%s is %spending for %s",
                         SignalName(static_cast<int>(*sig)),
                         pending ? "" : "not ", st.text));
  }
}

void ScenarioRun::ExpectSigaction(const Statement& st) {
  const Task* task = TaskNamed(st.text);
  std::optional<int> sig = EvalSignal(st.args[0]);
  if (!task || !sig) return;
  const SigAction& action = task->sighand->action[*sig - 1];
  const std::string have = action.handler == kSigDfl   ? "dfl"
                           : action.handler == kSigIgn ? "ign"
                                                       : "handler";
  if (have != st.name) {
    return Fail(absl::StrFormat("%s: expected %s, got %s", SignalName(*sig),
                                st.name, have));
  }
  if (!st.words.empty() && (action.flags != 0 || action.mask != 0)) {
    Fail(
        absl::StrFormat("%s: expected no flags and no mask, got flags %#x "
                        "mask %#x",
                        SignalName(*sig), action.flags, action.mask));
  }
}

void ScenarioRun::ExpectState(const Statement& st) {
  if (st.name == "gone") {
    auto it = bindings_.find(st.text);
    if (it == bindings_.end() || !it->second.is_task) {
      return Fail(absl::StrFormat("'%s' is not a task name", st.text));
    }
    if (kernel_.machine().FindTaskByTid(it->second.tid) != nullptr) {
      Fail(absl::StrFormat("task %s still exists", st.text));
    }
    return;
  }
  const Task* task = TaskNamed(st.text);
  if (task == nullptr) return;
  const bool blocked = kernel_.IsBlocked(task);
  if ((st.name == "blocked") != blocked) {
    Fail(absl::StrFormat("expected %s to be %s, it is %s", st.text, st.name,
                         blocked ? "blocked" : "not blocked"));
  }
}

void ScenarioRun::ExpectClean() {
  for (const Violation& v : CheckInvariants(kernel_.machine())) {
    return Fail("invariant broken: " + v.ToString());
  }
}

void ScenarioRun::ExpectFault(const Statement& st) {
  if (kernel_.InjectedFault() != st.text) {
    Fail(absl::StrFormat("the injected fault was at \"%s\"",
                         kernel_.InjectedFault()));
  }
}

}  // namespace forksim
