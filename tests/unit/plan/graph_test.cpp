#include "lib/plan/graph.h"

#include <catch2/catch.hpp>

using namespace jaild::plan;
using names = std::vector<std::string>;

namespace {

// db <- app <- web, cache independent, log at priority 1
std::vector<node> sample() {
  return {{"web", 10, {"app"}},   {"app", 50, {"db", "cache"}}, {"db", 20, {}},
          {"cache", 30, {}},      {"log", 1, {}},               {"batch", 99, {"db"}}};
}

}  // namespace

TEST_CASE("plan: start waves follow depend, then priority, then name", "[plan]") {
  auto waves = start_waves(sample());
  REQUIRE(waves.size() == 3);
  CHECK(waves[0] == names{"log", "db", "cache"});
  CHECK(waves[1] == names{"app", "batch"});
  CHECK(waves[2] == names{"web"});
}

TEST_CASE("plan: waves of a subset treat outside dependencies as satisfied", "[plan]") {
  auto waves = start_waves(sample(), {"web", "app"});
  REQUIRE(waves.size() == 2);
  CHECK(waves[0] == names{"app"});
  CHECK(waves[1] == names{"web"});
}

TEST_CASE("plan: a jail with its dependencies, dependencies first", "[plan]") {
  CHECK(with_dependencies(sample(), "web") == names{"db", "cache", "app", "web"});
  CHECK(with_dependencies(sample(), "db") == names{"db"});
  // An undefined dependency is named so that the caller can report it.
  std::vector<node> broken{{"web", 99, {"ghost"}}};
  CHECK(with_dependencies(broken, "web") == names{"ghost", "web"});
  CHECK(missing_dependencies(broken, "web") == names{"ghost"});
  CHECK(missing_dependencies(sample(), "web").empty());
}

TEST_CASE("plan: dependents stop first, deepest first", "[plan]") {
  CHECK(dependents_of(sample(), "db") == names{"web", "batch", "app"});
  CHECK(dependents_of(sample(), "app") == names{"web"});
  CHECK(dependents_of(sample(), "web").empty());
  CHECK(dependents_of(sample(), "log").empty());
}

TEST_CASE("plan: cycles are found and spelled out", "[plan]") {
  CHECK(find_cycle(sample()).empty());
  std::vector<node> cyclic{{"a", 99, {"b"}}, {"b", 99, {"c"}}, {"c", 99, {"a"}}, {"d", 99, {}}};
  auto cycle = find_cycle(cyclic);
  CHECK(cycle == names{"a", "b", "c", "a"});
  CHECK(describe_cycle(cycle) == "a -> b -> c -> a");
  std::vector<node> self{{"a", 99, {"a"}}};
  CHECK(describe_cycle(find_cycle(self)) == "a -> a");
  std::vector<node> dangling{{"a", 99, {"ghost"}}};
  CHECK(find_cycle(dangling).empty());
}
