// The host side of `forksim hostcheck`: runs clone-family syscalls on the
// running kernel exactly as a case describes them and reports what the
// kernel returned and left in memory. Built twice, as an x86-64 and as an
// ia32 (-m32) program; forksim writes the cases to its stdin and reads one
// result line per case from its stdout.
//
// A case, one directive per line (numbers decimal or 0x-hex, unsigned):
//   case ID NR A0 A1 A2 A3 A4 A5 [pidns]
//   write ADDR HEXBYTES        bytes to put in the scratch pages first
//   observe ADDR SIZE [fd]     a word (4 or 8 bytes) to report afterwards;
//                              "fd": it holds an fd whose close-on-exec
//                              flag is reported too
//   cgroupfd                   open the runner's own cgroup v2 directory
//                              (O_RDONLY|O_DIRECTORY) at fd 3 first
//   reap wait|thread|sibling   how the child is waited for: wait4(pid,
//                              __WALL); a CLONE_THREAD child: until tgkill()
//                              no longer finds it; a CLONE_PARENT child:
//                              until its pidfd polls readable (it exited).
//                              Then (for the last two) a WNOHANG wait4(pid,
//                              __WALL).
//   end
// Each case runs in a fresh runner process (forked; with "pidns" the init of
// a new pid namespace, forked from a runner that unshared one): fds 3 and up
// closed, so the lowest free fd is 3; sixteen scratch pages at 0x10000, rw,
// except 0x13000 (no access) and 0x14000 (read-only, written before it is
// protected); every blockable signal blocked, so a child's exit signal
// cannot kill it. The syscall is one instruction (raw_syscall*.S); a child
// exits at once without touching memory or the stack.
//
// A result, one JSON object per line:
//   {"case":"ID","ret":R,"words":["W1",...],"cloexec":[F1,...],"status":"S"}
// R is the raw return (negative: -errno); each W is the word's value in hex
// after the call and the reap; each F is 1 or 0 (close-on-exec) or null (not
// an open fd of 3 or more, or not asked for); S is the wait status in hex,
// "echild" (wait4 found no such child), "none" (no child to wait for),
// "nocgroup" (no cgroup v2 directory to open: the case did not run), "timeout"
// (the runner did not finish within five seconds) or "lost" (the runner died).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long raw_syscall6(long nr, long a0, long a1, long a2, long a3, long a4,
                  long a5);

enum { kMaxWrites = 64, kMaxObserve = 8, kScratchPages = 16 };
#define kScratch 0x10000UL
#define kPage 4096UL
#define kHolePage 3  // no access
#define kReadOnlyPage 4

struct Write {
  unsigned long addr;
  unsigned char bytes[16384];
  size_t len;
};

struct Observe {
  unsigned long addr;
  int size;
  int fd;
};

struct Case {
  char id[64];
  unsigned long long regs[7];  // nr, a0..a5
  int pidns;
  int cgroupfd;
  enum { kReapWait, kReapThread, kReapSibling } reap;
  struct Write writes[kMaxWrites];
  int nwrites;
  struct Observe observe[kMaxObserve];
  int nobserve;
};

// What the runner reports through the shared page.
struct Result {
  int done;
  long ret;
  unsigned long long words[kMaxObserve];
  int fds[kMaxObserve];  // 1, 0, or -1 (not an open fd)
  char status[32];
};

