/* probe: what the process that runs it may do, as key=value lines on stdout.
   The confinement tests run it inside jails (as an exec, a hook and a jail's
   command) and compare each line with the profile the jail should have.

     capeff= capprm= capbnd= capinh= capamb= nonewprivs= seccomp=   /proc/self/status
     KEY=ok or KEY=errno:N                                           each attempt below

   Static: it runs inside busybox jails. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <netinet/in.h>
#include <unistd.h>

#ifndef AF_PACKET
#define AF_PACKET 17
#endif

static void result(const char* key, long r) {
  if (r >= 0)
    printf("%s=ok\n", key);
  else
    printf("%s=errno:%d\n", key, errno);
}

static void status_field(const char* key, const char* field) {
  char buf[8192];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) {
    printf("%s=?\n", key);
    return;
  }
  buf[n] = 0;
  char* p = strstr(buf, field);
  char value[64] = "?";
  if (p) sscanf(p + strlen(field), "%63s", value);
  printf("%s=%s\n", key, value);
}

/* Opens and reads a file; ok only when it gave at least one byte. */
static void readable(const char* key, const char* path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    result(key, -1);
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf);
  int err = errno;
  close(fd);
  if (n > 0)
    printf("%s=ok\n", key);
  else if (n == 0)
    printf("%s=empty\n", key);
  else
    printf("%s=errno:%d\n", key, err);
}

/* unshare(flags) in a child; the result as the child saw it. */
static void in_child(const char* key, int flags) {
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(flags) == 0 ? 0 : (errno & 0x7f) + 1);
  int st = 0;
  waitpid(pid, &st, 0);
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
  if (code == 0)
    printf("%s=ok\n", key);
  else
    printf("%s=errno:%d\n", key, code - 1);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  status_field("capeff", "CapEff:\t");
  status_field("capprm", "CapPrm:\t");
  status_field("capbnd", "CapBnd:\t");
  status_field("capinh", "CapInh:\t");
  status_field("capamb", "CapAmb:\t");
  status_field("nonewprivs", "NoNewPrivs:\t");
  status_field("seccomp", "Seccomp:\t");

  /* The kernel keyring is not namespaced: a key in @u is the host root's. */
  long key = syscall(SYS_add_key, "user", "jaild-probe", "x", 1, KEY_SPEC_USER_KEYRING);
  result("add_key_user", key);
  if (key >= 0) syscall(SYS_keyctl, KEYCTL_UNLINK, key, KEY_SPEC_USER_KEYRING);
  long session = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (session >= 0)
    printf("session_keyring=%ld\n", session);
  else
    printf("session_keyring=errno:%d\n", errno);

  struct {
    unsigned int bytes;
    int type;
    unsigned char f[8];
  } handle = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
  result("open_by_handle", syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY));
  /* In children: a namespace that one of these made would change what the
     attempts after it find. */
  in_child("unshare_user", CLONE_NEWUSER);
  in_child("unshare_ns", CLONE_NEWNS);
  result("mount_tmpfs", mount("none", "/mnt", "tmpfs", 0, NULL));
  result("mknod_null", mknod("/tmp/probe-null", S_IFCHR | 0600, makedev(1, 3)));
  unlink("/tmp/probe-null");
  result("af_packet", socket(AF_PACKET, SOCK_RAW, 0));
  result("raw_icmp", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  unsigned char uring[120] = {0};
  result("io_uring", syscall(425 /* io_uring_setup */, 1, uring));
  result("bpf", syscall(SYS_bpf, 0, NULL, 0));
  long traced = ptrace(PTRACE_ATTACH, 1, 0, 0);
  result("ptrace_init", traced);
  if (traced == 0) ptrace(PTRACE_DETACH, 1, 0, 0);
  result("clone3", syscall(435 /* clone3 */, NULL, 0));

  readable("proc_keys", "/proc/keys");
  readable("proc_timer_list", "/proc/timer_list");
  readable("proc_kcore", "/proc/kcore");
  readable("proc_sched_debug", "/proc/sched_debug");
  result("write_irq_affinity", open("/proc/irq/default_smp_affinity", O_WRONLY));
  result("write_sysrq", open("/proc/sysrq-trigger", O_WRONLY));
  result("write_sys", open("/proc/sys/kernel/hostname", O_WRONLY));
  return 0;
}
