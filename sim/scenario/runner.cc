#include "sim/scenario/runner.h"

#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"
#include "model/kernel/cred.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/invariants.h"
#include "model/kernel/pid.h"
#include "sim/kernel/fork.h"
#include "sim/scenario/strace.h"
#include "sim/kernel/syscalls.h"

namespace forksim {
namespace {

// Names a scenario may use in expressions, besides its own bindings.
const std::map<std::string, uint64_t>& Constants() {
  static const auto* const kConstants = [] {
    auto* c = new std::map<std::string, uint64_t>{
        {"NULL", 0},
        {"CSIGNAL", kCsignal},
        {"CLONE_NEWTIME", kCloneNewtime},
        {"CLONE_VM", kCloneVm},
        {"CLONE_FS", kCloneFs},
        {"CLONE_FILES", kCloneFiles},
        {"CLONE_SIGHAND", kCloneSighand},
        {"CLONE_PIDFD", kClonePidfd},
        {"CLONE_PTRACE", kClonePtrace},
        {"CLONE_VFORK", kCloneVfork},
        {"CLONE_PARENT", kCloneParent},
        {"CLONE_THREAD", kCloneThread},
        {"CLONE_NEWNS", kCloneNewns},
        {"CLONE_SYSVSEM", kCloneSysvsem},
        {"CLONE_SETTLS", kCloneSettls},
        {"CLONE_PARENT_SETTID", kCloneParentSettid},
        {"CLONE_CHILD_CLEARTID", kCloneChildCleartid},
        {"CLONE_DETACHED", kCloneDetached},
        {"CLONE_UNTRACED", kCloneUntraced},
        {"CLONE_CHILD_SETTID", kCloneChildSettid},
        {"CLONE_NEWCGROUP", kCloneNewcgroup},
        {"CLONE_NEWUTS", kCloneNewuts},
        {"CLONE_NEWIPC", kCloneNewipc},
        {"CLONE_NEWUSER", kCloneNewuser},
        {"CLONE_NEWPID", kCloneNewpid},
        {"CLONE_NEWNET", kCloneNewnet},
        {"CLONE_IO", kCloneIo},
        {"CLONE_CLEAR_SIGHAND", kCloneClearSighand},
        {"CLONE_INTO_CGROUP", kCloneIntoCgroup},
        // include/uapi/linux/wait.h.
        {"WNOHANG", 0x00000001},
        {"WUNTRACED", 0x00000002},
        {"WSTOPPED", 0x00000002},
        {"WEXITED", 0x00000004},
        {"WCONTINUED", 0x00000008},
        {"WNOWAIT", 0x01000000},
        {"__WNOTHREAD", 0x20000000},
        {"__WALL", 0x40000000},
        {"__WCLONE", 0x80000000},
        {"P_ALL", 0},
        {"P_PID", 1},
        {"P_PGID", 2},
        {"O_RDWR", kORdwr},
        {"O_CLOEXEC", kOCloexec},
        {"PAGE_SIZE", kPageSize},
    };
    for (int sig = 1; sig <= 31; ++sig) (*c)[SignalName(sig)] = sig;
    return c;
  }();
  return *kConstants;
}

// strace-style names accepted for syscall parameters.
std::string_view CanonicalParam(std::string_view syscall,
                                std::string_view name) {
  static const std::map<std::pair<std::string_view, std::string_view>,
                        std::string_view>
      kAliases = {
          {{"clone", "flags"}, "clone_flags"},
          {{"clone", "child_stack"}, "newsp"},
          {{"clone", "stack"}, "newsp"},
          {{"clone", "parent_tid"}, "parent_tidptr"},
          {{"clone", "ptid"}, "parent_tidptr"},
          {{"clone", "child_tid"}, "child_tidptr"},
          {{"clone", "ctid"}, "child_tidptr"},
          {{"clone6", "args"}, "uargs"},
          {{"wait4", "pid"}, "upid"},
          {{"wait4", "wstatus"}, "stat_addr"},
          {{"wait4", "rusage"}, "ru"},
          {{"waitid", "idtype"}, "which"},
          {{"waitid", "id"}, "upid"},
          {{"waitid", "rusage"}, "ru"},
          {{"exit", "status"}, "error_code"},
          {{"exit_group", "status"}, "error_code"},
      };
  auto it = kAliases.find({syscall, name});
  return it == kAliases.end() ? name : it->second;
}

// The function a `kernel_thread` statement's thread runs (it never does).
constexpr uint64_t kKernelThreadFn = 0xffffffff81000000;

// The address `sigaction SIG handler` installs.
constexpr uint64_t kScenarioHandler = 0x400000;

bool IsForkFamily(std::string_view name) {
  return name == "fork" || name == "vfork" || name == "clone" ||
         name == "clone6";
}

std::string ResultText(int64_t result) {
  if (result < 0 && result >= -4095) {
    const Errno e = static_cast<Errno>(-result);
    return absl::StrFormat("-1 %s (%s)", ErrnoName(e), ErrnoMessage(e));
  }
  return absl::StrFormat("%d", result);
}

// A small, stable digest (FNV-1a, 64 bits) for --check-determinism.
uint64_t Fnv1a(uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

class Run {
 public:
  Run(const Scenario& scenario, const KernelProfile& profile, Abi abi,
      const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        kernel_(profile, MachineConfig{.abi = abi}) {
    result_.profile = std::string(profile.name);
    result_.abi = std::string(AbiName(abi));
    kernel_.set_resume_callback(
        [this](Task* task, Sysno, int64_t result) { OnResume(task, result); });
  }

  RunResult Go() {
    Bind("init", kernel_.machine().init);
    Task* p = NewProcess();
    if (p != nullptr) Bind("p", p);
    kernel_.trace().Clear();  // the trace starts with the scenario
    for (const Statement& st : scenario_.statements) {
      if (!result_.passed) break;
      if (!Applies(st)) continue;
      current_ = &st;
      Exec(st);
      if (options_.stop_after_line != 0 &&
          st.line >= options_.stop_after_line) {
        stopped_early_ = true;
        break;
      }
    }
    if (options_.at_stop) {
      std::map<int32_t, std::string> names;
      for (const auto& [name, binding] : bindings_) {
        if (!binding.is_task) continue;
        std::string& slot = names[binding.tid.value];
        slot += slot.empty() ? name : "," + name;
      }
      options_.at_stop(kernel_, names);
    }
    if (result_.passed && !stopped_early_) {
      for (const auto& [tid, pending] : pending_) {
        FailAt(*pending.statement,
               absl::StrFormat("still blocked at the end of the scenario"));
        break;
      }
    }
    if (result_.passed && !stopped_early_) {
      for (const Violation& v : CheckInvariants(kernel_.machine())) {
        result_.passed = false;
        result_.failure +=
            absl::StrFormat("%s: at the end: invariant broken: %s\n",
                            scenario_.path, v.ToString());
      }
    }
    result_.events = kernel_.trace().events();
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const std::string& line : result_.trace)
      hash = Fnv1a(hash, line + "\n");
    for (const Event& e : result_.events) {
      hash = Fnv1a(
          hash, absl::StrFormat("%d|%d|%s|%s|%d|%d|", static_cast<int>(e.kind),
                                e.tid, e.where, e.text, e.value, e.addr));
      hash = Fnv1a(hash, std::string(e.bytes.begin(), e.bytes.end()));
    }
    result_.fingerprint = absl::StrFormat("%016x", hash);
    return std::move(result_);
  }

 private:
  struct Binding {
    bool is_task = false;
    uint64_t value = 0;  // a number, or a mapping's address
    Tid tid;             // a task, by global pid
  };
  struct PendingCall {
    const Statement* statement;
    std::string call;  // the strace text of the call
  };

  // --- failures ---

  void FailAt(const Statement& st, const std::string& why) {
    if (!result_.passed) return;
    result_.passed = false;
    result_.failure = absl::StrFormat("%s:%d: %s\n  %s\n", scenario_.path,
                                      st.line, st.source, why);
  }
  void Fail(const std::string& why) { FailAt(*current_, why); }

  bool Applies(const Statement& st) const {
    if (st.only.empty()) return true;
    bool profile_named = false, profile_match = false;
    bool abi_named = false, abi_match = false;
    for (const std::string& word : st.only) {
      if (ProfileFromName(word)) {
        profile_named = true;
        profile_match = profile_match || word == result_.profile;
      } else {
        abi_named = true;
        abi_match = abi_match || word == result_.abi;
      }
    }
    return (!profile_named || profile_match) && (!abi_named || abi_match);
  }

  // --- names ---

  void Bind(const std::string& name, Task* task) {
    bindings_[name] = Binding{true, 0, task->pid};
  }
  void BindValue(const std::string& name, uint64_t value) {
    bindings_[name] = Binding{false, value, Tid()};
  }

  Task* TaskNamed(const std::string& name) {
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
      // A global pid number.
      Task* task =
          kernel_.machine().FindTaskByTid(Tid(std::atoi(name.c_str())));
      if (task == nullptr) Fail(absl::StrFormat("no task has pid %s", name));
      return task;
    }
    auto it = bindings_.find(name);
    if (it == bindings_.end() || !it->second.is_task) {
      Fail(absl::StrFormat("'%s' is not a task name", name));
      return nullptr;
    }
    Task* task = kernel_.machine().FindTaskByTid(it->second.tid);
    if (task == nullptr)
      Fail(absl::StrFormat("task '%s' no longer exists", name));
    return task;
  }

  Task* Actor(const Statement& st) {
    return TaskNamed(st.actor.empty() ? "p" : st.actor);
  }

  std::optional<uint64_t> Eval(const Expr& expr, Task* viewer) {
    uint64_t value = 0;
    for (const Expr::Term& term : expr.terms) {
      uint64_t v;
      if (term.is_number) {
        v = term.number;
      } else if (auto it = bindings_.find(term.name); it != bindings_.end()) {
        if (it->second.is_task) {
          Task* task = kernel_.machine().FindTaskByTid(it->second.tid);
          if (task == nullptr) {
            Fail(absl::StrFormat("col %d: task '%s' no longer exists", term.col,
                                 term.name));
            return std::nullopt;
          }
          // A task's value is its pid as the acting task sees it.
          v = static_cast<uint64_t>(static_cast<int64_t>(
              PidVnr(task->thread_pid, viewer != nullptr ? viewer : task)
                  .value));
        } else {
          v = it->second.value;
        }
      } else if (auto c = Constants().find(term.name); c != Constants().end()) {
        v = c->second;
      } else {
        Fail(absl::StrFormat(
            "col %d: found '%s', expected a number, a bound name "
            "or a constant such as CLONE_VM or SIGCHLD",
            term.col, term.name));
        return std::nullopt;
      }
      switch (term.op) {
        case '+':
          value += v;
          break;
        case '-':
          value -= v;
          break;
        case '|':
          value |= v;
          break;
      }
    }
    return value;
  }

  // --- set-up ---

  Task* NewProcess() {
    Task* init = kernel_.machine().init;
    SyscallOutcome out = kernel_.Invoke(init, Sysno::kFork, {});
    if (out.blocked || out.result <= 0) {
      result_.passed = false;
      result_.failure = "forking the scenario's process from init failed\n";
      return nullptr;
    }
    Task* task =
        kernel_.machine().FindTaskByTid(Tid(static_cast<int32_t>(out.result)));
    kernel_.Schedule();
    return task;
  }

  void Exec(const Statement& st) {
    using K = Statement::Kind;
    switch (st.kind) {
      case K::kScenario:
      case K::kProfiles:
      case K::kAbis:
        return;
      case K::kProcess:
        if (Task* t = NewProcess()) Bind(st.name, t);
        return;
      case K::kSysctl:
        return ExecSysctl(st);
      case K::kRlimit:
        return ExecRlimit(st);
      case K::kCreds:
        return ExecCreds(st);
      case K::kMap:
      case K::kProtect:
        return ExecMap(st);
      case K::kWrite:
        return ExecWrite(st);
      case K::kOpen:
        return ExecOpen(st);
      case K::kSyscall:
      case K::kRaw:
        return ExecSyscall(st);
      case K::kKernelThread:
        return ExecKernelThread(st);
      case K::kFailNth: {
        std::optional<uint64_t> n = Eval(st.args[0], nullptr);
        if (n) kernel_.machine().faults.FailNth(static_cast<uint32_t>(*n));
        return;
      }
      case K::kSchedule:
        kernel_.Schedule();
        return;
      case K::kSignal: {
        Task* task = TaskNamed(st.name);
        std::optional<uint64_t> sig = Eval(st.args[0], nullptr);
        if (task && sig)
          kernel_.QueueSignalDuringNextSyscall(task, static_cast<int>(*sig));
        return;
      }
      case K::kSigaction: {
        Task* task = Actor(st);
        std::optional<uint64_t> sig = Eval(st.args[0], nullptr);
        if (!task || !sig) return;
        if (*sig < 1 || *sig > static_cast<uint64_t>(kNsig))
          return Fail("not a signal number");
        SigAction& action = task->sighand->action[*sig - 1];
        if (st.name == "ign") action = SigAction{kSigIgn, 0, 0};
        if (st.name == "dfl") action = SigAction{kSigDfl, 0, 0};
        if (st.name == "nocldwait") action.flags |= kSaNocldwait;
        // A user handler: the model runs no user code, any address will do.
        if (st.name == "handler") action.handler = kScenarioHandler;
        return;
      }
      case K::kExpectMemory:
        return ExpectMemory(st);
      case K::kExpectFd:
        return ExpectFd(st);
      case K::kExpectTask:
        return ExpectTask(st);
      case K::kExpectShares:
        return ExpectShares(st);
      case K::kExpectClean:
        for (const Violation& v : CheckInvariants(kernel_.machine())) {
          return Fail("invariant broken: " + v.ToString());
        }
        return;
      case K::kExpectSignal:
        return ExpectSignal(st);
      case K::kExpectFault:
        if (kernel_.machine().faults.injected() != st.text) {
          Fail(absl::StrFormat("the injected fault was at \"%s\"",
                               kernel_.machine().faults.injected()));
        }
        return;
      case K::kExpectState: {
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
        Task* task = TaskNamed(st.text);
        if (task == nullptr) return;
        const bool blocked = kernel_.IsBlocked(task);
        if ((st.name == "blocked") != blocked) {
          Fail(absl::StrFormat("expected %s to be %s, it is %s", st.text,
                               st.name, blocked ? "blocked" : "not blocked"));
        }
        return;
      }
    }
  }

  void ExecSysctl(const Statement& st) {
    std::optional<uint64_t> v = Eval(st.args[0], nullptr);
    if (!v) return;
    Machine& m = kernel_.machine();
    const int64_t value = static_cast<int64_t>(*v);
    SysStatus status;
    if (st.name == "kernel.pid_max") {
      status = m.SetPidMax(value);
    } else if (st.name == "kernel.threads-max") {
      status = m.SetThreadsMax(value);
    } else if (st.name == "fs.nr_open") {
      status = m.SetNrOpen(value);
    } else if (st.name == "fs.file-max") {
      m.sysctls.file_max = *v;
    } else if (st.name == "kernel.ns_last_pid") {
      Task* actor = Actor(st);
      if (actor == nullptr) return;
      status = SetNsLastPid(m, actor, actor->nsproxy->pid_for_children, value);
    } else {
      // user.max_<type>_namespaces
      for (int t = 0; t < kUcountCount; ++t) {
        const UcountType type = static_cast<UcountType>(t);
        if (st.name ==
            absl::StrFormat("user.max_%s_namespaces", UcountName(type))) {
          status = m.SetUcountMax(type, value);
        }
      }
    }
    if (!status.ok()) {
      Fail(absl::StrFormat("writing %s failed: %s", st.name,
                           ErrnoName(status.error())));
    }
  }

  void ExecRlimit(const Statement& st) {
    Task* task = Actor(st);
    std::optional<uint64_t> soft = Eval(st.args[0], task);
    if (!task || !soft) return;
    Rlimit& lim =
        task->signal->rlim[st.name == "NPROC" ? kRlimitNproc : kRlimitNofile];
    lim.cur = *soft;
    if (st.args.size() > 1) {
      std::optional<uint64_t> hard = Eval(st.args[1], task);
      if (!hard) return;
      lim.max = *hard;
    }
  }

  void ExecCreds(const Statement& st) {
    Task* task = Actor(st);
    if (task == nullptr) return;
    Machine& m = kernel_.machine();
    Cred* cred = PrepareCreds(m, task->cred).value();
    for (const FieldInit& f : st.fields) {
      if (f.name == "caps" && f.value.terms.size() == 1 &&
          !f.value.terms[0].is_number &&
          (f.value.terms[0].name == "none" ||
           f.value.terms[0].name == "full")) {
        const uint64_t set = f.value.terms[0].name == "full" ? kCapFullSet : 0;
        cred->caps = CapSets{0, set, set, kCapFullSet, 0};
        continue;
      }
      std::optional<uint64_t> v = Eval(f.value, task);
      if (!v) {
        PutCred(m, cred);
        return;
      }
      const uint32_t id = static_cast<uint32_t>(*v);
      if (f.name == "uid") {
        cred->uid = cred->euid = cred->suid = cred->fsuid = id;
        UserStruct* user = AllocUid(m, id).value();
        FreeUid(m, cred->user);
        cred->user = user;
      } else if (f.name == "gid") {
        cred->gid = cred->egid = cred->sgid = cred->fsgid = id;
      } else {
        cred->caps = CapSets{0, *v, *v, kCapFullSet, 0};
      }
    }
    // The task's process is counted for its real uid.
    --task->real_cred->user->processes;
    ++cred->user->processes;
    GetCred(cred);
    ExitCreds(m, task);
    task->cred = task->real_cred = cred;
  }

  void ExecMap(const Statement& st) {
    Task* task = Actor(st);
    std::optional<uint64_t> addr = Eval(st.args[0], task);
    std::optional<uint64_t> len = Eval(st.args[1], task);
    if (!task || !addr || !len) return;
    if (task->mm == nullptr)
      return Fail("the task has no mm (a kernel thread)");
    const Prot prot = st.text == "rw"  ? kProtReadWrite
                      : st.text == "r" ? kProtRead
                                       : kProtNone;
    absl::Status s = st.kind == Statement::Kind::kMap
                         ? task->mm->memory->Map(*addr, *len, prot)
                         : task->mm->memory->Protect(*addr, *len, prot);
    if (!s.ok()) return Fail(std::string(s.message()));
    if (st.kind == Statement::Kind::kMap) BindValue(st.name, *addr);
  }

  // The bytes of `TYPE value` or `struct {fields}` for `task`'s ABI.
  std::optional<std::vector<uint8_t>> Encode(const Statement& st, Task* task) {
    if (auto id = StructFromName(st.name)) {
      StructValue v(LayoutFor(*id, task->abi));
      for (const FieldInit& f : st.fields) {
        std::optional<uint64_t> value = Eval(f.value, task);
        if (!value) return std::nullopt;
        if (!v.Set(f.name, *value)) {
          Fail(absl::StrFormat("col %d: %s has no field '%s' on %s", f.col,
                               st.name, f.name, AbiName(task->abi)));
          return std::nullopt;
        }
      }
      return EncodeStruct(v);
    }
    std::optional<uint64_t> value = Eval(st.args[1], task);
    if (!value) return std::nullopt;
    std::vector<uint8_t> bytes(TypeSize(st.name));
    StoreLittleEndian(bytes.data(), static_cast<uint32_t>(bytes.size()),
                      *value);
    return bytes;
  }

  static uint32_t TypeSize(std::string_view type) {
    if (type == "u8") return 1;
    if (type == "u16") return 2;
    if (type == "u64") return 8;
    return 4;
  }

  void ExecWrite(const Statement& st) {
    Task* task = Actor(st);
    std::optional<uint64_t> addr = Eval(st.args[0], task);
    if (!task || !addr) return;
    std::optional<std::vector<uint8_t>> bytes = Encode(st, task);
    if (!bytes) return;
    if (task->mm == nullptr) return Fail("the task has no mm");
    absl::Status s = task->mm->memory->Poke(*addr, *bytes);
    if (!s.ok()) Fail(std::string(s.message()));
  }

  void ExecOpen(const Statement& st) {
    Task* task = Actor(st);
    if (task == nullptr) return;
    Machine& m = kernel_.machine();
    const bool cloexec = !st.words.empty();
    SysResult<int> fd = GetUnusedFdFlags(m.fd_env(), *task->files,
                                         task->signal->rlim[kRlimitNofile].cur,
                                         kORdwr | (cloexec ? kOCloexec : 0));
    if (!fd.ok())
      return Fail(absl::StrFormat("open failed: %s", ErrnoName(fd.error())));
    File* file = m.files.Create();
    file->name = st.text;
    file->f_flags = kORdwr;
    FdInstall(*task->files, fd.value(), file);
    if (!st.bind.empty()) BindValue(st.bind, static_cast<uint64_t>(fd.value()));
  }

  // Registers for a syscall statement; false (and a failure) if they cannot
  // be built.
  bool BuildRegisters(const Statement& st, Task* task, std::string* name) {
    const AbiInfo& info = AbiInfoFor(task->abi);
    if (st.kind == Statement::Kind::kRaw) {
      for (const FieldInit& f : st.fields) {
        std::optional<Reg> reg;
        for (int r = 0; r < static_cast<int>(Reg::kCount); ++r) {
          if (RegName(task->abi, static_cast<Reg>(r)) == f.name)
            reg = static_cast<Reg>(r);
        }
        if (!reg) {
          Fail(absl::StrFormat("col %d: '%s' is not a register of %s", f.col,
                               f.name, AbiName(task->abi)));
          return false;
        }
        std::optional<uint64_t> v = Eval(f.value, task);
        if (!v) return false;
        // The raw form writes the whole register: a 32-bit task's upper
        // half does not exist, and RegisterFile drops it.
        task->regs.Set(*reg, *v);
      }
      const SyscallSignature* sig =
          FindSyscallByNr(task->abi, task->regs.Get(info.nr_reg));
      *name = sig != nullptr ? std::string(sig->name) : "syscall";
      return true;
    }
    const SyscallSignature* sig = nullptr;
    for (const SyscallSignature& s : info.syscalls) {
      if (s.name == st.name) sig = &s;
    }
    if (sig == nullptr) {
      Fail(
          absl::StrFormat("%s has no syscall %s", AbiName(task->abi), st.name));
      return false;
    }
    *name = st.name;
    if (st.args.size() > sig->params.size()) {
      Fail(absl::StrFormat("%s takes %d argument(s) on %s", st.name,
                           sig->params.size(), AbiName(task->abi)));
      return false;
    }
    std::vector<uint64_t> values(sig->params.size(), 0);
    for (size_t i = 0; i < st.args.size(); ++i) {
      std::optional<uint64_t> v = Eval(st.args[i], task);
      if (!v) return false;
      values[i] = *v;
    }
    for (const FieldInit& f : st.fields) {
      const std::string_view param = CanonicalParam(st.name, f.name);
      size_t index = sig->params.size();
      for (size_t i = 0; i < sig->params.size(); ++i) {
        if (sig->params[i].name == param) index = i;
      }
      if (index == sig->params.size()) {
        Fail(absl::StrFormat("col %d: %s has no argument '%s'", f.col, st.name,
                             f.name));
        return false;
      }
      std::optional<uint64_t> v = Eval(f.value, task);
      if (!v) return false;
      values[index] = *v;
    }
    task->regs.Set(info.nr_reg, sig->nr);
    for (size_t i = 0; i < values.size(); ++i)
      task->regs.Set(info.arg_regs[i], values[i]);
    return true;
  }

  std::string Prefix(const Task* task) {
    return absl::StrFormat("[pid %5d] ", task->pid.value);
  }

  void ExecSyscall(const Statement& st) {
    Task* task = Actor(st);
    if (task == nullptr) return;
    if (kernel_.IsBlocked(task)) {
      return Fail(
          absl::StrFormat("task %d is blocked in a syscall", task->pid.value));
    }
    std::string name;
    if (!BuildRegisters(st, task, &name)) return;
    if (task->abi == Abi::kIa32 &&
        personality_noted_.insert(task->pid.value).second) {
      result_.trace.push_back(absl::StrFormat(
          "[ Process PID=%d runs in 32 bit mode. ]", task->pid.value));
    }
    SysResult<DecodedSyscall> decoded = DecodeSyscall(task->regs);
    const uint64_t nr = task->regs.Get(AbiInfoFor(task->abi).nr_reg);
    const Tid tid = task->pid;
    const std::string prefix = Prefix(task);
    ExplainedCall explained = Explain(st, task, decoded);
    const size_t first_event = kernel_.trace().events().size();
    const SyscallOutcome out = kernel_.Syscall(task);
    explained.events.assign(kernel_.trace().events().begin() + first_event,
                            kernel_.trace().events().end());
    explained.blocked = out.blocked;
    explained.result = out.result;
    Task* after = kernel_.machine().FindTaskByTid(tid);
    const Mm* mm = after != nullptr ? after->mm : nullptr;
    std::string call =
        decoded.ok()
            ? FormatSyscall(task_abi(after), decoded.value(), mm, !out.blocked)
            : absl::StrFormat("syscall_%#x()", nr);
    explained.strace =
        prefix + call +
        (out.blocked ? " <unfinished ...>" : FormatResult(call, out.result));
    // The user memory the kernel read and wrote for this call, under its
    // line, in the order it happened.
    std::vector<std::string> memory_lines;
    for (const Event& e : explained.events) {
      if (e.kind == Event::Kind::kRead || e.kind == Event::Kind::kWrite ||
          e.kind == Event::Kind::kFault) {
        memory_lines.push_back(MemoryLine(e));
      }
    }
    result_.calls.push_back(std::move(explained));
    if (out.blocked) {
      result_.trace.push_back(prefix + call + " <unfinished ...>");
      result_.trace.insert(result_.trace.end(), memory_lines.begin(),
                           memory_lines.end());
      if (st.result.kind != ResultSpec::kAny &&
          st.result.kind != ResultSpec::kBlocked) {
        pending_[tid.value] = PendingCall{&st, name};
      }
      if (IsForkFamily(name) && !st.bind.empty()) {
        // vfork: the child exists while the parent waits.
        Task* child = NewestChildOf(after);
        if (child != nullptr) Bind(st.bind, child);
      }
      return;
    }
    result_.trace.push_back(prefix + call + FormatResult(call, out.result));
    result_.trace.insert(result_.trace.end(), memory_lines.begin(),
                         memory_lines.end());
    if (st.result.kind == ResultSpec::kBlocked) {
      return Fail(absl::StrFormat("expected the call to block, it returned %s",
                                  ResultText(out.result)));
    }
    CheckResult(st, out.result, after);
    if (!result_.passed || st.bind.empty() || out.result == kNoReturn) return;
    if (IsForkFamily(name) && out.result > 0 && after != nullptr) {
      Task* child = TaskSeenAs(after, out.result);
      if (child != nullptr) return Bind(st.bind, child);
    }
    BindValue(st.bind, static_cast<uint64_t>(out.result));
  }

  // The entry decoding of a call, before it runs.
  ExplainedCall Explain(const Statement& st, const Task* task,
                        const SysResult<DecodedSyscall>& decoded) {
    static constexpr std::string_view kTypes[] = {
        "int", "unsigned int", "long", "unsigned long", "pointer", "size_t"};
    const AbiInfo& info = AbiInfoFor(task->abi);
    ExplainedCall call;
    call.line = st.line;
    call.source = st.source;
    call.tid = task->pid.value;
    call.abi = std::string(info.name);
    call.nr_reg = std::string(RegName(task->abi, info.nr_reg));
    call.nr = task->regs.Get(info.nr_reg);
    if (!decoded.ok()) return call;
    const DecodedSyscall& d = decoded.value();
    call.entry = std::string(d.signature->entry);
    for (size_t i = 0; i < d.signature->params.size(); ++i) {
      const SyscallParam& param = d.signature->params[i];
      call.args.push_back(
          ExplainedArg{std::string(RegName(task->abi, info.arg_regs[i])),
                       d.args[i].reg, std::string(param.name),
                       std::string(kTypes[static_cast<int>(param.type)]),
                       d.args[i].value, d.args[i].truncated});
    }
    return call;
  }

  // "  | read  0x10018 8: 00 00 ... (clone6_args.stack, task 3)": one user
  // memory access of a call, for the trace.
  static std::string MemoryLine(const Event& e) {
    std::string bytes;
    for (uint8_t b : e.bytes) absl::StrAppendFormat(&bytes, " %02x", b);
    const char* what = e.kind == Event::Kind::kRead    ? "read "
                       : e.kind == Event::Kind::kWrite ? "write"
                                                       : "fault";
    return absl::StrFormat("  | %s %#x %d:%s (%s, task %d, %s)", what, e.addr,
                           e.value, bytes.empty() ? "" : bytes, e.text, e.tid,
                           e.where);
  }

  Abi task_abi(const Task* task) const {
    return task != nullptr ? task->abi : kernel_.abi();
  }

  Task* NewestChildOf(Task* parent) {
    Task* newest = nullptr;
    for (Task* t : kernel_.machine().tasks) {
      // The registry is in creation order: the last match is the newest.
      if (t != parent &&
          (t->real_parent == parent || t->real_parent == parent->real_parent)) {
        newest = t;
      }
    }
    return newest;
  }

  Task* TaskSeenAs(Task* viewer, int64_t nr) {
    for (Task* t : kernel_.machine().tasks) {
      if (PidVnr(t->thread_pid, viewer).value == nr &&
          t != kernel_.machine().idle)
        return t;
    }
    return nullptr;
  }

  // kernel_thread(fn, arg, flags) run by kthreadd, as kthread_create's
  // requests are: the child has no mm and runs `fn` (a fixed address).
  void ExecKernelThread(const Statement& st) {
    Task* kthreadd = kernel_.machine().kthreadd;
    std::optional<uint64_t> flags = Eval(st.args[0], kthreadd);
    if (!flags) return;
    const int64_t result =
        KernelThread(kernel_, kthreadd, kKernelThreadFn, 0, *flags);
    kernel_.WakeBlocked();
    result_.trace.push_back(absl::StrFormat(
        "%skernel_thread(fn, NULL, %s)%s", Prefix(kthreadd),
        FormatCloneFlags(*flags),
        FormatResult(
            "kernel_thread(fn, NULL, " + FormatCloneFlags(*flags) + ")",
            result)));
    CheckResult(st, result, kthreadd);
    if (!result_.passed || st.bind.empty()) return;
    if (Task* child = result > 0 ? TaskSeenAs(kthreadd, result) : nullptr) {
      return Bind(st.bind, child);
    }
    BindValue(st.bind, static_cast<uint64_t>(result));
  }

  void CheckResult(const Statement& st, int64_t result, Task* viewer) {
    switch (st.result.kind) {
      case ResultSpec::kAny:
      case ResultSpec::kBlocked:
        return;
      case ResultSpec::kErrno: {
        Errno e;
        ErrnoFromName(st.result.errno_name, &e);
        if (result != SyscallError(e)) {
          FailAt(st,
                 absl::StrFormat("expected -1 %s (%s), got %s", ErrnoName(e),
                                 ErrnoMessage(e), ResultText(result)));
        }
        return;
      }
      case ResultSpec::kValue: {
        std::optional<uint64_t> want = Eval(st.result.value, viewer);
        if (!want) return;
        if (static_cast<int64_t>(*want) != result) {
          FailAt(st, absl::StrFormat("expected %d, got %s",
                                     static_cast<int64_t>(*want),
                                     ResultText(result)));
        }
        return;
      }
    }
  }

  void OnResume(Task* task, int64_t result) {
    auto it = pending_.find(task->pid.value);
    result_.trace.push_back(
        absl::StrFormat("%s<... %s resumed>)%s", Prefix(task),
                        it != pending_.end() ? it->second.call : "syscall",
                        FormatResult("", result)));
    if (it == pending_.end()) return;
    const Statement* st = it->second.statement;
    pending_.erase(it);
    const Statement* saved = current_;
    current_ = st;
    CheckResult(*st, result, task);
    current_ = saved;
  }

  // --- expectations ---

  void ExpectMemory(const Statement& st) {
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
        if (!got)
          return Fail(absl::StrFormat("%s has no field '%s'", st.name, f.name));
        if (*got != *want) {
          return Fail(absl::StrFormat("%s.%s: expected %#x, got %#x", st.name,
                                      f.name, *want, *got));
        }
      }
      return;
    }
    const uint32_t size = TypeSize(st.name);
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
      Fail(absl::StrFormat("%s at %#x: expected %d (%#x), got %d (%#x)",
                           st.name, *addr, static_cast<int64_t>(*want), *want,
                           static_cast<int64_t>(got), got));
    }
  }

  void ExpectFd(const Statement& st) {
    Task* task = Actor(st);
    std::optional<uint64_t> fd = Eval(st.args[0], task);
    if (!task || !fd) return;
    if (task->files == nullptr) return Fail("the task has no files");
    const int n = static_cast<int>(*fd);
    File* file = FdLookup(*task->files, n);
    if (st.name == "closed") {
      if (file != nullptr)
        Fail(absl::StrFormat("fd %d is open (%s)", n, file->name));
      return;
    }
    if (file == nullptr) return Fail(absl::StrFormat("fd %d is not open", n));
    if (st.name == "file" &&
        (file->kind != FileKind::kRegular || file->name != st.text)) {
      return Fail(absl::StrFormat("fd %d is %s, expected file \"%s\"", n,
                                  file->name, st.text));
    }
    if (st.name == "pidfd") {
      Task* target = TaskNamed(st.text);
      if (target == nullptr) return;
      if (file->kind != FileKind::kPidfd || file->pid != target->thread_pid) {
        return Fail(absl::StrFormat("fd %d is %s, expected a pidfd of %s", n,
                                    file->name, st.text));
      }
    }
    if (!st.words.empty()) {
      const bool want = st.words[0] == "cloexec";
      if (FdIsCloexec(*task->files, n) != want) {
        return Fail(absl::StrFormat("fd %d: expected %s", n, st.words[0]));
      }
    }
  }

  void ExpectTask(const Statement& st) {
    Task* task = TaskNamed(st.text);
    if (task == nullptr) return;
    Task* viewer = st.actor.empty() ? TaskNamed("p") : Actor(st);
    for (const FieldInit& f : st.fields) {
      if (f.name == "state") {
        const std::string want =
            f.value.terms.empty() ? "" : f.value.terms[0].name;
        std::string have = "running";
        if (kernel_.IsBlocked(task)) have = "blocked";
        if (task->state == TaskState::kZombie) have = "zombie";
        if (want != have)
          return Fail(
              absl::StrFormat("state: expected %s, got %s", want, have));
        continue;
      }
      if (f.name == "parent" || f.name == "leader") {
        if (f.value.terms.size() != 1) {
          return Fail(absl::StrFormat("%s= takes a task name or pid", f.name));
        }
        const Expr::Term& term = f.value.terms[0];
        Task* want =
            TaskNamed(term.is_number ? std::to_string(term.number) : term.name);
        if (want == nullptr) return;
        Task* have =
            f.name == "parent" ? task->real_parent : task->group_leader;
        if (have != want) {
          return Fail(absl::StrFormat("%s: expected task %d, got task %d",
                                      f.name, want->pid.value,
                                      have->pid.value));
        }
        continue;
      }
      std::optional<uint64_t> want = Eval(f.value, viewer);
      if (!want) return;
      int64_t have = 0;
      if (f.name == "tgid") {
        have = TaskTgidVnr(task, viewer != nullptr ? viewer : task).value;
      } else if (f.name == "exit_signal") {
        have = task->exit_signal;
      } else if (f.name == "exit_code") {
        have = task->exit_code;
      } else if (f.name == "pid") {
        have = TaskPidVnr(task, viewer != nullptr ? viewer : task).value;
      } else if (f.name.starts_with("pid@")) {
        const size_t level = std::stoul(f.name.substr(4));
        if (level >= task->thread_pid->numbers.size()) {
          return Fail(absl::StrFormat("%s: the task has no pid at level %d",
                                      f.name, level));
        }
        have = task->thread_pid->numbers[level].nr;
      }
      if (have != static_cast<int64_t>(*want)) {
        return Fail(absl::StrFormat("%s: expected %d, got %d", f.name,
                                    static_cast<int64_t>(*want), have));
      }
    }
  }

  static const void* Shared(const Task* t, std::string_view what) {
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
    if (what == "pidns") return TaskActivePidNs(t);
    return t->cred->user_ns;  // userns
  }

  void ExpectShares(const Statement& st) {
    Task* a = TaskNamed(st.text);
    Task* b = TaskNamed(st.bind);
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

  void ExpectSignal(const Statement& st) {
    Task* task = TaskNamed(st.text);
    std::optional<uint64_t> sig = Eval(st.args[0], task);
    if (!task || !sig) return;
    bool pending = false;
    for (int s : task->pending)
      pending = pending || s == static_cast<int>(*sig);
    for (int s : task->signal->shared_pending)
      pending = pending || s == static_cast<int>(*sig);
    const bool want = st.words.empty();
    if (pending != want) {
      Fail(absl::StrFormat("%s is %spending for %s",
                           SignalName(static_cast<int>(*sig)),
                           pending ? "" : "not ", st.text));
    }
  }

  const Scenario& scenario_;
  const RunOptions& options_;
  bool stopped_early_ = false;
  Kernel kernel_;
  RunResult result_;
  const Statement* current_ = nullptr;
  std::map<std::string, Binding> bindings_;
  std::map<int32_t, PendingCall> pending_;
  std::set<int32_t> personality_noted_;
};

}  // namespace

RunResult RunScenario(const Scenario& scenario, const KernelProfile& profile,
                      Abi abi, const RunOptions& options) {
  return Run(scenario, profile, abi, options).Go();
}

std::vector<RunResult> RunScenarioAll(const Scenario& scenario) {
  std::vector<std::string> profiles = scenario.profiles;
  if (profiles.empty()) profiles = {"5.2"};
  std::vector<std::string> abis = scenario.abis;
  if (abis.empty()) abis = {"x86_64"};
  std::vector<RunResult> results;
  for (const std::string& profile : profiles) {
    for (const std::string& abi : abis) {
      results.push_back(
          RunScenario(scenario, **ProfileFromName(profile), *AbiFromName(abi)));
    }
  }
  return results;
}

}  // namespace forksim
