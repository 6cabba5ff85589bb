// Events over the real socket: Server-Sent Events read by curl and by
// jailctl, resumed with Last-Event-ID; lifecycle errors through jailctl.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;
using nlohmann::json;

namespace {

std::vector<long long> event_ids(const std::string& sse) {
  std::vector<long long> ids;
  std::istringstream in(sse);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("id: ", 0) == 0) ids.push_back(std::stoll(line.substr(4)));
  return ids;
}

}  // namespace

TEST_CASE("events: curl reads the stream and resumes after Last-Event-ID", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.curl("POST", "/v1/jails", R"({"name":"a","path":"/j/a"})").status == 201);
  REQUIRE(d.curl("POST", "/v1/jails", R"({"name":"b","path":"/j/b"})").status == 201);
  REQUIRE(d.curl("PATCH", "/v1/jails/a", R"({"priority":3})").status == 200);

  auto all = run({"curl", "-sS", "-N", "--unix-socket", d.socket().string(),
                  "http://localhost/v1/events?since=0&follow=false"});
  REQUIRE(all.status == 0);
  // daemon.reconciled (at start-up), two jail.created, one jail.updated.
  const auto ids = event_ids(all.out);
  REQUIRE(ids.size() == 4);
  CHECK(all.out.find("event: daemon.reconciled") < all.out.find("event: jail.created"));
  CHECK(all.out.find("event: jail.updated") != std::string::npos);
  for (std::size_t i = 1; i < ids.size(); ++i) CHECK(ids[i] > ids[i - 1]);

  auto resumed = run({"curl", "-sS", "-N", "--unix-socket", d.socket().string(), "-H",
                      "Last-Event-ID: " + std::to_string(ids[1]),
                      "http://localhost/v1/events?follow=false"});
  CHECK(event_ids(resumed.out) == std::vector<long long>{ids[2], ids[3]});

  // Live: a follower sees an event that happens after it connected.
  temp_dir tmp;
  background follower({"/usr/bin/curl", "-sS", "-N", "--unix-socket", d.socket().string(),
                       "http://localhost/v1/events"},
                      tmp / "stream.txt");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(d.curl("POST", "/v1/jails", R"({"name":"c","path":"/j/c"})").status == 201);
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    seen = follower.log().find("\"jail\":\"c\"") != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(seen);
  follower.stop(15);
  CHECK(d.curl("GET", "/v1/health").status == 200);
}

TEST_CASE("events: jailctl events prints the history", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=/jails/web"}).status == 0);
  auto r = d.jailctl({"events"});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("jail.created") != std::string::npos);
  CHECK(r.out.find("web") != std::string::npos);
  r = d.jailctl({"--json", "events", "--jail", "web"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out.substr(0, r.out.find('\n')))["type"] == "jail.created");
}

TEST_CASE("lifecycle: jailctl reports a failed start with its operation", "[integration]") {
  daemon_fixture d;
  d.start();
  // exec.prestart fails on every platform, before anything is created.
  REQUIRE(d.jailctl({"create", "web", "path=/nonexistent/web", "exec.prestart=exit 7"}).status == 0);
  auto r = d.jailctl({"start", "web"});
  CHECK(r.status == 1);
  INFO(r.err);
  CHECK(r.err.find("jailctl: web: ") != std::string::npos);
  auto at = r.err.find("jailctl op op-");
  REQUIRE(at != std::string::npos);
  const auto id = r.err.substr(at + 11, r.err.find('\n', at) - at - 11);
  auto op = d.jailctl({"op", id});
  CHECK(op.status == 0);
  CHECK(op.out.find(id + " start web: failed") != std::string::npos);
  auto ops = d.jailctl({"ops", "web"});
  CHECK(ops.out.find(id) != std::string::npos);
  auto show = d.jailctl({"--json", "show", "web"});
  CHECK(json::parse(show.out)["status"]["state"] == "failed");
  CHECK(d.jailctl({"boot-plan"}).out.find("no jail has boot=true") != std::string::npos);
}
