// HTTPS, credentials and roles end to end: a real jaild with a test CA made
// at test time, driven by curl, jailctl and a raw TLS client.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <thread>

#include "tests/integration/https_support.h"

using namespace jaild::test;
using nlohmann::json;

TEST_CASE("https: TLS 1.3 when offered, 1.2 allowed, 1.1 and plain HTTP refused",
          "[integration]") {
  https_daemon h;
  h.start();

  auto tls13 = raw_client::tcp(h.port);
  std::string why;
  REQUIRE(tls13.handshake(h.tls(), &why));
  CHECK(tls13.tls_version() == "TLSv1.3");
  REQUIRE(tls13.send("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto reply = tls13.read_reply(std::chrono::seconds(5));
  REQUIRE(reply);
  CHECK(reply->status == 401);
  CHECK(reply->head.find("WWW-Authenticate: Bearer realm=\"jaild\"") != std::string::npos);
  CHECK(json::parse(reply->body)["code"] == "unauthorized");

  auto tls12 = raw_client::tcp(h.port);
  REQUIRE(tls12.handshake(h.tls(TLS1_2_VERSION), &why));
  CHECK(tls12.tls_version() == "TLSv1.2");

  auto tls11 = raw_client::tcp(h.port);
  CHECK_FALSE(tls11.handshake(h.tls(TLS1_1_VERSION), &why));
  INFO(why);
  CHECK(why.find("alert protocol version") != std::string::npos);  // jaild's refusal

  // Plain HTTP on the TLS port: no answer but a closed connection.
  auto plain = raw_client::tcp(h.port);
  REQUIRE(plain.send("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  CHECK(plain.closed_by_peer_within(std::chrono::seconds(3)));

  // The server's certificate is the configured one: curl verifies it by name.
  CHECK(h.curl("GET", "/v1/health", {}).status == 401);
  CHECK(h.d.process().log().find("listening on https://127.0.0.1:" + std::to_string(h.port)) !=
        std::string::npos);
}

TEST_CASE("https: tokens carry roles, revoked and expired ones are refused, jailctl token",
          "[integration]") {
  https_daemon h;
  h.start();
  const auto viewer = h.token("viewer");
  const auto op = h.token("operator");
  const auto admin = h.token("admin");
  const auto brief = h.token("viewer", "1s");
  REQUIRE(viewer.starts_with("jaild_"));

  const auto web = h.d.rooted(R"({"name":"web","path":"/jails/web"})");
  CHECK(h.curl("POST", "/v1/jails", h.bearer(op), web).status == 403);
  CHECK(h.curl("POST", "/v1/jails", h.bearer(admin), web).status == 201);
  CHECK(h.curl("GET", "/v1/jails/web", h.bearer(viewer)).status == 200);
  // Start needs operator: the viewer is refused before anything happens; the
  // operator passes the role check and meets the missing jail.
  CHECK(h.curl("POST", "/v1/jails/ghost/start", h.bearer(viewer)).status == 403);
  CHECK(h.curl("POST", "/v1/jails/ghost/start", h.bearer(op)).status == 404);
  CHECK(h.curl("GET", "/v1/tokens", h.bearer(op)).status == 403);
  CHECK(h.curl("GET", "/v1/health", {"-H", "Authorization: Bearer jaild_x"}).status == 401);

  // jailctl over HTTPS: --token, or JAILD_HOST and JAILD_TOKEN.
  auto r = h.jailctl({"--token", viewer, "list"});
  CHECK(r.status == 0);
  CHECK(r.out.find("web") != std::string::npos);
  r = run({jailctl_binary(), "--cacert", h.ca.ca_cert().string(), "show", "web"}, {},
          {{"JAILD_HOST", h.url()}, {"JAILD_TOKEN", viewer}});
  CHECK(r.status == 0);
  r = h.jailctl({"--token", viewer, "destroy", "web"});
  CHECK(r.status == 1);
  CHECK(r.err.find("[forbidden]") != std::string::npos);
  r = h.jailctl({"list"});
  CHECK(r.status == 1);
  CHECK(r.err.find("[unauthorized]") != std::string::npos);
  const auto token_file = h.certs / "token";
  std::ofstream(token_file) << admin << "\n";
  r = h.jailctl({"--token-file", token_file.string(), "--json", "token", "list"});
  REQUIRE(r.status == 0);
  const auto list = json::parse(r.out)["tokens"];
  CHECK(list.size() == 4);
  CHECK(r.out.find(viewer.substr(23)) == std::string::npos);  // never a secret
  CHECK(run({jailctl_binary(), "--host", "http://127.0.0.1:1", "list"}).status == 2);

  // Revoked: refused at once, and saying so to the holder.
  std::string viewer_id = viewer.substr(6, 16);
  r = h.d.jailctl({"token", "revoke", viewer_id});
  CHECK(r.status == 0);
  auto refused = h.curl("GET", "/v1/health", h.bearer(viewer));
  CHECK(refused.status == 401);
  CHECK(refused.json()["detail"].get<std::string>().find("revoked") != std::string::npos);
  r = h.d.jailctl({"token", "list"});
  CHECK(r.out.find("revoked") != std::string::npos);

  // Expired.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  refused = h.curl("GET", "/v1/health", h.bearer(brief));
  CHECK(refused.status == 401);
  CHECK(refused.json()["detail"].get<std::string>().find("expired") != std::string::npos);

  // A restart keeps tokens and revocations.
  h.d.stop();
  h.d.start({"--config", (h.certs / "jaild.conf").string()});
  CHECK(h.curl("GET", "/v1/health", h.bearer(op)).status == 200);
  CHECK(h.curl("GET", "/v1/health", h.bearer(viewer)).status == 401);
}

TEST_CASE("https: a verified client certificate's CN gives its role", "[integration]") {
  https_daemon h;
  https_daemon::sections conf;
  conf.auth = "admin_cert_names = [\"ops\"]\nviewer_cert_names = [\"grafana\"]\n";
  h.start(conf);
  auto cert = [](const key_pair& k) {
    return std::vector<std::string>{"--cert", k.cert.string(), "--key", k.key.string()};
  };
  const auto ops = h.ca.client("ops");
  const auto grafana = h.ca.client("grafana");
  const auto stranger = h.ca.client("stranger");
  temp_dir other_dir;
  test_ca other(other_dir.path(), "other");
  const auto forged = other.client("ops");

  CHECK(h.curl("POST", "/v1/jails", cert(ops), h.d.rooted(R"({"name":"web","path":"/jails/web"})")).status ==
        201);
  CHECK(h.curl("GET", "/v1/jails", cert(grafana)).status == 200);
  CHECK(h.curl("DELETE", "/v1/jails/web", cert(grafana)).status == 403);
  auto r = h.curl("GET", "/v1/health", cert(stranger));
  CHECK(r.status == 403);
  CHECK(r.json()["detail"].get<std::string>().find("cert CN=stranger") != std::string::npos);
  // Same CN, another CA: the handshake fails, no HTTP status at all.
  CHECK(h.curl("GET", "/v1/health", cert(forged)).status == 0);
  // jailctl with --cert and --key.
  auto ctl = h.jailctl({"--cert", ops.cert.string(), "--key", ops.key.string(), "destroy", "web"});
  CHECK(ctl.status == 0);
}

TEST_CASE("unix socket: the caller's uid and groups give its role", "[integration]") {
  https_daemon h;
  https_daemon::sections conf;
  conf.top = "socket_mode = \"0666\"";
  conf.auth = "viewer_groups = [\"users\"]\noperator_groups = [\"staff\"]\n";
  h.start(conf);
  // Let other users reach the socket inside the (0700) state directory.
  std::filesystem::permissions(h.d.state_dir(), std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  auto as = [&](const std::vector<std::string>& who, const std::string& method,
                const std::string& path) {
    std::vector<std::string> argv{"setpriv", "--reuid", "65534", "--regid", "65534"};
    argv.insert(argv.end(), who.begin(), who.end());
    argv.insert(argv.end(), {"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                             "--unix-socket", h.d.socket().string(), "-X", method,
                             "http://localhost" + path});
    auto r = run(argv);
    INFO(r.err);
    return r.out;
  };
  const std::vector<std::string> users{"--groups", "100"}, staff{"--groups", "50"},
      none{"--clear-groups"};
  CHECK(as(users, "GET", "/v1/health") == "200");
  CHECK(as(users, "POST", "/v1/jails/ghost/start") == "403");
  CHECK(as(staff, "POST", "/v1/jails/ghost/start") == "404");  // allowed; no such jail
  CHECK(as(staff, "DELETE", "/v1/jails/ghost") == "403");
  CHECK(as(none, "GET", "/v1/health") == "403");
  CHECK(h.d.curl("DELETE", "/v1/jails/ghost").status == 404);  // root is admin

  // Every change is in the audit log, with the uid that asked.
  std::ifstream in(h.d.state_dir() / "audit.log");
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["who"] == "uid 65534");
  CHECK(lines[0]["status"] == 403);
  CHECK(lines[1]["role"] == "operator");
  CHECK(lines[1]["code"] == "jail_not_found");
  CHECK(lines[3]["who"] == "uid 0");
  struct stat st {};
  REQUIRE(stat((h.d.state_dir() / "audit.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("api: no GET changes the database, for every GET the OpenAPI document lists",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.curl("POST", "/v1/jails", d.rooted(R"({"name":"web","path":"/jails/web"})")).status == 201);
  auto made = d.curl("POST", "/v1/tokens", R"({"name":"ci","role":"viewer"})");
  REQUIRE(made.status == 201);
  const std::string token_id = made.json()["token"]["id"];
  const auto doc = d.curl("GET", "/v1/openapi.json");
  REQUIRE(doc.status == 200);
  const auto before = d.dump_database();

  std::size_t checked = 0;
  const auto document = doc.json();
  for (const auto& [path, item] : document["paths"].items()) {
    if (!item.contains("get")) continue;
    std::string target = path;
    auto fill = [&](const std::string& param, const std::string& value) {
      if (auto at = target.find(param); at != std::string::npos)
        target.replace(at, param.size(), value);
    };
    fill("{name}", "web");
    fill("{id}", path.starts_with("/v1/tokens") ? token_id : "op-none");
    if (target == "/v1/events") target += "?follow=false";
    for (int round = 0; round < 2; ++round) {
      INFO("GET " << target << " round " << round);
      auto r = d.curl("GET", target);
      CHECK(r.status > 0);
      CHECK(r.status < 500);
    }
    ++checked;
  }
  CHECK(checked >= 13);
  CHECK(d.dump_database() == before);
}

TEST_CASE("https: events stream over TLS, and the OpenAPI document is served", "[integration]") {
  https_daemon h;
  h.start();
  const auto viewer = h.token("viewer");
  REQUIRE(h.d.curl("POST", "/v1/jails", h.d.rooted(R"({"name":"web","path":"/jails/web"})")).status == 201);
  auto events = h.curl("GET", "/v1/events?since=0&follow=false", h.bearer(viewer));
  CHECK(events.status == 200);
  CHECK(events.body.find("event: jail.created") != std::string::npos);
  auto doc = h.curl("GET", "/v1/openapi.json", h.bearer(viewer));
  REQUIRE(doc.status == 200);
  CHECK(doc.json()["paths"].contains("/v1/tokens"));
  CHECK(doc.json()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer");
}

TEST_CASE("https: configuration mistakes stop jaild with the reason", "[integration]") {
  temp_dir dir;
  const auto conf = dir / "jaild.conf";
  struct bad {
    std::string text;
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<bad> cases{
      {"[https]\nlisten = \"localhost\"\n", {}, ":2:10: 'localhost' is not HOST:PORT"},
      {"[https]\nlisten = \"127.0.0.1:99999\"\n", {}, "has no port from 0 to 65535"},
      {"[https]\nlisten = \"127.0.0.1:8443\"\n", {}, "needs a certificate and a key"},
      {"", {"--listen", "[::1]8443"}, "is not HOST:PORT"},
      {"[https]\nlisten = \"127.0.0.1:8443\"\nciphers = \"ALL\"\n", {},
       "unknown key 'https.ciphers'"},
      {"[auth]\nviewer_groups = \"users\"\n", {}, "expected a list of strings"},
  };
  for (const auto& c : cases) {
    INFO(c.text << " " << (c.flags.empty() ? "" : c.flags[0]));
    std::ofstream(conf) << c.text;
    std::vector<std::string> argv{jaild_binary(), "--config", conf.string(), "--check"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    auto r = run(argv);
    CHECK(r.status == 2);
    INFO(r.err);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  // An unknown group, a missing certificate and a port in use are found at start-up.
  std::ofstream(conf) << "[auth]\noperator_groups = [\"no-such-group-here\"]\n";
  auto r = run({jaild_binary(), "--config", conf.string(), "--state-dir",
                (dir / "state").string()},
               {}, {}, std::chrono::seconds(20));
  CHECK(r.status == 1);
  CHECK(r.err.find("'no-such-group-here' is not a group") != std::string::npos);
  std::ofstream(conf) << "[https]\ncert = \"" << (dir / "none.crt").string() << "\"\nkey = \""
                      << (dir / "none.key").string() << "\"\n";
  r = run({jaild_binary(), "--config", conf.string(), "--state-dir", (dir / "state").string(),
           "--listen", "127.0.0.1:" + std::to_string(free_port())},
          {}, {}, std::chrono::seconds(20));
  CHECK(r.status == 1);
  CHECK(r.err.find("cannot load the certificate") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "state" / "jaild.sock"));
}

// What a child of jaild could inherit if it outlived jaild before its exec
// (a SIGKILL between fork and exec): a listener kept alive there makes the
// next jaild find its socket "in use" and refuse to start, and a kept
// state-directory lock makes it find the store locked. Every descriptor but
// 0-2 is close-on-exec, listeners and accepted connections included (and
// every spawn path closes what the child does not need at once).
TEST_CASE("daemon: every descriptor jaild holds is close-on-exec, listeners and connections too",
          "[integration]") {
  https_daemon h;
  h.start();
  // One accepted connection on each listener, held open.
  auto on_unix = raw_client::unix_socket(h.d.socket());
  auto on_tcp = raw_client::tcp(h.port);
  REQUIRE(on_unix.send("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n"));  // unfinished
  REQUIRE(h.d.curl("GET", "/v1/health").status == 200);
  const auto pid = std::to_string(h.d.process().pid());
  std::vector<std::string> inheritable;
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + pid + "/fd")) {
    const int fd = std::stoi(e.path().filename().string());
    if (fd <= 2) continue;
    std::ifstream info("/proc/" + pid + "/fdinfo/" + std::to_string(fd));
    std::string line;
    long flags = -1;
    while (std::getline(info, line))
      if (line.rfind("flags:", 0) == 0) flags = std::stol(line.substr(6), nullptr, 8);
    if (flags < 0) continue;  // closed meanwhile
    ++checked;
    std::error_code ec;
    if ((flags & 02000000) == 0)  // O_CLOEXEC
      inheritable.push_back(std::to_string(fd) + " -> " +
                            std::filesystem::read_symlink(e.path(), ec).string());
  }
  CHECK(checked >= 5);  // the listeners, the connections, the database, the lock
  std::string list;
  for (const auto& i : inheritable) list += "\n  " + i;
  INFO("inheritable descriptors:" << list);
  CHECK(inheritable.empty());
}
