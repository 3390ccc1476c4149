// Both sides of a hostcheck case (sim/hostcheck/observation.h).

#include "sim/hostcheck/observation.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "model/errno.h"
#include "model/kernel/constants.h"
#include "model/kernel/fdtable.h"
#include "model/kernel/machine.h"
#include "sim/kernel/kernel.h"

extern char** environ;

namespace forksim {

namespace mem = hostcheck_memory;

std::string Normalize(const HostCase& c, const Observation& o) {
  std::string ret;
  if (o.ret > 0) {
    ret = c.pidns ? absl::StrCat(o.ret) : "child";
  } else if (o.ret < 0) {
    ret = std::string(ErrnoName(static_cast<Errno>(-o.ret)));
  } else {
    ret = "0";
  }
  std::string words, fds;
  for (size_t i = 0; i < o.words.size(); ++i) {
    const uint32_t w = o.words[i];
    std::string word;
    if (o.ret > 0 && w == static_cast<uint32_t>(o.ret)) {
      word = "ret";
    } else if (w == mem::kUnwritten) {
      word = "-";
    } else {
      word = absl::StrFormat("%#x", w);
    }
    absl::StrAppend(&words, i ? "," : "", word);
    absl::StrAppend(&fds, i ? "," : "",
                    o.fds[i] < 0 ? "x" : absl::StrCat(o.fds[i]));
  }
  return absl::StrFormat("ret=%s words=%s fds=%s status=%s", ret, words, fds,
                         o.status);
}

// --- the model ---------------------------------------------------------------

namespace {

// Sets `c`'s registers in `task` as the executor's raw syscall does.
void SetCaseRegisters(Kernel& k, Task* task, const HostCase& c) {
  const AbiInfo& info = AbiInfoFor(c.abi);
  RegisterFile regs = task->regs;
  regs.Set(info.nr_reg, c.nr);
  for (size_t i = 0; i < c.args.size(); ++i)
    regs.Set(info.arg_regs[i], c.args[i]);
  k.SetRegisters(task, regs);
}

// The caller: a process forked by init, or the init of a new pid namespace
// that it clones (the host's runner unshares one and forks).
Task* MakeCaller(Kernel& k, const HostCase& c) {
  // Host pids are large; the model's would be 3 and 4, the numbers of the
  // pidfd and the cgroup fd, and a word holding an fd would read as the
  // child's pid. Pids from 1000 keep them apart (kernel.ns_last_pid).
  if (!k.WriteSysctl(k.machine().init, "kernel.ns_last_pid", 999).ok()) {
    return nullptr;
  }
  Task* p = k.NewProcess().value();
  if (!c.pidns) return p;
  const uint64_t before = k.machine().tasks.last_serial();
  const SyscallOutcome pid =
      k.Invoke(p, Sysno::kClone, {kCloneNewpid | kSigchld, 0, 0, 0, 0, 0});
  if (!pid.returned() || !pid.ok()) return nullptr;
  Task* init = nullptr;
  k.machine().tasks.ForEachFrom(before + 1, [&](Task* t) { init = t; });
  return init;
}

// Every catchable signal caught by a handler: the host blocks them all, and
// in both the caller survives a child's exit signal.
void CatchSignals(Kernel& k, Task* caller) {
  for (int sig = 1; sig <= kNsig; ++sig) {
    if (sig == kSigkill || sig == kSigstop) continue;
    (void)k.SetSigaction(caller, sig, SigAction{.handler = mem::kStack});
  }
}

void SetUpMemory(Kernel& k, Task* caller, const HostCase& c) {
  // Set-up the executor does too; a failure is a bug of the layout.
  absl::Status s =
      k.MapMemory(caller, mem::kBase, mem::kLength, kProtReadWrite);
  s.Update(k.ProtectMemory(caller, mem::kHole, mem::kPage, kProtNone));
  for (const MemWrite& w : c.writes)
    s.Update(k.WriteMemory(caller, w.addr, w.bytes));
  s.Update(k.ProtectMemory(caller, mem::kReadOnly, mem::kPage, kProtRead));
  if (c.cgroup_fd) {
    absl::StatusOr<SysResult<int>> fd = k.CgroupOpen(caller, "/", false);
    if (!fd.ok()) s.Update(fd.status());
  }
  if (!s.ok()) {
    std::fprintf(stderr, "hostcheck: case %s: %s\n", c.Id().c_str(),
                 s.ToString().c_str());
    std::abort();
  }
}

uint32_t PeekWord(const Task* task, uint64_t addr) {
  absl::StatusOr<std::vector<uint8_t>> bytes = task->mm->memory->Peek(addr, 4);
  if (!bytes.ok()) return 0;
  return static_cast<uint32_t>((*bytes)[0]) | (*bytes)[1] << 8 |
         (*bytes)[2] << 16 | static_cast<uint32_t>((*bytes)[3]) << 24;
}

}  // namespace

Observation RunOnModel(const KernelProfile& profile, const HostCase& c,
                       std::vector<Event>* trace) {
  Kernel k(profile, MachineConfig{.abi = c.abi});
  k.set_tracing(false);
  Task* caller = MakeCaller(k, c);
  if (caller == nullptr) return Observation{.status = "model-no-caller"};
  CatchSignals(k, caller);
  SetUpMemory(k, caller, c);
  SetCaseRegisters(k, caller, c);

  std::optional<SyscallOutcome> resumed;
  k.set_resume_callback([&](Task* t, Sysno, const SyscallOutcome& out) {
    if (t == caller) resumed = out;
  });
  const uint64_t before = k.machine().tasks.last_serial();
  k.set_tracing(trace != nullptr);
  SyscallOutcome out = k.Syscall(caller);
  if (trace != nullptr) *trace = k.events();
  k.set_tracing(false);

  // Each new task exits at once, as the executor's child does (a vfork
  // parent is woken by it).
  std::vector<Task*> children;
  k.machine().tasks.ForEachFrom(before + 1,
                                [&](Task* t) { children.push_back(t); });
  for (Task* child : children) (void)k.Invoke(child, Sysno::kExit, {0});
  if (out.blocked() && resumed.has_value()) out = *resumed;

  Observation o;
  o.status = "none";
  if (!out.returned()) {
    o.status = "model-blocked";
    return o;
  }
  o.ret = out.ReturnValue();
  if (o.ret > 0) {
    uint64_t options = kWall;
    if (c.reap != Reap::kWait) options |= kWnohang;
    const SyscallOutcome waited =
        k.Invoke(caller, Sysno::kWait4,
                 {static_cast<uint64_t>(o.ret), mem::kWaitStatus, options, 0});
    if (waited.returned() && waited.ok() && waited.value() == o.ret) {
      o.status = absl::StrFormat("%x", PeekWord(caller, mem::kWaitStatus));
    } else if (waited.returned() && waited.ok() && waited.value() == 0) {
      o.status = "running";
    } else if (waited.returned()) {
      o.status = waited.error() == Errno::kECHILD
                     ? "echild"
                     : std::string(ErrnoName(waited.error()));
    } else {
      o.status = "model-blocked";
    }
  }
  // As the executor does: after the wait, and only fds the call made.
  for (size_t i = 0; i < kObservedWords.size(); ++i) {
    o.words[i] = PeekWord(caller, kObservedWords[i]);
    const int fd = static_cast<int>(o.words[i]);
    if (static_cast<int>(i) != c.pidfd_word || o.ret <= 0 || fd < 3) continue;
    if (FdLookup(*caller->files, fd) != nullptr) {
      o.fds[i] = FdIsCloexec(*caller->files, fd) ? 1 : 0;
    }
  }
  return o;
}

std::string Decider(const std::vector<Event>& events) {
  for (const Event& e : events) {
    if (e.kind == EventKind::kCheck && e.error != Errno{}) {
      return std::string(e.step);
    }
  }
  for (const Event& e : events) {
    if (e.kind == EventKind::kFault) return "fault " + e.field;
  }
  for (const Event& e : events) {
    if (e.kind == EventKind::kStep && e.error != Errno{}) {
      return std::string(e.step);
    }
  }
  return "";
}

// --- the host ----------------------------------------------------------------

namespace {

absl::Status ErrnoStatus(int err, std::string_view what) {
  return absl::Status(
      absl::ErrnoToStatusCode(err),
      absl::StrFormat("%s: %s", std::string(what), std::strerror(err)));
}

}  // namespace

std::optional<std::string> FindExecutor(std::string_view argv0, Abi abi) {
  const std::string name =
      absl::StrCat("sim/hostcheck/executor_", std::string(AbiName(abi)));
  std::vector<std::string> candidates;
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr) {
      candidates.push_back(absl::StrCat(dir, "/forksim/", name));
    }
  }
  // The binary's runfiles, by the name it was run as and by its real path;
  // then bazel-bin itself (bazel-bin/sim/tools/forksim).
  std::vector<std::string> binaries = {std::string(argv0)};
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) binaries.emplace_back(self, n);
  for (const std::string& binary : binaries) {
    candidates.push_back(absl::StrCat(binary, ".runfiles/forksim/", name));
    const size_t slash = binary.rfind('/');
    if (slash != std::string::npos) {
      candidates.push_back(
          absl::StrCat(binary.substr(0, slash), "/../../", name));
    }
  }
  for (const std::string& path : candidates) {
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

absl::StatusOr<HostExecutor> HostExecutor::Start(const std::string& path) {
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  if (pipe2(from, O_CLOEXEC) != 0) {
    close(to[0]);
    close(to[1]);
    return ErrnoStatus(errno, "pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from[1], 1);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = -1;
  const int err =
      posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(to[0]);
  close(from[1]);
  if (err != 0) {
    close(to[1]);
    close(from[0]);
    return ErrnoStatus(err, absl::StrCat("cannot run ", path));
  }
  return HostExecutor(pid, to[1], from[0]);
}

HostExecutor::HostExecutor(HostExecutor&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      to_(std::exchange(other.to_, -1)),
      from_(std::exchange(other.from_, -1)),
      buffered_(std::move(other.buffered_)) {}

HostExecutor::~HostExecutor() {
  if (to_ >= 0) close(to_);
  if (from_ >= 0) close(from_);
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
}

absl::Status HostExecutor::WriteAll(std::string_view text) {
  // A dead executor must be an error, not a SIGPIPE.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  absl::Status status;
  while (!text.empty()) {
    const ssize_t n = write(to_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = ErrnoStatus(errno, "writing to the executor");
      break;
    }
    text.remove_prefix(n);
  }
  struct timespec zero = {0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return status;
}

absl::StatusOr<std::string> HostExecutor::ReadLine() {
  for (;;) {
    const size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    char buf[4096];
    const ssize_t n = read(from_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError("the executor stopped answering");
    buffered_.append(buf, n);
  }
}

absl::StatusOr<std::vector<Observation>> HostExecutor::Run(
    const std::vector<HostCase>& cases) {
  constexpr size_t kRound = 32;
  std::vector<Observation> out;
  out.reserve(cases.size());
  for (size_t start = 0; start < cases.size(); start += kRound) {
    const size_t end = std::min(cases.size(), start + kRound);
    std::string input;
    for (size_t i = start; i < end; ++i) input += ExecutorInput(cases[i]);
    if (absl::Status s = WriteAll(input); !s.ok()) return s;
    for (size_t i = start; i < end; ++i) {
      absl::StatusOr<std::string> line = ReadLine();
      if (!line.ok()) return line.status();
      absl::StatusOr<Observation> o = ParseResultLine(*line, cases[i].Id());
      if (!o.ok()) return o.status();
      out.push_back(*std::move(o));
    }
  }
  return out;
}

namespace {

// A cursor over one executor line: the fixed shape of its JSON object, read
// in order (the executor writes nothing else).
class LineReader {
 public:
  explicit LineReader(std::string_view line) : rest_(line) {}

  bool Eat(std::string_view literal) {
    if (!rest_.starts_with(literal)) return false;
    rest_.remove_prefix(literal.size());
    return true;
  }

  // A JSON string without escapes.
  std::optional<std::string> String() {
    if (!Eat("\"")) return std::nullopt;
    const size_t end = rest_.find('"');
    if (end == std::string_view::npos) return std::nullopt;
    std::string out(rest_.substr(0, end));
    rest_.remove_prefix(end + 1);
    return out;
  }

  std::optional<int64_t> Int() {
    const size_t end = rest_.find_first_not_of("-0123456789");
    int64_t v = 0;
    if (end == 0 || !absl::SimpleAtoi(std::string(rest_.substr(0, end)), &v)) {
      return std::nullopt;
    }
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    return v;
  }

  bool AtEnd() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

absl::StatusOr<Observation> ParseResultLine(std::string_view line,
                                            std::string_view id) {
  auto bad = [&](std::string_view what) {
    return absl::InternalError(absl::StrFormat(
        "executor line for %s: %s, expected {\"case\":\"%s\",\"ret\":R,"
        "\"words\":[3 hex strings],\"cloexec\":[3 of 0, 1, null],"
        "\"status\":\"S\"}: %s",
        std::string(id), std::string(what), std::string(id),
        std::string(line)));
  };
  LineReader r(line);
  Observation o;
  if (!r.Eat("{\"case\":") || r.String() != std::string(id)) {
    return bad("wrong case");
  }
  std::optional<int64_t> ret;
  if (!r.Eat(",\"ret\":") || !(ret = r.Int())) return bad("bad ret");
  o.ret = *ret;
  if (!r.Eat(",\"words\":[")) return bad("no words");
  for (size_t i = 0; i < o.words.size(); ++i) {
    std::optional<std::string> hex;
    uint64_t w = 0;
    if ((i > 0 && !r.Eat(",")) || !(hex = r.String()) ||
        !absl::SimpleHexAtoi(*hex, &w)) {
      return bad("expected three words in hex");
    }
    o.words[i] = static_cast<uint32_t>(w);
  }
  if (!r.Eat("],\"cloexec\":[")) return bad("expected three words");
  for (size_t i = 0; i < o.fds.size(); ++i) {
    if (i > 0 && !r.Eat(",")) return bad("expected three cloexec flags");
    if (r.Eat("null")) {
      o.fds[i] = -1;
    } else if (r.Eat("0")) {
      o.fds[i] = 0;
    } else if (r.Eat("1")) {
      o.fds[i] = 1;
    } else {
      return bad("expected 0, 1 or null");
    }
  }
  std::optional<std::string> status;
  if (!r.Eat("],\"status\":") || !(status = r.String()) || !r.Eat("}") ||
      !r.AtEnd()) {
    return bad("expected three cloexec flags, then the status");
  }
  o.status = *status;
  return o;
}

}  // namespace forksim
