// -----------------------------------------------------------------------------
// File: model/kernel/names.h
// -----------------------------------------------------------------------------
//
// The kernel's constants by name: one table per set, each name beside its
// value, as strace keeps them (src/xlat/clone_flags.in). The kernel's traces,
// the strace formatter and the scenario language all read these tables, so a
// name is spelt in exactly one place. Errno names live with the errno type
// (model/errno.h).

#ifndef FORKSIM_MODEL_KERNEL_NAMES_H_
#define FORKSIM_MODEL_KERNEL_NAMES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/kernel/constants.h"
#include "model/kernel/fdtable.h"

namespace forksim {

struct NamedValue {
  uint64_t value;
  std::string_view name;
};

// clone(2)'s flags above the exit signal, in value order: what strace prints
// for clone (include/uapi/linux/sched.h:10-32 [5.2]).
inline constexpr NamedValue kCloneFlagNames[] = {
    {kCloneVm, "CLONE_VM"},
    {kCloneFs, "CLONE_FS"},
    {kCloneFiles, "CLONE_FILES"},
    {kCloneSighand, "CLONE_SIGHAND"},
    {kClonePidfd, "CLONE_PIDFD"},
    {kClonePtrace, "CLONE_PTRACE"},
    {kCloneVfork, "CLONE_VFORK"},
    {kCloneParent, "CLONE_PARENT"},
    {kCloneThread, "CLONE_THREAD"},
    {kCloneNewns, "CLONE_NEWNS"},
    {kCloneSysvsem, "CLONE_SYSVSEM"},
    {kCloneSettls, "CLONE_SETTLS"},
    {kCloneParentSettid, "CLONE_PARENT_SETTID"},
    {kCloneChildCleartid, "CLONE_CHILD_CLEARTID"},
    {kCloneDetached, "CLONE_DETACHED"},
    {kCloneUntraced, "CLONE_UNTRACED"},
    {kCloneChildSettid, "CLONE_CHILD_SETTID"},
    {kCloneNewcgroup, "CLONE_NEWCGROUP"},
    {kCloneNewuts, "CLONE_NEWUTS"},
    {kCloneNewipc, "CLONE_NEWIPC"},
    {kCloneNewuser, "CLONE_NEWUSER"},
    {kCloneNewpid, "CLONE_NEWPID"},
    {kCloneNewnet, "CLONE_NEWNET"},
    {kCloneIo, "CLONE_IO"},
};
static_assert(std::size(kCloneFlagNames) == 24, "bits 8 to 31, one each");

// The other names of the clone flag space: the exit-signal mask, the flag
// that shares its bits (unshare and clone3 only), and the clone3-only bits
// 32 and 33 ([5.5], [5.7]).
inline constexpr NamedValue kCloneOtherNames[] = {
    {kCsignal, "CSIGNAL"},
    {kCloneNewtime, "CLONE_NEWTIME"},
    {kCloneClearSighand, "CLONE_CLEAR_SIGHAND"},
    {kCloneIntoCgroup, "CLONE_INTO_CGROUP"},
};

// Signals 1 to 31 (arch/x86/include/uapi/asm/signal.h [5.2]).
inline constexpr NamedValue kSignalNames[] = {
    {kSighup, "SIGHUP"},       {kSigint, "SIGINT"},       {kSigquit, "SIGQUIT"},
    {kSigill, "SIGILL"},       {kSigtrap, "SIGTRAP"},     {kSigabrt, "SIGABRT"},
    {kSigbus, "SIGBUS"},       {kSigfpe, "SIGFPE"},       {kSigkill, "SIGKILL"},
    {kSigusr1, "SIGUSR1"},     {kSigsegv, "SIGSEGV"},     {kSigusr2, "SIGUSR2"},
    {kSigpipe, "SIGPIPE"},     {kSigalrm, "SIGALRM"},     {kSigterm, "SIGTERM"},
    {kSigstkflt, "SIGSTKFLT"}, {kSigchld, "SIGCHLD"},     {kSigcont, "SIGCONT"},
    {kSigstop, "SIGSTOP"},     {kSigtstp, "SIGTSTP"},     {kSigttin, "SIGTTIN"},
    {kSigttou, "SIGTTOU"},     {kSigurg, "SIGURG"},       {kSigxcpu, "SIGXCPU"},
    {kSigxfsz, "SIGXFSZ"},     {kSigvtalrm, "SIGVTALRM"}, {kSigprof, "SIGPROF"},
    {kSigwinch, "SIGWINCH"},   {kSigio, "SIGIO"},         {kSigpwr, "SIGPWR"},
    {kSigsys, "SIGSYS"},
};
static_assert(std::size(kSignalNames) == kSigrtmin - 1, "signals 1 to 31");

// wait4() and waitid() options (include/uapi/linux/wait.h [5.2]); WSTOPPED
// is WUNTRACED's other name.
inline constexpr NamedValue kWaitOptionNames[] = {
    {kWnohang, "WNOHANG"},       {kWuntraced, "WUNTRACED"},
    {kWstopped, "WSTOPPED"},     {kWexited, "WEXITED"},
    {kWcontinued, "WCONTINUED"}, {kWnowait, "WNOWAIT"},
    {kWnothread, "__WNOTHREAD"}, {kWall, "__WALL"},
    {kWclone, "__WCLONE"},
};

// waitid()'s idtypes.
inline constexpr NamedValue kWaitidTypeNames[] = {
    {kPAll, "P_ALL"},
    {kPPid, "P_PID"},
    {kPPgid, "P_PGID"},
};

// open(2) flags the model uses (include/uapi/asm-generic/fcntl.h).
inline constexpr NamedValue kOpenFlagNames[] = {
    {kORdwr, "O_RDWR"},
    {kOCloexec, "O_CLOEXEC"},
};

// SignalName()
//
// "SIGCHLD" for 1 to 31, "SIGRT_N" for SIGRTMIN + N up to _NSIG (strace's
// form), the decimal number otherwise.
std::string SignalName(int sig);

// SignalFromName()
//
// The inverse for 1 to 31; nullopt for any other name.
std::optional<int> SignalFromName(std::string_view name);

// FormatCloneFlags()
//
// clone's flags as strace prints them: the CLONE_* names of bits 8 to 31
// joined with '|', then the exit signal's name, then any bits left in hex;
// "0" when nothing is set.
std::string FormatCloneFlags(uint64_t flags);

// ConstantFromName()
//
// Any name of the tables above: a clone flag, a signal, a wait option or
// idtype, an open flag. nullopt for anything else.
std::optional<uint64_t> ConstantFromName(std::string_view name);

}  // namespace forksim

#endif  // FORKSIM_MODEL_KERNEL_NAMES_H_
