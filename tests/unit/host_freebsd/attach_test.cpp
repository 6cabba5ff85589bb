// jaild-attach (attach.h) run for real through the POSIX runner, with a
// stand-in for jail_attach(2): the same path a command takes into a FreeBSD
// jail, minus the one system call.
#include "lib/host/freebsd/attach.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "lib/host/posix/process.h"
#include "tests/unit/host_freebsd/attach_stand_in.h"

using namespace jaild::host;
using namespace jaild::host::freebsd;
using namespace std::chrono_literals;

namespace {

struct attach_run {
  jaild::test::attach_stand_in helper;

  posix::outcome operator()(const attach_request& r, std::vector<std::string> env = {},
                            int image = -1) {
    posix::program p = helper.program(r, std::move(env));
    p.pass_fd = image;
    return posix::run(p, "", 10s);
  }
};

}  // namespace

TEST_CASE("attach: the argv of jaild-attach", "[host_freebsd]") {
  attach_request r;
  r.jid = 7;
  r.user = "www";
  r.cwd = "/var";
  r.argv = {"sh", "-c", "x"};
  CHECK(attach_argv(r) == std::vector<std::string>{"jaild-attach", "jid=7", "user=www", "cwd=/var",
                                                   "image=0", "--", "sh", "-c", "x"});
}

TEST_CASE("attach: enters the jail, changes directory and runs the command", "[host_freebsd]") {
  attach_run run;
  attach_request r;
  r.jid = 42;
  r.cwd = "/tmp";
  r.argv = {"sh", "-c", "pwd"};
  auto out = run(r);
  CHECK(out.status == 0);
  CHECK(out.output == "/tmp\n");
  CHECK(out.error.empty());
}

TEST_CASE("attach: a failed jail_attach runs nothing and says why", "[host_freebsd]") {
  attach_run run;
  attach_request r;
  r.jid = 7;
  r.argv = {"sh", "-c", "echo ran"};
  auto out = run(r);
  CHECK(out.status == 126);
  CHECK(out.output.empty());
  CHECK(out.error.find("jail_attach 7") != std::string::npos);
}

TEST_CASE("attach: the user is looked up after the attach and switched to", "[host_freebsd]") {
  if (::geteuid() != 0) return;  // switching users needs root
  attach_run run;
  attach_request r;
  r.jid = 42;
  r.user = "nobody";
  r.argv = {"sh", "-c", "id -u; echo $HOME"};
  auto out = run(r);
  CHECK(out.status == 0);
  CHECK(out.output.starts_with("65534\n"));
}

TEST_CASE("attach: the user's login class applies, root's does not", "[host_freebsd]") {
  if (::geteuid() != 0) return;  // switching users needs root
  attach_run run;
  attach_request r;
  r.jid = 42;
  r.user = "nobody";
  r.argv = {"sh", "-c", "umask; echo \"$LOGIN_CLASS_OF\""};
  auto out = run(r);
  CHECK(out.status == 0);
  CHECK(out.output == "0027\nnobody\n");
  r.user = "";
  out = run(r);
  CHECK(out.output != "0027\nnobody\n");
  CHECK(out.output.ends_with("\n\n"));  // no class variable for root
}

TEST_CASE("attach: a passwd that is a FIFO is refused, not waited on", "[host_freebsd]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("jaild-attach-etc." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  REQUIRE(::mkfifo((dir / "passwd").c_str(), 0600) == 0);
  attach_run run;
  attach_request r;
  r.jid = 42;
  r.user = "www";
  r.argv = {"true"};
  auto out = run(r, {"JAILD_TEST_ETC=" + dir.string()});
  std::filesystem::remove_all(dir);
  CHECK_FALSE(out.timed_out);
  CHECK(out.status == 126);
  CHECK(out.error.find("user www") != std::string::npos);
}

TEST_CASE("attach: an unknown user runs nothing", "[host_freebsd]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("jaild-attach-etc2." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "passwd") << "root:*:0:0:Charlie &:/root:/bin/sh\n";
  attach_run run;
  attach_request r;
  r.jid = 42;
  r.user = "www";
  r.argv = {"sh", "-c", "echo ran"};
  auto out = run(r, {"JAILD_TEST_ETC=" + dir.string()});
  std::filesystem::remove_all(dir);
  CHECK(out.status == 126);
  CHECK(out.output.empty());
}

TEST_CASE("attach: a host binary runs with no descriptor of the host left", "[host_freebsd]") {
  attach_run run;
  const int image = ::open("/bin/readlink", O_RDONLY | O_CLOEXEC);
  REQUIRE(image >= 0);
  attach_request r;
  r.jid = 42;
  r.image = true;
  for (const char* fd : {"/proc/self/fd/3", "/proc/self/fd/4"}) {
    r.argv = {"readlink", fd};
    auto out = run(r, {}, image);
    CHECK(out.status == 1);  // no such descriptor
    CHECK(out.output.empty());
  }
  ::close(image);
}

TEST_CASE("attach: a program that is not there ends with 127", "[host_freebsd]") {
  attach_run run;
  attach_request r;
  r.jid = 42;
  r.argv = {"jaild-no-such-program"};
  auto out = run(r);
  CHECK(out.status == 127);
  CHECK(out.error.find("cannot run jaild-no-such-program") != std::string::npos);
}
