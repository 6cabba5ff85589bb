// POST /v1/jails/import and GET /v1/jails/export through the API's pipeline,
// with a real engine and store on a temporary file and a fake host.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/api_fixture.h"

using namespace jaild;
using nlohmann::json;

namespace {

// jail.conf goes as text/plain unless a test says otherwise.
struct fixture : test::api_fixture {
  api::response call(const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::string& content_type = "text/plain") {
    return api_fixture::call(method, target, body, content_type);
  }
};

const std::string two_jails = R"(
path = "/jails/$name";
exec.start = "/bin/sh /etc/rc";
web { host.hostname = web.example.org; ip4.addr = "em0|192.0.2.5/24"; depend = db; }
db { exec.created = "rctl -a jail:db:memoryuse:deny=1G"; }
)";

std::map<std::string, std::string> actions(const json& body) {
  std::map<std::string, std::string> out;
  for (const auto& j : body["jails"]) out[j["name"]] = j["action"];
  return out;
}

void expect_problem(const api::response& r, unsigned status, const std::string& code,
                    const std::string& detail) {
  INFO(r.payload());
  CHECK(r.status == status);
  CHECK(r.content_type == "application/problem+json");
  auto j = json::parse(r.payload());
  CHECK(j["code"] == code);
  CHECK_THAT(j["detail"].get<std::string>(), Catch::Contains(detail));
}

}  // namespace

TEST_CASE("jailconf api: a dry run plans and stores nothing", "[api][jailconf]") {
  fixture f;
  const auto before = f.database_state();
  auto r = f.call("POST", "/v1/jails/import?dry_run=true", two_jails);
  REQUIRE(r.status == 200);
  auto body = f.body_of(r);
  CHECK(body["dry_run"] == true);
  CHECK(actions(body) == std::map<std::string, std::string>{{"web", "create"}, {"db", "create"}});
  CHECK(body["summary"] == json{{"create", 2}, {"change", 0}, {"unchanged", 0}});
  CHECK(body["jails"][1]["spec"]["limits"] == json::array({"memoryuse:deny=1G"}));
  CHECK(f.database_state() == before);
}

TEST_CASE("jailconf api: import creates, then reports unchanged and changed jails",
          "[api][jailconf]") {
  fixture f;
  auto r = f.call("POST", "/v1/jails/import", two_jails);
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["summary"]["create"] == 2);
  r = f.call("GET", "/v1/jails/web");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["spec"]["hostname"] == "web.example.org");
  CHECK(f.db->events_after(0, 100).size() == 2);

  // The same text again: nothing to do, nothing recorded.
  r = f.call("POST", "/v1/jails/import", two_jails);
  CHECK(actions(f.body_of(r)) ==
        std::map<std::string, std::string>{{"web", "unchanged"}, {"db", "unchanged"}});
  CHECK(f.db->events_after(0, 100).size() == 2);

  // One value changed: one jail replaced, and the plan names the field.
  std::string changed = two_jails;
  changed.replace(changed.find("web.example.org"), 15, "www.example.org");
  r = f.call("POST", "/v1/jails/import", changed);
  auto body = f.body_of(r);
  CHECK(actions(body) ==
        std::map<std::string, std::string>{{"web", "change"}, {"db", "unchanged"}});
  CHECK(body["jails"][0]["changed"] == json::array({"hostname"}));
  CHECK(f.body_of(f.call("GET", "/v1/jails/web"))["spec"]["hostname"] == "www.example.org");
  CHECK(f.db->events_after(0, 100).size() == 3);
}

