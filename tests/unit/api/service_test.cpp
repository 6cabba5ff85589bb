// The API's request pipeline and jail handlers, without sockets: a real
// engine and store on a temporary file, a fake host, and an executor that
// runs "blocking" handlers inline.
#include "api/service.h"

#include "api/url.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <future>
#include <thread>

#include "tests/support/api_fixture.h"

using namespace jaild;
using nlohmann::json;

namespace {

using test::api_fixture;

const char* web = R"({"name":"web","path":"/jails/web","ip4":["em0|192.0.2.5/24"]})";

void expect_problem(const api::response& r, unsigned status, const std::string& code) {
  INFO("body: " << r.payload());
  CHECK(r.status == status);
  CHECK(r.content_type == "application/problem+json");
  auto j = json::parse(r.payload());
  CHECK(j["code"] == code);
  CHECK(j["status"] == status);
  CHECK(j["detail"].get<std::string>().size() > 5);
  CHECK(j["type"] == "urn:jaild:problem:" + code);
}

}  // namespace

TEST_CASE("service: health and info answer", "[api]") {
  api_fixture f;
  auto r = f.call("GET", "/v1/health");
  CHECK(r.status == 200);
  CHECK(f.body_of(r)["status"] == "ok");
  r = f.call("GET", "/v1/info");
  CHECK(r.status == 200);
  CHECK(f.body_of(r)["host"]["platform"] == "fake");
}

TEST_CASE("service: create, get, list, patch, replace, delete", "[api]") {
  api_fixture f;
  auto r = f.call("POST", "/v1/jails", web);
  REQUIRE(r.status == 201);
  CHECK(r.headers.at(0) == std::pair<std::string, std::string>("Location", "/v1/jails/web"));
  CHECK(f.body_of(r)["spec"]["name"] == "web");
  CHECK(f.body_of(r)["status"]["state"] == "stopped");

  r = f.call("GET", "/v1/jails/web");
  CHECK(r.status == 200);
  CHECK(f.body_of(r)["spec"]["ip4"][0] == "em0|192.0.2.5/24");

  r = f.call("GET", "/v1/jails");
  CHECK(f.body_of(r)["jails"].size() == 1);

  r = f.call("PATCH", "/v1/jails/web", R"({"priority":5,"params":{"allow.raw_sockets":true}})",
             "application/merge-patch+json");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["spec"]["priority"] == 5);
  CHECK(f.body_of(r)["spec"]["params"]["allow.raw_sockets"] == true);
  CHECK(f.body_of(r)["spec"]["ip4"][0] == "em0|192.0.2.5/24");

  // null in a merge patch removes.
  r = f.call("PATCH", "/v1/jails/web", R"({"params":{"allow.raw_sockets":null}})");
  CHECK(f.body_of(r)["spec"]["params"] == json::object());

  r = f.call("PUT", "/v1/jails/web", R"({"path":"/jails/web2"})");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["spec"]["path"] == "/jails/web2");
  CHECK(f.body_of(r)["spec"]["ip4"].empty());

  r = f.call("DELETE", "/v1/jails/web");
  CHECK(r.status == 204);
  CHECK(f.call("GET", "/v1/jails/web").status == 404);
  CHECK(f.body_of(f.call("GET", "/v1/jails"))["jails"].empty());
}

namespace {

// {"a":{"a":...1...}}, `levels` objects deep.
std::string deep_object(std::size_t levels) {
  std::string out;
  for (std::size_t i = 0; i < levels; ++i) out += "{\"a\":";
  out += "1";
  out.append(levels, '}');
  return out;
}

}  // namespace

