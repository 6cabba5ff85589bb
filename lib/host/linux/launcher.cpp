#include "lib/host/linux/launcher.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jaild::host::linux_host {
namespace {

// Steps of the child, for the error message. Order matters only for reading.
enum child_step : int {
  step_join_cgroups,
  step_netns,
  step_setsid,
  step_cgroupns,
  step_private,
  step_bind_root,
  step_chdir_root,
  step_dev_tmpfs,
  step_dev_nodes,
  step_dev_links,
  step_devpts,
  step_shm,
  step_hostname,
  step_pivot_root,
  step_umount_old,
  step_proc,
  step_proc_readonly,
  step_loopback,
  step_rlimits,
  step_affinity,
  step_capabilities,
  step_fds,
  step_exec,
};

const char* step_name(int s) {
  static const char* names[] = {
      "join the jail's cgroups",
      "setsid",
      "unshare the cgroup namespace",
      "make mounts private",
      "bind-mount the jail's root",
      "chdir into the jail's root",
      "mount a tmpfs on /dev",
      "create device nodes in /dev",
      "create /dev symlinks",
      "mount /dev/pts",
      "mount /dev/shm",
      "set the hostname",
      "pivot_root",
      "detach the host's root",
      "mount /proc",
      "make /proc/sys read-only",
      "bring loopback up",
      "set rlimits",
      "set CPU affinity",
      "drop capabilities",
      "arrange file descriptors",
      "exec jaild-init",
  };
  return s >= 0 && s <= step_exec ? names[s] : "unknown step";
}

struct device {
  const char* name;
  unsigned major, minor;
};
constexpr device devices[] = {{"dev/null", 1, 3},   {"dev/zero", 1, 5},    {"dev/full", 1, 7},
                              {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
struct link_entry {
  const char* target;
  const char* path;
};
constexpr link_entry links[] = {{"/proc/self/fd", "dev/fd"},
                                {"/proc/self/fd/0", "dev/stdin"},
                                {"/proc/self/fd/1", "dev/stdout"},
                                {"/proc/self/fd/2", "dev/stderr"},
                                {"pts/ptmx", "dev/ptmx"}};

// Everything the child needs, made in the parent: no allocation after clone3.
struct child_plan {
  int report_fd, init_fd, status_fd, console_fd, netns_fd;
  const int* join;
  std::size_t join_count;
  const char* root;
  const char* hostname;
  std::size_t hostname_len;
  bool new_netns;
  char* const* argv;
  char* const* envp;
  bool set_affinity;
  cpu_set_t cpus;
  bool set_nofile, set_as;
  rlimit nofile, as;
  const int* drop;
  std::size_t drop_count;
};

[[noreturn]] void child_fail(const child_plan& p, int step) {
  int report[2] = {step, errno};
  ssize_t ignored = ::write(p.report_fd, report, sizeof report);
  (void)ignored;
  ::_exit(127);
}

// Moves fd to a number >= 10 (so that arranging 0..3 cannot clobber it).
int high(int fd) {
  return fd < 0 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

[[noreturn]] void child_main(child_plan p) {
  p.report_fd = high(p.report_fd);
  for (std::size_t i = 0; i < p.join_count; ++i)
    if (::write(p.join[i], "0", 1) != 1) child_fail(p, step_join_cgroups);
  if (p.netns_fd >= 0 && ::setns(p.netns_fd, CLONE_NEWNET) != 0) child_fail(p, step_netns);
  if (::setsid() < 0) child_fail(p, step_setsid);
  // In its cgroups now: the cgroup namespace made here is rooted there, so
  // the jail sees its own cgroup as "/".
  if (::unshare(CLONE_NEWCGROUP) != 0 && errno != EINVAL) child_fail(p, step_cgroupns);

  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    child_fail(p, step_private);
  // pivot_root needs the new root to be a mount point; MS_REC keeps the
  // admin's mounts below the jail's path.
  if (::mount(p.root, p.root, nullptr, MS_BIND | MS_REC, nullptr) != 0)
    child_fail(p, step_bind_root);
  if (::chdir(p.root) != 0) child_fail(p, step_chdir_root);

  const mode_t old_umask = ::umask(0);
  if (::mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") != 0)
    child_fail(p, step_dev_tmpfs);
  for (const auto& d : devices)
    if (::mknod(d.name, S_IFCHR | 0666, makedev(d.major, d.minor)) != 0)
      child_fail(p, step_dev_nodes);
  for (const auto& l : links)
    if (::symlink(l.target, l.path) != 0) child_fail(p, step_dev_links);
  if (::mkdir("dev/pts", 0755) != 0 || ::mkdir("dev/shm", 01777) != 0)
    child_fail(p, step_dev_links);
  if (::mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620") != 0)
    child_fail(p, step_devpts);
  if (::mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k") != 0)
    child_fail(p, step_shm);
  ::umask(old_umask);

  if (::sethostname(p.hostname, p.hostname_len) != 0) child_fail(p, step_hostname);

  // pivot_root(".", "."): the old root ends up on top of the new one and is
  // detached at once, so the jail needs no directory for it.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) child_fail(p, step_pivot_root);
  if (::umount2(".", MNT_DETACH) != 0) child_fail(p, step_umount_old);
  if (::chdir("/") != 0) child_fail(p, step_umount_old);

  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    child_fail(p, step_proc);
  // Most sysctls are global: jail root must not write them.
  for (const char* ro : {"/proc/sys", "/proc/sysrq-trigger"}) {
    if (::mount(ro, ro, nullptr, MS_BIND, nullptr) != 0) {
      if (errno == ENOENT) continue;  // a kernel without magic SysRq
      child_fail(p, step_proc_readonly);
    }
    if (::mount(nullptr, ro, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                nullptr) != 0)
      child_fail(p, step_proc_readonly);
  }

  if (p.new_netns && p.netns_fd < 0) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "lo", 3);
    if (s < 0 || ::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) child_fail(p, step_loopback);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) child_fail(p, step_loopback);
    ::close(s);
  }

  if (p.set_nofile && ::setrlimit(RLIMIT_NOFILE, &p.nofile) != 0) child_fail(p, step_rlimits);
  if (p.set_as && ::setrlimit(RLIMIT_AS, &p.as) != 0) child_fail(p, step_rlimits);
  if (p.set_affinity && ::sched_setaffinity(0, sizeof p.cpus, &p.cpus) != 0)
    child_fail(p, step_affinity);
  for (std::size_t i = 0; i < p.drop_count; ++i)
    if (::prctl(PR_CAPBSET_DROP, p.drop[i], 0, 0, 0) != 0) child_fail(p, step_capabilities);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    child_fail(p, step_capabilities);

  // fds: 0 = /dev/null (the jail's own now), 1 and 2 = console, 3 = status.
  const int status = high(p.status_fd);
  const int console = high(p.console_fd);
  const int init = high(p.init_fd);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (status < 0 || init < 0 || null < 0) child_fail(p, step_fds);
  if (::dup2(null, 0) < 0 || ::dup2(console >= 0 ? console : null, 1) < 0 ||
      ::dup2(console >= 0 ? console : null, 2) < 0 || ::dup2(status, 3) < 0)
    child_fail(p, step_fds);
  // Nothing of jaild's may leak into the jail.
  if (::close_range(4u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) child_fail(p, step_fds);

  // jaild-init takes every signal with sigwaitinfo. Blocked from here, a
  // SIGTERM that comes before init's first instruction waits for it: as PID 1
  // with the default action it would otherwise be dropped.
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);
  ::syscall(SYS_execveat, init, "", p.argv, p.envp, AT_EMPTY_PATH);
  child_fail(p, step_exec);
}

struct c_strings {
  std::vector<std::string> own;
  std::vector<char*> ptrs;
  explicit c_strings(const std::vector<std::string>& v) : own(v) {
    for (auto& s : own) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
};

}  // namespace

std::string clone_flags_text(bool new_netns, bool made_netns) {
  return std::string("CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC") +
         (new_netns && !made_netns ? "|CLONE_NEWNET" : "") + "|CLONE_PIDFD, then " +
         (made_netns ? "setns(made netns), " : "") + "CLONE_NEWCGROUP";
}

launched launch_jail(const launch_options& o) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) throw launch_error(errno, "pipe");
  unique_fd report_read(report[0]), report_write(report[1]);

  c_strings argv(o.argv), envp(o.env);
  child_plan plan{};
  plan.report_fd = report_write.get();
  plan.join = o.join_fds.data();
  plan.join_count = o.join_fds.size();
  plan.init_fd = o.init_fd;
  plan.status_fd = o.status_fd;
  plan.console_fd = o.console_fd;
  plan.root = o.root.c_str();
  plan.hostname = o.hostname.c_str();
  plan.hostname_len = o.hostname.size();
  plan.new_netns = o.new_netns;
  plan.netns_fd = o.new_netns ? o.netns_fd : -1;
  plan.argv = argv.ptrs.data();
  plan.envp = envp.ptrs.data();
  CPU_ZERO(&plan.cpus);
  plan.set_affinity = !o.cpus.empty();
  for (int c : o.cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(static_cast<std::size_t>(c), &plan.cpus);
  if (o.nofile) {
    plan.set_nofile = true;
    plan.nofile = {static_cast<rlim_t>(*o.nofile), static_cast<rlim_t>(*o.nofile)};
  }
  if (o.address_space) {
    plan.set_as = true;
    plan.as = {static_cast<rlim_t>(*o.address_space), static_cast<rlim_t>(*o.address_space)};
  }
  plan.drop = o.drop_capabilities.data();
  plan.drop_count = o.drop_capabilities.size();

  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD |
               (o.new_netns && o.netns_fd < 0 ? CLONE_NEWNET : 0);
  args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (o.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(o.cgroup_fd);
  }
  long r = ::syscall(SYS_clone3, &args, sizeof args);
  if (r < 0) throw launch_error(errno, "clone3");
  if (r == 0) child_main(plan);

  launched out;
  out.pid = static_cast<pid_t>(r);
  out.pidfd.reset(pidfd);
  report_write.reset();

  auto abandon = [&] {
    ::syscall(SYS_pidfd_send_signal, out.pidfd.get(), SIGKILL, nullptr, 0);
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(out.pidfd.get()), &info, WEXITED);
  };

  int child_report[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(report_read.get(), child_report, sizeof child_report);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return out;  // the report pipe closed on exec: init runs
  abandon();
  if (n != static_cast<ssize_t>(sizeof child_report))
    throw launch_error(EIO, "the jail's init ended before it started");
  throw launch_error(child_report[1],
                     std::string("in the jail's init: ") + step_name(child_report[0]));
}

}  // namespace jaild::host::linux_host