TEST_CASE("jailconf api: a refused import changes nothing", "[api][jailconf]") {
  fixture f;
  REQUIRE(f.call("POST", "/v1/jails/import", "old { path = /jails/old; persist; }").status == 200);
  const auto before = f.database_state();
  struct row {
    std::string body, content_type;
    unsigned status;
    std::string code, detail;
  };
  const std::vector<row> rows{
      {"a { path = /a; persist; }\nb { path = /b persist; }", "text/plain", 400, "jailconf_syntax",
       "<request>:2:15: expected ';' after the value of 'path', found 'persist'"},
      {"a { path = /a; persist; }\nb { path = /b; persist; ip4.addr = 10.0.0.300; }",
       "text/plain", 400, "invalid_value", "<request>:2:36: jail 'b': '10.0.0.300' is not"},
      {"a { path = /a; persist; depend = ghost; }", "text/plain", 400, "invalid_value",
       "jail 'a' depends on 'ghost', which is neither in the import nor a jail of jaild"},
      {"a { path = /a; persist; depend = b; }\nb { path = /b; persist; depend = a; }",
       "text/plain", 409, "dependency_cycle", "a -> b -> a"},
      {"old { path = /jails/old; persist; depend = c; }\nc { path = /c; persist; depend = old; }",
       "text/plain", 409, "dependency_cycle", "depend forms a cycle: c -> old -> c"},
      {"a { path = /a; persist; }", "application/xml", 415, "unsupported_media_type", "text/plain"},
      // JSON that is not {"text": ...} is a spec document.
      {R"({"txt": "a {}"})", "application/json", 400, "missing_field", "<request>: /name: "},
      {R"({"text": 42})", "application/json", 400, "invalid_type", "text"},
      {R"({"text": null})", "application/json", 400, "missing_field", "'text'"},
      {R"([{"name":"a","path":"/a"},{"name":"b","path":"/b","cpuset":"x"}])", "application/json",
       400, "invalid_value", "<request>: jail 'b' (/1/cpuset): "},
      {"[{\"name\":\"a\",\n \"path\":/a}]", "text/plain", 400, "malformed_json",
       "<request>:2:9: not JSON: "},
      {R"({"text": "{\"name\": \"a\", \"path\": \"/a\", \"depend\": [\"old\", \"ghost\"]}",
           "file": "/etc/a.json"})",
       "application/json", 400, "invalid_value",
       "jail 'a' depends on 'ghost', which is neither in the import nor a jail of jaild"},
      {R"({"text": "a {}", "file": "relative.conf"})", "application/json", 400, "invalid_value",
       "absolute path"},
      {".include \"/nonexistent/jail.conf\";", "text/plain", 400, "jailconf_syntax",
       "cannot include"},
  };
  for (const auto& c : rows) {
    INFO(c.body);
    expect_problem(f.call("POST", "/v1/jails/import", c.body, c.content_type), c.status, c.code,
                   c.detail);
    CHECK(f.database_state() == before);
  }
}

TEST_CASE("jailconf api: the store applies an import in one transaction", "[api][jailconf]") {
  fixture f;
  // A jail the store has but the engine has not seen: the engine plans two
  // creations and the store fails on the second one, after writing the first.
  model::jail_spec hidden;
  hidden.name = "b";
  hidden.path = "/b";
  model::event ev;
  ev.type = "jail.created";
  f.db->create_jail(hidden, ev);
  const auto jails_before = f.db->load_jails().size();
  const auto events_before = f.db->events_after(0, 100).size();

  auto r =
      f.call("POST", "/v1/jails/import", "a { path = /a; persist; }\nb { path = /b; persist; }");
  expect_problem(r, 409, "jail_exists", "a jail named 'b' exists");
  CHECK(f.db->load_jails().size() == jails_before);  // "a" was rolled back
  CHECK(f.db->events_after(0, 100).size() == events_before);
  CHECK(f.call("GET", "/v1/jails/a").status == 404);
}

TEST_CASE("jailconf api: JSON bodies name the file, and includes are relative to it",
          "[api][jailconf]") {
  fixture f;
  std::filesystem::create_directories(f.dir / "jail.conf.d");
  std::ofstream(f.dir / "jail.conf.d" / "one.conf") << "one { path = /one; persist; }\n";
  std::ofstream(f.dir / "jail.conf.d" / "two.conf") << "two { path = /two; persist; }\n";
  json body = {{"text", "exec.clean;\n.include \"jail.conf.d/*.conf\";\n"},
               {"file", (f.dir / "jail.conf").string()}};
  auto r = f.call("POST", "/v1/jails/import", body.dump(), "application/json");
  REQUIRE(r.status == 200);
  CHECK(actions(f.body_of(r)) ==
        std::map<std::string, std::string>{{"one", "create"}, {"two", "create"}});
  CHECK(f.body_of(f.call("GET", "/v1/jails/two"))["spec"]["exec"]["clean"] == true);
}