static int HexNibble(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int ReadCase(struct Case* c) {
  static char line[40000];
  int started = 0;
  memset(c, 0, sizeof(*c));
  while (fgets(line, sizeof(line), stdin) != NULL) {
    char word[32] = {0};
    if (sscanf(line, "%31s", word) != 1) continue;
    if (strcmp(word, "case") == 0) {
      // case ID NR A0..A5 [pidns]: unsigned values, any base strtoull takes.
      char* save = NULL;
      char* tok = strtok_r(line, " \t\n", &save);  // "case"
      tok = strtok_r(NULL, " \t\n", &save);
      // An id is printed inside a JSON string: letters, digits, '/', '.',
      // '_' and '-' only.
      if (tok == NULL || strlen(tok) >= sizeof(c->id) ||
          strspn(tok,
                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789/._-") != strlen(tok)) {
        return -1;
      }
      strcpy(c->id, tok);
      for (int i = 0; i < 7; ++i) {
        tok = strtok_r(NULL, " \t\n", &save);
        if (tok == NULL) return -1;
        char* end = NULL;
        errno = 0;
        c->regs[i] = strtoull(tok, &end, 0);
        if (errno != 0 || *end != '\0') return -1;
      }
      tok = strtok_r(NULL, " \t\n", &save);
      c->pidns = tok != NULL && strcmp(tok, "pidns") == 0;
      started = 1;
    } else if (strcmp(word, "write") == 0 && c->nwrites < kMaxWrites) {
      struct Write* w = &c->writes[c->nwrites++];
      static char hex[33000];
      if (sscanf(line, "write %li %32999s", (long*)&w->addr, hex) != 2) {
        return -1;
      }
      size_t len = strlen(hex) / 2;
      if (len > sizeof(w->bytes)) return -1;
      for (size_t i = 0; i < len; ++i) {
        int hi = HexNibble(hex[2 * i]), lo = HexNibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        w->bytes[i] = (unsigned char)(hi << 4 | lo);
      }
      w->len = len;
    } else if (strcmp(word, "observe") == 0 && c->nobserve < kMaxObserve) {
      struct Observe* o = &c->observe[c->nobserve++];
      char fd[8] = {0};
      int n = sscanf(line, "observe %li %d %7s", (long*)&o->addr, &o->size, fd);
      if (n < 2 || (o->size != 4 && o->size != 8)) return -1;
      o->fd = n == 3 && strcmp(fd, "fd") == 0;
    } else if (strcmp(word, "cgroupfd") == 0) {
      c->cgroupfd = 1;
    } else if (strcmp(word, "reap") == 0) {
      char mode[16] = {0};
      if (sscanf(line, "reap %15s", mode) != 1) return -1;
      if (strcmp(mode, "wait") == 0) {
        c->reap = kReapWait;
      } else if (strcmp(mode, "thread") == 0) {
        c->reap = kReapThread;
      } else if (strcmp(mode, "sibling") == 0) {
        c->reap = kReapSibling;
      } else {
        return -1;
      }
    } else if (strcmp(word, "end") == 0) {
      return started ? 1 : -1;
    } else {
      return -1;
    }
  }
  return 0;
}

static void SetUpScratch(const struct Case* c) {
  void* p = mmap((void*)kScratch, kScratchPages * kPage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void*)kScratch) _exit(120);
  for (int i = 0; i < c->nwrites; ++i) {
    const struct Write* w = &c->writes[i];
    memcpy((void*)w->addr, w->bytes, w->len);
  }
  mprotect((void*)(kScratch + kHolePage * kPage), kPage, PROT_NONE);
  mprotect((void*)(kScratch + kReadOnlyPage * kPage), kPage, PROT_READ);
}

static unsigned long long ReadWord(const struct Observe* o) {
  if (o->size == 4) return *(volatile uint32_t*)o->addr;
  return *(volatile uint64_t*)o->addr;
}

// The runner's own cgroup v2 directory, opened at the lowest free fd: the
// cgroup2 mount (/proc/self/mountinfo) joined with the path of the "0::"
// line of /proc/self/cgroup. -1 if there is none.
static int OpenOwnCgroup(void) {
  char mount[512] = {0}, path[4096] = {0}, line[4096];
  FILE* f = fopen("/proc/self/mountinfo", "r");
  if (f == NULL) return -1;
  while (mount[0] == '\0' && fgets(line, sizeof(line), f) != NULL) {
    char point[512], type[64];
    // ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE OPTIONS
    const char* dash = strstr(line, " - ");
    if (dash == NULL || sscanf(dash, " - %63s", type) != 1) continue;
    if (strcmp(type, "cgroup2") != 0) continue;
    if (sscanf(line, "%*s %*s %*s %*s %511s", point) == 1) {
      snprintf(mount, sizeof(mount), "%s", point);
    }
  }
  fclose(f);
  f = fopen("/proc/self/cgroup", "r");
  if (f == NULL) return -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "0::", 3) == 0) {
      line[strcspn(line, "\n")] = '\0';
      snprintf(path, sizeof(path), "%s", line + 3);
    }
  }
  fclose(f);
  if (mount[0] == '\0' || path[0] == '\0') return -1;
  char dir[sizeof(mount) + sizeof(path)];
  snprintf(dir, sizeof(dir), "%s%s", mount, path);
  return open(dir, O_RDONLY | O_DIRECTORY);
}

// How a child that is not ours to wait for is waited for.
static void AwaitThread(long tid) {
  while (syscall(SYS_tgkill, getpid(), (pid_t)tid, 0) == 0) sched_yield();
}

// Until `pid` (not our child) has exited: its pidfd polls readable then
// (pidfd_open, 5.3), or, on an older kernel, /proc/PID/stat says Z.
static void AwaitZombie(long pid) {
  const int pidfd =
      (int)syscall(434 /* __NR_pidfd_open, both ABIs */, (pid_t)pid, 0);
  if (pidfd >= 0) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    close(pidfd);
    return;
  }
  char path[64], stat[512];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  for (;;) {
    const int fd = open(path, O_RDONLY);
    if (fd < 0) return;  // gone: reaped already
    const ssize_t n = read(fd, stat, sizeof(stat) - 1);
    close(fd);
    if (n <= 0) return;
    stat[n] = '\0';
    // PID (COMM) STATE ...: the state follows the last ')'.
    const char* paren = strrchr(stat, ')');
    if (paren == NULL || paren[1] == '\0' || paren[2] == 'Z' ||
        paren[2] == 'X') {
      return;
    }
    sched_yield();
  }
}

