#include "sim/kernel/test_util.h"

#include "gtest/gtest.h"
#include "model/kernel/cred.h"
#include "model/kernel/invariants.h"

namespace forksim {

Sim::Sim(std::string_view profile, Abi abi)
    : kernel_(**ProfileFromName(profile), MachineConfig{.abi = abi}) {}

Task* Sim::NewProcess() {
  const SyscallOutcome pid = Call(init(), Sysno::kFork, {});
  EXPECT_GT(pid.value(), 0);
  Task* task = TaskByTid(pid.value());
  EXPECT_NE(task, nullptr);
  if (task == nullptr) return nullptr;
  EXPECT_TRUE(
      task->mm->memory->Map(kBuf, kBufPages * kPageSize, kProtReadWrite).ok());
  return task;
}

SyscallOutcome Sim::Invoke(Task* task, Sysno sysno,
                           std::initializer_list<uint64_t> args) {
  const AbiInfo& info = AbiInfoFor(task->regs.abi());
  const SyscallSignature* sig = FindSyscall(task->regs.abi(), sysno);
  task->regs.Set(info.nr_reg, sig != nullptr ? sig->nr : 0xffffffffu);
  int i = 0;
  for (uint64_t arg : args) task->regs.Set(info.arg_regs[i++], arg);
  return kernel_.Syscall(task);
}

SyscallOutcome Sim::Call(Task* task, Sysno sysno,
                         std::initializer_list<uint64_t> args) {
  const SyscallOutcome outcome = Invoke(task, sysno, args);
  EXPECT_FALSE(outcome.blocked());
  return outcome;
}

uint64_t Sim::Read(Task* task, uint64_t addr, uint32_t size) {
  auto bytes = task->mm->memory->Peek(addr, size);
  EXPECT_TRUE(bytes.ok());
  uint64_t value = 0;
  if (!bytes.ok()) return 0;
  for (uint32_t i = 0; i < size; ++i) value |= uint64_t{(*bytes)[i]} << (8 * i);
  return value;
}

void Sim::Write(Task* task, uint64_t addr, uint32_t size, uint64_t value) {
  std::vector<uint8_t> bytes(size);
  for (uint32_t i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  EXPECT_TRUE(task->mm->memory->Poke(addr, bytes).ok());
}

Task* Sim::LastChild(Task* parent) {
  Task* last = nullptr;
  for (Task* task : machine().tasks) {
    if (task->real_parent == parent && task != parent) last = task;
  }
  return last;
}

Task* Sim::TaskByTid(int64_t tid) {
  return machine().FindTaskByTid(Tid(static_cast<int32_t>(tid)));
}

void Sim::MakeUnprivileged(Task* task, uint32_t uid) {
  Cred* cred = PrepareCreds(machine(), task->cred).value();
  cred->uid = cred->euid = cred->suid = cred->fsuid = uid;
  cred->gid = cred->egid = cred->sgid = cred->fsgid = uid;
  cred->caps = CapSets{};
  UserStruct* user = AllocUid(machine(), uid).value();
  FreeUid(machine(), cred->user);
  cred->user = user;
  CommitCreds(machine(), task, cred);
}

void Sim::ExpectClean() {
  for (const Violation& v : CheckInvariants(machine())) {
    ADD_FAILURE() << v.ToString();
  }
}

void PrintTo(const SyscallOutcome& outcome, std::ostream* os) {
  *os << ResultText(outcome);
}

}  // namespace forksim
