#include "lib/host/linux/exec_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include "lib/host/posix/exec_stream.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

[[noreturn]] void system_fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_nonblocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

class linux_exec_session final : public exec_session {
 public:
  linux_exec_session(started_child child, unique_fd input, unique_fd output, unique_fd error,
                     bool tty)
      : child_(std::move(child)),
        input_(std::move(input)),
        output_(std::move(output)),
        error_(std::move(error)),
        tty_(tty) {}

  ~linux_exec_session() override {
    if (master_ >= 0) ::close(master_);
    if (reaped_) return;
    ::syscall(SYS_pidfd_send_signal, child_.pidfd.get(), SIGKILL, nullptr, 0);
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child_.pidfd.get()), &info,
                    WEXITED) != 0 &&
           errno == EINTR) {
    }
  }

  streams take_streams() override {
    streams s;
    s.exit = ::fcntl(child_.pidfd.get(), F_DUPFD_CLOEXEC, 3);
    if (tty_) {
      // The master, for both directions (two descriptors, so that each can
      // be waited on by itself), and one kept here for resize() until the
      // command has ended.
      s.input = output_.release();
      s.output = ::fcntl(s.input, F_DUPFD_CLOEXEC, 3);
      master_ = ::fcntl(s.input, F_DUPFD_CLOEXEC, 3);
    } else {
      s.input = input_.release();
      s.output = output_.release();
      s.error = error_.release();
    }
    return s;
  }

  void resize(unsigned rows, unsigned cols) override {
    if (tty_ && master_ >= 0) posix::set_terminal_size(master_, rows, cols);
  }

  void signal(int sig) override {
    if (reaped_) return;
    ::syscall(SYS_pidfd_send_signal, child_.pidfd.get(), sig, nullptr, 0);
  }

  std::optional<int> reap() override {
    if (reaped_) return status_;
    siginfo_t info{};
    info.si_pid = 0;
    const int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child_.pidfd.get()),
                           &info, WEXITED | WNOHANG);
    // ECHILD: reaped by someone else (nothing in jaild does); the status is lost.
    if (r != 0 && errno != ECHILD) return std::nullopt;
    if (r == 0 && info.si_pid == 0) return std::nullopt;
    reaped_ = true;
    status_ = r != 0 ? 255 : info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
    if (master_ >= 0) {
      ::close(master_);
      master_ = -1;
    }
    return status_;
  }

 private:
  started_child child_;
  unique_fd input_, output_, error_;
  bool tty_;
  int master_ = -1;  // a TTY's master, for resize(), once the streams are taken
  bool reaped_ = false;
  int status_ = 0;
};

// Reads jaild-enter's report until the pipe closes (the command was
// exec'd, or the entry failed and said why); throws the entry's error.
void await_entry(int report) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[1024];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw error(errc::host_failure,
                  "entering the jail took longer than 10 s (a process of the jail stopped "
                  "jaild-enter's child?)");
    pollfd p{report, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) system_fail("poll");
    if (n <= 0) continue;
    const ssize_t got = ::read(report, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;
    if (text.size() < 4096) text.append(buf, static_cast<std::size_t>(got));
  }
  if (text.empty()) return;
  if (text.back() == '\n') text.pop_back();
  const auto colon = text.find(": ");
  const std::string kind = colon == std::string::npos ? "enter" : text.substr(0, colon);
  const std::string why = colon == std::string::npos ? text : text.substr(colon + 2);
  if (kind == "user") throw error(errc::invalid_value, why, "/user");
  if (kind == "cwd") throw error(errc::invalid_value, why, "/cwd");
  throw error(errc::host_failure, "cannot enter the jail: " + why);
}

}  // namespace

std::unique_ptr<exec_session> start_exec_stream(spawn_request r, stream_options o) {
  unique_fd in_child, out_child, err_child, in_mine, out_mine, err_mine;
  if (o.tty) {
    // The host's devpts: the master stays in jaild, the slave goes to the
    // child (jaild-enter makes it the controlling terminal in the jail).
    unique_fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) system_fail("posix_openpt");
    if (::unlockpt(master.get()) != 0) system_fail("unlockpt");
    if (posix::set_terminal_size(master.get(), o.rows, o.cols) != 0) system_fail("TIOCSWINSZ");
    // The slave by the master's own descriptor, never by a path.
    unique_fd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) system_fail("TIOCGPTPEER");
    const int s = slave.get();
    in_child = std::move(slave);
    out_child.reset(::fcntl(s, F_DUPFD_CLOEXEC, 3));
    err_child.reset(::fcntl(s, F_DUPFD_CLOEXEC, 3));
    if (!out_child || !err_child) system_fail("dup");
    out_mine = std::move(master);
  } else {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) system_fail("pipe");
    in_child.reset(in[0]);
    in_mine.reset(in[1]);
    if (::pipe2(out, O_CLOEXEC) != 0) system_fail("pipe");
    out_mine.reset(out[0]);
    out_child.reset(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) system_fail("pipe");
    err_mine.reset(err[0]);
    err_child.reset(err[1]);
  }
  int report[2] = {-1, -1};
  if (r.jail && ::pipe2(report, O_CLOEXEC) != 0) system_fail("pipe");
  unique_fd report_r(report[0]), report_w(report[1]);

  auto child = start_child(r, in_child.get(), out_child.get(), err_child.get(), report_w.get(),
                           o.tty && !r.jail);
  in_child.reset();
  out_child.reset();
  err_child.reset();
  report_w.reset();
  for (const auto& fd : {in_mine.get(), out_mine.get(), err_mine.get()}) set_nonblocking(fd);
  auto session = std::make_unique<linux_exec_session>(std::move(child), std::move(in_mine),
                                                      std::move(out_mine), std::move(err_mine),
                                                      o.tty);
  // The session's destructor kills and reaps jaild-enter if this throws.
  if (report_r) await_entry(report_r.get());
  return session;
}

}  // namespace jaild::host::linux_host
