#include "lib/host/linux/launcher.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
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
#include <utility>

#include "lib/host/linux/resolve.h"
#include "lib/host/linux/seccomp.h"

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
  step_mount_target,
  step_mount_source,
  step_mount_make,
  step_mount_attach,
  step_special_dirs,
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
  step_proc_mask,
  step_loopback,
  step_rlimits,
  step_affinity,
  step_capabilities,
  step_keyring,
  step_fds,
  step_seccomp,
  step_exec,
};

const char* step_name(int s) {
  static const char* names[] = {
      "join the jail's cgroups",
      "enter the network namespace",
      "setsid",
      "unshare the cgroup namespace",
      "make mounts private",
      "bind-mount the jail's root",
      "chdir into the jail's root",
      "open the mount target below the jail's path",
      "open the mount source",
      "make the mount",
      "attach the mount to its target",
      "check /dev and /proc below the jail's path",
      "mount a tmpfs on /dev",
      "create device nodes in /dev",
      "create /dev symlinks",
      "mount /dev/pts",
      "mount /dev/shm",
      "set the hostname",
      "pivot_root",
      "detach the host's root",
      "mount /proc",
      "make /proc/sys, /proc/irq, /proc/bus, /proc/fs read-only",
      "mask /proc files",
      "bring loopback up",
      "set rlimits",
      "set CPU affinity",
      "drop capabilities",
      "join a session keyring of the jail's own",
      "arrange file descriptors",
      "install the seccomp filter",
      "exec jaild-init",
  };
  static_assert(sizeof names / sizeof names[0] == step_exec + 1, "a name for every step");
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

// A launch_mount as the child takes it: pointers into the parent's strings.
struct child_mount {
  bool bind, read_only;
  const char* source;
  const char* target;
  const char* const* keys;  // tmpfs: fsconfig keys and values, `count` of each
  const char* const* values;
  std::size_t count;
};

// runc's default masks and read-only paths (its spec's maskedPaths and
// readonlyPaths): host-wide state that the jail's procfs would show or let
// jail root change.
constexpr const char* masked_files[] = {"/proc/kcore",         "/proc/keys",
                                        "/proc/latency_stats", "/proc/timer_list",
                                        "/proc/timer_stats",   "/proc/sched_debug"};
constexpr const char* masked_dirs[] = {"/proc/acpi", "/proc/asound", "/proc/scsi"};
constexpr const char* read_only_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                           "/proc/sysrq-trigger"};

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
  const child_mount* mounts;
  std::size_t mount_count;
  const sock_fprog* seccomp;
};

[[noreturn]] void child_fail(const child_plan& p, int step, int index = -1) {
  int report[3] = {step, errno, index};
  ssize_t ignored = ::write(p.report_fd, report, sizeof report);
  (void)ignored;
  ::_exit(127);
}

// The fstab mounts, in the jail's mount namespace (the cwd is its root, a
// mount of its own). Each target is opened beneath the root with no symbolic
// link allowed and the mount is attached to that very fd, so nothing jail
// root placed there can redirect it to a host directory.
void mount_entries(const child_plan& p) {
  constexpr std::uint64_t beneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (std::size_t i = 0; i < p.mount_count; ++i) {
    const child_mount& m = p.mounts[i];
    const int index = static_cast<int>(i);
    const int target = openat2_raw(AT_FDCWD, m.target, O_PATH | O_CLOEXEC, 0, beneath);
    if (target < 0) child_fail(p, step_mount_target, index);
    int tree = -1;
    if (m.bind) {
      tree = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, m.source,
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
      if (tree < 0) child_fail(p, step_mount_source, index);
      if (m.read_only) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                      sizeof attr) != 0)
          child_fail(p, step_mount_make, index);
      }
    } else {
      const int fs = static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
      if (fs < 0) child_fail(p, step_mount_make, index);
      for (std::size_t k = 0; k < m.count; ++k)
        if (::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, m.keys[k], m.values[k], 0) != 0)
          child_fail(p, step_mount_make, index);
      if (::syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        child_fail(p, step_mount_make, index);
      tree = static_cast<int>(
          ::syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m.read_only ? MOUNT_ATTR_RDONLY : 0)));
      if (tree < 0) child_fail(p, step_mount_make, index);
      ::close(fs);
    }
    if (::syscall(SYS_move_mount, tree, "", target, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      child_fail(p, step_mount_attach, index);
    ::close(tree);
    ::close(target);
  }
}

// /dev and /proc are mounted by path below: both must be real directories.
void check_special_dirs(const child_plan& p) {
  constexpr std::uint64_t beneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (const char* d : {"dev", "proc"}) {
    const int fd = openat2_raw(AT_FDCWD, d, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, beneath);
    if (fd < 0) child_fail(p, step_special_dirs);
    ::close(fd);
  }
}

