// The engine on real jails: a real jaild with the Linux adapter, driven
// through its API. Dependency chains boot in order while independent jails
// start in parallel; a failed jail holds back only its dependents; a jail
// whose init dies is restarted by its policy and ends in crashloop when it
// keeps dying; a jaild killed while starting 20 jails converges when it is
// started again, with no duplicate jail and nothing leaked.
#include <signal.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <thread>

#include "tests/support/daemon_fixture.h"
#include "tests/system/scenario.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace std::chrono_literals;
using nlohmann::json;

using systest::scenario;

namespace {

// Processes whose cgroup is under jaild's jail cgroup for `jail`: how many
// incarnations of the jail run (0 or 1, never 2).
int incarnations(const std::string& jail) {
  int found = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           "/sys/fs/cgroup/pids", std::filesystem::directory_options::skip_permission_denied)) {
    if (!e.is_directory()) continue;
    const auto leaf = e.path().filename().string();
    const auto parent = e.path().parent_path().filename().string();
    if (leaf.rfind(jail + ".", 0) == 0 && parent.rfind("jaild", 0) == 0) {
      std::ifstream procs(e.path() / "cgroup.procs");
      std::string line;
      if (std::getline(procs, line)) ++found;
    }
  }
  return found;
}

}  // namespace

TEST_CASE("engine on Linux: a chain boots in order while independent jails start in parallel",
          "[system]") {
  scenario s;
  // Each start hook holds its start for 400 ms, so order and overlap are visible.
  const json hold = {{"start", {"sleep 0.4"}}};
  s.define("db", {{"exec", hold}, {"boot", true}});
  s.define("app", {{"exec", hold}, {"boot", true}, {"depend", {s.name("db")}}});
  s.define("web", {{"exec", hold}, {"boot", true}, {"depend", {s.name("app")}}});
  s.define("x", {{"exec", hold}, {"boot", true}});
  s.define("y", {{"exec", hold}, {"boot", true}});
  auto plan = s.daemon().curl("GET", "/v1/boot-plan").json();
  CHECK(plan["waves"][0].size() == 3);  // db, x, y

  s.restart_daemon(SIGTERM);  // the new jaild boots them
  REQUIRE(s.eventually([&] {
    for (auto n : {"db", "app", "web", "x", "y"})
      if (s.state(n) != "running") return false;
    return true;
  }));
  auto db = s.last_start("db"), app = s.last_start("app"), web = s.last_start("web");
  auto x = s.last_start("x"), y = s.last_start("y");
  for (const auto* op : {&db, &app, &web, &x, &y}) REQUIRE((*op)["state"] == "succeeded");
  // The chain: each starts only after what it depends on has finished starting.
  CHECK(app["started_at"].get<long long>() >= db["finished_at"].get<long long>());
  CHECK(web["started_at"].get<long long>() >= app["finished_at"].get<long long>());
  // The independent ones overlap.
  CHECK(x["started_at"].get<long long>() < y["finished_at"].get<long long>());
  CHECK(y["started_at"].get<long long>() < x["finished_at"].get<long long>());
  CHECK(x["started_at"].get<long long>() < db["finished_at"].get<long long>());
  // And `ps` in web sees web's processes only.
  auto ps = s.daemon().curl("POST", "/v1/jails/" + s.name("web") + "/exec",
                            json{{"argv", {"ps", "-o", "pid,comm"}}}.dump());
  REQUIRE(ps.status == 200);
  const auto out = ps.json()["stdout"].get<std::string>();
  CHECK(out.find("\n    1 ") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') <= 4);
}

TEST_CASE("engine on Linux: a failing jail holds back only its dependents", "[system]") {
  scenario s;
  s.define("db", {{"exec", {{"prestart", {"exit 3"}}}}});
  s.define("app", {{"depend", {s.name("db")}}});
  s.define("other", json::object());
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("app") + "/start");
  CHECK(r.status == 424);
  CHECK(r.json()["code"] == "dependency_failed");
  CHECK(r.json()["detail"].get<std::string>().find(s.name("db")) != std::string::npos);
  r = s.daemon().curl("POST", "/v1/jails/" + s.name("other") + "/start");
  CHECK(r.status == 200);
  CHECK(s.state("db") == "failed");
  CHECK(s.state("app") == "stopped");
  CHECK(s.state("other") == "running");
  // The failed start left nothing on the host.
  auto counts = systest::count_host_objects();
  CHECK(counts.veths == s.baseline().veths);
}

