// Who may do what: roles from UNIX peers, tokens and client certificates; the
// 401 and 403 answers of the shared pipeline; token routes; the audit log.
#include "api/auth.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "api/service.h"
#include "api/url.h"
#include "lib/model/error.h"
#include "tests/support/fake_host.h"
#include "tests/support/temp_dir.h"

using namespace jaild;
using nlohmann::json;

namespace {

api::request https_request(const std::string& bearer = {}, const std::string& cert = {}) {
  api::request req;
  req.method = "GET";
  req.path = req.target = "/v1/health";
  req.from.via = api::transport::https;
  req.from.address = "127.0.0.1:5000";
  req.from.cert_name = cert;
  if (!bearer.empty()) req.headers["authorization"] = "Bearer " + bearer;
  return req;
}

errc refusal(const api::authenticator& a, const api::request& req) {
  try {
    a.identify(req);
  } catch (const error& e) {
    INFO(e.what());
    return e.code();
  }
  FAIL("identified");
  return errc::internal;
}

struct auth_fixture {
  test::temp_dir dir;
  std::unique_ptr<store::store> db = store::store::open(dir / "jaild.db");
  test::fake_host host;
  engine::engine eng{*db, host};
  api::service svc;

  explicit auth_fixture(api::auth_options auth = {})
      : svc(eng, options(auth), [](std::function<void()> task) { task(); }) {
    eng.load();
  }

  api::service_options options(api::auth_options auth) {
    api::service_options o;
    o.auth = std::move(auth);
    o.audit_log = dir / "audit.log";
    return o;
  }

  api::response call(api::request req, const std::string& method, const std::string& target,
                     const std::string& body = {}) {
    req.method = method;
    req.target = target;
    REQUIRE(api::split_target(target, req.path, req.query));
    req.body = body;
    if (!body.empty()) req.headers["content-type"] = "application/json";
    api::response out;
    bool called = false;
    svc.dispatch(req, [&](api::response r) {
      out = std::move(r);
      called = true;
    });
    REQUIRE(called);
    return out;
  }

  api::response as_root(const std::string& method, const std::string& target,
                        const std::string& body = {}) {
    api::request req;
    req.from.uid = 0;
    req.from.pid = 42;
    return call(req, method, target, body);
  }

  api::response as_token(const std::string& token, const std::string& method,
                         const std::string& target, const std::string& body = {}) {
    return call(https_request(token), method, target, body);
  }

  // A new token's secret, made through the API as root.
  std::string token(const std::string& role, const std::string& extra = {}) {
    auto r = as_root("POST", "/v1/tokens",
                     R"({"name":"t-)" + role + R"(","role":")" + role + "\"" + extra + "}");
    INFO(r.payload());
    REQUIRE(r.status == 201);
    return json::parse(r.payload())["secret"];
  }

