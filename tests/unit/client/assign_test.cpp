#include "client/assign.h"

#include <catch2/catch.hpp>

using jaild::client::assignments_to_patch;
using nlohmann::json;

TEST_CASE("assign: spec fields and jail(8) names map to the spec", "[client]") {
  auto p = assignments_to_patch({"path=/jails/web", "host.hostname=web.example.org",
                                 "ip4.addr=em0|192.0.2.5/24,em0|192.0.2.6", "priority=10",
                                 "boot=true", "depend=db, cache", "exec.start=sh /etc/rc",
                                 "mount.devfs=1", "devfs_ruleset=4", "stop.timeout=30"});
  CHECK(p["path"] == "/jails/web");
  CHECK(p["hostname"] == "web.example.org");
  CHECK(p["ip4"] == json::array({"em0|192.0.2.5/24", "em0|192.0.2.6"}));
  CHECK(p["priority"] == 10);
  CHECK(p["boot"] == true);
  CHECK(p["depend"] == json::array({"db", "cache"}));
  CHECK(p["exec"]["start"] == json::array({"sh /etc/rc"}));
  CHECK(p["mount"]["devfs"] == true);
  CHECK(p["mount"]["devfs_ruleset"] == 4);
  CHECK(p["stop_timeout"] == "30");
}

TEST_CASE("assign: other names are jail(8) parameters with typed values", "[client]") {
  auto p = assignments_to_patch({"allow.raw_sockets=true", "enforce_statfs=1",
                                 "osrelease=13.2-RELEASE", "allow.nomount", "children.max=",
                                 "x.list=a,b"});
  CHECK(p["params"]["allow.raw_sockets"] == true);
  CHECK(p["params"]["enforce_statfs"] == 1);
  CHECK(p["params"]["osrelease"] == "13.2-RELEASE");
  CHECK(p["params"]["allow.mount"] == false);  // the "no" form
  CHECK(p["params"]["children.max"].is_null());  // empty removes
  CHECK(p["params"]["x.list"] == json::array({"a", "b"}));
}

TEST_CASE("assign: JSON values and bad assignments", "[client]") {
  auto p = assignments_to_patch({R"(command=["/bin/sh","-c","sleep 1"])", "cpuset="});
  CHECK(p["command"] == json::array({"/bin/sh", "-c", "sleep 1"}));
  CHECK(p["cpuset"].is_null());
  CHECK_THROWS_AS(assignments_to_patch({"priority=high"}), std::invalid_argument);
  CHECK_THROWS_AS(assignments_to_patch({"boot=maybe"}), std::invalid_argument);
  CHECK_THROWS_AS(assignments_to_patch({"=x"}), std::invalid_argument);
  CHECK_THROWS_AS(assignments_to_patch({"command=[oops"}), std::invalid_argument);
}

TEST_CASE("assign: overlay keeps the nulls that remove settings", "[client]") {
  json into = {{"priority", 1}, {"params", {{"a", 1}}}};
  jaild::client::overlay(into, json{{"params", {{"b", nullptr}}}, {"boot", true}});
  CHECK(into == json{{"priority", 1}, {"params", {{"a", 1}, {"b", nullptr}}}, {"boot", true}});
}

#include <sstream>

#include "client/table.h"

TEST_CASE("table: columns are chosen and ordered by name, header optional", "[client]") {
  jaild::client::table t({"JID", "NAME", "STATE"});
  t.add({"1", "web", "running"});
  t.add({"-", "db", "stopped"});
  std::ostringstream all;
  t.print(all, jaild::client::table_style{});
  CHECK(all.str() == "JID  NAME  STATE\n1    web   running\n-    db    stopped\n");
  std::ostringstream picked;
  t.print(picked, jaild::client::table_style{false, {"state", "name"}});
  CHECK(picked.str() == "running  web\nstopped  db\n");
  std::ostringstream out;
  CHECK_THROWS_AS(t.print(out, jaild::client::table_style{true, {"ip6"}}), std::invalid_argument);
}
