#include <catch2/catch.hpp>

#include "client/suggest.h"

using jaild::client::nearest;

TEST_CASE("suggest: the nearest word within a typo's reach", "[client]") {
  const std::vector<std::string> commands{"list", "ls", "show", "start", "stop", "restart"};
  CHECK(nearest("lst", commands) == "list");      // a letter left out (ls is 1 away too: first wins)
  CHECK(nearest("lsit", commands) == "list");     // two letters swapped
  CHECK(nearest("strat", commands) == "start");
  CHECK(nearest("shwo", commands) == "show");
  CHECK(nearest("restrat", commands) == "restart");
  CHECK_FALSE(nearest("frobnicate", commands));  // too far from everything
  CHECK_FALSE(nearest("xyz", commands));
  const std::vector<std::string> params{"priority", "allow.raw_sockets", "enforce_statfs"};
  CHECK(nearest("prioirty", params) == "priority");
  CHECK(nearest("allow.raw_socket", params) == "allow.raw_sockets");
}
