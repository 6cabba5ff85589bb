// Events over the real socket: Server-Sent Events read by curl and by
// jailctl, resumed with Last-Event-ID; lifecycle errors through jailctl.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/daemon_fixture.h"
#include "tests/support/raw_client.h"

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

// curl's status and total time (seconds) for one request, bounded by --max-time.
std::pair<int, double> timed(const daemon_fixture& d, const std::string& method,
                             const std::string& path, const std::string& body = {}) {
  std::vector<std::string> argv{"curl", "-sS", "-o", "/dev/null", "--max-time", "10",
                                "-w", "%{http_code} %{time_total}", "--unix-socket",
                                d.socket().string(), "-X", method};
  if (!body.empty())
    argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  argv.push_back("http://localhost" + path);
  auto r = run(argv);
  std::istringstream in(r.out);
  int status = 0;
  double seconds = -1;
  in >> status >> seconds;
  return {status, seconds};
}

}  // namespace

TEST_CASE("events: curl reads the stream and resumes after Last-Event-ID", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"a","path":"/jails/a"})")).status == 201);
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"b","path":"/jails/b"})")).status == 201);
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
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"c","path":"/jails/c"})")).status == 201);
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
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web")}).status == 0);
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
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web"), "exec.prestart=exit 7"}).status == 0);
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

// Issue 12: 200 clients replaying 50,000 events held the store's lock for 13
// minutes, starved every request that needed the blocking pool, and made
// SIGTERM ineffective; a client more than 10,000 events behind got nothing.
// Here 200 clients ask for a 30,000-event backlog and never read it, while
// others read it whole. The latencies are printed; the bound checked is
// liveness (10 s), the 100 ms target is measured by bench/run --only events.
TEST_CASE("events: a large backlog replayed to many clients starves no one", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.stop() == 0);
  const int stored = 30000;
  auto fill = run({"sqlite3", d.database().string(),
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                       std::to_string(stored) +
                       ") INSERT INTO events (time_ms, type, jail, data) SELECT "
                       "CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'test.filler', "
                       "CASE WHEN i % 10 = 0 THEN 'tenth' ELSE '' END, "
                       "'{\"i\":' || i || ',\"pad\":\"" +
                       std::string(100, 'x') + "\"}' FROM n"});
  REQUIRE(fill.status == 0);
  d.start();

  std::vector<raw_client> stalled;
  for (int i = 0; i < 200; ++i) {
    stalled.push_back(raw_client::unix_socket(d.socket()));
    REQUIRE(stalled.back().send("GET /v1/events?since=0 HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  temp_dir tmp;
  std::vector<std::unique_ptr<background>> readers;
  for (int i = 0; i < 3; ++i)
    readers.push_back(std::make_unique<background>(
        std::vector<std::string>{"/usr/bin/curl", "-sS", "-N", "--unix-socket",
                                 d.socket().string(),
                                 "http://localhost/v1/events?since=0&follow=false"},
        tmp / ("all" + std::to_string(i) + ".txt")));
  readers.push_back(std::make_unique<background>(
      std::vector<std::string>{"/usr/bin/curl", "-sS", "-N", "--unix-socket",
                               d.socket().string(),
                               "http://localhost/v1/events?since=0&follow=false&jail=tenth"},
      tmp / "tenth.txt"));

  // While the backlog is being sent: a viewer read on the I/O threads, one on
  // the blocking pool, and an admin's write.
  for (int round = 0; round < 5; ++round) {
    const auto health = timed(d, "GET", "/v1/health");
    const auto info = timed(d, "GET", "/v1/info");
    const auto create = timed(d, "POST", "/v1/jails",
                              d.rooted(R"({"name":"j)" + std::to_string(round) + R"(","path":"/jails/x"})"));
    WARN("round " << round << ": health " << health.second * 1000 << " ms, info "
                  << info.second * 1000 << " ms, create " << create.second * 1000 << " ms");
    CHECK(health.first == 200);
    CHECK(info.first == 200);
    CHECK(create.first == 201);
  }

  for (auto& r : readers) REQUIRE(r->wait(std::chrono::seconds(120)) == 0);
  for (int i = 0; i < 3; ++i) {
    const auto ids = event_ids(readers[static_cast<std::size_t>(i)]->log());
    REQUIRE(ids.size() >= static_cast<std::size_t>(stored));
    // Every stored event, in order, none missing: seqs are 1..N.
    for (std::size_t k = 0; k < ids.size(); ++k) REQUIRE(ids[k] == static_cast<long long>(k + 1));
  }
  CHECK(event_ids(readers[3]->log()).size() == static_cast<std::size_t>(stored / 10));
  // SIGTERM ends jaild with every stalled stream still open.
  CHECK(d.stop() == 0);
}
