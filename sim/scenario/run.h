// -----------------------------------------------------------------------------
// File: sim/scenario/run.h
// -----------------------------------------------------------------------------
//
// Private to sim/scenario: other packages use sim/scenario/runner.h.
//
// ScenarioRun: one run of a scenario, private to the engine. run.cc executes
// the statements (set-up through the kernel's host API, syscalls from a
// task's registers), expect.cc checks the expectations against the machine.

#ifndef FORKSIM_SIM_SCENARIO_RUN_H_
#define FORKSIM_SIM_SCENARIO_RUN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/kernel/ids.h"
#include "model/kernel/task.h"
#include "sim/kernel/kernel.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"

namespace forksim {

// The size of a memory type of the language: u8, u16, u32, s32, u64.
inline uint32_t MemoryTypeSize(std::string_view type) {
  if (type == "u8") return 1;
  if (type == "u16") return 2;
  if (type == "u64") return 8;
  return 4;
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& scenario, const KernelProfile& profile, Abi abi,
              const RunOptions& options);

  RunResult Go();

 private:
  struct Binding {
    bool is_task = false;
    uint64_t value = 0;  // a number, or a mapping's address
    Tid tid;             // a task, by global pid
  };
  struct PendingCall {
    const Statement* statement;
    std::string call;  // the syscall's name, for "<... NAME resumed>"
  };

  // --- failures (run.cc) ---
  void FailAt(const Statement& st, const std::string& why);
  void Fail(const std::string& why) { FailAt(*current_, why); }
  bool Applies(const Statement& st) const;

  // --- names and values (run.cc) ---
  void Bind(const std::string& name, const Task* task);
  void BindValue(const std::string& name, uint64_t value);
  // The task a name or a pid number stands for; nullptr (and a failure) if
  // there is none.
  Task* TaskNamed(const std::string& name);
  Task* Actor(const Statement& st);
  // The value of an expression; nullopt (and a failure) if a name is
  // unknown. A task's value is its pid as `viewer` sees it.
  std::optional<uint64_t> Eval(const Expr& expr, const Task* viewer);
  std::optional<int> EvalSignal(const Expr& expr);

  // --- statements (run.cc) ---
  void Exec(const Statement& st);
  Task* NewProcess();
  void ExecSysctl(const Statement& st);
  void ExecRlimit(const Statement& st);
  void ExecCreds(const Statement& st);
  void ExecMap(const Statement& st);
  void ExecWrite(const Statement& st);
  void ExecOpen(const Statement& st);
  void ExecCgroup(const Statement& st);
  void ExecSigaction(const Statement& st);
  void ExecKernelThread(const Statement& st);
  void ExecSyscall(const Statement& st);
  // The registers of a syscall statement; false (and a failure) if they
  // cannot be built.
  bool BuildRegisters(const Statement& st, Task* task, std::string* name);
  // The bytes of `TYPE value` or `struct {fields}` for `task`'s ABI.
  std::optional<std::vector<uint8_t>> Encode(const Statement& st,
                                             const Task* task);
  void CheckResult(const Statement& st, const SyscallOutcome& outcome,
                   const Task* viewer);
  void OnResume(Task* task, const SyscallOutcome& outcome);
  void BindResult(const Statement& st, std::string_view name,
                  const SyscallOutcome& outcome, const Task* caller);
  std::string Prefix(const Task* task) const;

  // --- expectations (expect.cc) ---
  void ExpectMemory(const Statement& st);
  void ExpectFd(const Statement& st);
  void ExpectTask(const Statement& st);
  void ExpectShares(const Statement& st);
  void ExpectSignal(const Statement& st);
  void ExpectSigaction(const Statement& st);
  void ExpectState(const Statement& st);
  void ExpectClean();
  void ExpectFault(const Statement& st);

  std::string Fingerprint() const;

  const Scenario& scenario_;
  const RunOptions& options_;
  Kernel kernel_;
  RunResult result_;
  bool stopped_early_ = false;
  const Statement* current_ = nullptr;
  std::map<std::string, Binding> bindings_;
  std::map<Tid, PendingCall> pending_;
  std::set<Tid> personality_noted_;
};

}  // namespace forksim

#endif  // FORKSIM_SIM_SCENARIO_RUN_H_
