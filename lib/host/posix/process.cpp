#include "lib/host/posix/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#elif defined(__FreeBSD__)
#include <sys/event.h>
#include <sys/time.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace jaild::host::posix {
namespace {

using clock_type = std::chrono::steady_clock;

// The highest signal number to reset in the child.
#if defined(_SIG_MAXSIG)
constexpr int last_signal = _SIG_MAXSIG;  // FreeBSD: sys/signal.h
#else
constexpr int last_signal = NSIG - 1;
#endif

void say(const char* a, const char* b = "", const char* c = "") {
  for (const char* s : {a, b, c}) (void)!::write(2, s, std::strlen(s));
}

// An empty signal mask and every ignored signal back at its default: execve
// keeps both, and a command must be stoppable with SIGTERM and SIGHUP.
void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig <= last_signal; ++sig) {
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      ::sigaction(sig, &dfl, nullptr);
  }
}

// A copy above every place it goes to, so that placing one cannot clobber another.
int high_copy(int fd) {
  if (fd < 0) return -1;
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (copy < 0) ::_exit(126);
  return copy;
}

void place(int from, int to) {
  if (from < 0) {
    from = ::open("/dev/null", O_RDWR);
    if (from < 0) ::_exit(126);
  }
  if (::dup2(from, to) < 0) ::_exit(126);
}

struct prepared {
  c_strings argv, env, candidates;
  explicit prepared(const program& p) : argv(p.argv), env(p.env), candidates(p.candidates) {}
};

// In the child of fork(2): async-signal-safe calls only.
[[noreturn]] void child_main(const program& p, const prepared& c, int in_fd, int out_fd,
                             int err_fd) {
  // A session is a process group of its own too.
  if (!p.terminal)
    ::setpgid(0, 0);
  else if (::setsid() < 0)
    ::_exit(126);
  reset_signals();
  const int in = high_copy(in_fd);
  const int out = high_copy(p.output_fd >= 0 ? p.output_fd : out_fd);
  const int err = high_copy(p.output_fd >= 0 ? p.output_fd : err_fd);
  const int image = high_copy(p.exec_fd);
  const int pass = image >= 0 ? high_copy(p.pass_fd) : -1;
  place(in, 0);
  place(out, 1);
  place(err, 2);
  if (p.terminal && ::ioctl(0, TIOCSCTTY, 0) < 0) ::_exit(126);
  if (image >= 0) {
    // Close-on-exec: fexecve(2) of an ELF binary needs no descriptor after
    // the exec, so the program never holds what it was started from.
    if (::dup2(image, 3) < 0 || ::fcntl(3, F_SETFD, FD_CLOEXEC) < 0) ::_exit(126);
    if (pass >= 0 && ::dup2(pass, 4) < 0) ::_exit(126);  // dup2 clears close-on-exec
    ::closefrom(pass >= 0 ? 5 : 4);
    ::fexecve(3, c.argv.ptrs.data(), c.env.ptrs.data());
    say("jaild: cannot execute ", c.argv.ptrs[0], "\n");
    ::_exit(126);
  }
  ::closefrom(3);
  int saved = ENOENT;
  for (char* const* path = c.candidates.ptrs.data(); *path; ++path) {
    ::execve(*path, c.argv.ptrs.data(), c.env.ptrs.data());
    if (errno != ENOENT && errno != ENOTDIR) saved = errno;
  }
  say("jaild: cannot run ", c.argv.ptrs[0],
      saved == ENOENT ? ": not found\n" : ": cannot execute\n");
  ::_exit(127);
}

pid_t fork_child(const program& p, const prepared& c, int in_fd, int out_fd, int err_fd) {
  const pid_t pid = ::fork();
  if (pid == 0) child_main(p, c, in_fd, out_fd, err_fd);
  // The child sets its own group too; setting it here as well closes the
  // race with a kill of the group at the deadline. Not for a session: its
  // leader must not be a group leader before it calls setsid(2).
  if (pid > 0 && !p.terminal) ::setpgid(pid, pid);
  return pid;
}

