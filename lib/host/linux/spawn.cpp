#include "lib/host/linux/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "lib/host/linux/images.h"
#include "lib/host/linux/seccomp.h"

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

// What the command gets from jaild: an empty signal mask and every signal
// at its default (jaild blocks SIGTERM, SIGINT and SIGHUP and ignores
// SIGPIPE; both would survive the exec).
void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      ::sigaction(sig, &dfl, nullptr);
  }
}

[[noreturn]] void host_child(const child_fds& f, const spawn_request& r, bool terminal,
                             char* const* argv, char* const* envp) {
  if (terminal) {
    if (::setsid() < 0) ::_exit(126);
  } else {
    ::setpgid(0, 0);
  }
  reset_signals();
  arrange_fds(f);
  if (terminal && ::ioctl(0, TIOCSCTTY, 0) != 0) ::_exit(126);
  if (r.switch_user && switch_user(r.uid, r.gid, r.groups) != 0) {
    say("jaild: cannot switch to the exec.system_user\n");
    ::_exit(126);
  }
  exec_searching(argv, envp);
}

// What the child of clone3 needs to exec jaild-enter: its fds in the order
// of the helper's layout, and its argv (made in the parent).
struct enter_plan {
  int image;
  int fds[7];  // 0-2 the pipes, 3 pidfd, 4 root, 5 seccomp (-1: none), 6 report
  const int* cgroups;
  std::size_t cgroup_count;
};

// The child that becomes jaild-enter. It is still on the host (jaild's
// namespaces), invisible to the jail, until it has exec'd the helper.
[[noreturn]] void jail_child(const enter_plan& p, char* const* argv, char* const* envp) {
  ::setpgid(0, 0);
  reset_signals();
  // Every source to a high number first, so that placing them cannot clobber one.
  int high[7 + 64];
  const std::size_t count = 7 + std::min<std::size_t>(p.cgroup_count, 64);
  for (std::size_t i = 0; i < count; ++i) {
    const int src = i < 7 ? p.fds[i] : p.cgroups[i - 7];
    high[i] = src < 0 ? -1 : ::fcntl(src, F_DUPFD_CLOEXEC, 100);
    if (src >= 0 && high[i] < 0) ::_exit(126);
  }
  // The image too: its number may be one of the places below.
  const int image = ::fcntl(p.image, F_DUPFD_CLOEXEC, 100);
  if (image < 0) ::_exit(126);
  for (std::size_t i = 0; i < count; ++i)
    if (high[i] >= 0 && ::dup2(high[i], static_cast<int>(i)) < 0) ::_exit(126);
  ::close_range(static_cast<unsigned>(count), ~0u, CLOSE_RANGE_CLOEXEC);
  ::syscall(SYS_execveat, image, "", argv, envp, AT_EMPTY_PATH);
  say("jaild: cannot start jaild-enter\n");
  ::_exit(126);
}

// jaild-enter's argv for an entry and a command.
std::vector<std::string> enter_argv(const jail_entry& j, const std::vector<std::string>& command) {
  std::vector<std::string> a{"jaild-enter"};
  a.push_back("cgroups=" + std::to_string(j.cgroup_procs.size()));
  char caps[32];
  std::snprintf(caps, sizeof caps, "caps=%llx", static_cast<unsigned long long>(j.capabilities));
  a.emplace_back(caps);
  a.push_back(std::string("seccomp=") + (j.seccomp ? "1" : "0"));
  a.push_back(std::string("nnp=") + (j.no_new_privs ? "1" : "0"));
  a.push_back("user=" + j.user);
  a.push_back("cwd=" + j.cwd);
  a.push_back(std::string("user_env=") + (j.user_env ? "1" : "0"));
  if (j.nofile) a.push_back("nofile=" + std::to_string(*j.nofile));
  if (j.address_space) a.push_back("as=" + std::to_string(*j.address_space));
  if (!j.cpus.empty()) {
    std::string list;
    for (int c : j.cpus) list += (list.empty() ? "" : ",") + std::to_string(c);
    a.push_back("cpus=" + list);
  }
  a.insert(a.end(), j.options.begin(), j.options.end());
  a.emplace_back("--");
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

// Appends what fits below the limit; counts the rest.
void append(std::string& to, std::uint64_t& dropped, const char* data, std::size_t n,
            std::size_t limit) {
  const std::size_t room = to.size() < limit ? limit - to.size() : 0;
  to.append(data, std::min(n, room));
  if (n > room) dropped += n - room;
}

}  // namespace