TEST_CASE("jailconf api: export writes jail.conf that imports back unchanged",
          "[api][jailconf]") {
  fixture f;
  REQUIRE(f.call("POST", "/v1/jails/import", two_jails).status == 200);
  auto r = f.call("GET", "/v1/jails/export");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/plain; charset=utf-8");
  const std::string text(r.payload());
  CHECK_THAT(text, Catch::Contains("db {\n") && Catch::Contains("web {\n"));

  r = f.call("GET", "/v1/jails/export?name=web");
  REQUIRE(r.status == 200);
  CHECK_THAT(std::string(r.payload()), Catch::Contains("web {\n") && !Catch::Contains("db {\n"));
  expect_problem(f.call("GET", "/v1/jails/export?name=nope"), 404, "jail_not_found", "nope");
  expect_problem(f.call("GET", "/v1/jails/export?name=a.b"), 400, "invalid_name", "a.b");

  r = f.call("POST", "/v1/jails/import", text);
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["summary"]["unchanged"] == 2);
}

TEST_CASE("jailconf api: importing writes specs and needs admin, exporting needs viewer",
          "[api][jailconf]") {
  fixture f;
  std::map<std::string, api::role> needs;
  for (const auto& r : f.svc.routes().routes()) needs[r.method + " " + r.pattern] = r.needs;
  CHECK(needs.at("POST /v1/jails/import") == api::role::admin);
  CHECK(needs.at("POST /v1/jails/import") == needs.at("POST /v1/jails"));
  CHECK(needs.at("GET /v1/jails/export") == api::role::viewer);
}

TEST_CASE("jailconf api: an import leases addresses like a create, and a dry run refuses "
          "what the import would refuse",
          "[api][jailconf]") {
  fixture f;
  const std::string lan = R"({"name":"lan","bridge":"jailnet0","ip4":"10.20.0.0/24"})";
  REQUIRE(f.call("POST", "/v1/networks", lan, "application/json").status == 201);
  const std::string on = "a { path = /a; persist; vnet; $jaild_vnet0_network = \"NET\"; }\n";
  auto text = [&](const std::string& net, const std::string& more = "") {
    auto t = on;
    t.replace(t.find("NET"), 3, net);
    return t + more;
  };
  const auto before = f.database_state();
  const auto leases = [&] { return f.body_of(f.call("GET", "/v1/networks/lan"))["leases"]; };

  // An unknown network and an address held twice: the dry run and the import refuse alike.
  const std::string taken =
      "b { path = /b; persist; vnet; $jaild_vnet0_bridge = jailnet0; "
      "$jaild_vnet0_ip4 = \"10.20.0.1/24\"; }\n"
      "c { path = /c; persist; vnet; $jaild_vnet0_bridge = jailnet0; "
      "$jaild_vnet0_ip4 = \"10.20.0.1/24\"; }\n";
  for (const auto* target : {"/v1/jails/import?dry_run=true", "/v1/jails/import"}) {
    INFO(target);
    expect_problem(f.call("POST", target, text("nope")), 404, "network_not_found", "'nope'");
    expect_problem(f.call("POST", target, taken), 409, "address_conflict", "10.20.0.1");
    CHECK(f.database_state() == before);
  }

  // A dry run leases nothing; the import leases the first free address.
  REQUIRE(f.call("POST", "/v1/jails/import?dry_run=true", text("lan")).status == 200);
  CHECK(leases().empty());
  CHECK(f.database_state() == before);
  REQUIRE(f.call("POST", "/v1/jails/import", text("lan")).status == 200);
  auto l = leases();
  REQUIRE(l.size() == 1);
  CHECK(l[0]["jail"] == "a");
  CHECK(l[0]["address"] == "10.20.0.2");
}

