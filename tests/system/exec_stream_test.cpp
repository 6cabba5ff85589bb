// The streaming exec on real Linux jails with real clients: Python's
// websockets (a client nobody here wrote) through the API, jailctl exec and
// jailctl console in a real terminal driven by tmux (send-keys,
// capture-pane), and 100 sessions whose clients vanish mid-stream.
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"
#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string python = "/usr/bin/python3";
const std::string ws_client = std::string(JAILD_TEST_SOURCE_HELPERS) + "/ws_client.py";

// The lines "KEY: VALUE" of ws_client.py's output.
std::string field(const std::string& out, const std::string& key) {
  const auto at = out.find(key + ": ");
  if (at == std::string::npos) return {};
  const auto end = out.find('\n', at);
  return out.substr(at + key.size() + 2, end - at - key.size() - 2);
}

// A JSON field of it (stdout, stderr, exit).
json parsed(const std::string& out, const std::string& key) {
  auto j = json::parse(field(out, key), nullptr, false);
  return j.is_discarded() ? json() : j;
}

int descriptors(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec))
    ++n;
  return n;
}

// Processes whose parent is `pid` (jaild's jaild-enter children).
int children(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const auto entry = e.path().filename().string();
    if (entry.empty() || entry.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    // "pid (comm) S ppid ..."
    std::istringstream rest(text.substr(close + 2));
    std::string state;
    long long ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid) ++n;
  }
  return n;
}