TEST_CASE("engine on Linux: a killed init is restarted by policy, one that keeps dying is a "
          "crashloop",
          "[system]") {
  scenario s("[engine]\ncrashloop_restarts = 3\ncrashloop_window_s = 60\n");
  s.define("svc", {{"restart", "always"}, {"exec", {{"start", {"true"}}}}});
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("svc") + "/start");
  REQUIRE(r.status == 200);
  const auto pid = s.jail("svc")["status"]["jid"].get<long long>();  // the init's host PID
  REQUIRE(pid > 1);
  REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
  REQUIRE(s.eventually([&] {
    auto st = s.jail("svc")["status"];
    return st["state"] == "running" && st["restarts"] == 1 && st["jid"] != pid;
  }));
  CHECK(incarnations(s.name("svc")) == 1);

  // A jail whose one process fails at once, again and again.
  s.define("bad", {{"restart", "always"}, {"persist", false}, {"command", {"/bin/false"}}});
  s.daemon().curl("POST", "/v1/jails/" + s.name("bad") + "/start");
  REQUIRE(s.eventually([&] { return s.state("bad") == "crashloop"; }));
  auto st = s.jail("bad")["status"];
  CHECK(st["restarts"] == 3);
  CHECK(st["last_error"].get<std::string>().find("restarted 3 times") != std::string::npos);
  std::this_thread::sleep_for(1s);
  CHECK(s.state("bad") == "crashloop");  // and it stays there
  // on-failure:2 gives up after two restarts instead.
  s.define("flaky", {{"restart", "on-failure:2"}, {"persist", false}, {"command", {"/bin/false"}}});
  s.daemon().curl("POST", "/v1/jails/" + s.name("flaky") + "/start");
  REQUIRE(s.eventually([&] {
    auto f = s.jail("flaky")["status"];
    return f["state"] == "failed" && f["restarts"] == 2 &&
           f["last_error"].get<std::string>().find("on-failure:2 reached") != std::string::npos;
  }));
}

TEST_CASE("engine on Linux: jaild killed while starting 20 jails converges, no duplicate, "
          "nothing leaked",
          "[system]") {
  scenario s("[engine]\nparallel_starts = 4\n");
  const std::string bridge = systest::prefix() + "br";
  for (int i = 0; i < 20; ++i)
    s.define("j" + std::to_string(i),
             {{"boot", true},
              {"restart", "unless-stopped"},
              {"limits", {"maxproc:deny=50"}},
              {"exec", {{"start", {"sleep 0.05"}}}},
              {"vnet",
               {{"interfaces",
                 {{{"bridge", bridge},
                   {"ip4", {"10.231." + std::to_string(i) + ".2/24"}}}}}}}});
  // The desired state is recorded by booting; kill jaild in the middle of it.
  s.daemon().stop(SIGTERM);
  s.daemon().start();  // boots the 20 jails, 4 at a time
  REQUIRE(s.eventually(
      [&] {
        int running = 0;
        const auto list = s.daemon().curl("GET", "/v1/jails").json();
        for (const auto& j : list["jails"]) running += j["status"]["state"] == "running";
        return running >= 5;
      },
      60s));
  s.daemon().process().stop(SIGKILL);

  // A new jaild adopts what runs, rolls back what was half started, and boots the rest.
  s.daemon().start();
  REQUIRE(s.eventually(
      [&] {
        const auto list = s.daemon().curl("GET", "/v1/jails").json();
        for (const auto& j : list["jails"])
          if (j["status"]["state"] != "running") return false;
        return true;
      },
      120s));
  int duplicates = 0;
  for (const auto& j : s.jails()) duplicates += incarnations(j.name) != 1;
  CHECK(duplicates == 0);
  auto counts = systest::count_host_objects();
  CHECK(counts.veths == s.baseline().veths + 20);      // one host end per jail
  CHECK(counts.bridges == s.baseline().bridges + 1);   // the one bridge they share
  auto summary = s.daemon().curl("GET", "/v1/events?since=0&follow=false");
  CHECK(summary.body.find("daemon.reconciled") != std::string::npos);

  // Stopping them all returns the host to where it was.
  for (const auto& j : s.jails())
    REQUIRE(s.daemon().curl("POST", "/v1/jails/" + j.name + "/stop").status == 200);
  CHECK(systest::count_host_objects() == s.baseline());
}

