// NAT and published ports for real, without touching this machine's network:
// the test process moves into a network namespace of its own (the "host",
// where jaild runs and makes its bridges and nftables tables), joined by a
// veth to a second namespace the test makes (the "world": 198.18.0.2 and
// fd18::2, with a web server whose CGI answers the client's address). The
// host's default route goes to the world, so NAT through the default route's
// interface is NAT through that veth. Both namespaces go when the test ends.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "tests/support/process.h"
#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;

namespace {

// The address a CGI printed: busybox httpd writes an IPv4 client of its
// dual-stack socket as "[::ffff:A.B.C.D]".
std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos) s = s.substr(7);
  return s;
}

void must(const std::vector<std::string>& argv) {
  auto r = run(argv);
  std::string line;
  for (const auto& a : argv) line += a + " ";
  INFO(line << "-> " << r.status << ": " << r.output);
  REQUIRE(r.status == 0);
}

// A CGI script that prints the address the request came from.
void write_addr_cgi(const fs::path& www) {
  fs::create_directories(www / "cgi-bin");
  const auto cgi = www / "cgi-bin/addr";
  std::ofstream(cgi) << "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n";
  fs::permissions(cgi, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
}

// The test process's own network namespace and the world beside it.
class own_network {
 public:
  own_network() : world_(prefix() + "-world"), www_("/tmp/" + prefix() + "-world-www") {
    try {
      make();
    } catch (...) {
      clean();  // a constructor that throws gets no destructor
      throw;
    }
  }
  ~own_network() { clean(); }

  // A page fetched from inside the world (5 s at most).
  test::run_result from_world(const std::string& url) const {
    return test::run({"/sbin/ip", "netns", "exec", world_, "timeout", "5", "/bin/busybox", "wget",
                      "-q", "-O", "-", url});
  }

 private:
  void make() {
    original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    REQUIRE(original_ >= 0);
    REQUIRE(::unshare(CLONE_NEWNET) == 0);
    moved_ = true;
    const std::string up = prefix() + "-up", peer = prefix() + "-w";
    must({"ip", "link", "set", "lo", "up"});
    must({"ip", "netns", "add", world_});
    made_world_ = true;
    must({"ip", "link", "add", up, "type", "veth", "peer", "name", peer, "netns", world_});
    must({"ip", "addr", "add", "198.18.0.1/24", "dev", up});
    must({"ip", "-6", "addr", "add", "fd18::1/64", "dev", up, "nodad"});
    must({"ip", "link", "set", up, "up"});
    must({"ip", "-n", world_, "link", "set", "lo", "up"});
    must({"ip", "-n", world_, "addr", "add", "198.18.0.2/24", "dev", peer});
    must({"ip", "-n", world_, "-6", "addr", "add", "fd18::2/64", "dev", peer, "nodad"});
    must({"ip", "-n", world_, "link", "set", peer, "up"});
    must({"ip", "route", "add", "default", "via", "198.18.0.2"});
    must({"ip", "-6", "route", "add", "default", "via", "fd18::2"});
    // Bridged frames are not to pass through the IP hooks (when
    // br_netfilter is loaded, it is per namespace).
    if (fs::exists("/proc/sys/net/bridge/bridge-nf-call-iptables"))
      std::ofstream("/proc/sys/net/bridge/bridge-nf-call-iptables") << "0";
    write_addr_cgi(www_);
    std::ofstream(www_ / "index.html") << "hello from the world\n";
    server_ = std::make_unique<test::background>(
        std::vector<std::string>{"/sbin/ip", "netns", "exec", world_, "/bin/busybox", "httpd", "-f",
                                 "-p", "80", "-h", www_.string()},
        www_.string() + ".log");
  }

  void clean() {
    server_.reset();
    if (made_world_) run({"ip", "netns", "del", world_});
    made_world_ = false;
    std::error_code ec;
    fs::remove_all(www_, ec);
    fs::remove(www_.string() + ".log", ec);
    if (moved_) ::setns(original_, CLONE_NEWNET);
    moved_ = false;
    if (original_ >= 0) ::close(original_);
    original_ = -1;
  }

  int original_ = -1;
  bool moved_ = false, made_world_ = false;
  std::string world_;
  fs::path www_;
  std::unique_ptr<test::background> server_;
};

// This jaild's nftables tables (every jaild table in this namespace is this test's).
std::vector<std::string> jaild_tables() {
  auto r = run({"nft", "-j", "list", "tables"});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto doc = json::parse(r.output);
  std::vector<std::string> out;
  for (const auto& item : doc["nftables"])
    if (item.contains("table") && item["table"]["name"].get<std::string>().rfind("jaild_", 0) == 0)
      out.push_back(item["table"]["name"]);
  return out;
}

std::string sysctl(const std::string& path) {
  std::ifstream in("/proc/sys/" + path);
  std::string v;
  std::getline(in, v);
  return v;
}

}  // namespace