// A tmux server of the test's own (its own socket), with one window.
class terminal {
 public:
  terminal(const std::string& name, const std::string& command, int cols, int rows)
      : socket_(name) {
    // No status line: the pane is the whole window.
    auto r = test::run({"tmux", "-L", socket_, "-f", "/dev/null", "new-session", "-d", "-s", "t",
                        "-x", std::to_string(cols), "-y", std::to_string(rows), command, ";",
                        "set-option", "-g", "status", "off", ";", "set-option", "-wg",
                        "remain-on-exit", "on"});
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  ~terminal() { test::run({"tmux", "-L", socket_, "kill-server"}); }

  void keys(const std::vector<std::string>& k) {
    std::vector<std::string> argv{"tmux", "-L", socket_, "send-keys", "-t", "t"};
    argv.insert(argv.end(), k.begin(), k.end());
    REQUIRE(test::run(argv).status == 0);
  }
  void type(const std::string& line) { keys({"-l", line}), keys({"Enter"}); }
  std::string screen() {
    return test::run({"tmux", "-L", socket_, "capture-pane", "-p", "-t", "t"}).out;
  }
  bool shows(const std::string& text, std::chrono::milliseconds limit = 20s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (screen().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return screen().find(text) != std::string::npos;
  }
  void resize(int cols, int rows) {
    REQUIRE(test::run({"tmux", "-L", socket_, "resize-window", "-t", "t", "-x",
                       std::to_string(cols), "-y", std::to_string(rows)})
                .status == 0);
  }

 private:
  std::string socket_;
};

std::string jailctl_line(scenario& s, const std::string& args) {
  return test::jailctl_binary() + " --socket " + s.daemon().socket().string() + " " + args;
}

}  // namespace

TEST_CASE("streaming exec on Linux: a WebSocket client that is not ours runs a command through "
          "the API",
          "[system][interactive]") {
  scenario s;
  s.define("ws", json::object());
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("ws") + "/start").status == 200);
  const auto sock = s.daemon().socket().string();

  // stdout and stderr apart, stdin in, the exit status last, a normal close.
  auto r = test::run({python, ws_client, "run", sock, s.name("ws"),
                      R"({"argv":["sh","-c","cat; echo err >&2; exit 3"]})", "from the client\n"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(parsed(r.out, "stdout") == "from the client\n");
  CHECK(parsed(r.out, "stderr") == "err\n");
  CHECK(parsed(r.out, "exit") == json{{"type", "exit"}, {"exit_code", 3}});
  CHECK(field(r.out, "close") == "1000");

  // With a TTY: one stream, the terminal's size as asked, a real terminal.
  r = test::run({python, ws_client, "run", sock, s.name("ws"),
                 R"({"argv":["sh","-c","stty size; test -t 0 && test -t 2 && echo isatty"],"tty":true,"rows":33,"cols":111})"});
  INFO(r.out);
  CHECK(parsed(r.out, "stdout").get<std::string>().find("33 111") != std::string::npos);
  CHECK(parsed(r.out, "stdout").get<std::string>().find("isatty") != std::string::npos);
  CHECK(parsed(r.out, "stderr") == "");  // a TTY has one stream
  CHECK(parsed(r.out, "exit")["exit_code"] == 0);

  // Confined as any exec: a user of the jail's own passwd, the bounding
  // set, no_new_privs and seccomp that the buffered exec has.
  const std::string probe = "id -u; grep -E 'CapBnd|NoNewPrivs|Seccomp:' /proc/self/status";
  r = test::run({python, ws_client, "run", sock, s.name("ws"),
                 json{{"argv", {"sh", "-c", probe}}, {"user", "www"}}.dump()});
  auto buffered = s.daemon().curl("POST", "/v1/jails/" + s.name("ws") + "/exec",
                                  json{{"argv", {"sh", "-c", probe}}, {"user", "www"}}.dump());
  REQUIRE(buffered.status == 200);
  CHECK(parsed(r.out, "stdout") == buffered.json()["stdout"]);
  CHECK(buffered.json()["stdout"].get<std::string>().starts_with("80\n"));
  CHECK(buffered.json()["stdout"].get<std::string>().find("NoNewPrivs:\t1") != std::string::npos);

  // Refusals: a bad first message (4400), a user the jail lacks, a stopped jail (before the upgrade).
  r = test::run({python, ws_client, "run", sock, s.name("ws"), R"({"argv":[]})"});
  CHECK(field(r.out, "close") == "4400");
  CHECK(parsed(r.out, "exit")["problem"]["code"] == "missing_field");
  r = test::run({python, ws_client, "run", sock, s.name("ws"), R"({"argv":["true"],"user":"nobody"})"});
  CHECK(field(r.out, "close") == "4400");
  CHECK(parsed(r.out, "exit")["problem"]["field"] == "/user");
  auto plain = s.daemon().curl("GET", "/v1/jails/" + s.name("ws") + "/exec");
  CHECK(plain.status == 400);  // not a WebSocket handshake
  // The audit log has every session, as it has every POST exec.
  std::ifstream audit(s.daemon().state_dir() / "audit.log");
  int sessions = 0;
  for (std::string line; std::getline(audit, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("method", "") == "GET" &&
        j.value("target", "") == "/v1/jails/" + s.name("ws") + "/exec" && j.value("status", 0) == 101)
      ++sessions;
  }
  CHECK(sessions == 5);
}

TEST_CASE("streaming exec over HTTPS: TLS, the operator role, and the same audit line",
          "[system][interactive]") {
  test::temp_dir certs{"jaild-ws-ca"};
  test::test_ca ca(certs.path());
  const auto port = test::free_port();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  scenario s("[https]\nlisten = \"" + address + "\"\ncert = \"" + ca.server().cert.string() +
             "\"\nkey = \"" + ca.server().key.string() + "\"\n");
  s.define("tls", json::object());
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("tls") + "/start").status == 200);
  auto token = [&](const std::string& role) {
    auto r = s.daemon().jailctl({"token", "create", s.name("ws-" + role), "--role", role});
    REQUIRE(r.status == 0);
    return r.out.substr(0, r.out.find('\n'));
  };
  const auto op = token("operator"), viewer = token("viewer");
  auto over_https = [&](const std::string& secret, const std::string& start,
                        const std::string& input = {}) {
    std::vector<std::string> argv{python, ws_client, "run-https",
                                  address + "," + ca.ca_cert().string() + "," + secret,
                                  s.name("tls"), start};
    if (!input.empty()) argv.push_back(input);
    return test::run(argv);
  };

  // The operator's session: stdin in, both streams out, the exit status, a normal close.
  auto r = over_https(op, R"({"argv":["sh","-c","cat; echo err >&2; exit 4"]})", "over tls\n");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(parsed(r.out, "stdout") == "over tls\n");
  CHECK(parsed(r.out, "stderr") == "err\n");
  CHECK(parsed(r.out, "exit") == json{{"type", "exit"}, {"exit_code", 4}});
  CHECK(field(r.out, "close") == "1000");
  // A TTY over TLS.
  r = over_https(op, R"({"argv":["stty","size"],"tty":true,"rows":21,"cols":77})");
  CHECK(parsed(r.out, "stdout").get<std::string>().find("21 77") != std::string::npos);

  // Refused before the upgrade, nothing run: a viewer (exec is an operator's),
  // no token at all.
  const auto marker = "/tmp/" + s.name("ran");
  const auto touch = json{{"argv", {"touch", marker}}}.dump();
  r = over_https(viewer, touch);
  CHECK(field(r.out, "refused") == "403");
  r = over_https("-", touch);
  CHECK(field(r.out, "refused") == "401");
  auto look = s.daemon().curl("POST", "/v1/jails/" + s.name("tls") + "/exec",
                              json{{"argv", {"test", "-e", marker}}}.dump());
  CHECK(look.json()["exit_code"] == 1);

  // The audit log names the sessions over HTTPS with their token, as any request.
  std::ifstream audit(s.daemon().state_dir() / "audit.log");
  int upgraded = 0, refused = 0;
  for (std::string line; std::getline(audit, line);) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("method", "") != "GET" ||
        j.value("target", "") != "/v1/jails/" + s.name("tls") + "/exec")
      continue;
    if (j.value("status", 0) == 101) ++upgraded;
    if (j.value("status", 0) == 403) ++refused;
    INFO(line);
    CHECK(j.value("via", "") == "https");
    if (j.value("status", 0) == 101) {
      CHECK(j.value("role", "") == "operator");
      CHECK(j.value("who", "").find(s.name("ws-operator")) != std::string::npos);
    }
  }
  CHECK(upgraded == 2);
  CHECK(refused == 1);
}