bool make_pipe(int fds[2]) {
  // pipe2(2) is newer than the oldest FreeBSD tree the syntax check uses;
  // the child closes everything above 2 (or 3) anyway.
  if (::pipe(fds) < 0) return false;
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

void set_nonblocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A descriptor that polls readable once `pid` (our unreaped child) has
// exited; -1 with *exited set when it is already gone, -1 alone when the
// platform has none (then the caller polls with waitpid(WNOHANG)).
int open_exit_fd(pid_t pid, bool* exited) {
  *exited = false;
#if defined(__linux__) && defined(SYS_pidfd_open)
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
#elif defined(__FreeBSD__)
  // A kqueue is itself pollable: readable once an event is pending.
  const int kq = ::kqueue();
  if (kq < 0) return -1;
  ::fcntl(kq, F_SETFD, FD_CLOEXEC);
  struct kevent ev;
  EV_SET(&ev, static_cast<uintptr_t>(pid), EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0,
         nullptr);
  if (::kevent(kq, &ev, 1, nullptr, 0, nullptr) < 0) {
    // ESRCH: our child, not reaped, that the filter cannot follow: it has exited.
    *exited = errno == ESRCH;
    ::close(kq);
    return -1;
  }
  return kq;
#else
  (void)pid;
  return -1;
#endif
}

// Appends what fits below the limit; counts the rest.
void append(std::string& to, std::uint64_t& cut, const char* data, std::size_t n,
            std::size_t limit) {
  const std::size_t room = to.size() < limit ? limit - to.size() : 0;
  to.append(data, std::min(n, room));
  if (n > room) cut += n - room;
}

}  // namespace

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> search_path(const std::string& argv0,
                                     const std::vector<std::string>& env) {
  if (argv0.find('/') != std::string::npos) return {argv0};
  std::string path = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";
  for (const auto& e : env)
    if (e.starts_with("PATH=")) path = e.substr(5);
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= path.size()) {
    const auto end = std::min(path.find(':', at), path.size());
    if (end > at) out.push_back(path.substr(at, end - at) + "/" + argv0);
    at = end + 1;
  }
  return out;
}

pid_t start(const program& p, int in_fd, int out_fd, int err_fd) {
  if (p.argv.empty()) {
    errno = EINVAL;
    return -1;
  }
  const prepared c(p);
  return fork_child(p, c, in_fd, out_fd, err_fd);
}

outcome run(const program& p, const std::string& input, std::chrono::milliseconds timeout,
            std::size_t output_limit) {
  outcome r;
  const auto start_time = clock_type::now();
  auto failed = [&](const char* what) {
    r.status = -1;
    r.error = std::string(what) + ": " + std::strerror(errno);
    return r;
  };
  if (p.argv.empty()) {
    errno = EINVAL;
    return failed("argv");
  }
  const prepared c(p);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) close_fd(*fd);
  };
  if (!make_pipe(in) || !make_pipe(out) || !make_pipe(err)) {
    auto bad = failed("pipe");
    close_all();
    return bad;
  }
  const pid_t pid = fork_child(p, c, in[0], out[1], err[1]);
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  if (pid < 0) {
    auto bad = failed("fork");
    close_all();
    return bad;
  }
  bool exited = false;
  int exit_fd = open_exit_fd(pid, &exited);
  int status = 0;
  bool reaped = false;
  for (int fd : {in[1], out[0], err[0]}) set_nonblocking(fd);
  if (input.empty()) close_fd(in[1]);

  char buf[16384];
  // Reads what is there now; closes the pipe at EOF.
  auto drain = [&](int& fd, std::string& to, std::uint64_t& cut) {
    for (int reads = 0; fd >= 0 && reads < 256; ++reads) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        append(to, cut, buf, static_cast<std::size_t>(n), output_limit);
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(fd);
      return;
    }
  };
  std::size_t written = 0;
  const auto deadline = start_time + timeout;
  while (!exited) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) {
      // The whole process group: a hook's own children go with it.
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    // Without an exit descriptor, look at the child every 50 ms.
    if (exit_fd < 0) left = std::min(left, std::chrono::milliseconds(50));
    struct pollfd fds[4];
    nfds_t n = 0;
    if (exit_fd >= 0) fds[n++] = {exit_fd, POLLIN, 0};
    if (out[0] >= 0) fds[n++] = {out[0], POLLIN, 0};
    if (err[0] >= 0) fds[n++] = {err[0], POLLIN, 0};
    if (in[1] >= 0) fds[n++] = {in[1], POLLOUT, 0};
    const int ready = ::poll(fds, n, static_cast<int>(left.count()) + 1);
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == exit_fd) {
        exited = true;
      } else if (fds[i].fd == out[0]) {
        drain(out[0], r.output, r.output_cut);
      } else if (fds[i].fd == err[0]) {
        drain(err[0], r.error, r.error_cut);
      } else if (fds[i].fd == in[1]) {
        const ssize_t w = ::write(in[1], input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size())
          close_fd(in[1]);
      }
    }
    if (exit_fd < 0 && !exited) {
      const pid_t got = ::waitpid(pid, &status, WNOHANG);
      if (got == pid) exited = reaped = true;
    }
  }
  // What the command wrote before it ended is in the pipes; a daemon it left
  // behind may hold them open, so read what is there and stop.
  drain(out[0], r.output, r.output_cut);
  drain(err[0], r.error, r.error_cut);
  close_all();
  close_fd(exit_fd);
  while (!reaped) {
    if (::waitpid(pid, &status, 0) == pid) reaped = true;
    else if (errno != EINTR) break;
  }
  r.status = r.timed_out ? 128 + SIGKILL : (reaped ? decode_status(status) : -1);
  r.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() -
                                                                     start_time);
  return r;
}

}  // namespace jaild::host::posix