TEST_CASE("nat: egress NAT, published ports from the world, the host and other jails, live",
          "[system][nat]") {
  require_prerequisites();
  if (run({"nft", "--version"}).status != 0) FAIL("nft is not installed (tests/deps test)");
  own_network net;
  scenario s;
  auto& d = s.daemon();
  auto exec = [&](const std::string& jail, std::vector<std::string> argv) {
    auto r = d.curl("POST", "/v1/jails/" + s.name(jail) + "/exec", json{{"argv", argv}}.dump());
    REQUIRE(r.status == 200);
    return r.json();
  };
  // wget from inside a jail, bounded (busybox's own -T crashes here).
  auto fetch = [&](const std::string& jail, const std::string& url) {
    return exec(jail, {"timeout", "5", "wget", "-q", "-O", "-", url});
  };

  REQUIRE(d.curl("POST", "/v1/networks",
                 json{{"name", s.name("nat")}, {"bridge", prefix() + "nb"},
                      {"ip4", "10.77.0.0/24"}, {"ip6", "fd77::/64"}, {"nat", true}}.dump())
              .status == 201);
  REQUIRE(d.curl("POST", "/v1/networks",
                 json{{"name", s.name("plain")}, {"bridge", prefix() + "pb"},
                      {"ip4", "10.78.0.0/24"}}.dump())
              .status == 201);
  const json httpd = {"/bin/httpd", "-f", "-p", "80", "-h", "/www"};
  auto on = [&](const std::string& network) {
    return json{{"interfaces", {{{"network", s.name(network)}}}}};
  };
  s.define("web", {{"vnet", on("nat")}, {"ports", {"tcp/8080:80"}}, {"command", httpd},
                   {"restart", {{"policy", "always"}}}});
  s.define("client", {{"vnet", on("nat")}, {"command", httpd}});
  s.define("lonely", {{"vnet", on("plain")}, {"command", httpd}});
  for (const char* j : {"web", "client", "lonely"}) write_addr_cgi(s.root(j) / "www");

  // A host port is published once: refused, and nothing is stored.
  auto dup = d.curl("POST", "/v1/jails",
                    json{{"name", s.name("dup")}, {"path", s.root("client").string()},
                         {"vnet", on("plain")}, {"ports", {"tcp/0.0.0.0:8080:81"}}}.dump());
  CHECK(dup.status == 409);
  CHECK(dup.json()["code"] == "port_conflict");
  CHECK(dup.json()["field"] == "/ports/0");
  CHECK(d.curl("GET", "/v1/jails/" + s.name("dup")).status == 404);

  std::string web_start;
  for (const char* j : {"web", "client", "lonely"}) {
    auto r = d.curl("POST", "/v1/jails/" + s.name(j) + "/start");
    INFO(r.body);
    REQUIRE(r.status == 200);
    if (web_start.empty()) web_start = r.body;
  }
  CHECK(d.curl("POST", "/v1/jails/" + s.name("web") + "/start").status == 200);
  auto web = s.jail("web");
  CHECK(web["status"]["ports"] == json{"tcp/8080:80"});
  const std::string web4 = [&] {
    for (const auto& a : web["status"]["addresses"])
      if (a.get<std::string>().find(':') == std::string::npos)
        return a.get<std::string>().substr(0, a.get<std::string>().find('/'));
    return std::string();
  }();
  REQUIRE(web4.rfind("10.77.0.", 0) == 0);
  REQUIRE(route_device(web4) == prefix() + "nb");

  // One table per jail with NAT or ports (web: both; client: NAT); none for
  // lonely. Each is named by the jail's instance, so it carries jaild's tag.
  CHECK(jaild_tables().size() == 2);
  for (const auto& t : jaild_tables()) CHECK(t.rfind("jaild_" + s.tag(), 0) == 0);
  CHECK(sysctl("net/ipv4/ip_forward") == "1");
  // web's port has no host address: it is published on IPv6 too, which is forwarded.
  CHECK(sysctl("net/ipv6/conf/all/forwarding") == "1");
  CHECK(web_start.find("\"step\":\"sysctl.ip6_forwarding\"") != std::string::npos);
  // The bridge jaild made has the network's gateways, for both families.
  const auto bridge_addrs = run({"ip", "-o", "addr", "show", "dev", prefix() + "nb"}).output;
  CHECK(bridge_addrs.find("10.77.0.1/24") != std::string::npos);
  CHECK(bridge_addrs.find("fd77::1/64") != std::string::npos);
  CHECK(web_start.find("\"step\":\"firewall.apply\"") != std::string::npos);
  CHECK(web_start.find("\"step\":\"sysctl.ip_forward\"") != std::string::npos);

  // Egress: a jail behind NAT reaches the world as the host's uplink address.
  auto out = fetch("client", "http://198.18.0.2/cgi-bin/addr");
  INFO(out.dump());
  CHECK(trimmed(out["stdout"]) == "198.18.0.1");
  // A jail on a network without NAT does not get an answer from the world.
  CHECK(fetch("lonely", "http://198.18.0.2/cgi-bin/addr")["exit_code"] != 0);

  // The published port, from the world: the jail sees the client's own address.
  auto page = s.eventually([&] { return net.from_world("http://198.18.0.1:8080/cgi-bin/addr").status == 0; });
  CHECK(page);
  CHECK(trimmed(net.from_world("http://198.18.0.1:8080/cgi-bin/addr").out) == "198.18.0.2");
  // Over IPv6 (DNAT to the jail's IPv6 lease; no NAT66: the jail sees the client).
  CHECK(s.eventually([&] { return net.from_world("http://[fd18::1]:8080/cgi-bin/addr").status == 0; }));
  CHECK(trimmed(net.from_world("http://[fd18::1]:8080/cgi-bin/addr").out) == "fd18::2");
  // From the host itself, to its own address.
  auto host_page = test::run({"/usr/bin/timeout", "5", "/bin/busybox", "wget", "-q", "-O", "-",
                              "http://198.18.0.1:8080/cgi-bin/addr"});
  INFO(host_page.err);
  CHECK(host_page.status == 0);
  CHECK(trimmed(host_page.out) == "198.18.0.1");
  // Hairpin: another jail on the bridge, through the host's address; it is
  // masqueraded to the gateway so that the answer comes back through the host.
  auto hairpin = fetch("client", "http://198.18.0.1:8080/cgi-bin/addr");
  INFO(hairpin.dump());
  CHECK(hairpin["exit_code"] == 0);
  CHECK(trimmed(hairpin["stdout"]) == "10.77.0.1");
  // A port nobody published is closed.
  CHECK(net.from_world("http://198.18.0.1:8081/").status != 0);

  // Live: ports change on the running jail, with no restart and no drift.
  const auto pid = web["status"]["jid"];
  auto patched = d.curl("PATCH", "/v1/jails/" + s.name("web"),
                        json{{"ports", {"tcp/8080:80", "tcp/198.18.0.1:9090:80"}}}.dump());
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  REQUIRE(s.eventually([&] { return s.jail("web")["status"]["ports"].size() == 2; }));
  web = s.jail("web");
  CHECK(web["status"]["jid"] == pid);
  CHECK(web["status"]["drift"] == false);
  CHECK(net.from_world("http://198.18.0.1:9090/index.html").out == "hello from " + s.name("web") + "\n");
  CHECK(jaild_tables().size() == 2);
  // A jail gains its table with its first port, and loses it with its last.
  REQUIRE(d.curl("PATCH", "/v1/jails/" + s.name("lonely"), json{{"ports", {"tcp/7070:80"}}}.dump())
              .status == 200);
  REQUIRE(s.eventually([&] { return jaild_tables().size() == 3; }));
  CHECK(trimmed(net.from_world("http://198.18.0.1:7070/cgi-bin/addr").out) == "198.18.0.2");
  REQUIRE(d.curl("PATCH", "/v1/jails/" + s.name("lonely"), json{{"ports", json::array()}}.dump())
              .status == 200);
  REQUIRE(s.eventually([&] { return jaild_tables().size() == 2; }));
  CHECK(net.from_world("http://198.18.0.1:7070/").status != 0);

  // SIGKILL of the jail's init: restarted by policy, with its rules made again.
  const auto tables_before = jaild_tables();
  ::kill(static_cast<pid_t>(pid.get<long long>()), SIGKILL);
  REQUIRE(s.eventually([&] {
    auto j = s.jail("web");
    return j["status"]["state"] == "running" && j["status"]["jid"] != pid;
  }));
  REQUIRE(s.eventually([&] { return jaild_tables().size() == 2; }));
  CHECK(jaild_tables() != tables_before);  // the old start's table went; the new one's is there
  CHECK(s.eventually([&] { return net.from_world("http://198.18.0.1:9090/cgi-bin/addr").status == 0; }));

  // SIGKILL of jaild: the jails and their rules stay; the next jaild adopts them.
  s.restart_daemon(SIGKILL);
  CHECK(jaild_tables().size() == 2);
  CHECK(trimmed(net.from_world("http://198.18.0.1:8080/cgi-bin/addr").out) == "198.18.0.2");

  // Stop removes each jail's table; nothing of jaild's stays in the ruleset.
  for (const char* j : {"web", "client", "lonely"})
    REQUIRE(d.curl("POST", "/v1/jails/" + s.name(j) + "/stop").status == 200);
  CHECK(jaild_tables().empty());
  CHECK(run({"nft", "list", "ruleset"}).output.find("jaild") == std::string::npos);
  CHECK(net.from_world("http://198.18.0.1:8080/").status != 0);
  // jaild turned forwarding on in this new namespace (where it starts off):
  // with its last table, even across the SIGKILL above, it goes off again.
  CHECK(sysctl("net/ipv4/ip_forward") == "0");
  CHECK(sysctl("net/ipv6/conf/all/forwarding") == "0");
}

