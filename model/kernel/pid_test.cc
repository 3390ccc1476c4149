// Pid allocation and pid namespaces: kernel/pid.c:alloc_pid(), free_pid();
// lib/idr.c:idr_alloc_cyclic(); kernel/pid_namespace.c:create_pid_namespace()
// [5.2].

#include "model/kernel/pid.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "model/kernel/cred.h"
#include "model/kernel/invariants.h"
#include "model/kernel/machine.h"

namespace forksim {
namespace {

class PidTest : public ::testing::Test {
 protected:
  void SetUp() override { m_ = Machine::Boot(MachineConfig{}); }

  // Allocates in `ns` and returns the global number (or 0 on failure).
  int Alloc(PidNamespace* ns) {
    SysResult<Pid*> pid = AllocPid(*m_, ns);
    if (!pid.ok()) return 0;
    held_.push_back(pid.value());
    return pid.value()->numbers[0].nr.value;
  }

  Errno AllocError(PidNamespace* ns) {
    SysResult<Pid*> pid = AllocPid(*m_, ns);
    if (pid.ok()) {
      held_.push_back(pid.value());
      return Errno{};
    }
    return pid.error();
  }

  void Free(int global_nr) {
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if ((*it)->numbers[0].nr.value == global_nr) {
        FreePid(*m_, *it);
        held_.erase(it);
        return;
      }
    }
    FAIL() << "no held pid " << global_nr;
  }

  void FreeAll() {
    for (Pid* pid : held_) FreePid(*m_, pid);
    held_.clear();
  }

  PidNamespace* NewPidNs(PidNamespace* parent) {
    SysResult<PidNamespace*> ns =
        CreatePidNamespace(*m_, m_->init_user_ns, parent, 0);
    EXPECT_TRUE(ns.ok());
    return ns.ok() ? ns.value() : nullptr;
  }

  void ExpectClean() {
    for (const Violation& v : CheckInvariants(*m_))
      ADD_FAILURE() << v.ToString();
  }

  std::unique_ptr<Machine> m_;
  std::vector<Pid*> held_;
};

TEST_F(PidTest, BootGivesInitOneAndKthreaddTwoSoTheFirstNewPidIsThree) {
  EXPECT_EQ(m_->init->pid, Tid(1));
  EXPECT_EQ(m_->kthreadd->pid, Tid(2));
  EXPECT_EQ(m_->idle->pid, Tid(0));
  EXPECT_EQ(m_->init_pid_ns->child_reaper, m_->init);
  EXPECT_EQ(Alloc(m_->init_pid_ns), 3);
  FreeAll();
  ExpectClean();
}

TEST_F(PidTest, AllocationIsCyclicNotLowestFree) {
  EXPECT_EQ(Alloc(m_->init_pid_ns), 3);
  EXPECT_EQ(Alloc(m_->init_pid_ns), 4);
  EXPECT_EQ(Alloc(m_->init_pid_ns), 5);
  Free(4);
  // The cursor is at 6: a freed lower number is not reused yet.
  EXPECT_EQ(Alloc(m_->init_pid_ns), 6);
  EXPECT_EQ(NsLastPid(m_->init_pid_ns), 6);
  FreeAll();
  ExpectClean();
}

TEST_F(PidTest, WrapsToReservedPidsNotToOne) {
  ASSERT_TRUE(m_->SetPidMax(400).ok());
  for (int expected = 3; expected < 400; ++expected) {
    ASSERT_EQ(Alloc(m_->init_pid_ns), expected);
  }
  Free(5);  // below RESERVED_PIDS: never reused after the wrap
  Free(350);
  Free(300);
  // The cursor is at 400 = pid_max: the search wraps to 300 (pid_min is
  // RESERVED_PIDS once the cursor passed 300), not to 301 and not to 1.
  EXPECT_EQ(Alloc(m_->init_pid_ns), 300);
  EXPECT_EQ(Alloc(m_->init_pid_ns), 350);
  EXPECT_EQ(AllocError(m_->init_pid_ns), Errno::kEAGAIN);
  FreeAll();
  ExpectClean();
}

TEST_F(PidTest, ExhaustionIsEagainNotEnospc) {
  ASSERT_TRUE(m_->SetPidMax(301).ok());  // the smallest pid_max allowed
  EXPECT_EQ(m_->SetPidMax(300).error(), Errno::kEINVAL);
  for (int expected = 3; expected <= 300; ++expected) {
    ASSERT_EQ(Alloc(m_->init_pid_ns), expected);
  }
  EXPECT_EQ(AllocError(m_->init_pid_ns), Errno::kEAGAIN);
  FreeAll();
  ExpectClean();
}

TEST_F(PidTest, PidMaxLimitIsTheAbisKernels) {
  EXPECT_EQ(m_->SetPidMax(4194304).error(), Errno{});
  EXPECT_EQ(m_->SetPidMax(4194305).error(), Errno::kEINVAL);
  auto i386 = Machine::Boot(MachineConfig{.abi = Abi::kI386});
  EXPECT_EQ(i386->sysctls.pid_max, 32768);
  EXPECT_EQ(i386->SetPidMax(32769).error(), Errno::kEINVAL);
}

TEST_F(PidTest, NestedNamespaceGivesOneNumberPerLevel) {
  PidNamespace* child = NewPidNs(m_->init_pid_ns);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->level, 1);
  SysResult<Pid*> pid = AllocPid(*m_, child);
  ASSERT_TRUE(pid.ok());
  held_.push_back(pid.value());
  ASSERT_EQ(pid.value()->numbers.size(), 2u);
  EXPECT_EQ(pid.value()->numbers[0].nr.value, 3);  // global
  EXPECT_EQ(pid.value()->numbers[1].nr.value, 1);  // pid 1 inside
  EXPECT_EQ(PidNrNs(pid.value(), m_->init_pid_ns), VNr(3));
  EXPECT_EQ(PidNrNs(pid.value(), child), VNr(1));
  PidNamespace* sibling = NewPidNs(m_->init_pid_ns);
  EXPECT_EQ(PidNrNs(pid.value(), sibling), VNr(0));  // invisible there
  // Init's pid is invisible from inside the child.
  EXPECT_EQ(PidNrNs(m_->init->thread_pid, child), VNr(0));
  FreeAll();
  PutPidNs(*m_, sibling);
  PutPidNs(*m_, child);
  ExpectClean();
}

