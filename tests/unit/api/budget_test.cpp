#include "api/budget.h"

#include <catch2/catch.hpp>

#include <vector>

using jaild::api::budget;

TEST_CASE("budget: a holder is held to its share, admins keep their slots", "[api]") {
  auto b = std::make_shared<budget>(budget::limits{10, 2, 3});
  std::vector<std::shared_ptr<budget::slot>> held;
  for (int i = 0; i < 3; ++i) REQUIRE(held.emplace_back(b->take("uid 1000", false).taken));
  auto refused = b->take("uid 1000", false);
  CHECK_FALSE(refused.taken);
  CHECK(refused.why == budget::refusal::holder_full);
  CHECK(refused.open == 3);
  for (int i = 0; i < 3; ++i) REQUIRE(held.emplace_back(b->take("uid 1001", false).taken));
  for (int i = 0; i < 2; ++i) REQUIRE(held.emplace_back(b->take("uid 1002", false).taken));
  CHECK(b->open() == 8);
  // The last two are the admins', whoever else asks.
  CHECK(b->take("uid 1002", false).why == budget::refusal::reserved);
  CHECK_FALSE(b->take(std::nullopt, false).taken);
  REQUIRE(held.emplace_back(b->take("uid 0", true).taken));
  REQUIRE(held.emplace_back(b->take("uid 0", true).taken));
  CHECK(b->take("uid 0", true).why == budget::refusal::full);
  // What ends gives its slot back, to its holder too.
  held.erase(held.begin());
  CHECK(b->open() == 9);
  CHECK_FALSE(b->take("uid 1000", false).taken);  // the free slot is an admin's
  held.pop_back();
  held.pop_back();  // now 7 of the 8 that are not kept are held
  CHECK(b->take("uid 1000", false).taken);
}

TEST_CASE("budget: admins are not counted per holder", "[api]") {
  auto b = std::make_shared<budget>(budget::limits{100, 0, 2});
  std::vector<std::shared_ptr<budget::slot>> held;
  for (int i = 0; i < 50; ++i) REQUIRE(held.emplace_back(b->take("uid 0", true).taken));
  CHECK(b->take("uid 7", false).taken);
}
