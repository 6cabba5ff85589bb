// The API's request pipeline without sockets, for unit tests: a real engine
// and store on a temporary file, a fake host, and an executor that runs
// "blocking" handlers inline. Requests come from root on the UNIX socket
// (admin).
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "api/service.h"
#include "api/url.h"
#include "tests/support/fake_host.h"
#include "tests/support/temp_dir.h"

namespace jaild::test {

struct api_fixture {
  temp_dir dir;
  std::unique_ptr<store::store> db = store::store::open(dir / "jaild.db");
  fake_host host;
  engine::engine eng{*db, host, options(dir.path())};
  api::service svc{eng, service_options(), [](std::function<void()> task) { task(); }};

  api_fixture() { eng.load(); }

  static api::service_options service_options() {
    api::service_options o;
    o.exec_output_bytes = 1024;  // the fake exec is cat: 3000 bytes of input show the cut
    return o;
  }

  static engine::engine_options options(const std::filesystem::path& state_dir) {
    engine::engine_options o;
    o.state_dir = state_dir;  // run/ and log/ of the jails a test starts
    return o;
  }

  api::response call(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::string& content_type = "application/json") {
    api::request req;
    req.method = method;
    req.target = target;
    REQUIRE(api::split_target(target, req.path, req.query));
    req.body = body;
    req.from.uid = 0;  // root on the UNIX socket: admin
    if (!body.empty()) req.headers["content-type"] = content_type;
    api::response out;
    bool called = false;
    svc.dispatch(req, [&](api::response r) {
      out = std::move(r);
      called = true;
    });
    REQUIRE(called);
    return out;
  }

  nlohmann::json body_of(const api::response& r) { return nlohmann::json::parse(r.payload()); }

  // What the database and the snapshot hold, as text: jails, events and the
  // jail list, to show that a refused request changed nothing.
  std::string database_state() {
    std::string out;
    for (const auto& j : db->load_jails())
      out += model::spec_to_json(j.spec).dump() + std::to_string(j.generation) + "\n";
    for (const auto& e : db->events_after(0, 100000)) out += std::to_string(e.seq) + e.type + "\n";
    return out + std::string(call("GET", "/v1/jails").payload());
  }
};

}  // namespace jaild::test
