// The launcher on its own: the test says what each dependency is doing and
// what time it is, so deadlines and slots are tested without a sleep.
#include "lib/engine/launcher.h"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace jaild;
using engine::launcher;
using dep = launcher::dependency_state;
using namespace std::chrono_literals;

namespace {

struct world {
  launcher l{2};
  launcher::clock::time_point t0 = launcher::clock::time_point{} + 1000s;
  std::map<std::string, std::vector<std::string>> depends;  // defined jails
  std::map<std::string, dep> states;                        // each dependency's word

  std::shared_ptr<engine::operation> start(const std::string& jail, int priority = 99,
                                           std::chrono::seconds ready_within = 60s) {
    auto op = std::make_shared<engine::operation>("op-" + jail, jail, engine::op_kind::start,
                                                  "test");
    l.add(op, priority, t0 + ready_within);
    return op;
  }

  launcher::decisions pass(std::chrono::seconds at = 0s) {
    return l.pass(
        t0 + at,
        [&](const std::string& j) -> std::optional<std::vector<std::string>> {
          auto it = depends.find(j);
          if (it == depends.end()) return std::nullopt;
          return it->second;
        },
        [&](const std::string& d, std::string& detail) {
          if (!depends.count(d)) return dep::missing;
          auto it = states.find(d);
          const auto s = it == states.end() ? dep::down : it->second;
          if (s == dep::down) detail = "stopped";
          return s;
        },
        "60s");
  }
};

std::vector<std::string> jails(const std::vector<std::shared_ptr<engine::operation>>& ops) {
  std::vector<std::string> out;
  for (const auto& o : ops) out.push_back(o->jail());
  return out;
}

}  // namespace

TEST_CASE("launcher: a start waits for its dependencies, then launches", "[engine][launcher]") {
  world w;
  w.depends = {{"db", {}}, {"app", {"db"}}};
  w.states["db"] = dep::coming;
  w.start("app");
  auto d = w.pass();
  CHECK(d.launch.empty());
  CHECK(d.fail.empty());
  REQUIRE(d.next_deadline);
  CHECK(*d.next_deadline == w.t0 + 60s);
  CHECK(w.l.waiting("app") != nullptr);
  w.states["db"] = dep::ready;
  d = w.pass();
  CHECK(jails(d.launch) == std::vector<std::string>{"app"});
  CHECK(w.l.waiting("app") == nullptr);
  CHECK(w.l.on_its_way("app"));  // launched, not ended
  w.l.ended("app");
  CHECK_FALSE(w.l.on_its_way("app"));
  CHECK(w.l.running() == 0);
}

TEST_CASE("launcher: at most parallel_starts run, an ended start frees its slot",
          "[engine][launcher]") {
  world w;
  w.depends = {{"a", {}}, {"b", {}}, {"c", {}}};
  w.start("c", 10);
  w.start("b", 5);
  w.start("a", 10);
  auto d = w.pass();
  CHECK(jails(d.launch) == std::vector<std::string>{"b", "a"});  // priority, then name
  CHECK(w.l.waiting_count() == 1);
  CHECK(w.pass().launch.empty());
  w.l.ended("b");
  CHECK(jails(w.pass().launch) == std::vector<std::string>{"c"});
}

TEST_CASE("launcher: a deadline passes without a sleep", "[engine][launcher]") {
  world w;
  w.depends = {{"db", {}}, {"app", {"db"}}};
  w.states["db"] = dep::coming;
  auto op = w.start("app", 99, 2s);
  CHECK(w.pass(1s).fail.empty());
  auto d = w.pass(2s);
  REQUIRE(d.fail.size() == 1);
  CHECK(d.fail[0].op == op);
  CHECK(d.fail[0].code == errc::timeout);
  CHECK(d.fail[0].message == "held back: dependency 'db' was not ready within 60s");
  CHECK(w.l.waiting_count() == 0);  // out before the caller finishes it
}

TEST_CASE("launcher: a dependency that is down, undefined, or a deleted jail fails the start",
          "[engine][launcher]") {
  world w;
  w.depends = {{"db", {}}, {"app", {"db"}}, {"web", {"ghost"}}};
  w.states["db"] = dep::down;
  w.start("app");
  w.start("web");
  w.start("gone");  // not defined any more
  auto d = w.pass();
  REQUIRE(d.fail.size() == 3);
  std::map<std::string, std::string> why;
  for (const auto& f : d.fail) {
    CHECK(f.code == errc::dependency_failed);
    why[f.op->jail()] = f.message;
  }
  CHECK(why["app"] == "held back: dependency 'db' is stopped");
  CHECK(why["web"] == "held back: dependency 'ghost' is not defined");
  CHECK(why["gone"] == "held back: jail 'gone' was deleted");
  CHECK(w.l.waiting_count() == 0);
}

TEST_CASE("launcher: a dependency waiting or launched here is on its way", "[engine][launcher]") {
  world w;
  w.depends = {{"db", {}}, {"app", {"db"}}, {"top", {"app"}}};
  // db and app are "down" by the runtime's word, but both have starts here.
  w.start("top");
  w.start("app");
  w.start("db");
  auto d = w.pass();
  CHECK(jails(d.launch) == std::vector<std::string>{"db"});
  CHECK(d.fail.empty());
  CHECK(w.l.waiting_count() == 2);
  w.states["db"] = dep::ready;
  w.l.ended("db");
  CHECK(jails(w.pass().launch) == std::vector<std::string>{"app"});
}

TEST_CASE("launcher: cancel takes a jail's waiting starts out", "[engine][launcher]") {
  world w;
  w.depends = {{"db", {}}, {"app", {"db"}}};
  w.states["db"] = dep::coming;
  auto op = w.start("app");
  auto gone = w.l.cancel("app");
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == op);
  CHECK(w.l.waiting("app") == nullptr);
  CHECK_FALSE(w.l.on_its_way("app"));
  auto d = w.pass();
  CHECK(d.launch.empty());
  CHECK(d.fail.empty());
}