TEST_CASE("service: every bad input is a 4xx problem and changes nothing", "[api]") {
  api_fixture f;
  REQUIRE(f.call("POST", "/v1/jails", web).status == 201);
  const auto before = f.database_state();
  const auto list_before = std::string(f.call("GET", "/v1/jails").payload());

  struct bad {
    std::string method, target, body, content_type;
    unsigned status;
    std::string code;
  };
  const std::vector<bad> cases{
      {"POST", "/v1/jails", "{\"name\":", "application/json", 400, "malformed_json"},
      {"POST", "/v1/jails", "", "application/json", 400, "malformed_json"},
      {"POST", "/v1/jails", "[1,2]", "application/json", 400, "invalid_type"},
      {"POST", "/v1/jails", R"({"name":"x","path":5})", "application/json", 400, "invalid_type"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j/x","vnet":{"bridge":"b"}})",
       "application/json", 400, "unknown_field"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j/x","allow.raw_sockets":true})",
       "application/json", 400, "unknown_field"},
      {"POST", "/v1/jails", R"({"name":"a.b","path":"/j/x"})", "application/json", 400,
       "invalid_name"},
      {"POST", "/v1/jails", R"({"name":"42","path":"/j/x"})", "application/json", 400,
       "invalid_name"},
      {"POST", "/v1/jails", web, "application/json", 409, "jail_exists"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j/x","limits":["cputime:deny=1"]})",
       "application/json", 400, "invalid_value"},
      {"POST", "/v1/jails", R"({"name":"x"})", "application/json", 400, "missing_field"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j"})", "application/x-www-form-urlencoded",
       415, "unsupported_media_type"},
      {"PATCH", "/v1/jails/web", R"({"name":"other"})", "application/json", 400,
       "invalid_value"},
      {"PATCH", "/v1/jails/web", R"({"priority":-4})", "application/json", 400, "invalid_value"},
      {"PATCH", "/v1/jails/web", R"([])", "application/json", 400, "invalid_type"},
      {"PATCH", "/v1/jails/nope", R"({"priority":1})", "application/json", 404,
       "jail_not_found"},
      {"PUT", "/v1/jails/web", R"({"name":"other","path":"/x"})", "application/json", 400,
       "invalid_value"},
      {"GET", "/v1/jails/a.b", "", "", 400, "invalid_name"},
      {"GET", "/v1/jails/nope", "", "", 404, "jail_not_found"},
      {"DELETE", "/v1/jails/nope", "", "", 404, "jail_not_found"},
      {"DELETE", "/v1/jails/web?force=perhaps", "", "", 400, "bad_request"},
      {"GET", "/v1/nothing", "", "", 404, "not_found"},
      {"PUT", "/v1/jails", "{}", "application/json", 405, "method_not_allowed"},
      // A merge patch is applied recursively: this one overflowed the stack of
      // the thread that applied it and took jaild down.
      {"PATCH", "/v1/jails/web", deep_object(170000), "application/json", 400, "invalid_value"},
      {"POST", "/v1/jails", deep_object(33), "application/json", 400, "invalid_value"},
      {"POST", "/v1/jails", deep_object(32), "application/json", 400, "missing_field"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.target << " " << c.body);
    auto r = f.call(c.method, c.target, c.body, c.content_type);
    expect_problem(r, c.status, c.code);
  }
  CHECK(f.database_state() == before);
  CHECK(std::string(f.call("GET", "/v1/jails").payload()) == list_before);
}

TEST_CASE("service: 405 names the allowed methods", "[api]") {
  api_fixture f;
  auto r = f.call("PUT", "/v1/jails", "{}");
  REQUIRE(r.status == 405);
  bool has_allow = false;
  for (const auto& [k, v] : r.headers)
    if (k == "Allow") has_allow = v == "GET, POST";
  CHECK(has_allow);
}

TEST_CASE("service: every route declares a summary and a role", "[api]") {
  api_fixture f;
  for (const auto& r : f.svc.routes().routes()) {
    INFO(r.method << " " << r.pattern);
    CHECK_FALSE(r.summary.empty());
    // No GET changes state, so a viewer may make every GET but those that show
    // credentials; every other method changes something and needs more. The
    // one GET that runs something is a WebSocket's handshake (RFC 6455 makes
    // it a GET): audited, and never a viewer's.
    if (r.method == "GET" && !r.audited)
      CHECK((r.needs == api::role::viewer) != r.pattern.starts_with("/v1/tokens"));
    else
      CHECK(r.needs != api::role::viewer);
  }
}

namespace {

// Reads chunks from a streamed response until `count` arrived or it ended.
std::vector<std::string> read_stream(const api::response& r, std::size_t count) {
  std::vector<std::string> out;
  bool ended = false;
  while (out.size() < count && !ended) {
    std::promise<std::optional<std::string>> next;
    auto fut = next.get_future();
    r.stream->next([&next](std::optional<std::string> chunk) { next.set_value(std::move(chunk)); });
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) break;
    auto chunk = fut.get();
    if (!chunk) ended = true;
    else out.push_back(*chunk);
  }
  return out;
}

