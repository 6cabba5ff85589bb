#include "lib/jailconf/writer.h"

#include <catch2/catch.hpp>

#include "lib/jailconf/jailconf.h"
#include "lib/jailconf/lexer.h"
#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::jailconf;
using nlohmann::json;

namespace {

std::vector<model::jail_spec> reimport(const std::string& text) {
  memory_loader none;
  std::vector<model::jail_spec> out;
  for (auto& j : import_text(text, "/export/jail.conf", none)) out.push_back(j.spec);
  return out;
}

// A spec made through the API, with every field jail.conf can carry set to
// something other than its default.
model::jail_spec api_spec() {
  return model::spec_from_json(json::parse(R"({
    "name": "web", "path": "/jails/web", "hostname": "web.example.org",
    "params": {"allow.raw_sockets": true, "allow.mount": false, "enforce_statfs": 1,
               "osrelease": "13.2-RELEASE", "x.list": ["a", 2, true], "odd": "a \"$b\" \\ c\n\td"},
    "exec": {"prepare": ["zfs create tank/web"], "prestart": ["logger pre $HOME"],
             "created": ["logger created"], "start": ["/bin/sh /etc/rc"],
             "poststart": ["logger up"], "prestop": ["logger down"],
             "stop": ["/bin/sh /etc/rc.shutdown jail"], "poststop": ["logger gone"],
             "release": ["zfs destroy tank/web"], "clean": true, "jail_user": "www",
             "system_user": "operator", "consolelog": "/var/log/web.log", "timeout": "1500ms"},
    "command": ["/usr/local/bin/app", "--port", "80"],
    "mount": {"devfs": true, "devfs_ruleset": 5, "fdescfs": true, "procfs": true,
              "fstab": "/jails/fstab/web.fstab", "entries": ["tmpfs /jails/web/tmp tmpfs rw 0 0"]},
    "vnet": {"interfaces": [
      {"bridge": "bridge0", "ip4": ["10.0.0.10/24", "10.0.0.11/24"], "ip6": ["2001:db8::10/64"],
       "defaultrouter": "10.0.0.1", "defaultrouter6": "2001:db8::1", "mac": "02:00:5e:10:00:01",
       "vlan": 4094},
      {"network": "backend"}]},
    "depend": ["db", "cache"], "priority": 10, "boot": true, "persist": false,
    "limits": ["memoryuse:deny=512M", "maxproc:deny=100"], "cpuset": "0-1,4",
    "ports": ["tcp/8080:80", "udp/[::]:5353:53", "tcp/10.0.0.1:8443:443"],
    "restart": {"policy": "on-failure", "max_retries": 5, "backoff_max": "2m"},
    "health": {"exec": ["/bin/check", "--quick"], "interval": "5s", "timeout": "1s",
               "retries": 4, "start_period": "30s"},
    "stop_timeout": "0s",
    "confinement": {"capabilities": ["SYS_PTRACE", "SYS_NICE"], "seccomp": "unconfined",
                    "no_new_privs": false},
    "labels": {"team": "web", "example.org/owner": "ops=1 team", "nomad.alloc": ""}
  })"));
}

model::jail_spec small_spec(const std::string& name) {
  return model::spec_from_json(
      json{{"name", name}, {"path", "/jails/" + name}, {"exec", {{"start", {"/bin/sh /etc/rc"}}}}});
}

}  // namespace

TEST_CASE("writer: a spec from the API survives export and import", "[jailconf]") {
  const auto spec = api_spec();
  std::vector<model::jail_spec> all{spec, small_spec("db"), small_spec("cache")};
  const auto text = write_jail_conf(all);
  INFO(text);
  auto back = reimport(text);
  REQUIRE(back.size() == 3);
  const auto& web = back[2];  // exported by name: cache, db, web
  CHECK(web.name == "web");
  CHECK(model::spec_to_json(web) == model::spec_to_json(spec));
  CHECK(web == spec);
}

TEST_CASE("writer: the text of a jail", "[jailconf]") {
  auto s = small_spec("loghost");
  s.hostname = "loghost.mwl.io";
  s.ip4 = {"em0|203.0.113.231", "em0|203.0.113.232"};
  s.mount.devfs = true;
  s.exec.clean = true;
  s.exec.stop = {"/bin/sh /etc/rc.shutdown"};
  s.limits = {"vmemoryuse:deny=2g"};
  s.params = {{"allow.raw_sockets", true}, {"allow.mount", false}, {"securelevel", 2}};
  s.priority = 5;
  CHECK(write_jail_conf({s}) ==
        "# jail.conf(5) written by jaild " JAILD_VERSION ".\n"
        "# Settings that jail(8) has no parameter for are $jaild_* variables, which\n"
        "# jail(8) ignores and 'jailctl import' reads back.\n"
        "\n"
        "loghost {\n"
        "\tpath = \"/jails/loghost\";\n"
        "\thost.hostname = \"loghost.mwl.io\";\n"
        "\tip4.addr = \"em0|203.0.113.231\";\n"
        "\tip4.addr += \"em0|203.0.113.232\";\n"
        "\tmount.devfs;\n"
        "\tpersist;\n"  // a JSON spec's default
        "\texec.clean;\n"
        "\texec.timeout = 60;\n"
        "\tstop.timeout = 10;\n"
        "\texec.created = \"/usr/bin/rctl -a jail:loghost:vmemoryuse:deny=2g\";\n"
        "\texec.start = \"/bin/sh /etc/rc\";\n"
        "\texec.stop = \"/bin/sh /etc/rc.shutdown\";\n"
        "\texec.poststop = \"/usr/bin/rctl -r jail:loghost || true\";\n"
        "\tallow.mount = false;\n"
        "\tallow.raw_sockets;\n"
        "\tsecurelevel = 2;\n"
        "\t$jaild_priority = 5;\n"
        "}\n");
}

