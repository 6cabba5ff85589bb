// Issue 19 on real jails: jailctl wait sees a jail start and stop, /metrics
// has its usage in base units and its per-jail lifecycle counters (and
// promtool accepts them), and a label with state=running finds it.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/support/daemon_fixture.h"
#include "tests/system/scenario.h"

using namespace jaild;
using nlohmann::json;
using systest::scenario;

namespace {

// The value of the series `name{jail="JAIL"}` in a scrape, or -1.
double sample(const std::string& scrape, const std::string& name, const std::string& jail) {
  const std::string key = name + "{jail=\"" + jail + "\"} ";
  const auto at = scrape.find("\n" + key);
  return at == std::string::npos ? -1 : std::stod(scrape.substr(at + 1 + key.size()));
}

}  // namespace

TEST_CASE("daily use on Linux: wait, metrics of a running jail, labels with state", "[system]") {
  scenario s;
  s.define("web", {{"labels", {{"team", "web"}}}});
  s.define("idle", {{"labels", {{"team", "web"}}}});
  const auto web = s.name("web");
  auto& d = s.daemon();

  REQUIRE(d.jailctl({"start", "--async", web}).status == 0);
  auto r = d.jailctl({"wait", web, "--for", "running", "--timeout", "60s"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(s.state("web") == "running");

  const auto scrape = d.curl("GET", "/metrics").body;
  auto check = test::run({"promtool", "check", "metrics"}, scrape);
  INFO(check.out << check.err);
  CHECK(check.status == 0);
  CHECK(scrape.find("jaild_jail_state{jail=\"" + web + "\",state=\"running\"} 1") !=
        std::string::npos);
  CHECK(scrape.find("jaild_jail_state{jail=\"" + web + "\",state=\"stopped\"} 0") !=
        std::string::npos);
  CHECK(sample(scrape, "jaild_jail_memory_bytes", web) > 0);
  CHECK(sample(scrape, "jaild_jail_processes", web) >= 1);
  CHECK(sample(scrape, "jaild_jail_cpu_seconds_total", web) >= 0);
  CHECK(sample(scrape, "jaild_jail_starts_total", web) == 1);
  CHECK(sample(scrape, "jaild_jail_starts_total", s.name("idle")) == 0);
  CHECK(sample(scrape, "jaild_jail_memory_bytes", s.name("idle")) == -1);  // not running

  auto selected = d.curl("GET", "/v1/jails?label=team=web&state=running").json()["jails"];
  REQUIRE(selected.size() == 1);
  CHECK(selected[0]["spec"]["name"] == web);

  REQUIRE(d.jailctl({"stop", "--async", web}).status == 0);
  r = d.jailctl({"wait", web, "--for", "stopped", "--timeout", "60s"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(s.state("web") == "stopped");
  CHECK(sample(d.curl("GET", "/metrics").body, "jaild_jail_stops_total", web) == 1);
}
