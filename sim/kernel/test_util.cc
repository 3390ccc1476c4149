#include "sim/kernel/test_util.h"

#include "gtest/gtest.h"
#include "model/abi/layout.h"
#include "model/kernel/cred.h"
#include "model/kernel/invariants.h"

namespace forksim {

std::vector<const KernelProfile*> ProfilesWhere(
    bool (*has)(const KernelProfile&)) {
  std::vector<const KernelProfile*> out;
  for (const KernelProfile& profile : AllProfiles()) {
    if (has(profile)) out.push_back(&profile);
  }
  EXPECT_FALSE(out.empty()) << "no profile has the behaviour";
  return out;
}

const KernelProfile& FirstProfileWhere(bool (*has)(const KernelProfile&)) {
  const std::vector<const KernelProfile*> profiles = ProfilesWhere(has);
  return profiles.empty() ? AllProfiles().back() : *profiles.front();
}

Sim::Sim(Abi abi) : Sim(AllProfiles().back(), abi) {}

Sim::Sim(const KernelProfile& profile, Abi abi)
    : kernel_(profile, MachineConfig{.abi = abi}) {}

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
  return kernel_.Invoke(task, sysno, args);
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

SyscallOutcome Clone(Sim& s, Task* t, uint64_t flags, uint64_t newsp,
                     uint64_t ptid, uint64_t ctid, uint64_t tls) {
  if (AbiInfoFor(t->abi).clone_order == CloneOrder::kDefault) {
    return s.Call(t, Sysno::kClone, {flags, newsp, ptid, ctid, tls});
  }
  return s.Call(t, Sysno::kClone, {flags, newsp, ptid, tls, ctid});
}

Task* NewThread(Sim& s, Task* t) {
  const SyscallOutcome tid =
      Clone(s, t, kCloneVm | kCloneSighand | kCloneThread, kStack);
  EXPECT_GT(tid.value(), 0);
  return t->group_leader->threads.back();
}

Task* Fork(Sim& s, Task* parent) {
  EXPECT_GT(s.Call(parent, Sysno::kFork, {}).value(), 0);
  return s.LastChild(parent);
}

SyscallOutcome Wait4(Sim& s, Task* t, int64_t upid, uint64_t stat,
                     uint64_t options, uint64_t ru) {
  return s.Call(t, Sysno::kWait4,
                {static_cast<uint64_t>(upid), stat, options, ru});
}

SyscallOutcome Waitid(Sim& s, Task* t, uint64_t which, int64_t upid,
                      uint64_t infop, uint64_t options, uint64_t ru) {
  return s.Call(t, Sysno::kWaitid,
                {which, static_cast<uint64_t>(upid), infop, options, ru});
}

void Exit(Sim& s, Task* t, int code) {
  EXPECT_EQ(s.Call(t, Sysno::kExit, {static_cast<uint64_t>(code)}),
            SyscallOutcome::Exited());
}

void SetHandler(Task* t, int sig, uint64_t handler, uint64_t flags) {
  t->sighand->action[sig - 1] = SigAction{handler, flags, 0};
}

bool HasNote(Sim& s, std::string_view function, std::string_view text) {
  for (const Event& e : s.kernel().events()) {
    if (e.kind == EventKind::kNote && e.function == function &&
        e.text.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void PutCloneArgs(
    Task* t, uint64_t addr,
    std::initializer_list<std::pair<std::string_view, uint64_t>> fields) {
  StructValue v(LayoutFor(StructId::kCloneArgsVer2, t->abi));
  for (const auto& [name, value] : fields) {
    ASSERT_TRUE(v.Set(name, value)) << name;
  }
  ASSERT_TRUE(t->mm->memory->Poke(addr, EncodeStruct(v)).ok());
}

}  // namespace forksim
