// The jails API end to end: a real jaild, driven by curl --unix-socket and by
// jailctl; restarts keep the data; every bad input is refused with the right
// problem and leaves the database exactly as it was.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;
using nlohmann::json;

namespace {

const char* web_spec = R"({"name":"web","path":"/jails/web","hostname":"web.example.org",
  "ip4":["em0|192.0.2.5/24"],"depend":["db"],"priority":10,"boot":true,
  "limits":["memoryuse:deny=512M","maxproc:deny=100"],"cpuset":"0-1",
  "params":{"allow.raw_sockets":true,"enforce_statfs":2,"osrelease":"13.2-RELEASE"},
  "exec":{"start":["/bin/sh /etc/rc"],"stop":["/bin/sh /etc/rc.shutdown jail"]}})";

}  // namespace

TEST_CASE("jails API: CRUD with curl, data kept across a restart", "[integration]") {
  daemon_fixture d;
  d.start();
  auto r = d.curl("POST", "/v1/jails", d.rooted(web_spec));
  REQUIRE(r.status == 201);
  CHECK(r.json()["spec"]["params"]["osrelease"] == "13.2-RELEASE");
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"db","path":"/jails/db"})")).status == 201);

  r = d.curl("PATCH", "/v1/jails/db", R"({"priority":1,"params":{"sysvshm":"new"}})",
             "application/merge-patch+json");
  REQUIRE(r.status == 200);
  CHECK(r.json()["spec"]["priority"] == 1);

  auto specs = [&] {
    json out = json::array();
    const auto list = d.curl("GET", "/v1/jails").json();
    for (const auto& j : list["jails"]) out.push_back(j["spec"]);
    return out;
  };
  const auto before = specs();
  REQUIRE(before.size() == 2);
  CHECK(d.stop() == 0);

  d.start();
  CHECK(specs() == before);  // every spec field and parameter, verbatim
  r = d.curl("GET", "/v1/jails/web");
  CHECK(r.json()["spec"]["limits"] == json::array({"memoryuse:deny=512M", "maxproc:deny=100"}));

  // web depends on db: refused, then force=true drops db from web's depend.
  CHECK(d.curl("DELETE", "/v1/jails/db").status == 409);
  CHECK(d.curl("DELETE", "/v1/jails/db?force=true").status == 204);
  CHECK(d.curl("GET", "/v1/jails/db").status == 404);
  d.stop();
  d.start();
  CHECK(d.curl("GET", "/v1/jails").json()["jails"].size() == 1);
}

TEST_CASE("jails API: jailctl create, list, show, set, destroy", "[integration]") {
  daemon_fixture d;
  d.start();
  auto r = d.jailctl({"create", "web", "path=" + d.root("web"), "host.hostname=web.example.org",
                      "ip4.addr=em0|192.0.2.5/24", "allow.raw_sockets=true", "--priority", "10"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "created jail web\n");

  temp_dir files;
  std::ofstream(files / "db.json")
      << d.rooted(R"({"name":"db","path":"/jails/db","limits":["pcpu:deny=20"],"ip4":["10.9.9.9"],
                     "ports":["tcp/5432:5432","udp/53:53"]})");
  r = d.jailctl({"create", "-f", (files / "db.json").string()});
  REQUIRE(r.status == 0);

  r = d.jailctl({"list"});
  REQUIRE(r.status == 0);
  CHECK(r.out == d.rooted("JID  NAME  STATE    IP4               PORTS                    PATH\n"
                          "-    db    stopped  10.9.9.9          tcp/5432:5432,udp/53:53  /jails/db\n"
                          "-    web   stopped  em0|192.0.2.5/24  -                        /jails/web\n"));

  r = d.jailctl({"--json", "list"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["jails"].size() == 2);

  r = d.jailctl({"show", "web"});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("hostname") != std::string::npos);
  CHECK(r.out.find("web.example.org") != std::string::npos);
  CHECK(r.out.find("param allow.raw_sockets") != std::string::npos);

  r = d.jailctl({"set", "web", "priority=5", "depend=db", "allow.raw_sockets="});
  REQUIRE(r.status == 0);
  auto web = json::parse(d.jailctl({"--json", "show", "web"}).out);
  CHECK(web["spec"]["priority"] == 5);
  CHECK(web["spec"]["depend"] == json::array({"db"}));
  CHECK_FALSE(web["spec"]["params"].contains("allow.raw_sockets"));

  r = d.jailctl({"destroy", "db"});
  CHECK(r.status == 1);
  CHECK(r.err.find("web depends on 'db'") != std::string::npos);
  r = d.jailctl({"destroy", "--force", "db"});
  REQUIRE(r.status == 0);
  CHECK(d.curl("GET", "/v1/jails/db").status == 404);
}

