// Interactive work on real Linux jails through the API: the buffered exec's
// output cap and full stdin, signals (init, all, one PID, and never a host
// process), and a followed console log.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

json exec(scenario& s, const std::string& jail, const json& body) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name(jail) + "/exec", body.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

std::string sh(scenario& s, const std::string& jail, const std::string& script) {
  return trimmed(exec(s, jail, {{"argv", {"sh", "-c", script}}})["stdout"].get<std::string>());
}

bool alive_in_jail(scenario& s, const std::string& jail, const std::string& pid) {
  return sh(s, jail, "test -d /proc/" + pid + " && echo yes") == "yes";
}

// A plain HTTP/1.1 GET on the UNIX socket that stays open: what a streaming
// client such as curl --no-buffer does.
struct streaming_get {
  int fd = -1;
  std::string received;
  streaming_get(const std::filesystem::path& socket, const std::string& target) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket.c_str(), sizeof a.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: jaild\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  }
  ~streaming_get() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // Reads until `text` has come (true) or the connection ends or `limit` passes.
  bool wait_for(const std::string& text, std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (received.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      received.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
};

// Descriptors of process `pid` open on `file`.
int open_on(pid_t pid, const std::filesystem::path& file) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec))
    if (std::filesystem::read_symlink(e.path(), ec) == file) ++n;
  return n;
}

}  // namespace

TEST_CASE("exec on Linux: output beyond [api] exec_output_bytes is cut and said, stdin comes "
          "in full",
          "[system][interactive]") {
  scenario s("[api]\nexec_output_bytes = 4096\n");
  s.define("cap", json::object());
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("cap") + "/start").status == 200);
  auto r = exec(s, "cap", {{"argv", {"sh", "-c", "head -c 1000000 /dev/zero; echo oops >&2"}}});
  CHECK(r["exit_code"] == 0);
  CHECK(r["stdout"].get<std::string>().size() == 4096);
  CHECK(r["stdout_cut_bytes"] == 1000000 - 4096);
  CHECK(r["stderr"] == "oops\n");
  CHECK(r["stderr_cut_bytes"] == 0);
  CHECK(r["truncated"].get<std::string>().find("996 more bytes") == std::string::npos);
  CHECK(r["truncated"].get<std::string>().find("dropped 995904 more bytes of stdout") !=
        std::string::npos);
  // Half a megabyte of stdin (beyond any pipe buffer) reaches the command whole.
  const std::string input(500000, 'y');
  r = exec(s, "cap", {{"argv", {"wc", "-c"}}, {"input", input}});
  CHECK(trimmed(r["stdout"].get<std::string>()) == "500000");
  // Bytes JSON cannot carry, as base64.
  r = exec(s, "cap", {{"argv", {"od", "-An", "-tx1"}}, {"input_base64", "AP+A"}});
  CHECK(r["stdout"].get<std::string>().find("00 ff 80") != std::string::npos);
}

TEST_CASE("signal on Linux: init, every process, one PID of the jail, never a host process",
          "[system][interactive]") {
  scenario s;
  // The command is the jail's main process: it notes each HUP it gets.
  s.define("sig", {{"command",
                    {"sh", "-c", "trap 'echo hup >> /tmp/hups' HUP; while :; do sleep 1; done"}}});
  const auto base = "/v1/jails/" + s.name("sig");
  REQUIRE(s.daemon().curl("POST", base + "/start").status == 200);

  // init: jaild-init passes it to the command; the jail keeps running.
  auto r = s.daemon().curl("POST", base + "/signal", R"({"signal":"HUP","target":"init"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json() == json{{"name", s.name("sig")}, {"signal", "HUP"}, {"target", "init"}});
  CHECK(s.eventually([&] { return sh(s, "sig", "cat /tmp/hups") == "hup"; }));
  CHECK(s.state("sig") == "running");

  // One PID, as the jail numbers it.
  const auto pid = sh(s, "sig", "sleep 300 >/dev/null 2>&1 & echo $!");
  REQUIRE(alive_in_jail(s, "sig", pid));
  r = s.daemon().curl("POST", base + "/signal",
                      json{{"signal", "TERM"}, {"target", std::stoll(pid)}}.dump());
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(s.eventually([&] { return !alive_in_jail(s, "sig", pid); }));

  // A host process's PID is not the jail's: refused, and the host process lives.
  pid_t host = ::fork();
  REQUIRE(host >= 0);
  if (host == 0) {
    ::execl("/bin/sleep", "sleep", "300", nullptr);
    ::_exit(127);
  }
  r = s.daemon().curl("POST", base + "/signal",
                      json{{"signal", "KILL"}, {"target", static_cast<long long>(host)}}.dump());
  CHECK(r.status == 404);
  CHECK(r.json()["code"] == "process_not_found");
  std::this_thread::sleep_for(200ms);
  int status = 0;
  CHECK(::waitpid(host, &status, WNOHANG) == 0);  // still running
  ::kill(host, SIGKILL);
  ::waitpid(host, &status, 0);

  // all: every process of the jail but its init.
  const auto a = sh(s, "sig", "sleep 300 >/dev/null 2>&1 & echo $!");
  const auto b = sh(s, "sig", "sleep 301 >/dev/null 2>&1 & echo $!");
  r = s.daemon().curl("POST", base + "/signal", R"({"signal":"KILL","target":"all"})");
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(s.eventually([&] { return !alive_in_jail(s, "sig", a) && !alive_in_jail(s, "sig", b); }));
  // The command was one of them; jaild-init (PID 1) was not, and the jail
  // ends with its command or keeps running by its persist setting, as any
  // jail whose command dies.
  r = s.daemon().curl("POST", base + "/signal", R"({"signal":"HUP","target":"bogus"})");
  CHECK(r.status == 400);
  // jailctl kill says what it sent.
  REQUIRE(s.daemon().curl("POST", base + "/stop").status == 200);
  auto ctl = s.daemon().jailctl({"kill", s.name("sig"), "-s", "HUP"});
  CHECK(ctl.status == 1);
  CHECK(ctl.err.find("not running") != std::string::npos);
}

TEST_CASE("logs on Linux: follow=true streams the console log as it grows, and a client that "
          "goes away leaves nothing open",
          "[system][interactive]") {
  scenario s;
  s.define("talk", {{"command", {"sh", "-c", "echo first; sleep 2; echo second; sleep 300"}}});
  const auto base = "/v1/jails/" + s.name("talk");
  REQUIRE(s.daemon().curl("POST", base + "/start").status == 200);
  const auto log = s.daemon().state_dir() / "log" / (s.name("talk") + ".log");
  const pid_t jaild = s.daemon().process().pid();
  REQUIRE(s.eventually([&] { return std::filesystem::exists(log); }));
  const int held = open_on(jaild, log);  // jaild's own (hook output, rotation)
  {
    streaming_get follow(s.daemon().socket(), base + "/logs?follow=true");
    CHECK(follow.wait_for("first"));
    CHECK(follow.received.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(follow.received.find("second") == std::string::npos);
    CHECK(follow.wait_for("second"));  // written two seconds later, on the same answer
    CHECK(open_on(jaild, log) == held + 1);
    follow.close();
  }
  // jaild notices the client is gone without any more output.
  CHECK(s.eventually([&] { return open_on(jaild, log) == held; }));
  // An unknown jail is refused before anything streams.
  auto r = s.daemon().curl("GET", "/v1/jails/nope/logs?follow=true");
  CHECK(r.status == 404);
}