TEST_CASE("jailconf api: an import applies limits and cpuset live to a running jail",
          "[api][jailconf]") {
  fixture f;
  const std::string conf =
      "a { path = /a; persist; $jaild_limits = \"memoryuse:deny=64M\"; $jaild_cpuset = 0; }\n";
  REQUIRE(f.call("POST", "/v1/jails/import", conf).status == 200);
  REQUIRE(f.call("POST", "/v1/jails/a/start").status == 200);
  auto updates = [&] {
    std::size_t n = 0;
    for (const auto& c : f.host.calls()) n += c.starts_with("update_limits a");
    return n;
  };
  CHECK(updates() == 0);

  auto changed = conf;
  changed.replace(changed.find("64M"), 3, "128M");
  // A dry run changes nothing on the host either.
  REQUIRE(f.call("POST", "/v1/jails/import?dry_run=true", changed).status == 200);
  CHECK(updates() == 0);
  REQUIRE(f.call("POST", "/v1/jails/import", changed).status == 200);
  CHECK(updates() == 1);
  auto status = f.body_of(f.call("GET", "/v1/jails/a"))["status"];
  CHECK(status["state"] == "running");
  CHECK(status["drift"] == false);
  auto ops = f.body_of(f.call("GET", "/v1/operations?jail=a"));
  CHECK(ops["operations"][0]["kind"] == "update");
  CHECK(ops["operations"][0]["state"] == "succeeded");
}

TEST_CASE("jailconf api: JSON specs import like jail.conf, in text or as the body",
          "[api][jailconf]") {
  fixture f;
  // jailctl sends the file's text and name: JSON by its first character or by a .json name.
  json body = {{"text", R"([{"name":"a","path":"/a"},{"name":"b","path":"/b","depend":["a"]}])"},
               {"file", "/etc/jaild/jails.conf"}};
  auto r = f.call("POST", "/v1/jails/import?dry_run=true", body.dump(), "application/json");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["format"] == "json");
  CHECK(actions(f.body_of(r)) ==
        std::map<std::string, std::string>{{"a", "create"}, {"b", "create"}});

  // A body that is the document itself (curl --json @jails.json).
  r = f.call("POST", "/v1/jails/import", R"({"jails":[{"name":"a","path":"/a"}]})",
             "application/json");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["summary"]["create"] == 1);
  auto events = f.db->events_after(0, 100);
  REQUIRE(events.size() == 1);
  CHECK(events[0].data["source"] == "json");

  // What GET /v1/jails answers imports back unchanged.
  const auto list = f.call("GET", "/v1/jails");
  r = f.call("POST", "/v1/jails/import", std::string(list.payload()), "application/json");
  REQUIRE(r.status == 200);
  CHECK(f.body_of(r)["summary"]["unchanged"] == 1);

  // jail.conf text stays jail.conf, and says so.
  r = f.call("POST", "/v1/jails/import?dry_run=true", "a { path = /a; persist; }");
  CHECK(f.body_of(r)["format"] == "jail.conf");
}

TEST_CASE("jailconf api: the plan has each change field by field, and each jail's status",
          "[api][jailconf]") {
  fixture f;
  const std::string before = R"([{"name":"db","path":"/db","limits":["memoryuse:deny=1G"]},
                                 {"name":"web","path":"/web"}])";
  auto r = f.call("POST", "/v1/jails/import?dry_run=true", before, "application/json");
  REQUIRE(r.status == 200);
  auto body = f.body_of(r);
  CHECK(body["jails"][0]["status"].is_null());  // not there yet
  CHECK(body["jails"][0]["diff"] == json::array());

  r = f.call("POST", "/v1/jails/import", before, "application/json");
  body = f.body_of(r);
  CHECK(body["jails"][0]["status"]["state"] == "stopped");

  const std::string after = R"([{"name":"db","path":"/db","limits":["memoryuse:deny=2G"],
                                 "hostname":"db.example.org"},
                                {"name":"web","path":"/web"}])";
  r = f.call("POST", "/v1/jails/import", after, "application/json");
  REQUIRE(r.status == 200);
  body = f.body_of(r);
  CHECK(body["jails"][0]["action"] == "change");
  CHECK(body["jails"][0]["changed"] == json::array({"hostname", "limits"}));
  CHECK(body["jails"][0]["diff"] ==
        json::parse(R"([{"field":"hostname","before":"","after":"db.example.org"},
                        {"field":"limits.memoryuse:deny","before":"1G","after":"2G"}])"));
  CHECK(body["jails"][1]["action"] == "unchanged");
  CHECK(body["jails"][1]["diff"] == json::array());
  CHECK(f.body_of(f.call("GET", "/v1/jails/db"))["spec"]["limits"] ==
        json::array({"memoryuse:deny=2G"}));
}