TEST_F(PidTest, ThirtyTwoLevelsThenEnospc) {
  std::vector<PidNamespace*> chain = {m_->init_pid_ns};
  for (int level = 1; level <= 32; ++level) {
    PidNamespace* ns = NewPidNs(chain.back());
    ASSERT_NE(ns, nullptr) << level;
    ASSERT_EQ(ns->level, level);
    chain.push_back(ns);
  }
  SysResult<Pid*> deep = AllocPid(*m_, chain.back());
  ASSERT_TRUE(deep.ok());
  EXPECT_EQ(deep.value()->numbers.size(), 33u);
  EXPECT_EQ(deep.value()->numbers[32].nr.value, 1);
  FreePid(*m_, deep.value());
  EXPECT_EQ(CreatePidNamespace(*m_, m_->init_user_ns, chain.back(), 0).error(),
            Errno::kENOSPC);
  for (auto it = chain.rbegin(); it + 1 != chain.rend(); ++it)
    PutPidNs(*m_, *it);
  ExpectClean();
}

TEST_F(PidTest, PidNamespaceUcountLimitIsEnospc) {
  ASSERT_TRUE(m_->SetUcountMax(kUcountPidNamespaces, 1).ok());
  PidNamespace* first = NewPidNs(m_->init_pid_ns);
  EXPECT_EQ(
      CreatePidNamespace(*m_, m_->init_user_ns, m_->init_pid_ns, 0).error(),
      Errno::kENOSPC);
  PutPidNs(*m_, first);
  ExpectClean();
}

TEST_F(PidTest, UserNamespaceMustDescendFromTheParentsOne) {
  // A pid namespace owned by a child user namespace, then an attempt to nest
  // a pid namespace owned by init_user_ns (an ancestor, not a descendant)
  // inside it: EINVAL.
  SysResult<Cred*> cred = PrepareCreds(*m_, m_->init->cred);
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(CreateUserNs(*m_, cred.value(), /*chrooted=*/false).ok());
  UserNamespace* owned = cred.value()->user_ns;
  SysResult<PidNamespace*> child =
      CreatePidNamespace(*m_, owned, m_->init_pid_ns, 0);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(CreatePidNamespace(*m_, m_->init_user_ns, child.value(), 0).error(),
            Errno::kEINVAL);
  PutPidNs(*m_, child.value());
  PutCred(*m_, cred.value());
  ExpectClean();
}