// /proc as runc leaves it: files that show host-wide state covered with
// /dev/null, such directories with an empty read-only tmpfs, and the paths
// through which root changes the host read-only.
void confine_proc(const child_plan& p) {
  for (const char* f : masked_files)
    if (::mount("/dev/null", f, nullptr, MS_BIND, nullptr) != 0 && errno != ENOENT)
      child_fail(p, step_proc_mask);
  for (const char* d : masked_dirs)
    if (::mount("tmpfs", d, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0 &&
        errno != ENOENT)
      child_fail(p, step_proc_mask);
  for (const char* ro : read_only_paths) {
    if (::mount(ro, ro, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;  // a kernel without magic SysRq, say
      child_fail(p, step_proc_readonly);
    }
    if (::mount(nullptr, ro, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                nullptr) != 0)
      child_fail(p, step_proc_readonly);
  }
}

// Jail root keeps its bounding set and nothing inheritable: after the exec
// of init, root's permitted and effective sets are exactly the bounding set.
void confine_capabilities(const child_plan& p) {
  for (std::size_t i = 0; i < p.drop_count; ++i)
    if (::prctl(PR_CAPBSET_DROP, p.drop[i], 0, 0, 0) != 0) child_fail(p, step_capabilities);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    child_fail(p, step_capabilities);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) child_fail(p, step_capabilities);
  for (auto& d : data) d.inheritable = 0;
  if (::syscall(SYS_capset, &header, data) != 0) child_fail(p, step_capabilities);
}

// Moves fd to a number >= 10 (so that arranging 0..3 cannot clobber it).
int high(int fd) {
  return fd < 0 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

// Closes every descriptor but those in keep[0..n) (n at most 80; the array is
// sorted in place). Async-signal-safe: the child of clone3 calls it first,
// so that nothing of jaild's (a listener, a connection, the state
// directory's lock) outlives jaild in a child that has not exec'd yet, if
// jaild is killed meanwhile.
void close_all_except(int* keep, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i)  // insertion sort: no allocation
    for (std::size_t j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  unsigned next = 3;  // 0-2 are placed later
  for (std::size_t i = 0; i < n; ++i) {
    if (keep[i] < static_cast<int>(next)) continue;
    if (static_cast<unsigned>(keep[i]) > next)
      ::close_range(next, static_cast<unsigned>(keep[i]) - 1, 0);
    next = static_cast<unsigned>(keep[i]) + 1;
  }
  ::close_range(next, ~0u, 0);
}

[[noreturn]] void child_main(child_plan p) {
  {
    int keep[80];
    std::size_t n = 0;
    for (int fd : {p.report_fd, p.init_fd, p.status_fd, p.console_fd, p.netns_fd})
      if (fd >= 0) keep[n++] = fd;
    for (std::size_t i = 0; i < p.join_count && n < 80; ++i) keep[n++] = p.join[i];
    close_all_except(keep, n);
  }
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
  mount_entries(p);
  check_special_dirs(p);

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
  confine_proc(p);

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
  confine_capabilities(p);
  // The host's session keyring is jaild's: the jail gets an empty one.
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0) child_fail(p, step_keyring);

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
  // Last: the filter refuses mount and keyctl, which came before.
  if (p.seccomp && ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p.seccomp) != 0)
    child_fail(p, step_seccomp);
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
  // The mounts' strings stay in `o`; these arrays point into them.
  std::vector<child_mount> mounts;
  std::vector<std::vector<const char*>> keys, values;
  for (const auto& m : o.mounts) {
    auto& k = keys.emplace_back();
    auto& v = values.emplace_back();
    for (const auto& [key, value] : m.options) {
      k.push_back(key.c_str());
      v.push_back(value.c_str());
    }
    mounts.push_back(
        {m.bind, m.read_only, m.source.c_str(), m.target.c_str(), k.data(), v.data(), k.size()});
  }
  plan.mounts = mounts.data();
  plan.mount_count = mounts.size();
  sock_fprog filter{};
  if (o.seccomp) {
    filter = o.seccomp->fprog();
    plan.seccomp = &filter;
  }

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

  int child_report[3] = {0, 0, -1};
  ssize_t n;
  do {
    n = ::read(report_read.get(), child_report, sizeof child_report);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return out;  // the report pipe closed on exec: init runs
  abandon();
  if (n != static_cast<ssize_t>(sizeof child_report))
    throw launch_error(EIO, "the jail's init ended before it started");
  std::string what = std::string("in the jail's init: ") + step_name(child_report[0]);
  const int index = child_report[2];
  if (index >= 0 && static_cast<std::size_t>(index) < o.mounts.size()) {
    const auto& m = o.mounts[static_cast<std::size_t>(index)];
    what += " (" + (m.bind ? m.source + " on " : std::string("tmpfs on ")) + m.target + ")";
    if (child_report[0] == step_mount_target)
      what = "mount " + below_error(m.target, child_report[1]);
  } else if (child_report[0] == step_special_dirs) {
    what = "/dev or /proc below the jail's path: " + below_error("dev or proc", child_report[1]);
  }
  throw launch_error(child_report[1], what);
}

}  // namespace jaild::host::linux_host