TEST_CASE("jailconf api: a VNET jail's own rc.conf says which interfaces take DHCP and SLAAC",
          "[api][jailconf]") {
  fixture f;
  const auto root = f.dir / "j0";
  std::filesystem::create_directories(root / "etc");
  std::ofstream(root / "etc" / "rc.conf")
      << "hostname=\"j0\"\nifconfig_epair0b=\"SYNCDHCP\"\n"
         "ifconfig_epair0b_ipv6=\"inet6 -ifdisabled accept_rtadv\"\nsshd_enable=YES\n";
  const std::string conf = "j0 { path = \"" + root.string() + R"(";
      vnet; vnet.interface = "epair0b";
      exec.prestart += "ifconfig epair0 create up";
      exec.prestart += "ifconfig bridge0 addm epair0a up";
      exec.start = "/bin/sh /etc/rc";
    })";
  auto r = f.call("POST", "/v1/jails/import?dry_run=true", conf);
  REQUIRE(r.status == 200);
  auto body = f.body_of(r);
  const auto& itf = body["jails"][0]["spec"]["vnet"]["interfaces"][0];
  CHECK(itf["ip4"] == json::array({"dhcp"}));
  CHECK(itf["ip6"] == json::array({"slaac"}));
  CHECK_THAT(body["jails"][0]["warnings"].dump(), Catch::Contains("ifconfig_DEFAULT"));

  // jail root's rc.conf as a link to a host file is not read: no DHCP from it.
  std::filesystem::remove(root / "etc" / "rc.conf");
  std::ofstream(f.dir / "host-rc.conf") << "ifconfig_epair0b=\"DHCP\"\n";
  std::filesystem::create_symlink(f.dir / "host-rc.conf", root / "etc" / "rc.conf");
  body = f.body_of(f.call("POST", "/v1/jails/import?dry_run=true", conf));
  CHECK(body["jails"][0]["spec"]["vnet"]["interfaces"][0]["ip4"] == json::array());
  // Nor through a linked directory.
  std::filesystem::remove(root / "etc" / "rc.conf");
  std::filesystem::remove(root / "etc");
  std::filesystem::create_directories(f.dir / "host-etc");
  std::ofstream(f.dir / "host-etc" / "rc.conf") << "ifconfig_epair0b=\"DHCP\"\n";
  std::filesystem::create_directory_symlink(f.dir / "host-etc", root / "etc");
  body = f.body_of(f.call("POST", "/v1/jails/import?dry_run=true", conf));
  CHECK(body["jails"][0]["spec"]["vnet"]["interfaces"][0]["ip4"] == json::array());
}

TEST_CASE("jailconf api: an iocage config.json imports as its jail", "[api][jailconf]") {
  fixture f;
  json config = {{"CONFIG_VERSION", "14"}, {"host_hostuuid", "j0"}, {"vnet", "on"},
                 {"interfaces", "vnet0:bridge0"}, {"dhcp", "on"}, {"bpf", "yes"},
                 {"ip4_addr", "none"}, {"allow_raw_sockets", "1"}, {"boot", "on"}};
  json body = {{"text", config.dump()}, {"file", "/iocage/jails/j0/config.json"}};
  auto r = f.call("POST", "/v1/jails/import", body.dump(), "application/json");
  INFO(r.payload());
  REQUIRE(r.status == 200);
  const auto plan = f.body_of(r);
  CHECK(plan["format"] == "iocage");
  const auto spec = f.body_of(f.call("GET", "/v1/jails/j0"))["spec"];
  CHECK(spec["path"] == "/iocage/jails/j0/root");
  CHECK(spec["vnet"]["interfaces"][0]["ip4"] == json::array({"dhcp"}));
  CHECK(spec["boot"] == true);
  // Without its file name the root is unknown: refused, nothing stored.
  config["host_hostuuid"] = "j1";
  r = f.call("POST", "/v1/jails/import", config.dump(), "application/json");
  expect_problem(r, 400, "missing_field", "file name");
  CHECK(f.call("GET", "/v1/jails/j1").status == 404);
}