TEST_CASE("nat: seed 002's webserver, imported from its jail.conf, behind NAT with its limits",
          "[system][nat]") {
  require_prerequisites();
  if (run({"nft", "--version"}).status != 0) FAIL("nft is not installed (tests/deps test)");
  own_network net;
  scenario s;
  auto& d = s.daemon();
  // The article's bridge0 = 10.0.0.1/24 with pf's `nat on $ext_if from $jail_net`: a managed
  // network with nat. Its hand-written epair hooks become $jaild_vnet0_network, its rdr a
  // published port; its rctl hook and its exec.start stay as they are.
  REQUIRE(d.curl("POST", "/v1/networks",
                 json{{"name", s.name("jailnet")}, {"bridge", prefix() + "b0"},
                      {"ip4", "10.0.0.0/24"}, {"nat", true}}.dump())
              .status == 201);
  const auto path = s.root_for("webserver");
  write_addr_cgi(fs::path(path) / "www");
  const std::string conf =
      "exec.clean;\n"
      "mount.devfs;\n"
      "allow.raw_sockets;\n"
      "path = \"" + path + "\";\n"
      "host.hostname = \"${name}.jail\";\n" +
      s.name("webserver") + " {\n"
      "  vnet;\n"
      "  $jaild_vnet0_network = \"" + s.name("jailnet") + "\";\n"
      "  $jaild_vnet0_ip4 = \"10.0.0.10/24\";\n"
      "  $jaild_ports = \"tcp/8080:80\";\n"
      "  exec.created = \"rctl -a jail:${name}:memoryuse:deny=2G\";\n"
      "  exec.start = \"/bin/httpd -p 80 -h /www\";\n"
      "}\n";
  auto imported = d.jailctl({"import", "-"}, conf);
  INFO(imported.out << imported.err);
  REQUIRE(imported.status == 0);
  auto spec = s.jail("webserver")["spec"];
  CHECK(spec["ports"] == json{"tcp/8080:80"});
  CHECK(spec["limits"] == json{"memoryuse:deny=2G"});
  auto started = d.curl("POST", "/v1/jails/" + s.name("webserver") + "/start");
  INFO(started.body);
  REQUIRE(started.status == 200);
  const auto pid = s.jail("webserver")["status"]["jid"].get<long long>();
  CHECK(trimmed(read_cgroup_file(pid, "memory", "memory.limit_in_bytes")) == "2147483648");
  // It reaches the world as the host, and the world reaches it through the host's port.
  auto out = d.curl("POST", "/v1/jails/" + s.name("webserver") + "/exec",
                    json{{"argv", {"timeout", "5", "wget", "-q", "-O", "-",
                                   "http://198.18.0.2/cgi-bin/addr"}}}.dump());
  REQUIRE(out.status == 200);
  CHECK(trimmed(out.json()["stdout"]) == "198.18.0.1");
  REQUIRE(s.eventually([&] { return net.from_world("http://198.18.0.1:8080/cgi-bin/addr").status == 0; }));
  CHECK(trimmed(net.from_world("http://198.18.0.1:8080/cgi-bin/addr").out) == "198.18.0.2");
  // The export carries the port back as it came.
  auto exported = d.curl("GET", "/v1/jails/export");
  CHECK(exported.body.find("$jaild_ports = \"tcp/8080:80\";") != std::string::npos);
  REQUIRE(d.curl("POST", "/v1/jails/" + s.name("webserver") + "/stop").status == 200);
  CHECK(jaild_tables().empty());
}