// A GET of the event stream from root, on `svc`.
api::response open_events(api::service& svc, const std::string& target) {
  api::request req;
  req.method = "GET";
  req.target = target;
  REQUIRE(api::split_target(target, req.path, req.query));
  req.from.uid = 0;
  api::response out;
  svc.dispatch(req, [&](api::response resp) { out = std::move(resp); });
  REQUIRE(out.stream);
  return out;
}

std::vector<long long> ids_of(const std::vector<std::string>& chunks) {
  std::vector<long long> ids;
  for (const auto& c : chunks)
    if (c.starts_with("id: ")) ids.push_back(std::stoll(c.substr(4)));
  return ids;
}

}  // namespace

TEST_CASE("service: start and stop, synchronous and async", "[api]") {
  api_fixture f;
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"db","path":"/j/db"})").status == 201);
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"web","path":"/j/web","depend":["db"]})").status ==
          201);

  auto r = f.call("POST", "/v1/jails/web/start");
  REQUIRE(r.status == 200);
  auto body = f.body_of(r);
  CHECK(body["operation"]["state"] == "succeeded");
  CHECK(body["operation"]["kind"] == "start");
  CHECK(body["jail"]["status"]["state"] == "running");
  CHECK(f.body_of(f.call("GET", "/v1/jails/db"))["status"]["state"] == "running");

  r = f.call("POST", "/v1/jails/db/stop");
  expect_problem(r, 409, "dependents_running");

  r = f.call("POST", "/v1/jails/db/stop?cascade=true&async=true");
  REQUIRE(r.status == 202);
  const auto id = f.body_of(r)["operation"]["id"].get<std::string>();
  CHECK(r.headers.at(0).second == "/v1/operations/" + id);
  // Poll the operation until it ends.
  json op;
  for (int i = 0; i < 200; ++i) {
    op = f.body_of(f.call("GET", "/v1/operations/" + id));
    if (op["state"] == "succeeded" || op["state"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(op["state"] == "succeeded");
  CHECK(f.body_of(f.call("GET", "/v1/jails/web"))["status"]["state"] == "stopped");

  auto ops = f.body_of(f.call("GET", "/v1/operations?jail=db"));
  CHECK(ops["operations"].size() >= 2);
  expect_problem(f.call("GET", "/v1/operations/op-nope"), 404, "operation_not_found");
  expect_problem(f.call("GET", "/v1/operations?limit=0"), 400, "bad_request");
}

TEST_CASE("service: a failed start answers the operation's problem and its id", "[api]") {
  api_fixture f;
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"web","path":"/j/web"})").status == 201);
  f.host.fail_at("create_jail");
  auto r = f.call("POST", "/v1/jails/web/start");
  expect_problem(r, 500, "host_failure");
  auto body = f.body_of(r);
  REQUIRE(body.contains("operation"));
  auto op = f.body_of(f.call("GET", "/v1/operations/" + body["operation"].get<std::string>()));
  CHECK(op["state"] == "failed");
  CHECK(op["code"] == "host_failure");
  bool saw_failed_step = false;
  for (const auto& s : op["steps"]) saw_failed_step = saw_failed_step || s["status"] != 0;
  CHECK(saw_failed_step);
}

TEST_CASE("service: exec, stats, logs and the boot plan", "[api]") {
  api_fixture f;
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"web","path":"/j/web","boot":true})").status ==
          201);
  expect_problem(f.call("POST", "/v1/jails/web/exec", R"({"argv":["true"]})"), 409,
                 "jail_running");
  REQUIRE(f.call("POST", "/v1/jails/web/start").status == 200);
  auto r = f.call("POST", "/v1/jails/web/exec", R"({"argv":["true"],"env":{"A":"1"}})");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["exit_code"] == 0);
  expect_problem(f.call("POST", "/v1/jails/web/exec", R"({"argv":[]})"), 400, "missing_field");
  expect_problem(f.call("POST", "/v1/jails/web/exec", R"({"argv":["x"],"shell":true})"), 400,
                 "unknown_field");
  expect_problem(f.call("POST", "/v1/jails/web/exec", R"({"argv":["x"],"env":{"A=B":"1"}})"), 400,
                 "invalid_value");
  r = f.call("GET", "/v1/jails/web/stats");
  CHECK(f.body_of(r)["usage"]["memoryuse"] == 1024);
  r = f.call("GET", "/v1/jails/web/logs");
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain; charset=utf-8");
  r = f.call("GET", "/v1/boot-plan");
  CHECK(f.body_of(r)["waves"] == json::parse(R"([["web"]])"));
}

