// The hostcheck machinery without the host: the corpus, the model side
// checked against kernel facts, the executor's line format, and the
// classification of differences by the known-difference table (a host
// observation is played by the reference profile's model).

#include "sim/hostcheck/hostcheck.h"

#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "model/errno.h"
#include "model/kernel/constants.h"
#include "sim/hostcheck/case.h"
#include "sim/hostcheck/observation.h"
#include "sim/hostcheck/rng.h"

namespace forksim {
namespace {

namespace mem = hostcheck_memory;

const KernelProfile& Profile(std::string_view name) {
  return **ProfileFromName(name);
}

// A case built by hand, in the corpus's memory layout.
HostCase Clone3Case(Abi abi, uint64_t flags, uint64_t exit_signal,
                    uint64_t size = 88) {
  HostCase c;
  c.family = Family::kClone3;
  c.abi = abi;
  c.sysno = Sysno::kClone3;
  c.nr = FindSyscall(abi, Sysno::kClone3)->nr;
  c.args = {mem::kArgs, size, 0, 0, 0, 0};
  std::vector<uint8_t> args(88, 0);
  for (int i = 0; i < 8; ++i) {
    args[i] = (flags >> (8 * i)) & 0xff;
    args[8 + i] = (mem::kPidfd >> (8 * i)) & 0xff;
    args[24 + i] = (mem::kParentTid >> (8 * i)) & 0xff;
    args[32 + i] = (exit_signal >> (8 * i)) & 0xff;
  }
  c.writes.push_back({mem::kArgs, args});
  for (uint64_t w : kObservedWords) {
    c.writes.push_back({w, {0xef, 0xbe, 0xad, 0xde}});
  }
  if (flags & kClonePidfd) c.pidfd_word = 0;
  return c;
}

HostCase LegacyCase(Abi abi, uint64_t flags) {
  HostCase c;
  c.family = Family::kClone;
  c.abi = abi;
  c.sysno = Sysno::kClone;
  c.nr = FindSyscall(abi, Sysno::kClone)->nr;
  c.args = {flags, 0, mem::kParentTid, 0, 0, 0};
  for (uint64_t w : kObservedWords) {
    c.writes.push_back({w, {0xef, 0xbe, 0xad, 0xde}});
  }
  if (flags & kClonePidfd) c.pidfd_word = 1;
  return c;
}

// --- the generator ---------------------------------------------------------

TEST(SplitMix64, IsTheReferenceSequence) {
  // The first outputs for seed 0 of the published SplitMix64.
  SplitMix64 g(0);
  EXPECT_EQ(g.Next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(g.Next(), 0x6e789e6aa1b965f4ull);
}

TEST(Corpus, SameSeedSameCasesWhateverTheSize) {
  for (Abi abi : {Abi::kX86_64, Abi::kIa32}) {
    for (Family f : kAllFamilies) {
      const uint64_t k = SystematicCount(f, abi) + 17;
      EXPECT_EQ(ExecutorInput(MakeCase(7, f, abi, k)),
                ExecutorInput(MakeCase(7, f, abi, k)));
      EXPECT_EQ(ExecutorInput(MakeCase(7, f, abi, 3)),
                ExecutorInput(MakeCase(8, f, abi, 3)))
          << "systematic cases do not depend on the seed";
    }
    EXPECT_NE(ExecutorInput(MakeCase(7, Family::kClone3, abi, 5000)),
              ExecutorInput(MakeCase(8, Family::kClone3, abi, 5000)));
  }
}

TEST(Corpus, SharesAndShardsCoverEveryCaseOnce) {
  const std::vector<Family> all(kAllFamilies.begin(), kAllFamilies.end());
  const std::vector<CorpusEntry> corpus = Corpus(all, 20000);
  ASSERT_EQ(corpus.size(), 20000u);
  std::map<Family, uint64_t> per_family;
  for (const CorpusEntry& e : corpus) ++per_family[e.family];
  EXPECT_EQ(per_family[Family::kClone], 11600u);
  EXPECT_EQ(per_family[Family::kClone3], 8000u);
  EXPECT_EQ(per_family[Family::kFork], 400u);
  EXPECT_EQ(Corpus({Family::kClone3}, 10).size(), 10u);
}

TEST(Corpus, EveryCoreSubsetOfLegacyCloneIsACase) {
  std::set<uint64_t> flags;
  for (uint64_t k = 0; k < 2048; ++k) {
    flags.insert(MakeCase(1, Family::kClone, Abi::kX86_64, k).args[0]);
  }
  EXPECT_EQ(flags.size(), 2048u);
  for (uint64_t f : flags) EXPECT_EQ(f & kCsignal, uint64_t{kSigchld});
}

TEST(Corpus, Clone3SizesCoverEveryBoundary) {
  std::set<uint64_t> sizes;
  const uint64_t n = SystematicCount(Family::kClone3, Abi::kX86_64);
  for (uint64_t k = 0; k < n; ++k) {
    sizes.insert(MakeCase(1, Family::kClone3, Abi::kX86_64, k).args[1]);
  }
  // VER0 64, VER1 80, VER2 88 and PAGE_SIZE, each with its neighbours.
  for (uint64_t s : {0, 63, 64, 65, 79, 80, 81, 87, 88, 89, 4095, 4096, 4097}) {
    EXPECT_TRUE(sizes.contains(s)) << s;
  }
}

// No case may ask for an exit signal no mask blocks, nor for a pid of the
// host's own namespace that another process may hold.
TEST(Corpus, NeverHarmsOrDependsOnTheHost) {
  for (Abi abi : {Abi::kX86_64, Abi::kIa32}) {
    for (uint64_t k = 0; k < 20000; ++k) {
      const HostCase legacy = MakeCase(3, Family::kClone, abi, k);
      const uint64_t sig = legacy.args[0] & kCsignal;
      EXPECT_TRUE(sig != kSigkill && sig != kSigstop) << legacy.Id();
      const HostCase c = MakeCase(3, Family::kClone3, abi, k);
      const uint64_t exit_signal = Clone3Field(c, 32).value_or(0);
      EXPECT_TRUE(exit_signal != kSigkill && exit_signal != kSigstop) << c.Id();
      const uint64_t set_tid_size = Clone3Field(c, 72).value_or(0);
      const uint64_t flags = Clone3Field(c, 0).value_or(0);
      // Levels: the caller's (1 in a pid namespace, else 0), one more with
      // CLONE_NEWPID. A value for level 0 other than 1 must be one
      // alloc_pid() refuses before it looks (0, or >= PID_MAX_LIMIT).
      const uint64_t levels = (c.pidns ? 2 : 1) + ((flags & kCloneNewpid) != 0);
      // Namespaces the case creates: CLONE_NEWPID's, and in a pid-namespace
      // case the caller's. The rest may be the host's, at any depth.
      const uint64_t created =
          ((flags & kCloneNewpid) != 0) + (c.pidns ? 1 : 0);
      if (set_tid_size == 0 || set_tid_size > 32) continue;
      std::vector<uint32_t> values(set_tid_size, 0);
      for (const MemWrite& w : c.writes) {
        if (w.addr != mem::kSetTid) continue;
        for (size_t i = 0; i < values.size() && 4 * i + 3 < w.bytes.size();
             ++i) {
          values[i] = w.bytes[4 * i] | w.bytes[4 * i + 1] << 8 |
                      w.bytes[4 * i + 2] << 16 |
                      static_cast<uint32_t>(w.bytes[4 * i + 3]) << 24;
        }
      }
      auto refused = [](uint32_t v) {
        return v == 0 || v >= 4194304;  // also every negative pid_t
      };
      for (size_t i = created; i < values.size() && i <= levels; ++i) {
        if (i < levels) {
          EXPECT_TRUE(values[i] == 1 || refused(values[i]))
              << c.Id() << " " << c.what;
        } else {
          EXPECT_TRUE(refused(values[i])) << c.Id() << " " << c.what;
        }
        if (refused(values[i])) break;  // alloc_pid() stops there
      }
    }
  }
}

TEST(Corpus, ExplainCommandReproducesTheRegisters) {
  const HostCase c = MakeCase(1, Family::kClone, Abi::kIa32, 0);
  const std::string cmd = ExplainCommand(c, "6.12");
  EXPECT_TRUE(absl::StrContains(cmd, "--profile=6.12 --abi=ia32")) << cmd;
  EXPECT_TRUE(absl::StrContains(cmd, "raw eax=120 ebx=0x11 ecx=0 edx=0x15004"))
      << cmd;
  EXPECT_TRUE(absl::StrContains(cmd, "protect 0x13000 0x1000 none")) << cmd;
  EXPECT_TRUE(absl::StrContains(cmd, "write u32 0x15000 = 0xdeadbeef")) << cmd;
}

// --- the model side, against kernel facts ---------------------------------

TEST(RunOnModel, ForkReturnsAChildThatExitsWithZero) {
  for (Abi abi : {Abi::kX86_64, Abi::kIa32}) {
    const HostCase c = MakeCase(1, Family::kFork, abi, 0);
    const Observation o = RunOnModel(Profile("6.12"), c);
    EXPECT_EQ(Normalize(c, o), "ret=child words=-,-,- fds=x,x,x status=0");
  }
}

TEST(RunOnModel, PidNamespaceCasesSeePidTwo) {
  // The caller is pid 1 of a new namespace: its first child is pid 2.
  const HostCase c = MakeCase(1, Family::kFork, Abi::kX86_64, 2);
  ASSERT_TRUE(c.pidns);
  EXPECT_EQ(Normalize(c, RunOnModel(Profile("6.12"), c)),
            "ret=2 words=-,-,- fds=x,x,x status=0");
}

TEST(RunOnModel, LegacyPidfdGoesToParentTidCloseOnExec) {
  // kernel/fork.c:copy_process() [5.2]: the pidfd is O_CLOEXEC and is the
  // lowest free fd (3); legacy clone writes it through parent_tidptr.
  for (std::string_view p : {"5.2", "5.3", "6.12"}) {
    const HostCase c = LegacyCase(Abi::kX86_64, kClonePidfd | kSigchld);
    const Observation o = RunOnModel(Profile(p), c);
    EXPECT_EQ(Normalize(c, o), "ret=child words=-,0x3,- fds=x,1,x status=0")
        << p;
  }
}

TEST(RunOnModel, ThreadWithoutSighandIsEinval) {
  const HostCase c = LegacyCase(Abi::kIa32, kCloneThread);
  EXPECT_EQ(Normalize(c, RunOnModel(Profile("6.12"), c)),
            "ret=EINVAL words=-,-,- fds=x,x,x status=none");
}

TEST(RunOnModel, Clone3ParentSettidWritesThePidAndTheSiblingIsNotOurs) {
  // CLONE_PARENT: the child is the caller's sibling, so wait4() has no such
  // child (kernel/exit.c:do_wait() [6.12]).
  HostCase c = Clone3Case(Abi::kX86_64, kCloneParentSettid | kCloneParent, 0);
  c.reap = Reap::kSibling;
  EXPECT_EQ(Normalize(c, RunOnModel(Profile("6.12"), c)),
            "ret=child words=-,ret,- fds=x,x,x status=echild");
}

TEST(RunOnModel, Clone3IsEnosysBefore53) {
  const HostCase c = Clone3Case(Abi::kX86_64, 0, kSigchld);
  EXPECT_EQ(RunOnModel(Profile("5.2"), c).ret, -ErrnoValue(Errno::kENOSYS));
  EXPECT_GT(RunOnModel(Profile("5.3"), c).ret, 0);
}

// --- the executor's lines ---------------------------------------------------

TEST(ParseResultLine, ReadsEveryField) {
  absl::StatusOr<Observation> o = ParseResultLine(
      "{\"case\":\"clone/x86_64/4\",\"ret\":5012,\"words\":[\"deadbeef\","
      "\"3\",\"0\"],\"cloexec\":[null,1,null],\"status\":\"0\"}",
      "clone/x86_64/4");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->ret, 5012);
  EXPECT_EQ(o->words[0], 0xdeadbeefu);
  EXPECT_EQ(o->words[1], 3u);
  EXPECT_EQ(o->fds[1], 1);
  EXPECT_EQ(o->fds[0], -1);
  EXPECT_EQ(o->status, "0");
}

TEST(ParseResultLine, RefusesAnotherCaseOrAMangledLine) {
  const std::string good =
      "{\"case\":\"a\",\"ret\":-22,\"words\":[\"0\",\"0\",\"0\"],"
      "\"cloexec\":[null,null,null],\"status\":\"none\"}";
  ASSERT_TRUE(ParseResultLine(good, "a").ok());
  EXPECT_EQ(ParseResultLine(good, "a")->ret, -22);
  EXPECT_FALSE(ParseResultLine(good, "b").ok());
  const std::pair<std::string_view, std::string_view> manglings[] = {
      {"-22", "x"},
      {"[\"0\",\"0\",\"0\"]", "[\"0\",\"0\"]"},
      {"[\"0\",", "[\"zz\","},
      {"[null,null,null]", "[null,2,null]"},
      {"\"none\"}", "\"none\""},
      {"}", "} trailing"},
  };
  for (auto [from, to] : manglings) {
    std::string bad = good;
    bad.replace(bad.find(from), from.size(), to);
    EXPECT_FALSE(ParseResultLine(bad, "a").ok()) << bad;
  }
}

// --- versions and the classification ----------------------------------------

TEST(KernelVersion, ParsesUnameAndPicksTheProfile) {
  EXPECT_EQ(ParseKernelRelease("6.18.44-fc-v669"), (KernelVersion{6, 18, 44}));
  EXPECT_EQ(ParseKernelRelease("5.2"), (KernelVersion{5, 2, 0}));
  EXPECT_FALSE(ParseKernelRelease("linux").has_value());
  EXPECT_EQ(AutoProfile({6, 18, 0})->name, "6.12");
  EXPECT_EQ(AutoProfile({6, 12, 0})->name, "6.12");
  EXPECT_EQ(AutoProfile({6, 11, 9})->name, "5.3");
  EXPECT_EQ(AutoProfile({5, 2, 21})->name, "5.2");
  EXPECT_EQ(AutoProfile({4, 19, 0}), nullptr);
  EXPECT_LT(ProfileVersion(Profile("5.2-rc1")), ProfileVersion(Profile("5.2")));
}

// The host played by 6.12's model: what an older profile does differently
// must be named by the table, and the right entry.
std::string Explained(std::string_view profile, const HostCase& c,
                      KernelVersion host = {6, 12, 0}) {
  const Observation seen = RunOnModel(Profile("6.12"), c);
  const CaseReport r =
      Compare(Profile(profile), Profile("6.12"), host, c, seen);
  if (r.verdict == Verdict::kAgree) return "agree";
  if (r.verdict != Verdict::kDocumented) return "unexplained";
  return std::string(r.difference->id);
}

TEST(KnownDifferences, NameEachVersionChange) {
  const Abi x = Abi::kX86_64;
  EXPECT_EQ(Explained("5.2", Clone3Case(x, 0, kSigchld)), "clone3-absent");
  EXPECT_EQ(Explained("5.3", Clone3Case(x, 0, kSigchld)), "agree");
  EXPECT_EQ(Explained("5.3", Clone3Case(x, kCloneClearSighand, kSigchld)),
            "clone3-new-flags");
  EXPECT_EQ(Explained("5.3", Clone3Case(x, kCloneNewtime, kSigchld)),
            "clone3-newtime");
  HostCase tail = Clone3Case(x, 0, kSigchld);
  tail.writes[0].bytes[72] = 1;  // set_tid_size 1 without set_tid
  EXPECT_EQ(Explained("5.3", tail), "clone-args-64");
  const uint64_t thread = kCloneVm | kCloneSighand | kCloneThread;
  HostCase pidfd_thread = LegacyCase(x, thread | kClonePidfd);
  pidfd_thread.reap = Reap::kThread;
  for (std::string_view p : {"5.2", "5.3"}) {
    EXPECT_EQ(Explained(p, pidfd_thread), "pidfd-thread") << p;
  }
  EXPECT_EQ(Explained("5.2-rc1", LegacyCase(x, kClonePidfd | kSigchld)),
            "reserved-parent-tid");
  HostCase same = Clone3Case(x, kClonePidfd | kCloneParentSettid, kSigchld);
  for (int i = 0; i < 8; ++i)
    same.writes[0].bytes[8 + i] = same.writes[0].bytes[24 + i];
  EXPECT_EQ(Explained("5.3", same), "clone3-pidfd-is-parent-tid");
  HostCase stack = Clone3Case(x, 0, kSigchld);
  stack.writes[0].bytes[41] = 0x60;  // stack 0x6000, stack_size 0
  EXPECT_EQ(Explained("5.3", stack), "clone3-stack-check");
}

TEST(KnownDifferences, TheOffByOneOnlyAgainstAFixedKernel) {
  HostCase c = Clone3Case(Abi::kX86_64, 0, kSigchld);
  const uint64_t stack = 0x7ffffffff000ull - 0x1000, size = 0x1000;
  for (int i = 0; i < 8; ++i) {
    c.writes[0].bytes[40 + i] = (stack >> (8 * i)) & 0xff;
    c.writes[0].bytes[48 + i] = (size >> (8 * i)) & 0xff;
  }
  // The fixed kernel accepts the stack: 5.3 plays it (no off-by-one there).
  const Observation fixed = RunOnModel(Profile("5.3"), c);
  ASSERT_GT(fixed.ret, 0);
  for (auto [host, want] :
       {std::pair{KernelVersion{6, 18, 0}, Verdict::kDocumented},
        std::pair{KernelVersion{6, 12, 2}, Verdict::kDocumented},
        std::pair{KernelVersion{6, 12, 0}, Verdict::kUnexplained}}) {
    const CaseReport r =
        Compare(Profile("6.12"), Profile("6.12"), host, c, fixed);
    EXPECT_EQ(r.verdict, want)
        << host.major << "." << host.minor << "." << host.patch;
    if (want == Verdict::kDocumented) {
      EXPECT_EQ(r.difference->id, "access-ok-off-by-one");
    }
  }
}

TEST(KnownDifferences, AnythingElseIsUnexplained) {
  // A host that claimed EPERM for a plain fork-like clone3 is not a
  // version difference anyone wrote down.
  const HostCase c = Clone3Case(Abi::kX86_64, 0, kSigchld);
  Observation odd = RunOnModel(Profile("6.12"), c);
  odd.ret = -ErrnoValue(Errno::kEPERM);
  odd.status = "none";
  const CaseReport r =
      Compare(Profile("6.12"), Profile("6.12"), {6, 18, 0}, c, odd);
  EXPECT_EQ(r.verdict, Verdict::kUnexplained);
  EXPECT_EQ(r.difference, nullptr);
}

TEST(KnownDifferences, EveryEntryIsCited) {
  std::set<std::string_view> ids;
  for (const KnownDifference& d : KnownDifferences()) {
    EXPECT_TRUE(ids.insert(d.id).second) << d.id;
    EXPECT_NE(d.older.find("["), std::string_view::npos)
        << d.id << ": cite a version";
    EXPECT_FALSE(d.newer.empty()) << d.id;
    EXPECT_NE(d.matches, nullptr) << d.id;
  }
}

}  // namespace
}  // namespace forksim