TEST_CASE("nat: seed 003's mixed IPv4 and IPv6 jail, imported, reached over both families",
          "[system][nat]") {
  require_prerequisites();
  if (run({"nft", "--version"}).status != 0) FAIL("nft is not installed (tests/deps test)");
  own_network net;
  scenario s;
  auto& d = s.daemon();
  // iocage's ip4_addr="vnet0|...", ip6_addr="vnet0|...", defaultrouter, defaultrouter6, as
  // jail.conf with jaild's variables; the bridge is made with both routers' addresses.
  const auto path = s.root_for("mixed");
  write_addr_cgi(fs::path(path) / "www");
  const std::string bridge = prefix() + "b3";
  const std::string conf =
      s.name("mixed") + " {\n"
      "  path = \"" + path + "\";\n"
      "  vnet;\n"
      "  $jaild_vnet0_bridge = \"" + bridge + "\";\n"
      "  $jaild_vnet0_ip4 = \"10.88.0.10/24\";\n"
      "  $jaild_vnet0_ip6 = \"fd88::10/64\";\n"
      "  $jaild_vnet0_defaultrouter = \"10.88.0.1\";\n"
      "  $jaild_vnet0_defaultrouter6 = \"fd88::1\";\n"
      "  $jaild_ports = \"tcp/8080:80\";\n"
      "  exec.start = \"/bin/httpd -p 80 -h /www\";\n"
      "}\n";
  auto imported = d.jailctl({"import", "-"}, conf);
  INFO(imported.out << imported.err);
  REQUIRE(imported.status == 0);
  auto started = d.curl("POST", "/v1/jails/" + s.name("mixed") + "/start");
  INFO(started.body);
  REQUIRE(started.status == 200);
  auto exec = [&](std::vector<std::string> argv) {
    auto r = d.curl("POST", "/v1/jails/" + s.name("mixed") + "/exec", json{{"argv", argv}}.dump());
    REQUIRE(r.status == 200);
    return r.json()["stdout"].get<std::string>();
  };
  const auto addrs = exec({"ip", "-o", "addr"});
  CHECK(addrs.find("10.88.0.10/24") != std::string::npos);
  CHECK(addrs.find("fd88::10/64") != std::string::npos);
  CHECK(exec({"ip", "-6", "route"}).find("default via fd88::1") != std::string::npos);
  const auto bridge_addrs = run({"ip", "-o", "addr", "show", "dev", bridge}).output;
  CHECK(bridge_addrs.find("10.88.0.1/24") != std::string::npos);
  CHECK(bridge_addrs.find("fd88::1/64") != std::string::npos);
  // Its published port from the world, over both families (routed: no NAT on this bridge).
  REQUIRE(s.eventually([&] { return net.from_world("http://[fd18::1]:8080/cgi-bin/addr").status == 0; }));
  CHECK(trimmed(net.from_world("http://[fd18::1]:8080/cgi-bin/addr").out) == "fd18::2");
  CHECK(trimmed(net.from_world("http://198.18.0.1:8080/cgi-bin/addr").out) == "198.18.0.2");
  REQUIRE(d.curl("POST", "/v1/jails/" + s.name("mixed") + "/stop").status == 200);
  CHECK(jaild_tables().empty());
  CHECK(run({"ip", "link", "show", bridge}).status != 0);  // jaild made it; it went with the jail
}

