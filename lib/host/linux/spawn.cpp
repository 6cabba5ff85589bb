#include "lib/host/linux/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>

#include <algorithm>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace jaild::host::linux_host {
namespace {

using clock_type = std::chrono::steady_clock;

struct c_strings {
  std::vector<std::string> own;
  std::vector<char*> ptrs;
  explicit c_strings(const std::vector<std::string>& v) : own(v) {
    for (auto& s : own) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
};

void say(const char* a, const char* b = "", const char* c = "") {
  for (const char* s : {a, b, c}) {
    ssize_t ignored = ::write(2, s, std::strlen(s));
    (void)ignored;
  }
}

// execve with a PATH search, without allocating (we are a child of a
// multithreaded process).
[[noreturn]] void exec_searching(char* const* argv, char* const* envp) {
  const char* file = argv[0];
  if (std::strchr(file, '/')) {
    ::execve(file, argv, envp);
  } else {
    const char* path = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";
    for (char* const* e = envp; *e; ++e)
      if (std::strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    char buf[4096];
    int saved = ENOENT;
    while (*path) {
      const char* end = std::strchr(path, ':');
      std::size_t len = end ? static_cast<std::size_t>(end - path) : std::strlen(path);
      const std::size_t file_len = std::strlen(file);
      if (len + 1 + file_len + 1 <= sizeof buf) {
        std::memcpy(buf, path, len);
        buf[len] = '/';
        std::memcpy(buf + len + 1, file, file_len + 1);  // with its NUL
        ::execve(buf, argv, envp);
        if (errno != ENOENT && errno != ENOTDIR) saved = errno;
      }
      if (!end) break;
      path = end + 1;
    }
    errno = saved;
  }
  say("jaild: cannot run ", file, errno == ENOENT ? ": not found\n" : ": cannot execute\n");
  ::_exit(127);
}

struct child_fds {
  int in, out, err;
};

// The children here come from a raw clone3 of a multithreaded process, so
// glibc still believes it has the parent's threads: its setuid() and friends
// would signal those threads and wait for them forever (seen as a hung hook
// once jaild had its watcher thread). Raw system calls change the one real
// thread, which is the whole process.
int switch_user(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) {
  if (::syscall(SYS_setgroups, groups.size(), groups.data()) != 0) return -1;
  if (::syscall(SYS_setresgid, gid, gid, gid) != 0) return -1;
  if (::syscall(SYS_setresuid, uid, uid, uid) != 0) return -1;
  return 0;
}

void arrange_fds(const child_fds& f) {
  // Sources are above 2 (pipes made after 0..2 exist), so dup2 cannot clobber.
  if (::dup2(f.in, 0) < 0 || ::dup2(f.out, 1) < 0 || ::dup2(f.err, 2) < 0) ::_exit(126);
  ::close_range(3u, ~0u, CLOSE_RANGE_CLOEXEC);
}

[[noreturn]] void host_child(const child_fds& f, const spawn_request& r, char* const* argv,
                             char* const* envp) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  arrange_fds(f);
  if (r.switch_user && switch_user(r.uid, r.gid, r.groups) != 0) {
    say("jaild: cannot switch to the exec.system_user\n");
    ::_exit(126);
  }
  exec_searching(argv, envp);
}

// Closes every descriptor from 3 up except those in `keep`.
template <typename Fds>
void close_all_but(const Fds& keep) {
  int kept[64];
  std::size_t n = 0;
  for (const auto& fd : keep)
    if (n < 64 && fd.get() > 2) kept[n++] = fd.get();
  std::sort(kept, kept + n);
  unsigned from = 3;
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = static_cast<unsigned>(kept[i]);
    if (k > from) ::close_range(from, k - 1, 0);
    from = k + 1;
  }
  ::close_range(from, ~0u, 0);
}

[[noreturn]] void die(const char* what) {
  say("jaild: cannot enter the jail: ", what, "\n");
  ::_exit(126);
}

// The process that enters the jail. A PID namespace applies to children
// only, so this one enters and forks the command; it stays outside the
// jail's cgroups (it does not count against maxproc) and passes the
// command's exit status on.
[[noreturn]] void jail_child(const child_fds& f, const jail_entry& j, char* const* argv,
                             char* const* envp) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  arrange_fds(f);
  if (::setns(j.pidfd.get(), CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                                 CLONE_NEWNET | CLONE_NEWCGROUP) != 0)
    die("setns");
  if (::fchdir(j.root.get()) != 0 || ::chroot(".") != 0) die("chroot");
  // This process waits for the command and never execs, so close-on-exec
  // does not help: jaild's own descriptors (its listening socket, its
  // database, its state lock) must not outlive jaild here. Keep only what the
  // command's process still needs.
  close_all_but(j.cgroup_procs);
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) die("fork");
  if (pid == 0) {
    for (const auto& fd : j.cgroup_procs)
      if (::write(fd.get(), "0", 1) != 1) die("join the jail's cgroups");
    if (j.nofile) {
      rlimit r{static_cast<rlim_t>(*j.nofile), static_cast<rlim_t>(*j.nofile)};
      if (::setrlimit(RLIMIT_NOFILE, &r) != 0) die("RLIMIT_NOFILE");
    }
    if (j.address_space) {
      rlimit r{static_cast<rlim_t>(*j.address_space), static_cast<rlim_t>(*j.address_space)};
      if (::setrlimit(RLIMIT_AS, &r) != 0) die("RLIMIT_AS");
    }
    if (j.set_affinity && ::sched_setaffinity(0, sizeof j.cpus, &j.cpus) != 0) die("affinity");
    for (int cap : j.drop_capabilities)
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) die("capabilities");
    if (switch_user(j.uid, j.gid, j.groups) != 0) die("user");
    if (::chdir(j.cwd.c_str()) != 0) {
      say("jaild: cannot chdir to ", j.cwd.c_str(), "\n");
      ::_exit(126);
    }
    ::close_range(3u, ~0u, 0);
    exec_searching(argv, envp);
  }
  int status = 0;
  while (::waitpid(static_cast<pid_t>(pid), &status, 0) < 0)
    if (errno != EINTR) ::_exit(126);
  if (WIFSIGNALED(status)) ::_exit(128 + WTERMSIG(status));
  ::_exit(WEXITSTATUS(status));
}