TEST_CASE("service: signal reaches the host with its target, and bad ones are refused", "[api]") {
  api_fixture f;
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"web","path":"/j/web"})").status == 201);
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"HUP"})"), 409,
                 "jail_running");
  REQUIRE(f.call("POST", "/v1/jails/web/start").status == 200);
  auto signals = [&] {
    std::vector<std::string> out;
    for (const auto& c : f.host.calls())
      if (c.starts_with("signal ")) out.push_back(c);
    return out;
  };
  auto r = f.call("POST", "/v1/jails/web/signal", R"({"signal":"HUP"})");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r) == json::parse(R"({"name":"web","signal":"HUP","target":"init"})"));
  r = f.call("POST", "/v1/jails/web/signal", R"({"signal":"sigterm","target":"all"})");
  CHECK(f.body_of(r)["signal"] == "TERM");
  r = f.call("POST", "/v1/jails/web/signal", R"({"signal":"USR1","target":57})");
  CHECK(f.body_of(r)["target"] == 57);
  CHECK(signals() == std::vector<std::string>{"signal web init " + std::to_string(SIGHUP),
                                              "signal web all " + std::to_string(SIGTERM),
                                              "signal web 57 " + std::to_string(SIGUSR1)});
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"USR1","target":4242})"),
                 404, "process_not_found");
  // Refused before the host is asked: nothing more reaches it.
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"SEGV"})"), 400,
                 "invalid_value");
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"target":"all"})"), 400,
                 "missing_field");
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"HUP","target":0})"), 400,
                 "invalid_value");
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"HUP","target":-1})"), 400,
                 "invalid_value");
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"HUP","target":"host"})"),
                 400, "invalid_value");
  expect_problem(f.call("POST", "/v1/jails/web/signal", R"({"signal":"HUP","pid":3})"), 400,
                 "unknown_field");
  CHECK(signals().size() == 4);
  expect_problem(f.call("POST", "/v1/jails/nope/signal", R"({"signal":"HUP"})"), 404,
                 "jail_not_found");
}

TEST_CASE("service: exec says how much output was cut, and takes stdin as base64", "[api]") {
  api_fixture f;
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"web","path":"/j/web"})").status == 201);
  REQUIRE(f.call("POST", "/v1/jails/web/start").status == 200);
  auto r = f.call("POST", "/v1/jails/web/exec", R"({"argv":["cat"],"input_base64":"AAEC/w=="})");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["stdout"] == std::string("\x00\x01\x02\xef\xbf\xbd", 6));  // 0xff: U+FFFD
  CHECK(f.body_of(r)["stdout_cut_bytes"] == 0);
  CHECK(f.body_of(r)["stderr_cut_bytes"] == 0);
  CHECK_FALSE(f.body_of(r).contains("truncated"));
  // The fixture keeps 1024 bytes ([api] exec_output_bytes).
  r = f.call("POST", "/v1/jails/web/exec",
             json{{"argv", {"cat"}}, {"input", std::string(3000, 'x')}}.dump());
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["stdout"] == std::string(1024, 'x'));
  CHECK(f.body_of(r)["stdout_cut_bytes"] == 3000 - 1024);
  CHECK(f.body_of(r)["truncated"].get<std::string>().find("dropped 1976 more bytes of stdout") !=
        std::string::npos);
  expect_problem(f.call("POST", "/v1/jails/web/exec", R"({"argv":["cat"],"input_base64":"AAE"})"),
                 400, "invalid_value");
  expect_problem(f.call("POST", "/v1/jails/web/exec",
                        R"({"argv":["cat"],"input":"a","input_base64":"YQ=="})"),
                 400, "invalid_value");
}