  std::vector<json> audit_lines() {
    std::vector<json> out;
    std::ifstream in(dir / "audit.log");
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
};

std::string header_of(const api::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

void expect_problem(const api::response& r, unsigned status, const std::string& code) {
  INFO("body: " << r.payload());
  CHECK(r.status == status);
  CHECK(r.content_type == "application/problem+json");
  auto j = json::parse(r.payload());
  CHECK(j["code"] == code);
  CHECK(j["status"] == status);
}

}  // namespace

TEST_CASE("auth: UNIX peers get their role from uid and groups", "[api]") {
  test::temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  api::auth_options o;
  o.admin_groups = {10};
  o.operator_groups = {20};
  o.viewer_groups = {30, 20};
  o.daemon_uid = 1500;
  api::authenticator a(*db, o);

  struct row {
    const char* what;
    std::optional<uid_t> uid;
    gid_t gid;
    std::vector<gid_t> groups;
    std::optional<api::role> expected;
  };
  const std::vector<row> rows{
      {"root", 0, 0, {}, api::role::admin},
      {"jaild's own uid", 1500, 1500, {}, api::role::admin},
      {"primary group admin", 1000, 10, {}, api::role::admin},
      {"supplementary operator", 1000, 1000, {5, 20}, api::role::operator_role},
      {"viewer only", 1000, 1000, {30}, api::role::viewer},
      {"the strongest of several", 1000, 30, {20, 10}, api::role::admin},
      {"no group of ours", 1000, 1000, {5, 6}, std::nullopt},
      {"no credentials at all", std::nullopt, 0, {}, std::nullopt},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    api::request req;
    req.from.uid = r.uid;
    if (r.uid) req.from.gid = r.gid;
    req.from.groups = r.groups;
    auto who = a.identify(req);
    CHECK(who.granted == r.expected);
    if (r.uid) CHECK(who.name == "uid " + std::to_string(*r.uid));
  }
  // A token sent over the UNIX socket is ignored: the kernel's word counts.
  api::request req;
  req.from.uid = 1000;
  req.from.gid = 1000;
  req.headers["authorization"] = "Bearer nonsense";
  CHECK_FALSE(a.identify(req).granted);
}

TEST_CASE("auth: tokens are hashed, checked in full, and expire or are revoked", "[api]") {
  test::temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  api::authenticator a(*db, {});

  auto issued = a.create_token("ci", api::role::operator_role, std::nullopt, "uid 0");
  INFO(issued.secret);
  CHECK(issued.secret.size() == 6 + 16 + 1 + 64);
  CHECK(issued.secret.starts_with("jaild_" + issued.row.id + "_"));
  // The store has the digest of the secret, never the secret.
  const auto stored = db->load_tokens();
  REQUIRE(stored.size() == 1);
  const auto secret = issued.secret.substr(6 + 16 + 1);
  CHECK(stored[0].secret_sha256 == api::sha256_hex(secret));
  CHECK(stored[0].secret_sha256.find(secret) == std::string::npos);
  CHECK(api::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  auto who = a.identify(https_request(issued.secret));
  CHECK(who.granted == api::role::operator_role);
  CHECK(who.name == "token " + issued.row.id + " (ci)");
  // The scheme is case-insensitive (RFC 7235).
  auto lower = https_request();
  lower.headers["authorization"] = "bearer " + issued.secret;
  CHECK(a.identify(lower).granted == api::role::operator_role);

  // A token made of the right id and a wrong secret, malformed ones, none at all.
  auto wrong = issued.secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  CHECK(refusal(a, https_request(wrong)) == errc::unauthorized);
  CHECK(refusal(a, https_request("jaild_0000000000000000_" + secret)) == errc::unauthorized);
  CHECK(refusal(a, https_request(issued.secret + "0")) == errc::unauthorized);
  CHECK(refusal(a, https_request("JAILD_" + issued.secret.substr(6))) == errc::unauthorized);
  CHECK(refusal(a, https_request()) == errc::unauthorized);
  auto basic = https_request();
  basic.headers["authorization"] = "Basic dXNlcjpwYXNz";
  CHECK(refusal(a, basic) == errc::unauthorized);

  // Expired: a token whose end is already past.
  auto old = a.create_token("old", api::role::admin, store::now_ms() - 1, "uid 0");
  CHECK(refusal(a, https_request(old.secret)) == errc::unauthorized);

  // Revoked, and revoking again is no error; an unknown id is.
  a.revoke_token(issued.row.id);
  CHECK(refusal(a, https_request(issued.secret)) == errc::unauthorized);
  CHECK(a.revoke_token(issued.row.id).revoked_ms);
  CHECK_THROWS_AS(a.revoke_token("ffffffffffffffff"), error);

  // A new authenticator on the same store knows the same tokens.
  api::authenticator again(*db, {});
  CHECK(again.tokens().size() == 2);
  CHECK(refusal(again, https_request(issued.secret)) == errc::unauthorized);
}

TEST_CASE("auth: a verified client certificate's CN maps to a role", "[api]") {
  test::temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  api::auth_options o;
  o.admin_cert_names = {"ops"};
  o.viewer_cert_names = {"grafana", "ops"};
  api::authenticator a(*db, o);
  CHECK(a.identify(https_request({}, "ops")).granted == api::role::admin);
  CHECK(a.identify(https_request({}, "grafana")).granted == api::role::viewer);
  auto stranger = a.identify(https_request({}, "stranger"));
  CHECK(stranger.name == "cert CN=stranger");
  CHECK_FALSE(stranger.granted);
  // A token sent beside a certificate is what counts, and it must be good.
  CHECK(refusal(a, https_request("jaild_bad", "ops")) == errc::unauthorized);
}

TEST_CASE("auth: the pipeline answers 401 and 403 before any handler runs", "[api]") {
  api::auth_options o;
  o.viewer_groups = {100};
  auth_fixture f(o);
  REQUIRE(f.as_root("POST", "/v1/jails", R"({"name":"web","path":"/j/web"})").status == 201);

  // No credential over HTTPS: 401 with a Bearer challenge, on any route, known or not.
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/health"}, {"POST", "/v1/jails/web/start"}, {"GET", "/v1/nowhere"}}) {
    INFO(method << " " << target);
    auto r = f.call(https_request(), method, target);
    expect_problem(r, 401, "unauthorized");
    CHECK(header_of(r, "WWW-Authenticate") == R"(Bearer realm="jaild")");
  }
  // But for the status page's three files, which hold no data: served to
  // anyone; a bad token is refused there too; /ui is no prefix of the API.
  for (const auto* target : {"/ui", "/ui/app.js", "/ui/style.css"}) {
    INFO(target);
    auto page = f.call(https_request(), "GET", target);
    CHECK(page.status == 200);
    CHECK(header_of(page, "Content-Security-Policy").starts_with("default-src 'none'"));
    expect_problem(f.as_token("jaild_nope", "GET", target), 401, "unauthorized");
  }
  expect_problem(f.call(https_request(), "POST", "/ui"), 401, "unauthorized");
  auto bad = f.as_token("jaild_nope", "GET", "/v1/health");
  expect_problem(bad, 401, "unauthorized");
  CHECK(header_of(bad, "WWW-Authenticate") == R"(Bearer realm="jaild", error="invalid_token")");

  // A viewer reads but changes nothing: 403, and the jail stays stopped.
  const auto viewer = f.token("viewer");
  CHECK(f.as_token(viewer, "GET", "/v1/jails/web").status == 200);
  auto r = f.as_token(viewer, "POST", "/v1/jails/web/start");
  expect_problem(r, 403, "forbidden");
  CHECK(json::parse(r.payload())["detail"].get<std::string>().find(
            "has the role viewer; POST /v1/jails/{name}/start needs operator") !=
        std::string::npos);
  CHECK(f.eng.current()->find("web")->status.state == model::jail_state::stopped);
  expect_problem(f.as_token(viewer, "GET", "/v1/tokens"), 403, "forbidden");

  // An operator starts and stops, but writes no spec and makes no token.
  const auto op = f.token("operator");
  CHECK(f.as_token(op, "POST", "/v1/jails/web/start").status == 200);
  CHECK(f.as_token(op, "POST", "/v1/jails/web/stop").status == 200);
  expect_problem(f.as_token(op, "DELETE", "/v1/jails/web"), 403, "forbidden");
  expect_problem(f.as_token(op, "POST", "/v1/tokens", R"({"name":"x","role":"admin"})"), 403,
                 "forbidden");

  // An admin does all of it.
  const auto admin = f.token("admin");
  CHECK(f.as_token(admin, "PATCH", "/v1/jails/web", R"({"priority":5})").status == 200);

  // UNIX peers: a viewer group member reads; a stranger is refused with a hint.
  api::request member;
  member.from.uid = 1000;
  member.from.gid = 1000;
  member.from.groups = {100};
  CHECK(f.call(member, "GET", "/v1/jails").status == 200);
  expect_problem(f.call(member, "POST", "/v1/jails/web/start"), 403, "forbidden");
  api::request stranger;
  stranger.from.uid = 1001;
  stranger.from.gid = 1001;
  r = f.call(stranger, "GET", "/v1/health");
  expect_problem(r, 403, "forbidden");
  CHECK(json::parse(r.payload())["detail"].get<std::string>().find("[auth]") !=
        std::string::npos);
}

TEST_CASE("auth: token routes show the secret once and never its digest", "[api]") {
  auth_fixture f;
  auto r = f.as_root("POST", "/v1/tokens", R"({"name":"ci","role":"operator","expires_in":"30d"})");
  REQUIRE(r.status == 201);
  auto created = json::parse(r.payload());
  const std::string id = created["token"]["id"];
  CHECK(header_of(r, "Location") == "/v1/tokens/" + id);
  CHECK(header_of(r, "Cache-Control") == "no-store");
  CHECK(created["token"]["role"] == "operator");
  CHECK(created["token"]["state"] == "valid");
  CHECK(created["token"]["created_by"] == "uid 0");
  const auto expires = created["token"]["expires_at"].get<std::int64_t>();
  CHECK(std::abs(expires - (store::now_ms() + 30LL * 86400 * 1000)) < 60'000);

  auto list = json::parse(f.as_root("GET", "/v1/tokens").payload());
  REQUIRE(list["tokens"].size() == 1);
  const auto text = list.dump();
  CHECK(text.find(created["secret"].get<std::string>().substr(23)) == std::string::npos);
  CHECK(text.find("sha256") == std::string::npos);
  CHECK(json::parse(f.as_root("GET", "/v1/tokens/" + id).payload())["name"] == "ci");

  CHECK(f.as_root("DELETE", "/v1/tokens/" + id).status == 204);
  CHECK(f.as_root("DELETE", "/v1/tokens/" + id).status == 204);
  CHECK(json::parse(f.as_root("GET", "/v1/tokens/" + id).payload())["state"] == "revoked");
  expect_problem(f.as_root("DELETE", "/v1/tokens/0123456789abcdef"), 404, "token_not_found");
  expect_problem(f.as_root("GET", "/v1/tokens/0123456789abcdef"), 404, "token_not_found");

  struct bad {
    std::string body;
    std::string code;
  };
  for (const auto& b : std::vector<bad>{
           {R"({"role":"viewer"})", "missing_field"},
           {R"({"name":"x"})", "missing_field"},
           {R"({"name":"x","role":"root"})", "invalid_value"},
           {R"({"name":"","role":"viewer"})", "invalid_value"},
           {R"({"name":"x","role":"viewer","expires_in":"3w"})", "invalid_value"},
           {R"({"name":"x","role":"viewer","expires_in":"0d"})", "invalid_value"},
           {R"({"name":"x","role":"viewer","expires_in":"20000d"})", "invalid_value"},
           {R"({"name":"x","role":"viewer","expires_in":"12"})", "invalid_value"},
           {R"({"name":"x","role":"viewer","scope":"all"})", "unknown_field"},
           {R"({"name":7,"role":"viewer"})", "invalid_type"},
           {R"(["x"])", "invalid_type"},
       }) {
    INFO(b.body);
    expect_problem(f.as_root("POST", "/v1/tokens", b.body), 400, b.code);
  }
  CHECK(f.eng.tokens().load_tokens().size() == 1);  // refusals stored nothing
}

TEST_CASE("auth: every change, allowed or refused, is in the audit log, reads are not",
          "[api]") {
  auth_fixture f;
  const auto viewer = f.token("viewer");  // audit line 1
  f.as_root("POST", "/v1/jails", R"({"name":"web","path":"/j/web"})");
  f.as_root("GET", "/v1/jails");
  f.as_token(viewer, "DELETE", "/v1/jails/web?force=true");
  f.as_token("jaild_nope", "POST", "/v1/jails/web/start");
  f.as_root("POST", "/v1/jails", "{not json");

  auto lines = f.audit_lines();
  REQUIRE(lines.size() == 5);
  CHECK(lines[0]["method"] == "POST");
  CHECK(lines[0]["target"] == "/v1/tokens");
  CHECK(lines[0]["status"] == 201);
  CHECK(lines[0]["who"] == "uid 0");
  CHECK(lines[0]["role"] == "admin");
  CHECK(lines[0]["via"] == "unix");
  CHECK(lines[0]["pid"] == 42);
  CHECK(lines[0]["time"].get<std::string>().ends_with("Z"));
  CHECK(lines[0].contains("duration_ms"));
  CHECK_FALSE(lines[0].contains("code"));
  CHECK(lines[1]["target"] == "/v1/jails");
  CHECK(lines[1]["status"] == 201);

  CHECK(lines[2]["method"] == "DELETE");
  CHECK(lines[2]["target"] == "/v1/jails/web?force=true");
  CHECK(lines[2]["status"] == 403);
  CHECK(lines[2]["code"] == "forbidden");
  CHECK(lines[2]["role"] == "viewer");
  CHECK(lines[2]["via"] == "https");
  CHECK(lines[2]["address"] == "127.0.0.1:5000");
  CHECK(lines[2]["who"].get<std::string>().starts_with("token "));

  CHECK(lines[3]["status"] == 401);
  CHECK(lines[3]["who"] == "anonymous");
  CHECK(lines[3]["role"].is_null());
  CHECK(lines[4]["code"] == "malformed_json");
  // The secret of a token never reaches the audit log.
  std::ifstream in(f.dir / "audit.log");
  const std::string all((std::istreambuf_iterator<char>(in)), {});
  CHECK(all.find(viewer.substr(23)) == std::string::npos);
}