TEST_CASE("engine on Linux: jaild killed during a long exec.start starts again at once, "
          "and rolls the start back",
          "[system]") {
  scenario s;
  s.define("slow", {{"exec", {{"start", {"sleep 30"}}}}});
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("slow") + "/start?async=true");
  REQUIRE(r.status == 202);
  // Wait until the in-jail hook runs: its helper process waits for `sleep` and never execs.
  REQUIRE(s.eventually([&] {
    for (const auto& op : s.operations("slow"))
      for (const auto& step : op["steps"])
        if (step["step"].get<std::string>().find("jail.create") != std::string::npos ||
            step["step"].get<std::string>().find("create") != std::string::npos)
          return true;
    return false;
  }));
  std::this_thread::sleep_for(300ms);
  s.daemon().process().stop(SIGKILL);
  // The new jaild must not find the old one's lock or socket still held.
  REQUIRE_NOTHROW(s.daemon().start());
  CHECK(s.daemon().curl("GET", "/v1/health").status == 200);
  CHECK(s.state("slow") == "failed");
  CHECK(s.jail("slow")["status"]["last_error"].get<std::string>().find("rolled back") !=
        std::string::npos);
  CHECK(incarnations(s.name("slow")) == 0);
  CHECK(systest::count_host_objects() == s.baseline());
}

TEST_CASE("engine on Linux: jailctl apply starts the file's boot jails in plan order and "
          "changes limits live",
          "[system]") {
  scenario s;
  test::temp_dir files{"jaild-sys-apply"};
  const auto file = (files / "jails.json").string();
  json jails = {
      {{"name", s.name("app")},
       {"path", s.root_for("app")},
       {"depend", {s.name("db")}},
       {"boot", true},
       {"limits", {"maxproc:deny=50"}}},
      {{"name", s.name("db")}, {"path", s.root_for("db")}, {"exec", {{"start", {"sleep 0.3"}}}}},
      {{"name", s.name("idle")}, {"path", s.root_for("idle")}},
  };
  auto apply = [&](const std::vector<std::string>& flags = {}) {
    std::ofstream(file) << json{{"jails", jails}}.dump(2);
    std::vector<std::string> args{"apply", "-f", file};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = s.daemon().jailctl(args);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    return r.out;
  };

  // The boot jail starts, and with it what it depends on, first; idle stays down.
  auto out = apply();
  CHECK(out.find("+ jail " + s.name("app") + " (create)\n") != std::string::npos);
  CHECK(out.find("jail " + s.name("app") + ": started (") != std::string::npos);
  CHECK(s.state("app") == "running");
  CHECK(s.state("db") == "running");
  CHECK(s.state("idle") == "stopped");
  const auto db = s.last_start("db");
  CHECK(db["finished_at"].get<long long>() <=
        s.jail("app")["status"]["started_at"].get<long long>());
  const auto app_started = s.jail("app")["status"]["started_at"];

  // A new limit reaches the running jail through an update, without a restart.
  jails[0]["limits"] = {"maxproc:deny=60"};
  out = apply();
  CHECK(out.find("~ jail " + s.name("app") + ": limits.maxproc:deny 50 -> 60\n") !=
        std::string::npos);
  CHECK(out.find("started") == std::string::npos);  // nothing to start: it runs
  CHECK(s.state("app") == "running");
  CHECK(s.jail("app")["status"]["started_at"] == app_started);
  CHECK(s.jail("app")["status"]["drift"] == false);
  const auto update = s.operations("app")[0];
  CHECK(update["kind"] == "update");
  CHECK(update["state"] == "succeeded");

  // A change only a restart applies is said so; the jail keeps running as it was.
  jails[0]["hostname"] = "app.example.org";
  out = apply();
  CHECK(out.find("! jail " + s.name("app") + " runs with changes that only a restart applies") !=
        std::string::npos);
  CHECK(s.jail("app")["status"]["drift"] == true);

  // --start-all starts the rest of the file; the running ones are left as they are.
  out = apply({"--start-all"});
  CHECK(out.find("applied: 0 created, 0 changed, 3 unchanged\n") != std::string::npos);
  CHECK(out.find("jail " + s.name("idle") + ": started (") != std::string::npos);
  CHECK(out.find("jail " + s.name("app") + ": ") == std::string::npos);
  CHECK(s.state("idle") == "running");
  CHECK(s.jail("app")["status"]["started_at"] == app_started);
}
