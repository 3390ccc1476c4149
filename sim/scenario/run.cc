#include "sim/scenario/run.h"

#include <cctype>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "model/abi/layout.h"
#include "model/kernel/invariants.h"
#include "model/kernel/names.h"
#include "model/kernel/pid.h"
#include "sim/kernel/syscall_entry.h"
#include "sim/scenario/strace.h"

namespace forksim {
namespace {

// The function a `kernel_thread` statement's thread runs (it never does).
constexpr uint64_t kKernelThreadFn = 0xffffffff81000000;

// The address `sigaction SIG handler` installs: the model runs no user
// code, any address will do.
constexpr uint64_t kScenarioHandler = 0x400000;

// Names an expression may use besides the tables of model/kernel/names.h
// and the scenario's own bindings.
std::optional<uint64_t> LanguageConstant(std::string_view name) {
  if (name == "NULL") return 0;
  if (name == "PAGE_SIZE") return kPageSize;
  return ConstantFromName(name);
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
          {{"clone3", "args"}, "uargs"},
          {{"clone3", "cl_args"}, "uargs"},
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

bool IsForkFamily(std::string_view name) {
  return name == "fork" || name == "vfork" || name == "clone" ||
         name == "clone3" || name == "clone6";
}

// The newest task whose parent is `parent` (or its parent, for
// CLONE_PARENT): the child a blocked vfork made.
Task* NewestChildOf(const Machine& m, const Task* parent) {
  Task* newest = nullptr;
  for (Task* t : m.tasks) {
    // The registry is in creation order: the last match is the newest.
    if (t != parent &&
        (t->real_parent == parent || t->real_parent == parent->real_parent)) {
      newest = t;
    }
  }
  return newest;
}

// The task that `viewer` sees as pid `nr`.
Task* TaskSeenAs(const Machine& m, const Task* viewer, int64_t nr) {
  for (Task* t : m.tasks) {
    if (t != m.idle && PidVnr(t->thread_pid, viewer).value == nr) return t;
  }
  return nullptr;
}

}  // namespace

ScenarioRun::ScenarioRun(const Scenario& scenario, const KernelProfile& profile,
                         Abi abi, const RunOptions& options)
    : scenario_(scenario),
      options_(options),
      kernel_(profile, MachineConfig{.abi = abi}) {
  result_.profile = std::string(profile.name);
  result_.abi = std::string(AbiName(abi));
  kernel_.set_resume_callback(
      [this](Task* task, Sysno, const SyscallOutcome& outcome) {
        OnResume(task, outcome);
      });
}

RunResult ScenarioRun::Go() {
  Bind("init", kernel_.machine().init);
  if (Task* p = NewProcess()) Bind("p", p);
  kernel_.ClearEvents();  // the trace starts with the scenario
  for (const Statement& st : scenario_.statements) {
    if (!result_.passed) break;
    if (!Applies(st)) continue;
    current_ = &st;
    Exec(st);
    if (options_.stop_after_line != 0 && st.line >= options_.stop_after_line) {
      stopped_early_ = true;
      break;
    }
  }
  if (options_.at_stop) {
    std::map<Tid, std::string> names;
    for (const auto& [name, binding] : bindings_) {
      if (!binding.is_task) continue;
      std::string& slot = names[binding.tid];
      slot += slot.empty() ? name : "," + name;
    }
    options_.at_stop(kernel_, names);
  }
  if (result_.passed && !stopped_early_ && !pending_.empty()) {
    FailAt(*pending_.begin()->second.statement,
           "still blocked at the end of the scenario");
  }
  if (result_.passed && !stopped_early_) {
    for (const Violation& v : CheckInvariants(kernel_.machine())) {
      result_.passed = false;
      result_.failure +=
          absl::StrFormat("%s: at the end: invariant broken: %s\n",
                          scenario_.path, v.ToString());
    }
  }
  result_.events = kernel_.events();
  result_.fingerprint = Fingerprint();
  return std::move(result_);
}

// --- failures ---

void ScenarioRun::FailAt(const Statement& st, const std::string& why) {
  if (!result_.passed) return;
  result_.passed = false;
  result_.failure = absl::StrFormat("%s:%d: %s\n  %s\n", scenario_.path,
                                    st.line, st.source, why);
}

bool ScenarioRun::Applies(const Statement& st) const {
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

// --- names and values ---

void ScenarioRun::Bind(const std::string& name, const Task* task) {
  bindings_[name] = Binding{true, 0, task->pid};
}

void ScenarioRun::BindValue(const std::string& name, uint64_t value) {
  bindings_[name] = Binding{false, value, Tid()};
}

Task* ScenarioRun::TaskNamed(const std::string& name) {
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
    // A global pid number.
    Task* task = kernel_.machine().FindTaskByTid(Tid(std::atoi(name.c_str())));
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

Task* ScenarioRun::Actor(const Statement& st) {
  return TaskNamed(st.actor.empty() ? "p" : st.actor);
}

std::optional<uint64_t> ScenarioRun::Eval(const Expr& expr,
                                          const Task* viewer) {
  uint64_t value = 0;
  for (const Expr::Term& term : expr.terms) {
    uint64_t v;
    if (term.is_number) {
      v = term.number;
    } else if (auto it = bindings_.find(term.name); it != bindings_.end()) {
      if (it->second.is_task) {
        const Task* task = kernel_.machine().FindTaskByTid(it->second.tid);
        if (task == nullptr) {
          Fail(absl::StrFormat("col %d: task '%s' no longer exists", term.col,
                               term.name));
          return std::nullopt;
        }
        // A task's value is its pid as the acting task sees it.
        v = static_cast<uint64_t>(static_cast<int64_t>(
            PidVnr(task->thread_pid, viewer != nullptr ? viewer : task).value));
      } else {
        v = it->second.value;
      }
    } else if (std::optional<uint64_t> c = LanguageConstant(term.name)) {
      v = *c;
    } else {
      Fail(
          absl::StrFormat("col %d: found '%s', expected a number, a bound name "
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

std::optional<int> ScenarioRun::EvalSignal(const Expr& expr) {
  std::optional<uint64_t> sig = Eval(expr, nullptr);
  if (!sig) return std::nullopt;
  if (*sig < 1 || *sig > static_cast<uint64_t>(kNsig)) {
    Fail("not a signal number");
    return std::nullopt;
  }
  return static_cast<int>(*sig);
}

// --- statements ---

Task* ScenarioRun::NewProcess() {
  SysResult<Task*> task = kernel_.NewProcess();
  if (!task.ok()) {
    result_.passed = false;
    result_.failure =
        absl::StrFormat("forking the scenario's process from init failed: %s\n",
                        ErrnoName(task.error()));
    return nullptr;
  }
  return task.value();
}

void ScenarioRun::Exec(const Statement& st) {
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
    case K::kCgroup:
      return ExecCgroup(st);
    case K::kSyscall:
    case K::kRaw:
      return ExecSyscall(st);
    case K::kKernelThread:
      return ExecKernelThread(st);
    case K::kFailNth:
      if (std::optional<uint64_t> n = Eval(st.args[0], nullptr)) {
        kernel_.FailNth(static_cast<uint32_t>(*n));
      }
      return;
    case K::kSchedule:
      kernel_.Schedule();
      return;
    case K::kSignal: {
      Task* task = TaskNamed(st.name);
      std::optional<uint64_t> sig = Eval(st.args[0], nullptr);
      if (task && sig) {
        kernel_.SignalDuringNextSyscall(task, static_cast<int>(*sig));
      }
      return;
    }
    case K::kSigaction:
      return ExecSigaction(st);
    case K::kExpectMemory:
      return ExpectMemory(st);
    case K::kExpectFd:
      return ExpectFd(st);
    case K::kExpectTask:
      return ExpectTask(st);
    case K::kExpectShares:
      return ExpectShares(st);
    case K::kExpectClean:
      return ExpectClean();
    case K::kExpectSigaction:
      return ExpectSigaction(st);
    case K::kExpectSignal:
      return ExpectSignal(st);
    case K::kExpectFault:
      return ExpectFault(st);
    case K::kExpectState:
      return ExpectState(st);
  }
}

void ScenarioRun::ExecSysctl(const Statement& st) {
  std::optional<uint64_t> v = Eval(st.args[0], nullptr);
  if (!v) return;
  // ns_last_pid is the writer's own (its pid namespace for children); the
  // others are global, written here by init.
  const Task* writer =
      st.name == "kernel.ns_last_pid" ? Actor(st) : kernel_.machine().init;
  if (writer == nullptr) return;
  const SysStatus status =
      kernel_.WriteSysctl(writer, st.name, static_cast<int64_t>(*v));
  if (!status.ok()) {
    Fail(absl::StrFormat("writing %s failed: %s", st.name,
                         ErrnoName(status.error())));
  }
}

void ScenarioRun::ExecRlimit(const Statement& st) {
  Task* task = Actor(st);
  std::optional<uint64_t> soft = Eval(st.args[0], task);
  if (!task || !soft) return;
  std::optional<uint64_t> hard;
  if (st.args.size() > 1) {
    hard = Eval(st.args[1], task);
    if (!hard) return;
  }
  const int resource = st.name == "NPROC" ? kRlimitNproc : kRlimitNofile;
  const SysStatus status = kernel_.SetRlimit(task, resource, *soft, hard);
  if (!status.ok()) {
    Fail(absl::StrFormat("setting RLIMIT_%s failed: %s", st.name,
                         ErrnoName(status.error())));
  }
}

void ScenarioRun::ExecCreds(const Statement& st) {
  Task* task = Actor(st);
  if (task == nullptr) return;
  CredChange change;
  for (const FieldInit& f : st.fields) {
    if (f.name == "caps" && f.value.terms.size() == 1 &&
        !f.value.terms[0].is_number &&
        (f.value.terms[0].name == "none" || f.value.terms[0].name == "full")) {
      change.caps = f.value.terms[0].name == "full"
                        ? kernel_.machine().cap_full_set()
                        : 0;
      continue;
    }
    std::optional<uint64_t> v = Eval(f.value, task);
    if (!v) return;
    if (f.name == "uid") {
      change.uid = static_cast<uint32_t>(*v);
    } else if (f.name == "gid") {
      change.gid = static_cast<uint32_t>(*v);
    } else {
      change.caps = *v;
    }
  }
  const SysStatus status = kernel_.SetCreds(task, change);
  if (!status.ok()) {
    Fail(
        absl::StrFormat("setting creds failed: %s", ErrnoName(status.error())));
  }
}

void ScenarioRun::ExecMap(const Statement& st) {
  Task* task = Actor(st);
  std::optional<uint64_t> addr = Eval(st.args[0], task);
  std::optional<uint64_t> len = Eval(st.args[1], task);
  if (!task || !addr || !len) return;
  const Prot prot = st.text == "rw"  ? kProtReadWrite
                    : st.text == "r" ? kProtRead
                                     : kProtNone;
  const absl::Status s = st.kind == Statement::Kind::kMap
                             ? kernel_.MapMemory(task, *addr, *len, prot)
                             : kernel_.ProtectMemory(task, *addr, *len, prot);
  if (!s.ok()) return Fail(std::string(s.message()));
  if (st.kind == Statement::Kind::kMap) BindValue(st.name, *addr);
}

std::optional<std::vector<uint8_t>> ScenarioRun::Encode(const Statement& st,
                                                        const Task* task) {
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
  std::vector<uint8_t> bytes(MemoryTypeSize(st.name));
  StoreLittleEndian(bytes.data(), static_cast<uint32_t>(bytes.size()), *value);
  return bytes;
}

void ScenarioRun::ExecWrite(const Statement& st) {
  Task* task = Actor(st);
  std::optional<uint64_t> addr = Eval(st.args[0], task);
  if (!task || !addr) return;
  std::optional<std::vector<uint8_t>> bytes = Encode(st, task);
  if (!bytes) return;
  const absl::Status s = kernel_.WriteMemory(task, *addr, *bytes);
  if (!s.ok()) Fail(std::string(s.message()));
}

void ScenarioRun::ExecOpen(const Statement& st) {
  Task* task = Actor(st);
  if (task == nullptr) return;
  const SysResult<int> fd = kernel_.OpenFile(task, st.text, !st.words.empty());
  if (!fd.ok()) {
    return Fail(absl::StrFormat("open failed: %s", ErrnoName(fd.error())));
  }
  if (!st.bind.empty()) BindValue(st.bind, static_cast<uint64_t>(fd.value()));
}

void ScenarioRun::ExecCgroup(const Statement& st) {
  absl::Status status;
  if (st.name == "create") {
    status = kernel_.CgroupCreate(st.text);
  } else if (st.name == "remove") {
    status = kernel_.CgroupRemove(st.text);
  } else if (st.name == "enable") {
    status = kernel_.CgroupEnable(st.text, st.words[0]);
  } else if (st.name == "threaded") {
    status = kernel_.CgroupMakeThreaded(st.text);
  } else if (st.name == "owner") {
    std::optional<uint64_t> uid = Eval(st.args[0], nullptr);
    if (!uid) return;
    status = kernel_.CgroupChown(st.text, static_cast<uint32_t>(*uid));
  } else if (st.name == "move") {
    Task* task = Actor(st);
    if (task == nullptr) return;
    status = kernel_.CgroupMove(task, st.text);
  } else {  // open
    Task* task = Actor(st);
    if (task == nullptr) return;
    absl::StatusOr<SysResult<int>> fd =
        kernel_.CgroupOpen(task, st.text, !st.words.empty());
    if (!fd.ok()) {
      status = fd.status();
    } else if (!fd->ok()) {
      return Fail(absl::StrFormat("cgroup open %s failed: %s", st.text,
                                  ErrnoName(fd->error())));
    } else if (!st.bind.empty()) {
      BindValue(st.bind, static_cast<uint64_t>(fd->value()));
    }
  }
  if (!status.ok()) {
    Fail(absl::StrFormat("cgroup %s %s: %s", st.name, st.text,
                         std::string(status.message())));
  }
}

void ScenarioRun::ExecSigaction(const Statement& st) {
  Task* task = Actor(st);
  std::optional<int> sig = EvalSignal(st.args[0]);
  if (!task || !sig) return;
  SigAction action = task->sighand->action[*sig - 1];
  if (st.name == "ign") action = SigAction{kSigIgn, 0, 0};
  if (st.name == "dfl") action = SigAction{kSigDfl, 0, 0};
  if (st.name == "nocldwait") action.flags |= kSaNocldwait;
  if (st.name == "handler") action.handler = kScenarioHandler;
  const SysStatus status = kernel_.SetSigaction(task, *sig, action);
  if (!status.ok()) {
    Fail(absl::StrFormat("sigaction %s failed: %s", SignalName(*sig),
                         ErrnoName(status.error())));
  }
}

bool ScenarioRun::BuildRegisters(const Statement& st, Task* task,
                                 std::string* name) {
  const AbiInfo& info = AbiInfoFor(task->abi);
  if (st.kind == Statement::Kind::kRaw) {
    for (const FieldInit& f : st.fields) {
      std::optional<Reg> reg;
      for (int r = 0; r < static_cast<int>(Reg::kCount); ++r) {
        if (RegName(task->abi, static_cast<Reg>(r)) == f.name) {
          reg = static_cast<Reg>(r);
        }
      }
      if (!reg) {
        Fail(absl::StrFormat("col %d: '%s' is not a register of %s", f.col,
                             f.name, AbiName(task->abi)));
        return false;
      }
      std::optional<uint64_t> v = Eval(f.value, task);
      if (!v) return false;
      // The raw form writes the whole register: a 32-bit task's upper half
      // does not exist, and the register file drops it.
      kernel_.SetRegister(task, *reg, *v);
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
    Fail(absl::StrFormat("%s has no syscall %s", AbiName(task->abi), st.name));
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
  kernel_.SetRegister(task, info.nr_reg, sig->nr);
  for (size_t i = 0; i < values.size(); ++i) {
    kernel_.SetRegister(task, info.arg_regs[i], values[i]);
  }
  return true;
}

std::string ScenarioRun::Prefix(const Task* task) const {
  return absl::StrFormat("[pid %5d] ", task->pid.value);
}

void ScenarioRun::ExecSyscall(const Statement& st) {
  Task* task = Actor(st);
  if (task == nullptr) return;
  if (kernel_.IsBlocked(task)) {
    return Fail(
        absl::StrFormat("task %d is blocked in a syscall", task->pid.value));
  }
  std::string name;
  if (!BuildRegisters(st, task, &name)) return;
  if (task->abi == Abi::kIa32 && personality_noted_.insert(task->pid).second) {
    result_.trace.push_back(absl::StrFormat(
        "[ Process PID=%d runs in 32 bit mode. ]", task->pid.value));
  }
  ExplainedCall call;
  call.line = st.line;
  call.source = st.source;
  call.tid = task->pid;
  call.abi = task->abi;
  // What the entry will make of the registers, as it will (the call may
  // not get that far: a signal can kill the task on its way in).
  call.nr = task->regs.Get(AbiInfoFor(task->abi).nr_reg);
  if (SysResult<DecodedSyscall> d = DecodeSyscall(task->regs); d.ok()) {
    call.decoded = d.value();
  }
  const std::string prefix = Prefix(task);
  const size_t first_event = kernel_.events().size();
  call.outcome = kernel_.Syscall(task);
  const SyscallOutcome& out = call.outcome;
  call.events.assign(kernel_.events().begin() + first_event,
                     kernel_.events().end());
  const Task* after = kernel_.machine().FindTaskByTid(call.tid);
  const Abi abi = after != nullptr ? after->abi : kernel_.abi();
  const std::string text =
      call.decoded ? FormatSyscall(abi, *call.decoded,
                                   after != nullptr ? after->mm : nullptr,
                                   out.blocked() ? nullptr : &out)
                   : absl::StrFormat("syscall_%#x()", call.nr);
  const std::string line =
      prefix + text +
      (out.blocked() ? " <unfinished ...>" : FormatResult(text, out));
  call.strace = line;
  // The user memory the kernel read and wrote for this call, under its
  // line, in the order it happened.
  std::vector<std::string> accesses;
  for (const Event& e : call.events) {
    if (e.kind == EventKind::kRead || e.kind == EventKind::kWrite ||
        e.kind == EventKind::kFault) {
      accesses.push_back(FormatAccess(e));
    }
  }
  result_.calls.push_back(std::move(call));
  result_.trace.push_back(line);
  result_.trace.insert(result_.trace.end(), accesses.begin(), accesses.end());
  if (out.blocked()) {
    if (st.result.kind != ResultSpec::kAny &&
        st.result.kind != ResultSpec::kBlocked) {
      pending_[task->pid] = PendingCall{&st, name};
    }
    if (IsForkFamily(name) && !st.bind.empty()) {
      // vfork: the child exists while the parent waits.
      if (Task* child = NewestChildOf(kernel_.machine(), after)) {
        Bind(st.bind, child);
      }
    }
    return;
  }
  if (st.result.kind == ResultSpec::kBlocked) {
    return Fail(absl::StrFormat("expected the call to block, it returned %s",
                                ResultText(out)));
  }
  CheckResult(st, out, after);
  BindResult(st, name, out, after);
}

void ScenarioRun::BindResult(const Statement& st, std::string_view name,
                             const SyscallOutcome& outcome,
                             const Task* caller) {
  if (!result_.passed || st.bind.empty() || !outcome.returned()) return;
  if (IsForkFamily(name) && outcome.ok() && outcome.value() > 0 &&
      caller != nullptr) {
    if (Task* child = TaskSeenAs(kernel_.machine(), caller, outcome.value())) {
      return Bind(st.bind, child);
    }
  }
  BindValue(st.bind, static_cast<uint64_t>(outcome.ReturnValue()));
}

void ScenarioRun::ExecKernelThread(const Statement& st) {
  const Task* kthreadd = kernel_.machine().kthreadd;
  std::optional<uint64_t> flags = Eval(st.args[0], kthreadd);
  if (!flags) return;
  const SyscallOutcome out = kernel_.KernelThread(kKernelThreadFn, 0, *flags);
  const std::string call =
      "kernel_thread(fn, NULL, " + FormatCloneFlags(*flags) + ")";
  result_.trace.push_back(Prefix(kthreadd) + call + FormatResult(call, out));
  CheckResult(st, out, kthreadd);
  BindResult(st, "clone", out, kthreadd);
}

void ScenarioRun::CheckResult(const Statement& st,
                              const SyscallOutcome& outcome,
                              const Task* viewer) {
  switch (st.result.kind) {
    case ResultSpec::kAny:
    case ResultSpec::kBlocked:
      return;
    case ResultSpec::kErrno: {
      Errno e;
      ErrnoFromName(st.result.errno_name, &e);
      if (!outcome.returned() || outcome.error() != e) {
        FailAt(st, absl::StrFormat("expected -1 %s (%s), got %s", ErrnoName(e),
                                   ErrnoMessage(e), ResultText(outcome)));
      }
      return;
    }
    case ResultSpec::kValue: {
      std::optional<uint64_t> want = Eval(st.result.value, viewer);
      if (!want) return;
      if (!outcome.returned() ||
          static_cast<int64_t>(*want) != outcome.ReturnValue()) {
        FailAt(st, absl::StrFormat("expected %d, got %s",
                                   static_cast<int64_t>(*want),
                                   ResultText(outcome)));
      }
      return;
    }
  }
}

void ScenarioRun::OnResume(Task* task, const SyscallOutcome& outcome) {
  auto it = pending_.find(task->pid);
  result_.trace.push_back(
      absl::StrFormat("%s<... %s resumed>)%s", Prefix(task),
                      it != pending_.end() ? it->second.call : "syscall",
                      FormatResult("", outcome)));
  if (it == pending_.end()) return;
  const Statement* st = it->second.statement;
  pending_.erase(it);
  const Statement* saved = current_;
  current_ = st;
  CheckResult(*st, outcome, task);
  current_ = saved;
}

}  // namespace forksim