TEST_CASE("jailctl exec on Linux: stdin is not swallowed, output streams as it comes",
          "[system][interactive]") {
  scenario s;
  s.define("cli", json::object());
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("cli") + "/start").status == 200);
  const std::string ctl = jailctl_line(s, "exec " + s.name("cli") + " -- true");
  // The issue's loop: every line survives the execs inside it.
  auto r = test::run({"sh", "-c", "printf 'a\\nb\\nc\\n' | while read x; do echo $x; " + ctl + "; done"});
  CHECK(r.out == "a\nb\nc\n");
  // -i passes stdin; the exit status comes back.
  r = s.daemon().jailctl({"exec", "-i", s.name("cli"), "--", "sh", "-c", "cat; exit 5"}, "piped\n");
  CHECK(r.out == "piped\n");
  CHECK(r.status == 5);
  // Output arrives while the command still runs: "1" is there before the
  // command is let go on to print "2".
  terminal t(systest::prefix() + "-stream",
             jailctl_line(s, "exec " + s.name("cli") +
                                 " -- sh -c 'echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; "
                                 "echo two'"),
             80, 24);
  CHECK(t.shows("one"));
  CHECK(t.screen().find("two") == std::string::npos);
  REQUIRE(s.daemon().jailctl({"exec", s.name("cli"), "--", "touch", "/tmp/go"}).status == 0);
  CHECK(t.shows("two"));
}

TEST_CASE("jailctl exec -it and jailctl console on Linux, in a real terminal (tmux)",
          "[system][interactive]") {
  scenario s;
  s.define("tty", json::object());
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("tty") + "/start").status == 200);
  {
    terminal t(systest::prefix() + "-it",
               "sh -c '" + jailctl_line(s, "exec -it " + s.name("tty") + " -- sh") +
                   "; echo jailctl-exit=$?; sleep 300'",
               100, 30);
    t.type("PS1='jail$ '");
    REQUIRE(t.shows("jail$ "));
    t.type("stty size");
    CHECK(t.shows("30 100"));
    t.resize(120, 40);
    t.type("clear; stty size");
    CHECK(t.shows("40 120"));
    // Ctrl-C reaches the program in the foreground.
    t.type("sleep 300");
    REQUIRE(s.eventually([&] {
      return s.daemon()
                 .curl("POST", "/v1/jails/" + s.name("tty") + "/exec", R"({"argv":["ps"]})")
                 .body.find("sleep 300") != std::string::npos;
    }));
    t.keys({"C-c"});
    t.type("echo slept=$?");
    CHECK(t.shows("slept=130"));
    t.type("exit 7");
    CHECK(t.shows("jailctl-exit=7"));
  }
  {
    terminal t(systest::prefix() + "-console",
               "sh -c '" + jailctl_line(s, "console " + s.name("tty")) +
                   "; echo console-exit=$?; sleep 300'",
               80, 24);
    // A login shell: "-sh", in root's home, with the login environment.
    t.type("echo \"login=$0 home=$HOME user=$USER\"; pwd");
    CHECK(t.shows("login=-sh home=/root user=root"));
    t.type("exit");
    CHECK(t.shows("console-exit=0"));
  }
}

TEST_CASE("streaming exec on Linux: 100 sessions whose clients vanish leave jaild responsive and "
          "nothing behind",
          "[system][interactive]") {
  scenario s;
  s.define("many", json::object());
  const auto base = "/v1/jails/" + s.name("many");
  REQUIRE(s.daemon().curl("POST", base + "/start").status == 200);
  const pid_t jaild = s.daemon().process().pid();
  auto ps = [&] {
    auto r = s.daemon().curl("POST", base + "/exec", R"({"argv":["ps","-o","pid"]})");
    auto out = r.json()["stdout"].get<std::string>();
    return std::count(out.begin(), out.end(), '\n');
  };
  const auto fds_before = descriptors(jaild);
  const auto children_before = children(jaild);
  const auto processes_before = ps();

  const auto go = s.daemon().state_dir() / "ws-clients.go";
  test::background clients({python, ws_client, "vanish", s.daemon().socket().string(),
                            s.name("many"), "100", go.string()},
                           s.daemon().state_dir() / "ws-clients.log");
  REQUIRE(s.eventually([&] { return clients.log().find("ready 100") != std::string::npos; },
                       120s));
  // While they stream, jaild answers everyone else.
  CHECK(s.daemon().curl("GET", "/v1/health").status == 200);
  CHECK(ps() >= processes_before + 100);
  std::ofstream(go.string()) << "go\n";  // now every client drops its connection
  CHECK(clients.wait(30s) == 0);

  // Every session ends: its command hung up and killed, its helper reaped,
  // its descriptors closed.
  CHECK(s.eventually([&] { return ps() == processes_before; }, 60s));
  CHECK(s.eventually([&] { return children(jaild) == children_before; }, 30s));
  CHECK(s.eventually([&] { return descriptors(jaild) <= fds_before; }, 30s));
  CHECK(s.daemon().curl("GET", "/v1/health").status == 200);
}
