#include "api/http/connection_budget.h"

#include <catch2/catch.hpp>

#include <vector>

using jaild::api::http::connection_budget;

TEST_CASE("connection budget: a uid is held to its share, admins keep their slots", "[api]") {
  auto budget = std::make_shared<connection_budget>(connection_budget::limits{10, 2, 3});
  std::vector<std::shared_ptr<connection_budget::slot>> held;
  std::string why;
  for (int i = 0; i < 3; ++i) held.push_back(budget->take(1000, false));
  CHECK_FALSE(budget->take(1000, false, &why));
  CHECK(why.find("uid 1000 has 3 connections open") != std::string::npos);
  for (int i = 0; i < 3; ++i) REQUIRE(held.emplace_back(budget->take(1001, false)));
  for (int i = 0; i < 2; ++i) REQUIRE(held.emplace_back(budget->take(1002, false)));
  CHECK(budget->open() == 8);
  // The last two are root's (or an admin group's), whoever else asks.
  CHECK_FALSE(budget->take(1002, false, &why));
  CHECK(why.find("kept for admins") != std::string::npos);
  CHECK_FALSE(budget->take(std::nullopt, false));
  REQUIRE(held.emplace_back(budget->take(0, true)));
  REQUIRE(held.emplace_back(budget->take(0, true)));
  CHECK_FALSE(budget->take(0, true, &why));
  CHECK(why.find("max_connections") != std::string::npos);
  // A connection that ends gives its slot back, to its uid too.
  held.erase(held.begin());
  CHECK(budget->open() == 9);
  CHECK_FALSE(budget->take(1000, false));  // the free slot is an admin's
  held.pop_back();
  held.pop_back();  // now 7 of the 8 that are not kept are open
  CHECK(budget->take(1000, false));
}

TEST_CASE("connection budget: admins are not counted per uid", "[api]") {
  auto budget = std::make_shared<connection_budget>(connection_budget::limits{100, 0, 2});
  std::vector<std::shared_ptr<connection_budget::slot>> held;
  for (int i = 0; i < 50; ++i) REQUIRE(held.emplace_back(budget->take(0, true)));
  CHECK(budget->take(7, false));
}
