#include "sim/kernel/x86_process.h"

#include "model/abi/abi.h"
#include "sim/kernel/core.h"
#include "sim/kernel/x86_tls.h"

namespace forksim {

SysStatus CopyThreadTls(KernelCore& k, Task* current, Task* p, uint64_t flags,
                        uint64_t sp, uint64_t arg, uint64_t tls) {
  const AbiInfo& info = AbiInfoFor(current->abi);
  const bool x86_64_kernel = info.kernel_long_bits == 64;
  if (x86_64_kernel && !k.profile().copy_thread_keeps_fsgs_bases) {
    // [5.2]: the live selectors are recorded; a nonzero selector means the
    // base comes from the descriptor, so the saved base is zeroed (lines
    // 402-408). [6.12] keeps both as saved (dup_task_struct()'s copy).
    p->tls.gsbase = p->tls.gsindex != 0 ? 0 : current->tls.gsbase;
    p->tls.fsbase = p->tls.fsindex != 0 ? 0 : current->tls.fsbase;
  }
  if (p->flags & kPfKthread) {
    // A kernel thread: the function and its argument in callee-saved
    // registers of the fork frame (bx and r12; bx and di on i386).
    p->regs = RegisterFile(p->abi);
    p->regs.Set(Reg::kBx, sp);
    p->regs.Set(x86_64_kernel ? Reg::kR12 : Reg::kDi, arg);
    return SysOk();
  }
  // The child's registers are the parent's, but fork returns 0 in it and it
  // runs on the new stack if one was given.
  p->regs = current->regs;
  p->regs.Set(Reg::kAx, 0);
  if (sp != 0) p->regs.Set(Reg::kSp, sp);
  if (!(flags & kCloneSettls)) return SysOk();
  if (info.tls_kind == TlsKind::kUserDesc) {
    // in_ia32_syscall() on x86-64, always on i386 (lines 438-448).
    return DoSetThreadArea(k, current, p, tls);
  }
  // do_arch_prctl_64(p, ARCH_SET_FS, tls)
  // (arch/x86/kernel/process_64.c:do_arch_prctl_64() [5.2], lines 746-774).
  if (tls >= info.user_addr_limit) return Errno::kEPERM;
  p->tls.fsindex = 0;
  p->tls.fsbase = tls;
  return SysOk();
}

}  // namespace forksim
