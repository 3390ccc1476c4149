// kernel/fork.c's clone3 entry: SYSCALL_DEFINE2(clone3) with
// copy_clone_args_from_user() and clone3_args_valid(), as [5.3] first
// merged it (lines 2531-2626) and as [6.12] has it (lines 2933-3091). The
// rungs A1-A11 (the copy) and V1-V5 (the validation) are numbered in
// docs/copy-process.md; each is recorded, and the first that fails decides
// the errno.

#include <array>
#include <cstdint>
#include <vector>

#include "model/abi/layout.h"
#include "model/kernel/constants.h"
#include "model/uaccess/user_memory.h"
#include "sim/kernel/core.h"
#include "sim/kernel/fork.h"
#include "sim/kernel/syscalls.h"

namespace forksim {
namespace {

constexpr std::string_view kCopyArgs =
    "kernel/fork.c:copy_clone_args_from_user()";
constexpr std::string_view kCheckZeroed = "lib/usercopy.c:check_zeroed_user()";
constexpr std::string_view kArgsValid = "kernel/fork.c:clone3_args_valid()";
constexpr std::string_view kStackValid = "kernel/fork.c:clone3_stack_valid()";

constexpr uint64_t kCloneArgsSizeVer0 = 64;  // include/uapi/linux/sched.h
constexpr uint64_t kCloneArgsSizeVer2 = 88;
constexpr uint64_t kMaxPidNsLevel = 32;
constexpr uint64_t kCloneLegacyFlags = 0xffffffffull;
constexpr uint64_t kIntMax = 0x7fffffff;

// The copy: copy_clone_args_from_user().
constexpr LadderRung kA1 = {
    "A1", "size > PAGE_SIZE: no struct clone_args is that large",
    Errno::kE2BIG};
constexpr LadderRung kA2 = {
    "A2", "size < CLONE_ARGS_SIZE_VER0 (64): smaller than the first version",
    Errno::kEINVAL};
constexpr LadderRung kA3 = {
    "A3", "access_ok(uargs, size): all of it must be user memory",
    Errno::kEFAULT};
constexpr LadderRung kA4Fault = {
    "A4", "a byte past the kernel's struct cannot be read", Errno::kEFAULT};
constexpr LadderRung kA4Nonzero = {
    "A4",
    "a byte past the kernel's struct is not 0: a field this kernel does not "
    "know",
    Errno::kE2BIG};
constexpr LadderRung kA5 = {"A5", "the struct cannot be copied",
                            Errno::kEFAULT};
constexpr LadderRung kA6 = {"A6", "set_tid_size > MAX_PID_NS_LEVEL (32)",
                            Errno::kEINVAL};
constexpr LadderRung kA7 = {"A7", "set_tid_size without a set_tid array",
                            Errno::kEINVAL};
constexpr LadderRung kA8 = {"A8", "a set_tid array with set_tid_size 0",
                            Errno::kEINVAL};
constexpr LadderRung kA9 = {
    "A9", "exit_signal has bits above CSIGNAL or is past _NSIG (64)",
    Errno::kEINVAL};
constexpr LadderRung kA10 = {
    "A10",
    "CLONE_INTO_CGROUP with cgroup > INT_MAX, or a struct without the "
    "cgroup field (size < 88)",
    Errno::kEINVAL};
constexpr LadderRung kA11 = {"A11", "the set_tid array cannot be copied",
                             Errno::kEFAULT};

// The validation: clone3_args_valid() and clone3_stack_valid().
constexpr LadderRung kV1 = {"V1", "a flag this kernel does not know",
                            Errno::kEINVAL};
constexpr LadderRung kV2 = {
    "V2",
    "CLONE_DETACHED, or a CSIGNAL bit: clone3 has exit_signal for that "
    "(CLONE_NEWTIME excepted where time namespaces exist)",
    Errno::kEINVAL};
constexpr LadderRung kV3 = {
    "V3",
    "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND: shared handlers cannot be "
    "reset for one task",
    Errno::kEINVAL};
constexpr LadderRung kV4 = {
    "V4",
    "CLONE_THREAD or CLONE_PARENT with an exit_signal: the signal goes to "
    "the caller's parent, or nowhere",
    Errno::kEINVAL};
constexpr LadderRung kV5 = {
    "V5",
    "stack and stack_size: both or neither, and the range inside user space",
    Errno::kEINVAL};

// struct clone_args: every field a u64 at the same offset on every ABI
// (__aligned_u64; the layout tables, model/abi/layout_tables.h).
constexpr const StructLayout& kCloneArgsLayout =
    LayoutFor(StructId::kCloneArgsVer2, Abi::kX86_64);
static_assert(LayoutFor(StructId::kCloneArgsVer2, Abi::kI386).size ==
              kCloneArgsLayout.size);
constexpr uint32_t OffsetOf(std::string_view name) {
  return FindField(kCloneArgsLayout, name)->offset;
}

// The struct as copy_clone_args_from_user() has it after the copy.
struct CloneArgsValues {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
      tls, set_tid, set_tid_size, cgroup;
};

CloneArgsValues LoadCloneArgs(std::span<const uint8_t> raw) {
  auto at = [raw](std::string_view name) {
    return LoadLittleEndian(raw.data() + OffsetOf(name), 8);
  };
  return {at("flags"),        at("pidfd"),       at("child_tid"),
          at("parent_tid"),   at("exit_signal"), at("stack"),
          at("stack_size"),   at("tls"),         at("set_tid"),
          at("set_tid_size"), at("cgroup")};
}

// u64_to_user_ptr() and the unsigned long fields of kernel_clone_args: a
// 32-bit kernel keeps the low half.
uint64_t KernelWord(Abi abi, uint64_t value) {
  return AbiInfoFor(abi).kernel_long_bits == 32 ? (value & 0xffffffffull)
                                                : value;
}

class CloneArgsCopy {
 public:
  CloneArgsCopy(KernelCore& k, Task* current, uint64_t uargs, uint64_t usize)
      : k_(k),
        current_(current),
        profile_(k.profile()),
        uargs_(uargs),
        usize_(usize) {}