TEST_CASE("writer: one jail's export numbers its epairs as the full export does",
          "[jailconf]") {
  auto vnet_spec = [](const std::string& name, int interfaces) {
    auto s = small_spec(name);
    s.vnet = model::vnet_spec{};
    for (int i = 0; i < interfaces; ++i) {
      model::vnet_interface itf;
      itf.bridge = "bridge0";
      s.vnet->interfaces.push_back(itf);
    }
    return s;
  };
  std::vector<model::jail_spec> all{vnet_spec("c", 1), vnet_spec("a", 2), vnet_spec("b", 1)};
  const auto full = write_jail_conf(all);
  CHECK_THAT(full,
             Catch::Contains("vnet.interface = \"epair0b\";\n\tvnet.interface += \"epair1b\""));
  const auto only_c = write_jail_conf(all, "c");
  CHECK_THAT(only_c, Catch::Contains("c {\n"));
  CHECK_THAT(only_c, !Catch::Contains("a {\n"));
  CHECK_THAT(only_c, Catch::Contains("vnet.interface = \"epair3b\";"));
  CHECK(write_jail_conf(all, "nosuchjail").find('{') == std::string::npos);
}

TEST_CASE("writer: quoted values read back as written", "[jailconf]") {
  const std::string samples[] = {"plain", "", "a \"quoted\" word", "$HOME and ${x}",
                                 "back\\slash", "tab\tnew\nline\rcr", "\x01\x7f" "1",
                                 "caf\xc3\xa9", "'single'"};
  for (const auto& s : samples) {
    INFO(s);
    const auto q = quote_value(s);
    lexer lex(std::make_shared<const std::string>("q"), q);
    token t = lex.next();
    REQUIRE(t.kind == token_kind::word);
    REQUIRE(t.word.is_literal());  // nothing in it expands
    CHECK(t.word.literal() == s);
    CHECK(lex.next().kind == token_kind::end);
  }
}

TEST_CASE("writer: labels are $jaild_labels, one KEY=VALUE each", "[jailconf]") {
  auto s = small_spec("web");
  s.labels = {{"team", "web"}, {"nomad.alloc", "7f3a"}};
  const auto text = write_jail_conf({s});
  CHECK(text.find("\t$jaild_labels = \"nomad.alloc=7f3a\";\n\t$jaild_labels += \"team=web\";\n") !=
        std::string::npos);
  CHECK(reimport(text).at(0).labels == s.labels);
  // A value without '=' and a bad key are refused with their place in the file.
  memory_loader none;
  try {
    import_text("web { path = \"/jails/web\"; $jaild_labels = \"team\"; }\n", "/j.conf", none);
    FAIL("accepted");
  } catch (const jaild::error& e) {
    CHECK(std::string(e.what()).find("$jaild_labels takes KEY=VALUE values") != std::string::npos);
  }
  try {
    import_text("web { path = \"/jails/web\"; $jaild_labels = \"-x=1\"; }\n", "/j.conf", none);
    FAIL("accepted");
  } catch (const jaild::error& e) {
    CHECK(std::string(e.what()).find("/j.conf:1:") != std::string::npos);
    CHECK(std::string(e.what()).find("label key '-x'") != std::string::npos);
  }
}

TEST_CASE("writer: DHCP and SLAAC interfaces export as the clients jail(8) users run",
          "[jailconf]") {
  const auto spec = model::spec_from_json(json::parse(R"({
    "name": "j0", "path": "/jails/j0", "exec": {"start": ["/bin/sh /etc/rc"]},
    "vnet": {"interfaces": [{"bridge": "bridge0", "ip4": ["dhcp"], "ip6": ["slaac"]},
                            {"network": "lan", "ip4": ["dhcp"]}]}})"));
  const auto text = write_jail_conf({spec});
  INFO(text);
  CHECK(text.find("/sbin/dhclient epair0b") != std::string::npos);
  CHECK(text.find("/sbin/ifconfig epair0b inet6 -ifdisabled accept_rtadv up") !=
        std::string::npos);
  CHECK(text.find("inet dhcp") == std::string::npos);
  auto back = reimport(text);
  REQUIRE(back.size() == 1);
  CHECK(back[0] == spec);
}
