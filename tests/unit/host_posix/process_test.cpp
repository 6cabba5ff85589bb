// The POSIX process runner (the FreeBSD adapter's) against real processes.
#include "lib/host/posix/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace jaild::host::posix;
using namespace std::chrono_literals;

namespace {

program argv_program(std::vector<std::string> argv) {
  program p;
  p.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  p.candidates = search_path(argv.at(0), p.env);
  p.argv = std::move(argv);
  return p;
}

bool gone(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (::kill(pid, 0) != 0) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// Blocks and ignores what daemon/main.cpp does, for the scope of a test.
struct daemon_signals {
  sigset_t old_mask;
  struct sigaction old_pipe;
  daemon_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
  }
  ~daemon_signals() {
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    sigaction(SIGPIPE, &old_pipe, nullptr);
  }
};

}  // namespace

TEST_CASE("posix run: exit status, stdout, stderr and stdin", "[host_posix]") {
  auto r = run(argv_program({"sh", "-c", "cat; echo oops >&2; exit 3"}), "hello\n", 10s);
  CHECK(r.status == 3);
  CHECK(r.output == "hello\n");
  CHECK(r.error == "oops\n");
  CHECK_FALSE(r.timed_out);
}

TEST_CASE("posix run: a command gets an empty signal mask and no ignored signal", "[host_posix]") {
  daemon_signals as_jaild;
  auto r = run(argv_program({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}), "", 10s);
  CHECK(r.status == 0);
  CHECK(r.output == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("posix run: ends when the command exits, not when its pipes close",
          "[host_posix]") {
  // /etc/rc starting a daemon that keeps stdout: the command is done at once.
  auto r = run(argv_program({"sh", "-c", "sleep 30 & echo $!; echo started"}), "", 20s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status == 0);
  const auto newline = r.output.find('\n');
  REQUIRE(newline != std::string::npos);
  CHECK(r.output.substr(newline + 1) == "started\n");
  const pid_t daemon = static_cast<pid_t>(std::stol(r.output.substr(0, newline)));
  ::kill(daemon, SIGKILL);
  CHECK(gone(daemon));
}

TEST_CASE("posix run: the deadline kills the command's whole process group", "[host_posix]") {
  auto r = run(argv_program({"sh", "-c", "sleep 30 & echo $!; wait"}), "", 500ms);
  CHECK(r.timed_out);
  CHECK(r.status == 128 + SIGKILL);
  const pid_t child = static_cast<pid_t>(std::stol(r.output));
  CHECK(gone(child));
}

TEST_CASE("posix run: the deadline holds with output to a file (exec.consolelog)",
          "[host_posix]") {
  char name[] = "/tmp/jaild-posix-log.XXXXXX";
  const int log = ::mkstemp(name);
  REQUIRE(log >= 0);
  auto p = argv_program({"sh", "-c", "echo to-the-log; exec sleep 30"});
  p.output_fd = log;
  auto r = run(p, "", 500ms);
  CHECK(r.timed_out);
  CHECK(r.output.empty());
  char buf[64] = {};
  CHECK(::pread(log, buf, sizeof buf - 1, 0) > 0);
  CHECK(std::string(buf) == "to-the-log\n");
  ::close(log);
  ::unlink(name);
}

TEST_CASE("posix run: fexecve of a descriptor leaves no descriptor 3 behind", "[host_posix]") {
  const int image = ::open("/bin/readlink", O_RDONLY | O_CLOEXEC);
  REQUIRE(image >= 0);
  program p;
  p.argv = {"readlink", "/proc/self/fd/3"};
  p.exec_fd = image;
  auto r = run(p, "", 10s);
  ::close(image);
  CHECK(r.status == 1);  // no such descriptor
  CHECK(r.output.empty());
}

TEST_CASE("posix run: a program that is not there ends with 127 and says so", "[host_posix]") {
  auto r = run(argv_program({"jaild-no-such-program"}), "", 10s);
  CHECK(r.status == 127);
  CHECK(r.error.find("not found") != std::string::npos);
}

TEST_CASE("posix run: output beyond the limit is dropped, and counted", "[host_posix]") {
  auto r = run(argv_program({"sh", "-c", "head -c 100000 /dev/zero; head -c 1500 /dev/zero >&2"}),
               "", 10s, 1000);
  CHECK(r.status == 0);
  CHECK(r.output.size() == 1000);
  CHECK(r.output_cut == 99000);
  CHECK(r.error.size() == 1000);
  CHECK(r.error_cut == 500);
}

TEST_CASE("posix start: the pid of a child with the given descriptors", "[host_posix]") {
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t pid = start(argv_program({"sh", "-c", "exit 7"}), null_fd, null_fd, null_fd);
  ::close(null_fd);
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(decode_status(status) == 7);
}

TEST_CASE("posix search_path", "[host_posix]") {
  CHECK(search_path("/bin/sh", {}) == std::vector<std::string>{"/bin/sh"});
  CHECK(search_path("sh", {"PATH=/a::/b"}) == std::vector<std::string>{"/a/sh", "/b/sh"});
  CHECK(search_path("sh", {}).front() == "/sbin/sh");
}