TEST_CASE("jails API: jailctl reports errors with the server's message and an exit status",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web")}).status == 0);

  auto r = d.jailctl({"create", "web", "path=" + d.root("web")});
  CHECK(r.status == 1);
  CHECK(r.err == "jailctl: a jail named 'web' exists (at /name) [jail_exists]\n");

  r = d.jailctl({"set", "web", "priority=-3"});
  CHECK(r.status == 1);
  CHECK(r.err.find("priority -3 is outside 0..9999") != std::string::npos);

  r = d.jailctl({"show", "nope"});
  CHECK(r.status == 1);
  CHECK(r.err.find("no jail named 'nope'") != std::string::npos);

  r = d.jailctl({"set", "web", "priority=high"});
  CHECK(r.status == 2);

  r = d.jailctl({"frobnicate"});
  CHECK(r.status == 2);

  r = run({jailctl_binary(), "list"}, {}, {{"JAILD_SOCKET", (d.state_dir() / "nope.sock").string()}});
  CHECK(r.status == 3);
  CHECK(r.err.find("jaild is not running: there is no socket at " +
                   (d.state_dir() / "nope.sock").string()) != std::string::npos);

  // JAILD_SOCKET is honoured.
  r = run({jailctl_binary(), "list"}, {}, {{"JAILD_SOCKET", d.socket().string()}});
  CHECK(r.status == 0);
  CHECK(r.out.find("web") != std::string::npos);
}

TEST_CASE("jails API: every bad input is refused and the database is unchanged",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(web_spec)).status == 201);
  const auto before = d.dump_database();

  struct bad {
    std::string method, path, body, content_type;
    int status;
    std::string code;
  };
  const std::vector<bad> cases{
      {"POST", "/v1/jails", R"({"name":"x","path":)", "application/json", 400, "malformed_json"},
      {"POST", "/v1/jails", "not json at all", "application/json", 400, "malformed_json"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j","priority":"high"})", "application/json",
       400, "invalid_type"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j","ip4":"192.0.2.1"})", "application/json",
       400, "invalid_type"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j","allow.raw_sockets":true})",
       "application/json", 400, "unknown_field"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j","exec":{"begin":[]}})",
       "application/json", 400, "unknown_field"},
      {"POST", "/v1/jails", R"({"name":"web.child","path":"/j"})", "application/json", 400,
       "invalid_name"},
      {"POST", "/v1/jails", R"({"name":"12","path":"/j"})", "application/json", 400,
       "invalid_name"},
      {"POST", "/v1/jails", R"({"name":"-x","path":"/j"})", "application/json", 400,
       "invalid_name"},
      {"POST", "/v1/jails", web_spec, "application/json", 409, "jail_exists"},
      {"POST", "/v1/jails", R"({"name":"x","path":"../j"})", "application/json", 400,
       "invalid_value"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j","limits":["memory:deny=1G"]})",
       "application/json", 400, "invalid_value"},
      {"POST", "/v1/jails", R"({"name":"x","path":"/j"})", "text/plain", 415,
       "unsupported_media_type"},
      {"POST", "/v1/jails", "{\"name\":\"x\",\"path\":\"/j\",\"hostname\":\"" +
                                std::string(2 * 1024 * 1024, 'a') + "\"}",
       "application/json", 413, "body_too_large"},
      {"PATCH", "/v1/jails/web", R"({"name":"renamed"})", "application/json", 400,
       "invalid_value"},
      {"PATCH", "/v1/jails/web", R"({"cpuset":"2-1"})", "application/json", 400,
       "invalid_value"},
      {"PATCH", "/v1/jails/ghost", R"({"priority":1})", "application/json", 404,
       "jail_not_found"},
      {"GET", "/v1/jails/web..x", "", "application/json", 400, "invalid_name"},
      {"DELETE", "/v1/jails/ghost", "", "application/json", 404, "jail_not_found"},
      {"GET", "/v1/unknown", "", "application/json", 404, "not_found"},
      {"DELETE", "/v1/jails", "", "application/json", 405, "method_not_allowed"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path << " " << c.body.substr(0, 80));
    auto r = d.curl(c.method, c.path, c.body, c.content_type);
    CHECK(r.status == c.status);
    INFO(r.body);
    auto j = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j["code"] == c.code);
    CHECK(j["status"] == c.status);
    CHECK(j["detail"].get<std::string>().size() > 5);
  }
  CHECK(d.dump_database() == before);
  CHECK(d.curl("GET", "/v1/health").status == 200);
}