TEST_CASE("service: events stream, resume after a sequence number without gaps", "[api]") {
  api_fixture f;
  for (auto n : {"a", "b", "c"})
    REQUIRE(f.call("POST", "/v1/jails", json{{"name", n}, {"path", "/j/x"}}.dump()).status == 201);

  auto r = f.call("GET", "/v1/events?since=0&follow=false");
  REQUIRE(r.stream);
  CHECK(r.content_type == "text/event-stream");
  auto chunks = read_stream(r, 100);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].starts_with("id: 1\nevent: jail.created\ndata: "));
  CHECK(chunks[2].find("\"jail\":\"c\"") != std::string::npos);

  // Resume after event 1 (Last-Event-ID): 2 and 3, then live events as they happen.
  api::request req;
  req.method = "GET";
  req.path = req.target = "/v1/events";
  req.headers["last-event-id"] = "1";
  req.from.uid = 0;
  api::response live;
  f.svc.dispatch(req, [&](api::response resp) { live = std::move(resp); });
  REQUIRE(live.stream);
  auto first = read_stream(live, 2);
  REQUIRE(first.size() == 2);
  CHECK(first[0].starts_with("id: 2\n"));
  CHECK(first[1].starts_with("id: 3\n"));
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"d","path":"/j/d"})").status == 201);
  auto next = read_stream(live, 1);
  REQUIRE(next.size() == 1);
  CHECK(next[0].starts_with("id: 4\nevent: jail.created\n"));
  live.stream->cancel();

  expect_problem(f.call("GET", "/v1/events?since=abc"), 400, "bad_request");
}

TEST_CASE("service: a client that asks for pruned events gets a reset, then the rest", "[api]") {
  api_fixture f;
  f.db->set_event_retention({5, std::chrono::seconds(0)});
  for (int i = 0; i < 12; ++i)
    REQUIRE(f.call("POST", "/v1/jails",
                   json{{"name", "j" + std::to_string(i)}, {"path", "/j/x"}}.dump())
                .status == 201);
  auto r = open_events(f.svc, "/v1/events?since=0&follow=false");
  auto chunks = read_stream(r, 100);
  REQUIRE(chunks.size() == 6);
  CHECK(chunks[0].starts_with("id: 7\nevent: reset\ndata: "));
  auto reset = json::parse(chunks[0].substr(chunks[0].find("data: ") + 6));
  CHECK(reset["type"] == "reset");
  CHECK(reset["data"]["reason"] == "pruned");
  CHECK(reset["data"]["after"] == 0);
  CHECK(reset["data"]["oldest"] == 8);
  CHECK(ids_of(chunks) == std::vector<long long>{7, 8, 9, 10, 11, 12});

  // Resumed after the reset: no second reset.
  r = open_events(f.svc, "/v1/events?since=7&follow=false");
  CHECK(ids_of(read_stream(r, 100)) == std::vector<long long>{8, 9, 10, 11, 12});
  // Resumed inside what is kept: nothing to reset either.
  r = open_events(f.svc, "/v1/events?since=10&follow=false");
  CHECK(ids_of(read_stream(r, 100)) == std::vector<long long>{11, 12});
  // A seq this store never had (another database's): a reset to the newest.
  r = open_events(f.svc, "/v1/events?since=900&follow=false");
  chunks = read_stream(r, 100);
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].starts_with("id: 12\nevent: reset\n"));
  CHECK(chunks[0].find(R"("reason":"unknown")") != std::string::npos);
}

