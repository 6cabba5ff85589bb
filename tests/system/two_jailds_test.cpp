// Two jailds on one host, each with its own state directory and its own
// bridge, starting and stopping VNET jails at the same time: neither picks
// the other's names, neither removes or adopts the other's objects, and
// neither's reconcile takes the other's jails for its own.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "tests/support/daemon_fixture.h"
#include "tests/support/process.h"
#include "tests/system/scenario.h"
#include "tests/system/system_support.h"

using namespace jaild;
using nlohmann::json;
using systest::prefix;
using systest::run;
using systest::scenario;

namespace {

constexpr int jails_per_daemon = 3;

// One jaild of the pair, its bridge and its jails' short names.
struct side {
  std::string letter;
  std::unique_ptr<scenario> s;
  std::string bridge;
  std::vector<std::string> jails;
  std::string tag;
};

std::vector<std::string> bridge_ports(const std::string& bridge) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + bridge + "/brif", ec))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Every jail cgroup directory (in the pids hierarchy) of this test's jails:
// "parent/leaf" -> its path.
std::map<std::string, std::filesystem::path> jail_cgroups() {
  std::map<std::string, std::filesystem::path> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator("/sys/fs/cgroup/pids", ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_directory(ec)) continue;
    const auto leaf = it->path().filename().string();
    const auto parent = it->path().parent_path().filename().string();
    if (leaf.rfind(prefix() + "-", 0) == 0 && parent.rfind("jaild", 0) == 0) {
      out[parent + "/" + leaf] = it->path();
      it.disable_recursion_pending();
    }
  }
  return out;
}

// The host objects of one side, with the kernel's identity of each (an
// interface's ifindex, a cgroup directory's inode), so that a removed and
// re-made object is not mistaken for the same one.
std::map<std::string, std::string> objects_of(const side& d) {
  std::map<std::string, std::string> out;
  for (const auto& p : bridge_ports(d.bridge)) {
    std::ifstream f("/sys/class/net/" + p + "/ifindex");
    std::string index;
    std::getline(f, index);
    out["veth " + p] = index;
  }
  for (const auto& [c, path] : jail_cgroups())
    if (c.rfind("jaild-" + d.tag + "/", 0) == 0) {
      struct stat st {};
      ::stat(path.c_str(), &st);
      out["cgroup " + c] = std::to_string(st.st_ino);
    }
  return out;
}

using action = std::function<test::http_answer()>;

// Runs every action at once (one thread each) and returns their answers.
std::vector<test::http_answer> all_at_once(const std::vector<action>& actions) {
  std::vector<test::http_answer> results(actions.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < actions.size(); ++i)
    threads.emplace_back([&, i] { results[i] = actions[i](); });
  for (auto& t : threads) t.join();
  return results;
}

action lifecycle(side& d, const std::string& jail, const std::string& verb) {
  return [&d, jail, verb] {
    return d.s->daemon().curl("POST", "/v1/jails/" + d.s->name(jail) + "/" + verb);
  };
}

std::vector<action> every(side& d, const std::string& verb) {
  std::vector<action> out;
  for (const auto& j : d.jails) out.push_back(lifecycle(d, j, verb));
  return out;
}

std::vector<action> operator+(std::vector<action> a, const std::vector<action>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// All answered 200; the first that did not, otherwise.
std::string all_ok(const std::vector<test::http_answer>& answers) {
  for (const auto& r : answers)
    if (r.status != 200) return std::to_string(r.status) + " " + r.body;
  return "";
}

// The interface names of one side's jails, from their operations' journals:
// every name its steps created or removed.
std::set<std::string> names_in_journal(side& d) {
  std::set<std::string> out;
  for (const auto& j : d.jails)
    for (const auto& op : d.s->operations(j))
      for (const auto& step : op["steps"]) {
        const std::string name = step.value("step", "");
        if (name != "epair.create" && name != "epair.remove") continue;
        for (const auto& a : step["argv"]) {
          const std::string arg = a.get<std::string>();
          if (arg.size() > 4 && arg[0] == 'e' && arg[2] == 'a' && arg[3] == '_') out.insert(arg);
        }
      }
  return out;
}

}  // namespace