TEST_CASE("jails API: a missing path, an overlapping network and a jail others depend on",
          "[integration]") {
  daemon_fixture d;
  d.start();
  const auto missing = (d.state_dir() / "no-such-root").string();
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"db","path":"/jails/db"})")).status ==
          201);
  REQUIRE(d.curl("POST", "/v1/jails",
                 d.rooted(R"({"name":"web","path":"/jails/web","depend":["db"]})"))
              .status == 201);
  REQUIRE(d.curl("POST", "/v1/networks",
                 R"({"name":"lan","bridge":"jt19br0","ip4":"10.213.95.0/24"})")
              .status == 201);
  const auto before = d.dump_database();
  struct refused {
    std::string method, target, body;
    int status;
    std::string code, field, says;
  };
  for (const auto& c : std::vector<refused>{
           {"POST", "/v1/jails", json{{"name", "x"}, {"path", missing}}.dump(), 400,
            "invalid_value", "/path", "does not exist"},
           {"PATCH", "/v1/jails/web", json{{"path", missing}}.dump(), 400, "invalid_value",
            "/path", "does not exist"},
           {"POST", "/v1/networks", R"({"name":"lan2","bridge":"jt19br1","ip4":"10.213.95.0/28"})",
            409, "address_conflict", "/ip4", "overlaps 10.213.95.0/24 of network 'lan'"},
           {"DELETE", "/v1/jails/db", "", 409, "dependents_exist", "", "web depends on 'db'"},
       }) {
    INFO(c.method << " " << c.target << " " << c.body);
    const auto r = d.curl(c.method, c.target, c.body,
                          c.method == "PATCH" ? "application/merge-patch+json" : "application/json");
    INFO(r.body);
    CHECK(r.status == c.status);
    const auto j = json::parse(r.body);
    CHECK(j["code"] == c.code);
    CHECK(j.value("field", "") == c.field);
    CHECK(j["detail"].get<std::string>().find(c.says) != std::string::npos);
  }
  CHECK(d.dump_database() == before);
  // force=true deletes it, and web depends on nothing more.
  CHECK(d.curl("DELETE", "/v1/jails/db?force=true").status == 204);
  CHECK(d.curl("GET", "/v1/jails/web").json()["spec"].value("depend", json::array()).empty());
}

TEST_CASE("jailctl: flags anywhere, a mistyped command, and why jaild cannot be reached",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web")}).status == 0);
  // A global flag after the subcommand and its argument.
  auto r = d.jailctl({"show", "web", "--json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["spec"]["name"] == "web");
  r = d.jailctl({"list", "--no-header", "--columns", "name"});
  CHECK(r.out == "web\n");

  r = d.jailctl({"--json", "lst"});
  CHECK(r.status == 2);
  CHECK(r.err == "jailctl: no command 'lst'; did you mean 'list'? (jailctl --help lists the "
                 "commands)\n");

  const auto jailctl = jailctl_binary();
  temp_dir tmp{"jaild-reach"};
  // No socket at all: 3.
  r = run({jailctl, "--socket", (tmp / "none.sock").string(), "list"});
  CHECK(r.status == 3);
  CHECK(r.err.find("jaild is not running: there is no socket at") != std::string::npos);
  // A socket file nothing listens on (a jaild that was killed): 5.
  const auto stale = tmp / "stale.sock";
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", stale.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  r = run({jailctl, "--socket", stale.string(), "list"});
  CHECK(r.status == 5);
  CHECK(r.err.find("nothing listens on " + stale.string()) != std::string::npos);
  // A running jaild whose socket the caller may not use (nobody, not in its group): 4.
  r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", jailctl, "--socket",
           d.socket().string(), "list"});
  CHECK(r.status == 4);
  CHECK(r.err.find("no permission to use jaild's socket") != std::string::npos);
}