// The runner: the case's caller.
static void RunCase(const struct Case* c, struct Result* r) {
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  if (c->cgroupfd && OpenOwnCgroup() != 3) {
    strcpy(r->status, "nocgroup");
    r->done = 1;
    return;
  }
  SetUpScratch(c);
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  const long ret = raw_syscall6(
      (long)c->regs[0], (long)c->regs[1], (long)c->regs[2], (long)c->regs[3],
      (long)c->regs[4], (long)c->regs[5], (long)c->regs[6]);
  r->ret = ret;
  strcpy(r->status, "none");
  if (ret > 0) {
    int options = __WALL;
    if (c->reap == kReapThread) AwaitThread(ret);
    if (c->reap == kReapSibling) AwaitZombie(ret);
    if (c->reap != kReapWait) options |= WNOHANG;
    int status = 0;
    const pid_t got = waitpid((pid_t)ret, &status, options);
    if (got == (pid_t)ret) {
      snprintf(r->status, sizeof(r->status), "%x", status);
    } else if (got == 0) {
      strcpy(r->status, "running");
    } else {
      strcpy(r->status, "echild");
    }
  }
  // After the wait, so that a child's CLONE_CHILD_CLEARTID or SETTID write
  // is in. fds 0-2 are the executor's pipes, not the call's.
  for (int i = 0; i < c->nobserve; ++i) {
    r->words[i] = ReadWord(&c->observe[i]);
    r->fds[i] = -1;
    if (!c->observe[i].fd || ret <= 0 || r->words[i] < 3) continue;
    const int flags = fcntl((int)r->words[i], F_GETFD);
    if (flags >= 0) r->fds[i] = (flags & FD_CLOEXEC) ? 1 : 0;
  }
  r->done = 1;
}

static void SleepMs(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

// Waits for `pid` up to `ms`, sleeping in sigtimedwait() for the SIGCHLD
// its exit sends (blocked, so it stays pending until taken); kills it if it
// is still there.
static int WaitOrKill(pid_t pid, long ms) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ms / 1000;
  for (;;) {
    int status;
    const pid_t got = waitpid(pid, &status, __WALL | WNOHANG);
    if (got == pid || (got < 0 && errno == ECHILD)) return 0;
    struct timespec now, left;
    clock_gettime(CLOCK_MONOTONIC, &now);
    left.tv_sec = deadline.tv_sec - now.tv_sec;
    left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
    if (left.tv_nsec < 0) {
      left.tv_nsec += 1000000000L;
      left.tv_sec -= 1;
    }
    if (left.tv_sec < 0) break;
    sigtimedwait(&chld, NULL, &left);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, __WALL);
  return -1;
}

// Children a case left to this process (CLONE_PARENT): reaped, or killed.
static void ReapStrays(void) {
  for (long waited = 0; waited < 1000; ++waited) {
    int status;
    const pid_t got = waitpid(-1, &status, __WALL | WNOHANG);
    if (got < 0) return;  // ECHILD: none left
    if (got == 0) SleepMs(1);
  }
  kill(0, SIGKILL);  // should not happen: the case's children exit at once
}

int main(void) {
  // This process may be the parent of a case's CLONE_PARENT child: its exit
  // signal must not kill it either.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  struct Result* r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) return 1;
  static struct Case c;
  int got;
  while ((got = ReadCase(&c)) == 1) {
    memset(r, 0, sizeof(*r));
    fflush(stdout);
    const pid_t runner = fork();
    if (runner == 0) {
      if (c.pidns) {
        if (unshare(CLONE_NEWPID) != 0) _exit(121);
        const pid_t init = fork();
        if (init == 0) {
          RunCase(&c, r);
          _exit(0);
        }
        waitpid(init, NULL, __WALL);
        _exit(0);
      }
      RunCase(&c, r);
      _exit(0);
    }
    const int timed_out = WaitOrKill(runner, 5000) != 0;
    ReapStrays();
    printf("{\"case\":\"%s\",\"ret\":%ld,\"words\":[", c.id, r->ret);
    for (int i = 0; i < c.nobserve; ++i) {
      printf("%s\"%llx\"", i ? "," : "", r->words[i]);
    }
    printf("],\"cloexec\":[");
    for (int i = 0; i < c.nobserve; ++i) {
      printf("%s%s", i ? "," : "",
             r->fds[i] < 0 ? "null" : (r->fds[i] ? "1" : "0"));
    }
    printf("],\"status\":\"%s\"}\n",
           timed_out ? "timeout" : (r->done ? r->status : "lost"));
    fflush(stdout);
  }
  if (got < 0) {
    fprintf(stderr, "executor: malformed case after '%s'\n", c.id);
    return 2;
  }
  return 0;
}
