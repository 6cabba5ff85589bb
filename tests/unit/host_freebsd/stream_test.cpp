// The FreeBSD streaming exec and signals run for real on this host: the POSIX
// streaming child (posix/exec_stream.h) started as freebsd_system.cpp starts
// it, with jaild-attach's stand-in (JID 42 "exists") as the program: pipes
// and a pseudo-terminal, the session, the login shell, the end seen and
// reaped, and kill= sent from "inside" the jail.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "lib/host/freebsd/attach.h"
#include "lib/host/posix/exec_stream.h"
#include "tests/unit/host_freebsd/attach_stand_in.h"

using namespace jaild::host;
using namespace jaild::host::freebsd;
using namespace std::chrono_literals;

namespace {

using stand_in = jaild::test::attach_stand_in;

// Everything readable on `fd` until it ends (EOF, or EIO: a terminal whose
// slave closed) or `until` is in what was read.
std::string read_all(int fd, const std::string& until = {}, std::chrono::seconds limit = 10s) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    if (!until.empty() && out.find(until) != std::string::npos) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

void write_all(int fd, const std::string& text) {
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

// The exit status, once `exit` is readable.
int status_of(exec_session& s, int exit_fd) {
  pollfd p{exit_fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10'000) == 1);
  auto status = s.reap();
  REQUIRE(status);
  return *status;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("freebsd stream: pipes carry stdin, stdout and stderr apart, the status comes back",
          "[host_freebsd]") {
  stand_in helper;
  attach_request r;
  r.jid = 42;
  r.cwd = "/tmp";
  r.argv = {"sh", "-c", "pwd; cat; echo err >&2; exit 5"};
  auto s = posix::start_exec_stream(helper.program(r), {});
  auto fds = s->take_streams();
  REQUIRE(fds.input >= 0);
  REQUIRE(fds.error >= 0);
  write_all(fds.input, "from the caller\n");
  ::close(fds.input);
  CHECK(read_all(fds.output) == "/tmp\nfrom the caller\n");
  CHECK(read_all(fds.error) == "err\n");
  CHECK(status_of(*s, fds.exit) == 5);
  CHECK(s->reap() == 5);  // once reaped, the status stays
  for (int fd : {fds.output, fds.error, fds.exit}) ::close(fd);
}

TEST_CASE("freebsd stream: a TTY is the controlling terminal of a new session, and resizes",
          "[host_freebsd]") {
  stand_in helper;
  attach_request r;
  r.jid = 42;
  // A session of its own (sid = its pid), a controlling terminal (/dev/tty
  // opens), the size asked for, then the size after resize().
  r.argv = {"sh", "-c",
            "stty size; : </dev/tty && echo ctty; "
            "test \"$(ps -o sid= -p $$ | tr -d ' ')\" = $$ && echo leader; "
            "read go; stty size; exit 7"};
  auto s = posix::start_exec_stream(helper.program(r), {true, 33, 111});
  auto fds = s->take_streams();
  CHECK(fds.error == -1);  // one stream with a terminal
  auto seen = read_all(fds.output, "leader");
  CHECK(seen.find("33 111") != std::string::npos);
  CHECK(seen.find("ctty") != std::string::npos);
  CHECK(seen.find("leader") != std::string::npos);
  s->resize(40, 120);
  write_all(fds.input, "go\n");
  seen = read_all(fds.output, "40 120");
  CHECK(seen.find("40 120") != std::string::npos);
  CHECK(status_of(*s, fds.exit) == 7);
  for (int fd : {fds.input, fds.output, fds.exit}) ::close(fd);
}

TEST_CASE("freebsd stream: login=1 runs the user's shell from the jail's passwd, as jexec -l",
          "[host_freebsd]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("jaild-stream-etc." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "passwd") << "root:*:0:0:Charlie &:" << dir.string() << ":/bin/sh\n";
  stand_in helper;
  attach_request r;
  r.jid = 42;
  r.login = true;
  auto s = posix::start_exec_stream(
      helper.program(r, {"JAILD_TEST_ETC=" + dir.string(), "USER=someone"}), {});
  auto fds = s->take_streams();
  write_all(fds.input, "echo \"$0 $HOME $USER $LOGNAME\"; pwd; exit 3\n");
  ::close(fds.input);
  CHECK(read_all(fds.output) ==
        "-sh " + dir.string() + " root root\n" + dir.string() + "\n");
  CHECK(status_of(*s, fds.exit) == 3);
  std::filesystem::remove_all(dir);
  for (int fd : {fds.output, fds.error, fds.exit}) ::close(fd);
}

TEST_CASE("freebsd stream: signal() reaches the command's group, an ended session leaves "
          "nothing behind",
          "[host_freebsd]") {
  stand_in helper;
  attach_request r;
  r.jid = 42;
  r.argv = {"sh", "-c", "echo $$; sleep 300 & wait"};
  auto s = posix::start_exec_stream(helper.program(r), {});
  auto fds = s->take_streams();
  const auto pid = static_cast<pid_t>(std::stol(read_all(fds.output, "\n")));
  CHECK_FALSE(s->reap());  // still running
  s->signal(SIGTERM);
  CHECK(status_of(*s, fds.exit) == 128 + SIGTERM);
  CHECK_FALSE(alive(pid));
  for (int fd : {fds.input, fds.output, fds.error, fds.exit}) ::close(fd);

  // A session dropped while its command runs: the group killed, the child reaped.
  r.argv = {"sh", "-c", "echo $$; exec sleep 300"};
  s = posix::start_exec_stream(helper.program(r), {true, 24, 80});
  fds = s->take_streams();
  const auto second = static_cast<pid_t>(std::stol(read_all(fds.output, "\n")));
  REQUIRE(alive(second));
  s.reset();
  CHECK_FALSE(alive(second));  // killed and reaped: not even a zombie
  for (int fd : {fds.input, fds.output, fds.exit}) ::close(fd);
}

TEST_CASE("freebsd signal: kill= is sent from inside the jail, no such process is ESRCH",
          "[host_freebsd]") {
  stand_in helper;
  REQUIRE(helper.fd >= 0);
  const pid_t target = ::fork();
  if (target == 0) {
    ::execl("/bin/sleep", "sleep", "300", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  REQUIRE(target > 0);
  std::string why;
  CHECK(attach_kill(helper.fd, 42, target, SIGTERM, &why) == 0);
  int status = 0;
  REQUIRE(::waitpid(target, &status, 0) == target);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  // The PID is gone now: not found, and said.
  CHECK(attach_kill(helper.fd, 42, target, SIGTERM, &why) == ESRCH);
  CHECK(why == "no process " + std::to_string(target) + " in the jail");
  // A jail that cannot be entered: nothing is sent, and why.
  CHECK(attach_kill(helper.fd, 7, target, SIGTERM, &why) == EIO);
  CHECK(why.find("jail_attach 7") != std::string::npos);
}

TEST_CASE("attach: the argv of jaild-attach's login and kill modes", "[host_freebsd]") {
  attach_request r;
  r.jid = 3;
  r.login = true;
  CHECK(attach_argv(r) == std::vector<std::string>{"jaild-attach", "jid=3", "user=", "cwd=/",
                                                   "image=0", "login=1", "--"});
  r.login = false;
  r.kill_signal = 15;
  r.kill_target = -1;
  CHECK(attach_argv(r) == std::vector<std::string>{"jaild-attach", "jid=3", "user=", "cwd=/",
                                                   "image=0", "kill=15", "target=-1", "--"});
}