TEST_CASE("jails API: jailctl --columns and --no-header shape the table", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web")}).status == 0);
  REQUIRE(d.jailctl({"create", "db", "path=" + d.root("db")}).status == 0);
  auto r = d.jailctl({"--no-header", "--columns", "name,state", "list"});
  REQUIRE(r.status == 0);
  CHECK(r.out == "db   stopped\nweb  stopped\n");
  r = d.jailctl({"--columns", "bogus", "list"});
  CHECK(r.status == 2);
  CHECK(r.err.find("no column 'bogus'") != std::string::npos);
}

TEST_CASE("jails API: the list goes out gzip-compressed to clients that accept it",
          "[integration]") {
  daemon_fixture d;
  d.start();
  for (int i = 0; i < 40; ++i)
    REQUIRE(d.curl("POST", "/v1/jails",
                   json{{"name", "j" + std::to_string(i)},
                        {"path", d.root("j" + std::to_string(i))}}.dump())
                .status == 201);
  const auto plain = d.curl("GET", "/v1/jails");
  REQUIRE(plain.status == 200);

  // curl --compressed asks for gzip and inflates what comes back.
  const std::vector<std::string> base{"curl", "-sS", "--unix-socket", d.socket().string(),
                                      "http://localhost/v1/jails"};
  auto with = [&](std::vector<std::string> extra) {
    auto argv = base;
    argv.insert(argv.begin() + 2, extra.begin(), extra.end());
    return run(argv);
  };
  auto inflated = with({"--compressed", "-D", "/dev/stderr"});
  REQUIRE(inflated.status == 0);
  CHECK(inflated.out == plain.body);
  CHECK(inflated.err.find("Content-Encoding: gzip") != std::string::npos);
  CHECK(inflated.err.find("Vary: Accept-Encoding") != std::string::npos);

  // The bytes on the wire are gzip, and much smaller.
  auto raw = with({"-H", "Accept-Encoding: gzip"});
  REQUIRE(raw.status == 0);
  REQUIRE(raw.out.size() > 2);
  CHECK(static_cast<unsigned char>(raw.out[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(raw.out[1]) == 0x8b);
  CHECK(raw.out.size() * 5 < plain.body.size());

  // A client that refuses gzip, or says nothing, gets identity.
  auto refused = with({"-H", "Accept-Encoding: gzip;q=0, identity", "-D", "/dev/stderr"});
  CHECK(refused.out == plain.body);
  CHECK(refused.err.find("Content-Encoding") == std::string::npos);
}

TEST_CASE("jails API: jailctl network create --nat, and the NAT column", "[integration]") {
  daemon_fixture d;
  d.start();
  auto r = d.jailctl({"network", "create", "out", "--bridge", "natbr0", "--ip4", "10.61.0.0/24",
                      "--nat", "default"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  REQUIRE(d.jailctl({"network", "create", "up", "--bridge", "natbr1", "--ip4", "10.62.0.0/24",
                     "--nat", "eth9"})
              .status == 0);
  REQUIRE(d.jailctl({"network", "create", "lan", "--bridge", "lanbr0", "--ip4", "10.63.0.0/24"})
              .status == 0);
  auto nets = d.curl("GET", "/v1/networks").json()["networks"];
  std::map<std::string, json> nat;
  for (const auto& n : nets) nat[n["name"]] = n["nat"];
  CHECK(nat["out"] == true);
  CHECK(nat["up"] == json{{"uplink", "eth9"}});
  CHECK(nat["lan"] == false);
  r = d.jailctl({"network", "list"});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "NAME  BRIDGE  IP4           GATEWAY4   IP6  NAT      LEASES\n"
        "lan   lanbr0  10.63.0.0/24  10.63.0.1  -    -        0\n"
        "out   natbr0  10.61.0.0/24  10.61.0.1  -    default  0\n"
        "up    natbr1  10.62.0.0/24  10.62.0.1  -    eth9     0\n");
  // NAT masquerades IPv4: a network without an ip4 subnet is refused.
  r = d.jailctl({"network", "create", "six", "--bridge", "br6", "--ip6", "fd06::/64", "--nat",
                 "default"});
  CHECK(r.status != 0);
  CHECK(r.err.find("NAT66") != std::string::npos);
}
