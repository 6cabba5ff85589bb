#include "api/router.h"

#include <catch2/catch.hpp>

#include "api/url.h"

using namespace jaild::api;

namespace {

router sample() {
  router r;
  auto h = [](request&) { return response{}; };
  r.add({"GET", "/v1/jails", role::viewer, run_on::io, h, "list"});
  r.add({"POST", "/v1/jails", role::operator_role, run_on::pool, h, "create"});
  r.add({"POST", "/v1/jails/import", role::operator_role, run_on::pool, h, "import"});
  r.add({"GET", "/v1/jails/{name}", role::viewer, run_on::io, h, "get"});
  r.add({"DELETE", "/v1/jails/{name}", role::operator_role, run_on::pool, h, "delete"});
  r.add({"POST", "/v1/jails/{name}/start", role::operator_role, run_on::pool, h, "start"});
  return r;
}

}  // namespace

TEST_CASE("router: finds routes and their parameters", "[api]") {
  auto r = sample();
  auto m = r.find("GET", "/v1/jails/web");
  REQUIRE(m.found);
  CHECK(m.found->summary == "get");
  CHECK(m.params.at("name") == "web");

  m = r.find("POST", "/v1/jails/web/start");
  REQUIRE(m.found);
  CHECK(m.found->summary == "start");

  m = r.find("POST", "/v1/jails/import");
  REQUIRE(m.found);
  CHECK(m.found->summary == "import");  // literal routes registered first win
}

TEST_CASE("router: wrong method lists the allowed ones", "[api]") {
  auto r = sample();
  auto m = r.find("PUT", "/v1/jails/web");
  CHECK_FALSE(m.found);
  CHECK(m.allowed == std::vector<std::string>{"GET", "DELETE"});
}

TEST_CASE("router: unknown paths and tricky segments do not match", "[api]") {
  auto r = sample();
  CHECK_FALSE(r.find("GET", "/v1/jail").found);
  CHECK_FALSE(r.find("GET", "/v1/jails/").found);
  CHECK_FALSE(r.find("GET", "/v1/jails/web/extra").found);
  CHECK_FALSE(r.find("GET", "/v2/jails").found);
  // An encoded slash stays inside its segment.
  auto m = r.find("GET", "/v1/jails/a%2Fb");
  REQUIRE(m.found);
  CHECK(m.params.at("name") == "a/b");
  // A malformed escape matches nothing.
  CHECK_FALSE(r.find("GET", "/v1/jails/a%2").found);
  CHECK_FALSE(r.find("GET", "/v1/jails/a%00b").found);
}

TEST_CASE("url: targets split into path and decoded query", "[api]") {
  std::string path;
  std::map<std::string, std::string> query;
  REQUIRE(split_target("/v1/jails/web?force=true&x=a%20b&flag", path, query));
  CHECK(path == "/v1/jails/web");
  CHECK(query.at("force") == "true");
  CHECK(query.at("x") == "a b");
  CHECK(query.at("flag").empty());
  CHECK_FALSE(split_target("v1/jails", path, query));
  CHECK_FALSE(split_target("/v1?x=%zz", path, query));
  CHECK(percent_encode("a b/c") == "a%20b%2Fc");
}