TEST_CASE("two jailds: side by side on one host, neither takes or touches the other's objects",
          "[system]") {
  systest::require_prerequisites();
  const auto before = systest::count_host_objects();
  {
    side a{"a", std::make_unique<scenario>(), prefix() + "ba", {}, {}};
    side b{"b", std::make_unique<scenario>(), prefix() + "bb", {}, {}};
    REQUIRE(run({"ip", "link", "show", a.bridge}).status != 0);
    REQUIRE(run({"ip", "link", "show", b.bridge}).status != 0);
    a.tag = a.s->tag();
    b.tag = b.s->tag();
    CHECK(a.tag != b.tag);
    for (auto* d : {&a, &b})
      for (int i = 0; i < jails_per_daemon; ++i) {
        const auto jail = d->letter + std::to_string(i);
        // Addresses only inside each jail's own namespace; no host route.
        d->s->define(jail, {{"vnet",
                             {{"interfaces",
                               {{{"bridge", d->bridge},
                                 {"ip4", {"10.77." + std::to_string(i) + ".2/24"}}}}}}}});
        d->jails.push_back(jail);
      }

    // Both start all their jails at the same moment.
    REQUIRE("" == all_ok(all_at_once(every(a, "start") + every(b, "start"))));
    for (auto* d : {&a, &b}) {
      INFO(d->letter);
      const auto ports = bridge_ports(d->bridge);
      REQUIRE(ports.size() == jails_per_daemon);
      // Every veth on a jaild's bridge carries its own tag; its jails'
      // cgroups are in its own parent.
      for (const auto& p : ports) CHECK(p.rfind("e0a_" + d->tag, 0) == 0);
      int cgroups = 0;
      for (const auto& [c, path] : jail_cgroups()) {
        const bool in_own = c.rfind("jaild-" + d->tag + "/", 0) == 0;
        const bool of_own = c.find("/" + prefix() + "-" + d->letter) != std::string::npos;
        CHECK(in_own == of_own);
        cgroups += in_own;
      }
      CHECK(cgroups == jails_per_daemon);
    }

    // A restarted jaild reconciles while the other's jails run: it adopts
    // its own and takes none of the other's for its own or for unknown.
    const auto b_running = objects_of(b);
    REQUIRE(b_running.size() == 2 * jails_per_daemon);
    const auto log_before = a.s->daemon().process().log().size();
    a.s->restart_daemon(SIGTERM);
    const auto reconcile_log = a.s->daemon().process().log().substr(
        std::min(log_before, a.s->daemon().process().log().size()));
    for (const auto& j : a.jails) CHECK(a.s->state(j) == "running");
    CHECK(reconcile_log.find("not in its records") == std::string::npos);
    for (const auto& j : b.jails) CHECK(reconcile_log.find(b.s->name(j)) == std::string::npos);
    CHECK(objects_of(b) == b_running);

    // One stops all its jails while the other starts them again, at once.
    REQUIRE("" == all_ok(all_at_once(every(b, "stop"))));
    const auto a_running = objects_of(a);
    REQUIRE("" == all_ok(all_at_once(every(a, "stop") + every(b, "start"))));
    CHECK(bridge_ports(a.bridge).empty());
    CHECK(bridge_ports(b.bridge).size() == jails_per_daemon);
    CHECK(objects_of(a).empty());
    REQUIRE("" == all_ok(all_at_once(every(a, "start") + every(b, "stop"))));
    CHECK(bridge_ports(b.bridge).empty());
    CHECK(objects_of(b).empty());
    CHECK(bridge_ports(a.bridge).size() == jails_per_daemon);
    for (const auto& [what, id] : objects_of(a)) CHECK(a_running.count(what) == 0);  // new ones

    // Each jaild's journals name only its own interfaces.
    for (auto* d : {&a, &b}) {
      INFO(d->letter);
      const auto names = names_in_journal(*d);
      CHECK(!names.empty());
      for (const auto& n : names) CHECK(n.rfind("e0a_" + d->tag, 0) == 0);
    }
    REQUIRE("" == all_ok(all_at_once(every(a, "stop") + every(b, "stop"))));
    // Each made its bridge, and each removed its own with its last jail.
    CHECK(run({"ip", "link", "show", a.bridge}).status != 0);
    CHECK(run({"ip", "link", "show", b.bridge}).status != 0);
  }
  CHECK(systest::to_string(systest::count_host_objects()) == systest::to_string(before));
}

TEST_CASE("two jailds: a name that is taken on the host is refused, and the object left alone",
          "[system]") {
  systest::require_prerequisites();
  const auto before = systest::count_host_objects();
  {
    scenario s;
    const std::string bridge = prefix() + "bt";
    const std::string tag = s.tag();
    // The first instance id of a new database is tag + "1": someone else
    // already has the veth that jaild would name for it.
    const std::string taken = "e0a_" + tag + "1";
    REQUIRE(run({"ip", "link", "add", taken, "type", "veth", "peer", "name", "e0x_" + tag + "1"})
                .status == 0);
    struct cleanup {
      std::string name;
      ~cleanup() { run({"ip", "link", "del", name}); }
    } remove_it{taken};
    std::ifstream f("/sys/class/net/" + taken + "/ifindex");
    std::string index;
    std::getline(f, index);

    s.define("tk", {{"vnet", {{"interfaces", {{{"bridge", bridge}, {"ip4", {"10.78.0.2/24"}}}}}}}});
    auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("tk") + "/start");
    INFO(r.body);
    CHECK(r.status != 200);
    CHECK(r.body.find("not this jaild's") != std::string::npos);
    // Still there, the same interface, on no bridge of jaild's.
    std::ifstream again("/sys/class/net/" + taken + "/ifindex");
    std::string index_after;
    std::getline(again, index_after);
    CHECK(index_after == index);
    CHECK(!std::filesystem::exists("/sys/class/net/" + taken + "/master"));
    // The next start picks the next instance id, whose name is free.
    r = s.daemon().curl("POST", "/v1/jails/" + s.name("tk") + "/start");
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(bridge_ports(bridge) == std::vector<std::string>{"e0a_" + tag + "2"});
    CHECK(s.daemon().curl("POST", "/v1/jails/" + s.name("tk") + "/stop").status == 200);
  }
  CHECK(systest::to_string(systest::count_host_objects()) == systest::to_string(before));
}