started_child start_child(const spawn_request& r, int in, int out, int err, int report,
                          bool terminal) {
  if (r.argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty argv");
  auto fail = [](const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  };
  c_strings argv(r.jail ? enter_argv(*r.jail, r.argv) : r.argv), envp(r.env);
  const child_fds fds{in, out, err};

  enter_plan plan{};
  std::vector<int> cgroup_fds;
  if (r.jail) {
    plan.image = enter_image_fd();
    if (plan.image < 0) fail("jaild-enter memfd");
    plan.fds[0] = in;
    plan.fds[1] = out;
    plan.fds[2] = err;
    plan.fds[3] = r.jail->pidfd.get();
    plan.fds[4] = r.jail->root.get();
    plan.fds[5] = r.jail->seccomp ? r.jail->seccomp->memfd() : -1;
    plan.fds[6] = report;
    for (const auto& fd : r.jail->cgroup_procs) cgroup_fds.push_back(fd.get());
    plan.cgroups = cgroup_fds.data();
    plan.cgroup_count = cgroup_fds.size();
  }

  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) fail("clone3");
  if (pid == 0) {
    if (r.jail) jail_child(plan, argv.ptrs.data(), envp.ptrs.data());
    host_child(fds, r, terminal, argv.ptrs.data(), envp.ptrs.data());
  }
  started_child child;
  child.pid = static_cast<pid_t>(pid);
  child.pidfd.reset(pidfd);
  // A child that sets its own process group races with a kill at the
  // deadline; setting it here too closes the race (a session leader has
  // one already).
  if (!terminal) ::setpgid(child.pid, child.pid);
  return child;
}

spawn_result run_process(const spawn_request& r) {
  const auto start = clock_type::now();
  auto fail = [](const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  };
  int in[2], out[2], err[2], report[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0) fail("pipe");
  unique_fd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) fail("pipe");
  unique_fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) fail("pipe");
  unique_fd err_r(err[0]), err_w(err[1]);
  if (r.jail && ::pipe2(report, O_CLOEXEC) != 0) fail("pipe");
  unique_fd report_r(report[0]), report_w(report[1]);

  auto started = start_child(r, in_r.get(), out_w.get(), err_w.get(), report_w.get());
  const long pid = started.pid;
  unique_fd child = std::move(started.pidfd);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  report_w.reset();

  for (int fd : {in_w.get(), out_r.get(), err_r.get(), report_r.get()})
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (r.input.empty()) in_w.reset();

  spawn_result result;
  std::string report_text;
  std::uint64_t report_dropped = 0;
  std::size_t written = 0;
  const auto deadline = start + r.timeout;
  bool exited = false;
  char buf[16384];
  auto drain = [&](unique_fd& fd, std::string& to, std::uint64_t& dropped, bool tee) {
    while (fd) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        append(to, dropped, buf, static_cast<std::size_t>(n), r.output_limit);
        if (tee && r.on_output) r.on_output(std::string_view(buf, static_cast<std::size_t>(n)));
        continue;
      }
      if (n == 0) fd.reset();
      return;  // EAGAIN or EOF
    }
  };

  while (!exited) {
    pollfd p[5];
    nfds_t count = 0;
    p[count++] = {child.get(), POLLIN, 0};
    if (out_r) p[count++] = {out_r.get(), POLLIN, 0};
    if (err_r) p[count++] = {err_r.get(), POLLIN, 0};
    if (report_r) p[count++] = {report_r.get(), POLLIN, 0};
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
    if (n < 0 && errno != EINTR) fail("poll");
    for (nfds_t i = 0; i < count && n > 0; ++i) {
      if (!p[i].revents) continue;
      if (p[i].fd == child.get())
        exited = true;
      else if (p[i].fd == out_r.get())
        drain(out_r, result.output, result.output_dropped, true);
      else if (p[i].fd == err_r.get())
        drain(err_r, result.error, result.error_dropped, true);
      else if (p[i].fd == report_r.get())
        drain(report_r, report_text, report_dropped, false);
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
  drain(out_r, result.output, result.output_dropped, true);
  drain(err_r, result.error, result.error_dropped, true);
  drain(report_r, report_text, report_dropped, false);

  siginfo_t info{};
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.get()), &info, WEXITED) !=
             0 &&
         errno == EINTR) {
  }
  if (info.si_code == CLD_EXITED)
    result.exit_code = info.si_status;
  else
    result.exit_code = 128 + info.si_status;
  // jaild-enter's one line: "KIND: message".
  if (!report_text.empty()) {
    if (report_text.back() == '\n') report_text.pop_back();
    const auto colon = report_text.find(": ");
    result.entry_kind = colon == std::string::npos ? "enter" : report_text.substr(0, colon);
    result.entry_error = colon == std::string::npos ? report_text : report_text.substr(colon + 2);
  }
  result.duration =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
  return result;
}

}  // namespace jaild::host::linux_host
