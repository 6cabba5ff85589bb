// /metrics through a real jaild: the Prometheus text format checked by
// Debian's promtool, and the series a monitoring system relies on.
#include <catch2/catch.hpp>

#include <chrono>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;

TEST_CASE("metrics: promtool accepts the format and the series are there", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"web","path":"/jails/web",
      "health":{"tcp":"80"}})")).status == 201);
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"db","path":"/jails/db"})")).status == 201);
  d.curl("GET", "/v1/jails/web");
  d.curl("GET", "/v1/jails/nope");
  // A start that fails before anything is created, on every platform.
  REQUIRE(d.curl("PATCH", "/v1/jails/db", R"({"exec":{"prestart":["exit 7"]}})",
                 "application/merge-patch+json").status == 200);
  REQUIRE(d.curl("POST", "/v1/jails/db/start").status >= 400);

  auto fetched = run({"curl", "-sS", "--unix-socket", d.socket().string(), "-D", "-",
                      "http://localhost/metrics"});
  REQUIRE(fetched.status == 0);
  const auto split = fetched.out.find("\r\n\r\n");
  const auto headers = fetched.out.substr(0, split);
  const auto body = fetched.out.substr(split + 4);
  CHECK(headers.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);

  auto check = run({"promtool", "check", "metrics"}, body);
  INFO(check.out << check.err);
  CHECK(check.status == 0);

  for (const char* series :
       {"jaild_build_info{version=", "jaild_jails{state=\"stopped\"} 1",
        "jaild_jails{state=\"failed\"} 1", "jaild_jail_state{jail=\"db\",state=\"failed\"} 1",
        // Every state of every jail is a series, 1 for the state it is in.
        "jaild_jail_state{jail=\"web\",state=\"stopped\"} 1",
        "jaild_jail_state{jail=\"web\",state=\"running\"} 0",
        "jaild_jail_state{jail=\"web\",state=\"crashloop\"} 0", "jaild_jail_up{jail=\"db\"} 0",
        "jaild_jail_restarts_total{jail=\"web\"} 0", "jaild_jail_healthy{jail=\"web\"} 0",
        "jaild_jail_health_state{jail=\"web\",state=\"healthy\"} 0",
        "jaild_jail_health_state{jail=\"web\",state=\"unhealthy\"} 0",
        // Lifecycle counters per jail: db's start failed once.
        "jaild_jail_starts_total{jail=\"web\"} 0", "jaild_jail_start_failures_total{jail=\"db\"} 1",
        "jaild_jail_start_failures_total{jail=\"web\"} 0", "jaild_jail_crashes_total{jail=\"db\"} 0",
        "# TYPE jaild_jail_cpu_seconds_total counter", "# TYPE jaild_jail_memory_bytes gauge",
        // The standard process metrics, under their standard names.
        "\nprocess_resident_memory_bytes ", "\nprocess_cpu_seconds_total ",
        "\nprocess_start_time_seconds ", "\nprocess_open_fds ", "\nprocess_max_fds ",
        "jaild_http_requests_total{method=\"GET\",route=\"/v1/jails/{name}\",code=\"200\"} 1",
        "jaild_http_requests_total{method=\"GET\",route=\"/v1/jails/{name}\",code=\"404\"} 1",
        "jaild_http_requests_total{method=\"POST\",route=\"/v1/jails\",code=\"201\"} 2",
        "jaild_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/jails/{name}\",le=\"+Inf\"} 2"}) {
    INFO(series);
    CHECK(body.find(series) != std::string::npos);
  }
  // No value hides in a label, no quantity shares a metric with another,
  // and the standard names are not shadowed by jaild's own.
  for (const char* gone : {"health=\"", "jaild_jail_usage", "jaild_process_", "resource=\""}) {
    INFO(gone);
    CHECK(body.find(gone) == std::string::npos);
  }
  // The process started before this scrape, within this test.
  const auto at = body.find("\nprocess_start_time_seconds ");
  const double started = std::stod(body.substr(at + 28));
  const double now = std::chrono::duration<double>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(started <= now);
  CHECK(started > now - 600);
  // Unknown paths are counted under one label, not one series per path.
  for (int i = 0; i < 5; ++i) d.curl("GET", "/v1/scan" + std::to_string(i));
  auto again = d.curl("GET", "/metrics");
  CHECK(again.body.find("route=\"none\",code=\"404\"} 5") != std::string::npos);
  CHECK(again.body.find("/v1/scan") == std::string::npos);
}