void append(std::string& to, const char* data, std::size_t n, std::size_t limit) {
  if (to.size() < limit) to.append(data, std::min(n, limit - to.size()));
}

}  // namespace

spawn_result run_process(const spawn_request& r) {
  if (r.argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty argv");
  const auto start = clock_type::now();
  c_strings argv(r.argv), envp(r.env);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  unique_fd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  unique_fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  unique_fd err_r(err[0]), err_w(err[1]);
  const child_fds fds{in_r.get(), out_w.get(), err_w.get()};

  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "clone3");
  if (pid == 0) {
    if (r.jail) jail_child(fds, *r.jail, argv.ptrs.data(), envp.ptrs.data());
    host_child(fds, r, argv.ptrs.data(), envp.ptrs.data());
  }
  unique_fd child(pidfd);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  // A child that sets its own process group races with a kill at the
  // deadline; setting it here too closes the race.
  ::setpgid(static_cast<pid_t>(pid), static_cast<pid_t>(pid));

  for (int fd : {in_w.get(), out_r.get(), err_r.get()})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (r.input.empty()) in_w.reset();

  spawn_result result;
  std::size_t written = 0;
  const auto deadline = start + r.timeout;
  bool exited = false;
  char buf[16384];
  auto drain = [&](unique_fd& fd, std::string& to) {
    while (fd) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        append(to, buf, static_cast<std::size_t>(n), r.output_limit);
        if (r.tee_fd >= 0) {
          ssize_t ignored = ::write(r.tee_fd, buf, static_cast<std::size_t>(n));
          (void)ignored;
        }
        continue;
      }
      if (n == 0) fd.reset();
      return;  // EAGAIN or EOF
    }
  };

  while (!exited) {
    pollfd p[4];
    nfds_t count = 0;
    p[count++] = {child.get(), POLLIN, 0};
    if (out_r) p[count++] = {out_r.get(), POLLIN, 0};
    if (err_r) p[count++] = {err_r.get(), POLLIN, 0};
    if (in_w) p[count++] = {in_w.get(), POLLOUT, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) {
      // The whole process group: a hook's own children go with it.
      ::kill(-static_cast<pid_t>(pid), SIGKILL);
      ::syscall(SYS_pidfd_send_signal, child.get(), SIGKILL, nullptr, 0);
      result.timed_out = true;
      break;
    }
    int n = ::poll(p, count, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    for (nfds_t i = 0; i < count && n > 0; ++i) {
      if (!p[i].revents) continue;
      if (p[i].fd == child.get())
        exited = true;
      else if (p[i].fd == out_r.get())
        drain(out_r, result.output);
      else if (p[i].fd == err_r.get())
        drain(err_r, result.error);
      else if (p[i].fd == in_w.get()) {
        ssize_t w = ::write(in_w.get(), r.input.data() + written, r.input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN) in_w.reset();
        if (written == r.input.size()) in_w.reset();
      }
    }
  }
  // What the command wrote before it ended is in the pipes; a daemon it left
  // behind may hold them open, so read what is there and stop.
  drain(out_r, result.output);
  drain(err_r, result.error);

  siginfo_t info{};
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.get()), &info, WEXITED) !=
             0 &&
         errno == EINTR) {
  }
  if (info.si_code == CLD_EXITED)
    result.exit_code = info.si_status;
  else
    result.exit_code = 128 + info.si_status;
  result.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
  return result;
}

}  // namespace jaild::host::linux_host
