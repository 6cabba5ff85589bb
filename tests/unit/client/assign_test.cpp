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

TEST_CASE("assign: command= is split as jail.conf splits it", "[client]") {
  // jail(8)'s rule: plain words are an argv, a shell character means sh -c.
  auto p = assignments_to_patch({"command=/bin/sleep 600"});
  CHECK(p["command"] == json::array({"/bin/sleep", "600"}));
  p = assignments_to_patch({"command=/bin/echo hi > /tmp/x"});
  CHECK(p["command"] == json::array({"/bin/sh", "-c", "/bin/echo hi > /tmp/x"}));
  // Hooks stay one command line each, run as jail(8) runs them.
  p = assignments_to_patch({"exec.start=/bin/sh /etc/rc"});
  CHECK(p["exec"]["start"] == json::array({"/bin/sh /etc/rc"}));
}

TEST_CASE("assign: an unknown name is kept with a warning naming the nearest known one",
          "[client]") {
  std::vector<std::string> warnings;
  auto p = assignments_to_patch({"prioirty=5", "allow.raw_sockets=true", "path=/j"}, &warnings);
  CHECK(p["params"]["prioirty"] == 5);
  CHECK(p["params"]["allow.raw_sockets"] == true);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "'prioirty' is neither a spec field nor a jail(8) parameter; did you mean 'priority'?");
  warnings.clear();
  assignments_to_patch({"allow.raw_socket=1", "allow.nomount", "enforce_statfs=2",
                        "children.max=-1", "x.custom=1"},
                       &warnings);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("did you mean 'allow.raw_sockets'?") != std::string::npos);
  CHECK(warnings[1] == "'x.custom' is neither a spec field nor a jail(8) parameter");
}

TEST_CASE("assign: a value jail(8) would refuse for its own parameter is refused", "[client]") {
  try {
    assignments_to_patch({"allow.raw_sockets=ture"});
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "allow.raw_sockets takes true or false, not 'ture'; did you mean 'true'?");
  }
  CHECK_THROWS_AS(assignments_to_patch({"securelevel=high"}), std::invalid_argument);
  CHECK(assignments_to_patch({"securelevel=-1"})["params"]["securelevel"] == -1);
  CHECK(assignments_to_patch({"allow.mlock=no"})["params"]["allow.mlock"] == false);
}

TEST_CASE("assign: restart, health and vnet", "[client]") {
  auto p = assignments_to_patch({"restart=on-failure:5", "health=tcp:80"});
  CHECK(p["restart"] == "on-failure:5");
  CHECK(p["health"] == json{{"tcp", "80"}});
  p = assignments_to_patch({R"(vnet={"interfaces":[{"network":"lan"}]})"});
  CHECK(p["vnet"]["interfaces"][0]["network"] == "lan");
  CHECK_THROWS_AS(assignments_to_patch({"vnet=bridge0"}), std::invalid_argument);
}

#include "client/field_flags.h"

TEST_CASE("field flags: --vnet, --network and --health short forms", "[client]") {
  using namespace jaild::client;
  CHECK(vnet_interface_flag("bridge0") == json{{"bridge", "bridge0"}});
  CHECK(vnet_interface_flag("br0:10.0.0.5/24") ==
        json{{"bridge", "br0"}, {"ip4", {"10.0.0.5/24"}}});
  CHECK(vnet_interface_flag("br0:10.0.0.5/24,fd00::5/64") ==
        json{{"bridge", "br0"}, {"ip4", {"10.0.0.5/24"}}, {"ip6", {"fd00::5/64"}}});
  CHECK_THROWS_AS(vnet_interface_flag(":10.0.0.5/24"), std::invalid_argument);
  CHECK_THROWS_AS(vnet_interface_flag("br0:"), std::invalid_argument);
  CHECK(network_interface_flag("lan") == json{{"network", "lan"}});
  CHECK_THROWS_AS(network_interface_flag("lan:10.0.0.1"), std::invalid_argument);
  CHECK(health_flag("tcp:127.0.0.1:80") == json{{"tcp", "127.0.0.1:80"}});
  CHECK(health_flag("http://127.0.0.1:8080/ready") == json{{"http", "http://127.0.0.1:8080/ready"}});
  CHECK(health_flag("exec:/bin/test -f /ready") ==
        json{{"exec", {"/bin/test", "-f", "/ready"}}});
  CHECK_THROWS_AS(health_flag("ping"), std::invalid_argument);
  CHECK_THROWS_AS(health_flag("tcp:"), std::invalid_argument);
}

#include "client/times.h"

TEST_CASE("times: RFC 3339 in JSON, the local zone in tables", "[client]") {
  using namespace jaild::client;
  CHECK(rfc3339_utc(1764760000123) == "2025-12-03T11:06:40.123Z");
  CHECK(rfc3339_utc(-1) == "1969-12-31T23:59:59.999Z");
  json j = {{"time", 1764760000123},
            {"status", {{"started_at", 0}, {"state", "running"}, {"restarts", 2}}},
            {"ops", {{{"finished_at", 1000}}}},
            {"spec", {{"params", {{"time", 5}}}}},
            {"expires_at", nullptr}};
  auto out = with_rfc3339_times(j);
  CHECK(out["time"] == "2025-12-03T11:06:40.123Z");
  CHECK(out["status"]["started_at"] == "1970-01-01T00:00:00.000Z");
  CHECK(out["status"]["restarts"] == 2);
  CHECK(out["ops"][0]["finished_at"] == "1970-01-01T00:00:01.000Z");
  CHECK(out["spec"]["params"]["time"] == 5);  // a jail(8) parameter, left alone
  CHECK(out["expires_at"].is_null());
  setenv("TZ", "UTC", 1);
  tzset();
  CHECK(local_time(1764760000123) == "2025-12-03 11:06:40");
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  CHECK(local_time(1764760000123) == "2025-12-03 12:06:40");
  unsetenv("TZ");
  tzset();
}
