// The FreeBSD pipeline end to end on Linux: the engine drives the FreeBSD
// adapter over a system whose hooks and commands are real children of the
// POSIX runner (forking_system.h), with only the jail system calls modelled.
// What issue 14's points 1 and 4 were about is seen here as it would be on
// FreeBSD: a command's real exit status reaching the restart policy, a hook
// that outlives exec.timeout killed and its start rolled back, a hook that
// leaves a daemon holding its output not holding up the start, and SIGTERM
// reaching a jail's processes although jaild's threads block it.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lib/engine/engine.h"
#include "lib/host/freebsd/adapter.h"
#include "lib/model/error.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/host_freebsd/forking_system.h"

using namespace jaild;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

struct rig {
  test::temp_dir dir{"jaild-fbsd-pipeline"};
  std::vector<std::string> transcript;
  test::forking_system sys{transcript};
  host::freebsd::adapter adapter{sys, {dir.path() / "state"}};
  std::unique_ptr<store::store> db = store::store::open(dir.path() / "jaild.db");
  std::unique_ptr<engine::engine> eng;

  explicit rig(bool block_signals = false) {
    std::filesystem::create_directories(dir.path() / "root");
    std::filesystem::create_directories(dir.path() / "state");
    sys.modules = {"if_bridge", "if_epair"};
    engine::engine_options o;
    o.state_dir = dir.path() / "state";
    // As daemon/main.cpp: the engine's threads inherit a mask with these blocked.
    sigset_t blocked, old;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGHUP);
    if (block_signals) ::pthread_sigmask(SIG_BLOCK, &blocked, &old);
    eng = std::make_unique<engine::engine>(*db, adapter, o);
    if (block_signals) ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    eng->load();
  }
  ~rig() {
    eng->shutdown();
    eng.reset();
  }

  std::string root() const { return (dir.path() / "root").string(); }

  void define(json spec) {
    spec["path"] = root();
    eng->create_jail(model::spec_from_json(spec));
  }
  model::jail_status status(const std::string& name) {
    return eng->current()->find(name)->status;
  }
  template <typename F>
  bool eventually(F cond, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (cond()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return cond();
  }
  static json step(const std::shared_ptr<engine::operation>& op, const std::string& name) {
    const auto j = op->to_json();
    for (const auto& s : j["steps"])
      if (s.value("step", "") == name) return s;
    return nullptr;
  }
};

}  // namespace

TEST_CASE("freebsd pipeline: a command's real exit status reaches the engine",
          "[host_freebsd][pipeline]") {
  rig r;
  const auto log = (r.dir.path() / "hooks.log").string();
  r.define({{"name", "one"},
            {"command", {"/bin/sh", "-c", "sleep 0.2; exit 3"}},
            {"persist", false},
            {"exec", {{"poststart", {"echo poststart >> " + log}}}}});
  auto op = r.eng->start("one");
  op->wait();
  REQUIRE(op->state() == engine::op_state::succeeded);
  CHECK(r.eventually([&] { return r.status("one").state == model::jail_state::failed; }));
  CHECK(r.status("one").last_error == "exited with status 3");
  std::ifstream in(log);
  std::string line;
  CHECK(std::getline(in, line));
  CHECK(line == "poststart");
  // Cleaned up as a crash is: the jail is gone from the (modelled) kernel.
  CHECK(r.sys.jails.empty());
}

TEST_CASE("freebsd pipeline: a command that ends before it is watched keeps its status",
          "[host_freebsd][pipeline]") {
  rig r;
  r.define({{"name", "quick"}, {"command", {"/bin/sh", "-c", "exit 0"}}, {"persist", false},
            // poststart outlasts the command, so the watch comes after its end
            {"exec", {{"poststart", {"sleep 0.3"}}}}});
  r.eng->start("quick")->wait();
  CHECK(r.eventually([&] { return r.status("quick").state == model::jail_state::stopped; }));
  CHECK(r.status("quick").last_error.empty());
}

TEST_CASE("freebsd pipeline: a hook past exec.timeout is killed and the start rolled back",
          "[host_freebsd][pipeline]") {
  rig r;
  r.define({{"name", "slow"}, {"exec", {{"timeout", "300ms"}, {"start", {"sleep 30"}}}}});
  const auto began = std::chrono::steady_clock::now();
  auto op = r.eng->start("slow");
  op->wait();
  CHECK(op->state() == engine::op_state::failed);
  CHECK(op->error_code() == errc::timeout);
  CHECK(std::chrono::steady_clock::now() - began < 20s);  // not the hook's 30 s
  CHECK(r.sys.jails.empty());
  CHECK(r.status("slow").state == model::jail_state::failed);
}

TEST_CASE("freebsd pipeline: a daemon that keeps a hook's output open does not hold the start",
          "[host_freebsd][pipeline]") {
  rig r;
  // /etc/rc's daemons inherit its stdout; the hook itself ends at once.
  r.define({{"name", "rc"}, {"exec", {{"timeout", "20s"}, {"start", {"sleep 3 & echo up"}}}}});
  const auto began = std::chrono::steady_clock::now();
  auto op = r.eng->start("rc");
  op->wait();
  REQUIRE(op->state() == engine::op_state::succeeded);
  CHECK(std::chrono::steady_clock::now() - began < 2500ms);
  CHECK(rig::step(op, "exec.start")["status"] == 0);
  // In-jail output goes to the jail's console log, as jail(8)'s exec.consolelog.
  CHECK(r.eng->console_log("rc", 4096) == "up\n");
  r.eng->stop("rc")->wait();
}

TEST_CASE("freebsd pipeline: SIGTERM reaches the jail's processes though jaild blocks it",
          "[host_freebsd][pipeline]") {
  rig r(true);
  r.define({{"name", "term"},
            {"stop_timeout", "10s"},
            {"command", {"/bin/sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done"}}});
  REQUIRE(r.eng->start("term")->wait_for(10s));
  REQUIRE(r.status("term").state == model::jail_state::running);
  const auto began = std::chrono::steady_clock::now();
  auto stop = r.eng->stop("term");
  stop->wait();
  CHECK(stop->state() == engine::op_state::succeeded);
  CHECK(rig::step(stop, "stop.wait")["output"] == "all processes exited");
  CHECK(std::chrono::steady_clock::now() - began < 8s);  // not the 10 s stop.timeout
}
