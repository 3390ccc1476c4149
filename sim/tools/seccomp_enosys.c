// seccomp_enosys SYSCALL_NR PROGRAM ARGS...: runs PROGRAM under a seccomp
// filter that answers syscall SYSCALL_NR with ENOSYS, as a container's
// sandbox does for clone3. For hostcheck_refused_test. The filter does not
// look at the architecture: clone3 is 435 for x86-64 and ia32 alike.

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: seccomp_enosys SYSCALL_NR PROGRAM ARGS...\n");
    return 2;
  }
  const unsigned nr = (unsigned)strtoul(argv[1], NULL, 0);
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("seccomp_enosys: prctl");
    return 2;
  }
  execv(argv[2], argv + 2);
  perror("seccomp_enosys: execv");
  return 2;
}