  SysResult<KernelCloneArgs> Run();

 private:
  SysStatus Rung(std::string_view function, const LadderRung& rung,
                 bool fails) {
    return CheckRung(k_, current_, function, rung, fails);
  }
  SysStatus TailZero(std::string_view function, uint64_t from, uint64_t len,
                     uint32_t unit, std::string_view access);
  SysStatus CopyTailByteByByte();
  SysStatus CopyStructFromUser();
  SysStatus CheckArgs(const CloneArgsValues& v);
  SysStatus CopySetTid(uint64_t set_tid, KernelCloneArgs& args);

  KernelCore& k_;
  Task* current_;
  const KernelProfile& profile_;
  uint64_t uargs_;
  uint64_t usize_;
  // The kernel's struct clone_args: 88 bytes, zero past what was copied.
  std::array<uint8_t, kCloneArgsSizeVer2> raw_{};
};

SysStatus CloneArgsCopy::TailZero(std::string_view function, uint64_t from,
                                  uint64_t len, uint32_t unit,
                                  std::string_view access) {
  switch (k_.ScanUserForZero(current_, from, len, unit, access,
                             "clone_args (past the kernel's struct)")) {
    case KernelCore::Scan::kZero:
      return Rung(function, kA4Nonzero, false);
    case KernelCore::Scan::kNonzero:
      return Rung(function, kA4Nonzero, true);
    case KernelCore::Scan::kFault:
      return Rung(function, kA4Fault, true);
  }
  return SysOk();
}

SysStatus CloneArgsCopy::CopyTailByteByByte() {
  // [5.3] lines 2541-2567: access_ok() of all of it, every byte past
  // sizeof(struct clone_args) read with get_user(), then the struct.
  const uint64_t ksize = profile_.clone_args_size;
  FORKSIM_TRY(
      Rung(kCopyArgs, kA3, !current_->mm->memory->AccessOk(uargs_, usize_)));
  if (usize_ > ksize) {
    FORKSIM_TRY(
        TailZero(kCopyArgs, uargs_ + ksize, usize_ - ksize, 1, "get_user"));
  }
  const size_t n = k_.CopyFromUser(current_, std::span(raw_).first(ksize),
                                   uargs_, "clone_args");
  return Rung(kCopyArgs, kA5, n != 0);
}

SysStatus CloneArgsCopy::CopyStructFromUser() {
  // [6.12] include/linux/uaccess.h:copy_struct_from_user() (lines 381-404):
  // a shorter struct is zero-filled; a longer one needs zeros past the
  // kernel's (check_zeroed_user(), word by word, after access_ok() of the
  // word-aligned tail); then min(usize, ksize) bytes are copied.
  const uint64_t ksize = profile_.clone_args_size;
  if (usize_ > ksize) {
    const uint32_t word = AbiInfoFor(current_->abi).kernel_long_bits / 8;
    const uint64_t from = uargs_ + ksize;
    const uint64_t aligned = from & ~static_cast<uint64_t>(word - 1);
    const uint64_t len = usize_ - ksize;
    if (!current_->mm->memory->AccessOk(aligned, len + (from - aligned))) {
      return Rung(kCheckZeroed, kA4Fault, true);  // user_read_access_begin()
    }
    FORKSIM_TRY(TailZero(kCheckZeroed, from, len, word, "unsafe_get_user"));
  }
  const size_t size = std::min(usize_, ksize);
  const size_t n = k_.CopyFromUser(current_, std::span(raw_).first(size),
                                   uargs_, "clone_args");
  return Rung(kCopyArgs, kA5, n != 0);
}

SysStatus CloneArgsCopy::CheckArgs(const CloneArgsValues& v) {
  // [6.12] lines 2956-2978; [5.3] has only the exit_signal check.
  if (profile_.clone3_set_tid) {
    FORKSIM_TRY(Rung(kCopyArgs, kA6, v.set_tid_size > kMaxPidNsLevel));
    FORKSIM_TRY(Rung(kCopyArgs, kA7, v.set_tid == 0 && v.set_tid_size > 0));
    FORKSIM_TRY(Rung(kCopyArgs, kA8, v.set_tid != 0 && v.set_tid_size == 0));
  }
  FORKSIM_TRY(Rung(kCopyArgs, kA9,
                   (v.exit_signal & ~kCsignal) != 0 || v.exit_signal > kNsig));
  if (profile_.clone3_into_cgroup && (v.flags & kCloneIntoCgroup)) {
    FORKSIM_TRY(Rung(kCopyArgs, kA10,
                     v.cgroup > kIntMax || usize_ < kCloneArgsSizeVer2));
  }
  return SysOk();
}

SysStatus CloneArgsCopy::CopySetTid(uint64_t set_tid, KernelCloneArgs& args) {
  // [6.12] lines 2992-2995: set_tid_size pid_t values.
  std::vector<uint8_t> bytes(args.set_tid_size * 4);
  const size_t n = k_.CopyFromUser(
      current_, bytes, KernelWord(current_->abi, set_tid), "set_tid[]");
  FORKSIM_TRY(Rung(kCopyArgs, kA11, n != 0));
  for (size_t i = 0; i < args.set_tid_size; ++i) {
    args.set_tid[i] = static_cast<int32_t>(LoadLittleEndian(&bytes[i * 4], 4));
  }
  return SysOk();
}

SysResult<KernelCloneArgs> CloneArgsCopy::Run() {
  FORKSIM_TRY(Rung(kCopyArgs, kA1, usize_ > kPageSize));
  FORKSIM_TRY(Rung(kCopyArgs, kA2, usize_ < kCloneArgsSizeVer0));
  FORKSIM_TRY(profile_.clone3 == forksim::Clone3Copy::kTailByteByByte
                  ? CopyTailByteByByte()
                  : CopyStructFromUser());
  const CloneArgsValues v = LoadCloneArgs(raw_);
  FORKSIM_TRY(CheckArgs(v));
  const Abi abi = current_->abi;
  KernelCloneArgs args;
  args.flags = v.flags;
  args.pidfd = KernelWord(abi, v.pidfd);
  args.child_tid = KernelWord(abi, v.child_tid);
  args.parent_tid = KernelWord(abi, v.parent_tid);
  args.exit_signal = static_cast<int>(v.exit_signal);
  args.stack = KernelWord(abi, v.stack);
  args.stack_size = KernelWord(abi, v.stack_size);
  args.tls = KernelWord(abi, v.tls);
  if (profile_.clone3_set_tid) {
    args.set_tid_size = static_cast<size_t>(v.set_tid_size);
    args.cgroup = static_cast<int32_t>(v.cgroup);
    if (v.set_tid != 0) FORKSIM_TRY(CopySetTid(v.set_tid, args));
  }
  return args;
}

bool StackValid(KernelCore& k, Task* current, KernelCloneArgs& args) {
  // [6.12] lines 3010-3028: both or neither; the range inside user space;
  // then the stack grows down from its top.
  if (args.stack == 0) return args.stack_size == 0;
  if (args.stack_size == 0) return false;
  if (!current->mm->memory->AccessOk(args.stack, args.stack_size)) {
    return false;
  }
  const AbiInfo& info = AbiInfoFor(current->abi);
  if (k.profile().access_ok_user_ptr_max && info.kernel_long_bits == 64 &&
      args.stack + args.stack_size == info.user_addr_limit) {
    return false;  // one past USER_PTR_MAX
  }
  args.stack += args.stack_size;
  if (info.kernel_long_bits == 32) args.stack &= 0xffffffffull;
  return true;
}

SysStatus ArgsValid(KernelCore& k, Task* current, KernelCloneArgs& args) {
  // [5.3] lines 2589-2610, [6.12] lines 3030-3056.
  const KernelProfile& profile = k.profile();
  const uint64_t f = args.flags;
  auto rung = [&](const LadderRung& r, bool fails) {
    return CheckRung(k, current, kArgsValid, r, fails);
  };
  const uint64_t known = kCloneLegacyFlags |
                         (profile.clear_sighand ? kCloneClearSighand : 0) |
                         (profile.clone3_into_cgroup ? kCloneIntoCgroup : 0);
  FORKSIM_TRY(rung(kV1, (f & ~known) != 0));
  const uint64_t signal_bits =
      kCsignal & ~(profile.time_namespaces ? kCloneNewtime : 0);
  FORKSIM_TRY(rung(kV2, (f & (kCloneDetached | signal_bits)) != 0));
  if (profile.clear_sighand) {
    FORKSIM_TRY(rung(kV3, (f & (kCloneSighand | kCloneClearSighand)) ==
                              (kCloneSighand | kCloneClearSighand)));
  }
  FORKSIM_TRY(
      rung(kV4, (f & (kCloneThread | kCloneParent)) && args.exit_signal != 0));
  if (profile.clone3_stack_check) {
    FORKSIM_TRY(
        CheckRung(k, current, kStackValid, kV5, !StackValid(k, current, args)));
  }
  return SysOk();
}

}  // namespace

SysResult<KernelCloneArgs> Clone3Args(KernelCore& k, Task* current,
                                      const DecodedSyscall& d) {
  FORKSIM_ASSIGN_OR_RETURN(KernelCloneArgs args,
                           CloneArgsCopy(k, current, d.arg(0), d.arg(1)).Run());
  FORKSIM_TRY(ArgsValid(k, current, args));
  return args;
}

// kernel/fork.c:SYSCALL_DEFINE2(clone3) [5.3] (lines 2612-2626), [6.12]
// (lines 3069-3091).
SyscallOutcome SysClone3(KernelCore& k, Task* current,
                         const DecodedSyscall& d) {
  FORKSIM_ASSIGN_OR_RETURN(KernelCloneArgs args, Clone3Args(k, current, d));
  return KernelClone(k, current, args);
}

std::span<const StepCitation> Clone3Citations() {
  static const std::vector<StepCitation>* const kCitations = [] {
    auto* out = new std::vector<StepCitation>;
    for (const LadderRung& r :
         {kA1, kA2, kA3, kA4Fault, kA5, kA6, kA7, kA8, kA9, kA10, kA11}) {
      out->push_back({r.id, kCopyArgs, ""});
    }
    out->push_back({kA4Fault.id, kCheckZeroed, ""});
    for (const LadderRung& r : {kV1, kV2, kV3, kV4}) {
      out->push_back({r.id, kArgsValid, ""});
    }
    out->push_back({kV5.id, kStackValid, ""});
    return out;
  }();
  return *kCitations;
}

}  // namespace forksim