TEST_F(PidTest, DeadInitGivesEnomemAndTheCursorsStillMoved) {
  PidNamespace* child = NewPidNs(m_->init_pid_ns);
  SysResult<Pid*> init = AllocPid(*m_, child);
  ASSERT_TRUE(init.ok());
  // zap_pid_ns_processes() -> disable_pid_allocation().
  child->pid_allocated &= ~kPidnsAdding;
  EXPECT_EQ(AllocError(child), Errno::kENOMEM);
  // Both levels' numbers were taken and given back; the cursors moved on.
  EXPECT_EQ(NsLastPid(m_->init_pid_ns), 4);
  EXPECT_EQ(NsLastPid(child), 2);
  EXPECT_FALSE(m_->init_pid_ns->idr.Contains(4));
  FreePid(*m_, init.value());
  PutPidNs(*m_, child);
  ExpectClean();
}

TEST_F(PidTest, RollbackRemovesTheInnerLevelsAndResetsAFirstProcess) {
  PidNamespace* child = NewPidNs(m_->init_pid_ns);
  // Fail the second idr allocation: the child's number (1) is taken first,
  // then the global level fails.
  m_->faults.FailNth(
      3);  // kmem_cache_alloc, idr node (level 1), idr node (level 0)
  EXPECT_EQ(AllocError(child), Errno::kENOMEM);
  EXPECT_EQ(m_->faults.injected(), "lib/idr.c:idr_alloc_cyclic() node");
  EXPECT_TRUE(child->idr.entries().empty());
  // "On failure to allocate the first pid, reset the state": pid 1 again.
  EXPECT_EQ(child->idr.next(), 0u);
  SysResult<Pid*> init = AllocPid(*m_, child);
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init.value()->numbers[1].nr.value, 1);
  // A namespace that already has a process keeps its cursor on failure.
  m_->faults.FailNth(3);
  EXPECT_EQ(AllocError(child), Errno::kENOMEM);
  EXPECT_EQ(child->idr.next(), 3u);  // number 2 was taken and given back
  FreePid(*m_, init.value());
  PutPidNs(*m_, child);
  ExpectClean();
}

TEST_F(PidTest, PidNsPrepareProcFailureIsEnomemForAFirstPid) {
  PidNamespace* child = NewPidNs(m_->init_pid_ns);
  m_->faults.FailNth(4);  // alloc, node, node, pid_ns_prepare_proc
  EXPECT_EQ(AllocError(child), Errno::kENOMEM);
  EXPECT_EQ(m_->faults.injected(),
            "kernel/pid.c:alloc_pid() pid_ns_prepare_proc");
  EXPECT_TRUE(child->idr.entries().empty());
  EXPECT_FALSE(m_->init_pid_ns->idr.Contains(3));
  PutPidNs(*m_, child);
  ExpectClean();
}

TEST_F(PidTest, NsLastPidReadAndWrite) {
  EXPECT_EQ(NsLastPid(m_->init_pid_ns), 2);
  ASSERT_TRUE(SetNsLastPid(*m_, m_->init, m_->init_pid_ns, 999).ok());
  EXPECT_EQ(Alloc(m_->init_pid_ns), 1000);
  EXPECT_EQ(SetNsLastPid(*m_, m_->init, m_->init_pid_ns, -1).error(),
            Errno::kEINVAL);
  EXPECT_EQ(SetNsLastPid(*m_, m_->init, m_->init_pid_ns, 32769).error(),
            Errno::kEINVAL);
  // Without CAP_SYS_ADMIN over the namespace's owner: EPERM.
  Cred unprivileged = *m_->init->cred;
  unprivileged.euid = 1000;
  unprivileged.caps = CapSets{};
  Task writer;
  writer.cred = &unprivileged;
  EXPECT_EQ(SetNsLastPid(*m_, &writer, m_->init_pid_ns, 10).error(),
            Errno::kEPERM);
  FreeAll();
  ExpectClean();
}

}  // namespace
}  // namespace forksim
