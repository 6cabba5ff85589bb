#include "lib/host/posix/exec_stream.h"

#include "lib/host/posix/unique_fd.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace jaild::host::posix {
namespace {

[[noreturn]] void system_fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void cloexec(int fd) { ::fcntl(fd, F_SETFD, FD_CLOEXEC); }
void nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void make_pipe(unique_fd& read_end, unique_fd& write_end) {
  int fds[2];
  if (::pipe(fds) != 0) system_fail("pipe");
  cloexec(fds[0]);
  cloexec(fds[1]);
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// ptsname(3) returns a static buffer on some systems: one caller at a time.
std::mutex ptsname_mutex;

class posix_exec_session final : public exec_session {
 public:
  // `ended` is the write end of the pipe whose read end is `exit`.
  posix_exec_session(pid_t pid, int input, int output, int error, int master, int exit,
                     int ended, bool tty)
      : pid_(pid), input_(input), output_(output), error_(error), exit_(exit), master_(master),
        tty_(tty) {
    waiter_ = std::thread([this, ended] {
      // Waits for the end without reaping: the PID stays the child's until
      // reap(), so signal() cannot reach a process that came after it.
      siginfo_t info{};
      while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 &&
             errno == EINTR) {
      }
      {
        std::lock_guard lock(mutex_);
        ended_ = true;
      }
      (void)!::write(ended, "x", 1);
      ::close(ended);
    });
  }

  ~posix_exec_session() override {
    {
      std::lock_guard lock(mutex_);
      if (!reaped_) ::kill(-pid_, SIGKILL);
    }
    waiter_.join();
    {
      std::lock_guard lock(mutex_);
      if (!reaped_) {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
      }
    }
    for (int fd : {input_, output_, error_, master_, exit_})
      if (fd >= 0) ::close(fd);
  }

  streams take_streams() override {
    streams s;
    s.input = std::exchange(input_, -1);
    s.output = std::exchange(output_, -1);
    s.error = std::exchange(error_, -1);
    s.exit = std::exchange(exit_, -1);
    return s;
  }

  void resize(unsigned rows, unsigned cols) override {
    std::lock_guard lock(mutex_);
    if (tty_ && master_ >= 0) set_terminal_size(master_, rows, cols);
  }

  void signal(int sig) override {
    std::lock_guard lock(mutex_);
    // The child's group: the command and what it started in that group
    // (with a TTY, the session leader's group; the terminal's Ctrl-C reaches
    // the foreground job).
    if (!reaped_) ::kill(-pid_, sig);
  }

  std::optional<int> reap() override {
    std::lock_guard lock(mutex_);
    if (reaped_) return status_;
    if (!ended_) return std::nullopt;
    int status = 0;
    pid_t got;
    while ((got = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (got == 0) return std::nullopt;
    reaped_ = true;
    status_ = got < 0 ? 255 : decode_status(status);
    if (master_ >= 0) ::close(std::exchange(master_, -1));
    return status_;
  }

 private:
  const pid_t pid_;
  int input_, output_, error_;  // handed over by take_streams()
  int exit_;                    // readable once the child has ended; handed over
  std::mutex mutex_;
  int master_;                  // guarded by mutex_: a TTY's master kept for resize()
  const bool tty_;
  bool ended_ = false;          // guarded by mutex_: the waiter saw the end
  bool reaped_ = false;         // guarded by mutex_
  int status_ = 0;              // guarded by mutex_
  std::thread waiter_;          // started last: it reads pid_ and mutex_
};

}  // namespace

int set_terminal_size(int master, unsigned rows, unsigned cols) {
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  return ::ioctl(master, TIOCSWINSZ, &ws);
}

std::unique_ptr<exec_session> start_exec_stream(program p, const stream_options& o) {
  unique_fd in_child, out_child, err_child, in_mine, out_mine, err_mine, master_kept;
  p.output_fd = -1;
  p.terminal = o.tty;
  if (o.tty) {
    unique_fd master(::posix_openpt(O_RDWR | O_NOCTTY));
    if (!master) system_fail("posix_openpt");
    cloexec(master.get());
    if (::grantpt(master.get()) != 0) system_fail("grantpt");
    if (::unlockpt(master.get()) != 0) system_fail("unlockpt");
    if (set_terminal_size(master.get(), o.rows, o.cols) != 0) system_fail("TIOCSWINSZ");
    std::string slave_path;
    {
      std::lock_guard lock(ptsname_mutex);
      const char* name = ::ptsname(master.get());
      if (!name) system_fail("ptsname");
      slave_path = name;
    }
    // The host's own /dev (jaild's, never a jail's).
    in_child.reset(::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!in_child) system_fail("open the terminal's slave");
    // Three descriptors of the master: input, output (each waited on by
    // itself) and one kept for resize().
    out_mine.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    master_kept.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    if (!out_mine || !master_kept) system_fail("dup");
    in_mine = std::move(master);
  } else {
    make_pipe(in_child, in_mine);
    make_pipe(out_mine, out_child);
    make_pipe(err_mine, err_child);
  }
  unique_fd exit_read, exit_write;
  make_pipe(exit_read, exit_write);
  const int child_in = in_child.get();
  const int child_out = o.tty ? child_in : out_child.get();
  const int child_err = o.tty ? child_in : err_child.get();
  const pid_t pid = start(p, child_in, child_out, child_err);
  if (pid < 0) system_fail("fork");
  for (const auto* fd : {&in_mine, &out_mine, &err_mine})
    if (*fd) nonblocking(fd->get());
  // From here nothing throws but the thread's start; the session owns it all.
  return std::make_unique<posix_exec_session>(pid, in_mine.release(), out_mine.release(),
                                              err_mine.release(), master_kept.release(),
                                              exit_read.release(), exit_write.release(), o.tty);
}

}  // namespace jaild::host::posix