TEST_CASE("nat: two jailds in one namespace, each with its own tables, neither touches the other's",
          "[system][nat]") {
  require_prerequisites();
  if (run({"nft", "--version"}).status != 0) FAIL("nft is not installed (tests/deps test)");
  own_network net;
  scenario a, b;
  const std::string tag_a = a.tag(), tag_b = b.tag();
  REQUIRE(tag_a != tag_b);
  // Each jaild's first jail has its first instance id (tag + "1"): names
  // without the tag would be the same table.
  auto web = [](int n) { return "web" + std::to_string(n); };
  int n = 0;
  for (auto* s : {&a, &b}) {
    ++n;
    const std::string bridge = prefix() + "t" + std::to_string(n);
    s->define(web(n), {{"vnet", {{"interfaces", {{{"bridge", bridge},
                                                 {"ip4", {"10.9" + std::to_string(n) + ".0.10/24"}},
                                                 {"defaultrouter", "10.9" + std::to_string(n) + ".0.1"}}}}}},
                      {"ports", {"tcp/808" + std::to_string(n) + ":80"}},
                      {"command", {"/bin/httpd", "-f", "-p", "80", "-h", "/www"}}});
    write_addr_cgi(s->root(web(n)) / "www");
    auto r = s->daemon().curl("POST", "/v1/jails/" + s->name(web(n)) + "/start");
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
  auto tables_with = [&](const std::string& tag) {
    int count = 0;
    for (const auto& t : jaild_tables()) count += t.rfind("jaild_" + tag, 0) == 0;
    return count;
  };
  CHECK(jaild_tables().size() == 2);
  CHECK(tables_with(tag_a) == 1);
  CHECK(tables_with(tag_b) == 1);
  REQUIRE(a.eventually([&] { return net.from_world("http://198.18.0.1:8081/index.html").status == 0; }));
  REQUIRE(b.eventually([&] { return net.from_world("http://198.18.0.1:8082/index.html").status == 0; }));
  // One jaild killed and restarted reconciles next to the other's table.
  a.restart_daemon(SIGKILL);
  CHECK(tables_with(tag_b) == 1);
  // One jaild's stop removes its own table only; the other's port still answers.
  REQUIRE(a.daemon().curl("POST", "/v1/jails/" + a.name(web(1)) + "/stop").status == 200);
  CHECK(tables_with(tag_a) == 0);
  CHECK(tables_with(tag_b) == 1);
  CHECK(net.from_world("http://198.18.0.1:8082/cgi-bin/addr").status == 0);
  CHECK(net.from_world("http://198.18.0.1:8081/").status != 0);
  // a turned forwarding on; b found it on. a's last table went while b's
  // was there: kept; b never turns off what it did not turn on.
  CHECK(sysctl("net/ipv4/ip_forward") == "1");
  REQUIRE(b.daemon().curl("POST", "/v1/jails/" + b.name(web(2)) + "/stop").status == 200);
  CHECK(jaild_tables().empty());
}