TEST_CASE("service: a backlog is read a page at a time, in order, for every jail or one", "[api]") {
  api_fixture f;
  api::service_options o;
  o.events.page = 3;
  api::service svc{f.eng, o, [](std::function<void()> task) { task(); }};
  for (int i = 0; i < 10; ++i)
    REQUIRE(f.call("POST", "/v1/jails",
                   json{{"name", i % 2 ? "odd" + std::to_string(i) : "even" + std::to_string(i)},
                        {"path", "/j/x"}}
                       .dump())
                .status == 201);
  auto r = open_events(svc, "/v1/events?since=0&follow=false");
  CHECK(ids_of(read_stream(r, 100)) ==
        std::vector<long long>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  r = open_events(svc, "/v1/events?since=2&follow=false&jail=odd5");
  auto chunks = read_stream(r, 100);
  CHECK(ids_of(chunks) == std::vector<long long>{6});
}

TEST_CASE("service: a client too slow for the live events reads them from the store, none lost",
          "[api]") {
  api_fixture f;
  api::service_options o;
  o.events.page = 4;
  o.events.queue = 3;
  o.events.live_backlog = 2;
  api::service svc{f.eng, o, [](std::function<void()> task) { task(); }};
  auto live = open_events(svc, "/v1/events");
  // Caught up (nothing stored yet), then 20 events that it does not read.
  REQUIRE(read_stream(live, 0).empty());
  std::promise<std::optional<std::string>> first;
  live.stream->next([&](std::optional<std::string> c) { first.set_value(std::move(c)); });
  for (int i = 0; i < 20; ++i)
    REQUIRE(f.call("POST", "/v1/jails",
                   json{{"name", "j" + std::to_string(i)}, {"path", "/j/x"}}.dump())
                .status == 201);
  auto fut = first.get_future();
  REQUIRE(fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  std::vector<std::string> chunks{*fut.get()};
  for (auto& c : read_stream(live, 19)) chunks.push_back(c);
  std::vector<long long> expected;
  for (long long i = 1; i <= 20; ++i) expected.push_back(i);
  CHECK(ids_of(chunks) == expected);
  // And it follows the live events again.
  REQUIRE(f.call("POST", "/v1/jails", R"({"name":"late","path":"/j/x"})").status == 201);
  CHECK(ids_of(read_stream(live, 1)) == std::vector<long long>{21});
  live.stream->cancel();
}

TEST_CASE("service: long requests run off the shared pool, within each caller's share", "[api]") {
  api_fixture f;
  api::service_options o;
  o.long_requests = 4;
  o.admin_long_requests = 1;
  o.long_requests_per_caller = 2;
  o.auth.operator_groups = {4321};
  std::vector<std::function<void()>> parked;  // long requests under way, until run
  int pooled = 0;
  api::service svc{f.eng, o,
                   [&](std::function<void()> task) {
                     ++pooled;
                     task();
                   },
                   [&](std::function<void()> task) { parked.push_back(std::move(task)); }};
  auto call = [&](uid_t uid, const std::string& method, const std::string& target,
                  const std::string& body = {}) {
    api::request req;
    req.method = method;
    req.target = target;
    REQUIRE(api::split_target(target, req.path, req.query));
    req.body = body;
    if (!body.empty()) req.headers["content-type"] = "application/json";
    req.from.uid = uid;
    req.from.gid = 4321;
    std::optional<api::response> out;
    svc.dispatch(req, [&](api::response r) { out = std::move(r); });
    return out;
  };
  const std::string exec = R"({"argv":["/bin/sleep","20"]})";
  // An operator's two execs wait on threads of their own; the third is refused at once.
  CHECK_FALSE(call(1000, "POST", "/v1/jails/web/exec", exec));
  CHECK_FALSE(call(1000, "POST", "/v1/jails/web/start"));
  auto refused = call(1000, "POST", "/v1/jails/web/exec", exec);
  REQUIRE(refused);
  expect_problem(*refused, 429, "too_many_requests");
  CHECK(refused->payload().find("uid 1000 has 2 long requests") != std::string::npos);
  // Another operator gets the one left that is not an admin's.
  CHECK_FALSE(call(1001, "POST", "/v1/jails/web/restart"));
  refused = call(1001, "POST", "/v1/jails/web/exec", exec);
  REQUIRE(refused);
  expect_problem(*refused, 429, "too_many_requests");
  CHECK(refused->payload().find("kept for admins") != std::string::npos);
  // An admin's exec still runs, and no long request holds the pool: the
  // pool ran only the refusals (which the audit log records) so far.
  CHECK_FALSE(call(0, "POST", "/v1/jails/web/exec", exec));
  CHECK(parked.size() == 4);
  CHECK(pooled == 2);
  auto info = call(1000, "GET", "/v1/info");
  REQUIRE(info);
  CHECK(info->status == 200);
  // ?async=true is short: on the pool, outside the budget.
  auto async = call(1000, "POST", "/v1/jails/web/start?async=true");
  REQUIRE(async);
  CHECK(async->status == 404);
  // Long requests that end give their places back (an operator's two).
  parked[0]();
  parked[0] = nullptr;
  parked[2]();
  parked[2] = nullptr;
  CHECK_FALSE(call(1000, "POST", "/v1/jails/web/exec", exec));
  for (auto& task : parked) if (task) task();
}
