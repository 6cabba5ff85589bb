// docs/openapi.yaml and the router must describe the same API: every route
// is documented and every documented operation is a route.
#include "api/openapi.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "api/problem.h"
#include "api/service.h"
#include "tests/support/fake_host.h"
#include "tests/support/temp_dir.h"

using namespace jaild;
using nlohmann::json;

TEST_CASE("openapi: the document and the router list the same operations", "[api]") {
  test::temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  test::fake_host host;
  engine::engine eng{*db, host};
  api::service svc{eng, api::service_options{}, [](std::function<void()> task) { task(); }};

  const auto doc = json::parse(api::openapi_json());
  REQUIRE(doc["openapi"].get<std::string>().starts_with("3."));

  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [key, op] : item.items()) {
      if (key == "parameters" || key == "summary" || key == "description") continue;
      std::string method = key;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(method + " " + path);
      INFO(method << " " << path);
      CHECK(op.contains("operationId"));
      CHECK(op.contains("responses"));
    }
  std::set<std::string> routed;
  for (const auto& r : svc.routes().routes()) routed.insert(r.method + " " + r.pattern);

  for (const auto& op : routed) {
    INFO("a route that docs/openapi.yaml does not document: " << op);
    CHECK(documented.contains(op));
  }
  for (const auto& op : documented) {
    INFO("docs/openapi.yaml documents an operation that no route serves: " << op);
    CHECK(routed.contains(op));
  }
}

TEST_CASE("openapi: GET /v1/openapi.json serves the document", "[api]") {
  test::temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  test::fake_host host;
  engine::engine eng{*db, host};
  api::service svc{eng, api::service_options{}, [](std::function<void()> task) { task(); }};
  api::request req;
  req.method = "GET";
  req.path = req.target = "/v1/openapi.json";
  req.from.uid = 0;
  api::response out;
  svc.dispatch(req, [&](api::response r) { out = std::move(r); });
  CHECK(out.status == 200);
  CHECK(out.content_type == "application/json");
  CHECK(out.payload() == api::openapi_json());
}

TEST_CASE("openapi: the Problem enum and docs/api.md list every error code", "[api]") {
  const auto doc = json::parse(api::openapi_json());
  std::set<std::string> documented;
  for (const auto& c : doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])
    documented.insert(c.get<std::string>());

  std::ifstream in(std::string(JAILD_SOURCE_DIR) + "/docs/api.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string guide = text.str();
  std::map<std::string, unsigned> tabled;
  const std::regex row(R"(\| `([a-z_0-9]+)` \| ([0-9]{3}) \|)");
  for (std::sregex_iterator it(guide.begin(), guide.end(), row), end; it != end; ++it)
    tabled[(*it)[1]] = static_cast<unsigned>(std::stoul((*it)[2]));

  std::set<std::string> codes;
  for (int i = 0; i < errc_count; ++i) {
    const auto code = static_cast<errc>(i);
    const std::string name{errc_name(code)};
    INFO("error code " << i << " " << name);
    CHECK(errc_from_name(name) == code);
    codes.insert(name);
    CHECK(documented.contains(name));
    REQUIRE(tabled.contains(name));
    CHECK(tabled[name] == api::http_status(code));
  }
  for (const auto& name : documented) {
    INFO("docs/openapi.yaml lists a code jaild does not have: " << name);
    CHECK(codes.contains(name));
  }
}
