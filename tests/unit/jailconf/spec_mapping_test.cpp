#include "lib/jailconf/spec_mapping.h"

#include <catch2/catch.hpp>

#include "lib/jailconf/jailconf.h"
#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::jailconf;
using nlohmann::json;

namespace {

std::vector<imported_jail> import_all(const std::string& text) {
  memory_loader none;
  return import_text(text, "/etc/jail.conf", none);
}

imported_jail import_one(const std::string& text) {
  auto all = import_all(text);
  REQUIRE(all.size() == 1);
  return all[0];
}

// The spec's JSON, for compact checks of several fields.
json spec_json(const std::string& text) { return model::spec_to_json(import_one(text).spec); }

struct failure {
  errc code = errc::internal;
  std::string message = "no error";
};

failure import_error(const std::string& text) {
  try {
    import_all(text);
  } catch (const error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

const std::string base = "path = \"/jails/$name\"; exec.start = \"/bin/sh /etc/rc\";\n";

}  // namespace

TEST_CASE("spec mapping: jail(8) defaults, not a JSON spec's", "[jailconf]") {
  auto s = import_one(base + "a {}").spec;
  CHECK_FALSE(s.persist);        // jail(8) has no persist unless written
  CHECK_FALSE(s.exec.clean);     // nor exec.clean
  CHECK(s.exec.timeout == std::chrono::seconds(60));  // jail(8) would wait forever; jaild never
  CHECK(s.stop_timeout == std::chrono::seconds(10));
  CHECK(s.exec.start == std::vector<std::string>{"/bin/sh /etc/rc"});
  CHECK(s.params == json::object());
}

TEST_CASE("spec mapping: known parameters become fields", "[jailconf]") {
  const std::string text = base + R"(
    web {
      host.hostname = web.example.org;
      ip4.addr = 192.0.2.5, "em1|192.0.2.6/24";
      interface = em0;
      ip6.addr = "2001:db8::5/64";
      mount.devfs; devfs_ruleset = 4; mount.fdescfs; mount.procfs;
      mount.fstab = "/jails/fstab/web.fstab";
      mount = "tmpfs /jails/web/tmp tmpfs rw 0 0", " ";
      persist; exec.clean; exec.jail_user = www; exec.system_user = operator;
      exec.consolelog = "/var/log/jail_web.log";
      exec.timeout = 90; stop.timeout = 0;
      exec.prepare = "zfs create tank/web"; exec.prestart = "logger prestart", '';
      exec.created = "logger created"; exec.poststart = "logger poststart";
      exec.prestop = "logger prestop"; exec.stop = "/bin/sh /etc/rc.shutdown jail";
      exec.poststop = "logger poststop"; exec.release = "zfs destroy tank/web";
      depend = db, cache;
    }
    db { } cache { })";
  auto all = import_all(text);
  REQUIRE(all.size() == 3);
  const auto& s = all[0].spec;
  CHECK(s.name == "web");
  CHECK(s.path == "/jails/web");
  CHECK(s.hostname == "web.example.org");
  // `interface` is folded into every address that names none.
  CHECK(s.ip4 == std::vector<std::string>{"em0|192.0.2.5", "em1|192.0.2.6/24"});
  CHECK(s.ip6 == std::vector<std::string>{"em0|2001:db8::5/64"});
  CHECK(s.mount.devfs);
  CHECK(s.mount.devfs_ruleset == 4);
  CHECK(s.mount.fdescfs);
  CHECK(s.mount.procfs);
  CHECK(s.mount.fstab == "/jails/fstab/web.fstab");
  CHECK(s.mount.entries == std::vector<std::string>{"tmpfs /jails/web/tmp tmpfs rw 0 0"});
  CHECK(s.persist);
  CHECK(s.exec.clean);
  CHECK(s.exec.jail_user == "www");
  CHECK(s.exec.system_user == "operator");
  CHECK(s.exec.consolelog == "/var/log/jail_web.log");
  CHECK(s.exec.timeout == std::chrono::seconds(90));
  CHECK(s.stop_timeout == std::chrono::seconds(0));
  CHECK(s.exec.prepare == std::vector<std::string>{"zfs create tank/web"});
  CHECK(s.exec.prestart == std::vector<std::string>{"logger prestart"});  // '' runs nothing
  CHECK(s.exec.created == std::vector<std::string>{"logger created"});
  CHECK(s.exec.poststart == std::vector<std::string>{"logger poststart"});
  CHECK(s.exec.prestop == std::vector<std::string>{"logger prestop"});
  CHECK(s.exec.stop == std::vector<std::string>{"/bin/sh /etc/rc.shutdown jail"});
  CHECK(s.exec.poststop == std::vector<std::string>{"logger poststop"});
  CHECK(s.exec.release == std::vector<std::string>{"zfs destroy tank/web"});
  CHECK(s.depend == std::vector<std::string>{"db", "cache"});
  CHECK(all[0].warnings.empty());
}

TEST_CASE("spec mapping: other parameters are kept verbatim in params", "[jailconf]") {
  auto p = spec_json(base + R"(a {
      allow.raw_sockets; allow.nomount; allow.mount.nodevfs = 0; allow.noset_hostname = false;
      enforce_statfs = 1; securelevel = -1; children.max = 010; osrelease = "13.2-RELEASE";
      sysvshm = new; host.hostid = 0; ip_hostname; allow.chflags = TRUE; x.list = a, 2, false;
      host.domainname = ""; nodying;
    })")["params"];
  CHECK(p == json{{"allow.raw_sockets", true},
                  {"allow.mount", false},
                  {"allow.mount.devfs", true},   // "no" and 0: not not
                  {"allow.set_hostname", true},
                  {"enforce_statfs", 1},
                  {"securelevel", -1},
                  {"children.max", "010"},       // not a number as a person writes one
                  {"osrelease", "13.2-RELEASE"},
                  {"sysvshm", "new"},
                  {"host.hostid", 0},
                  {"ip_hostname", true},
                  {"allow.chflags", true},
                  {"x.list", json::array({"a", 2, false})},
                  {"host.domainname", ""},
                  {"dying", false}});
}

TEST_CASE("spec mapping: booleans follow jail(8)'s rules", "[jailconf]") {
  struct row {
    const char* statement;
    bool persist;
  };
  const row rows[] = {{"persist;", true},          {"nopersist;", false},
                      {"persist = true;", true},   {"persist = FALSE;", false},
                      {"persist = 0;", false},     {"persist = 7;", true},
                      {"nopersist = false;", true}, {"persist; nopersist;", false},
                      {"nopersist; persist;", true}};
  for (const auto& r : rows) {
    INFO(r.statement);
    CHECK(import_one(base + "a { " + r.statement + " }").spec.persist == r.persist);
  }
  auto f = import_error(base + "a { persist = yes; }");
  CHECK(f.code == errc::jailconf_syntax);
  CHECK_THAT(f.message, Catch::StartsWith("/etc/jail.conf:2:15: jail 'a': persist: unknown "
                                          "boolean value 'yes'"));
}

TEST_CASE("spec mapping: vnet and its kinds", "[jailconf]") {
  CHECK_FALSE(import_one(base + "a { }").spec.vnet);
  CHECK(import_one(base + "a { vnet; }").spec.vnet == model::vnet_spec{});
  CHECK(import_one(base + "a { vnet = new; }").spec.vnet.has_value());
  CHECK_FALSE(import_one(base + "a { vnet = inherit; }").spec.vnet.has_value());
  CHECK_FALSE(import_one(base + "vnet; a { novnet; }").spec.vnet.has_value());
  CHECK_THAT(import_error(base + "a { vnet = maybe; }").message,
             Catch::Contains("vnet: 'maybe' is not new, inherit, disable"));
}

TEST_CASE("spec mapping: a hook written in a no form is still that hook", "[jailconf]") {
  CHECK(import_one("path=/; a { exec.nostart = \"/bin/sh /etc/rc\"; }").spec.exec.start ==
        std::vector<std::string>{"/bin/sh /etc/rc"});
  CHECK(import_one(base + "a { exec.nostart; persist; }").spec.exec.start.empty());
}

TEST_CASE("spec mapping: command", "[jailconf]") {
  CHECK(import_one("path=/; a { command = \"/usr/local/bin/app --port 80\"; }").spec.command ==
        std::vector<std::string>{"/usr/local/bin/app", "--port", "80"});
  CHECK(import_one("path=/; a { command = \"app > /var/log/app.log\"; }").spec.command ==
        std::vector<std::string>{"/bin/sh", "-c", "app > /var/log/app.log"});
  auto several = import_one("path=/; a { exec.start = one; command = two, three; }");
  CHECK(several.spec.command.empty());
  CHECK(several.spec.exec.start == std::vector<std::string>{"one", "two", "three"});
  REQUIRE(several.warnings.size() == 1);
  CHECK_THAT(several.warnings[0], Catch::Contains("run as exec.start commands"));
}

TEST_CASE("spec mapping: every value meets the model's validators, at its position",
          "[jailconf]") {
  struct row {
    const char* text;
    errc code;
    const char* message;
  };
  const row rows[] = {
      {"a {\n  path = /jails/a;\n  host.hostname = \"bad_host\";\n}", errc::invalid_value,
       "/etc/jail.conf:3:19: jail 'a': hostname 'bad_host' may contain only letters"},
      {"a { path = /a; ip4.addr = 10.0.0.1, 10.0.0.300; }", errc::invalid_value,
       "/etc/jail.conf:1:37: jail 'a': '10.0.0.300' is not an IPv4 address"},
      {"a { path = relative; }", errc::invalid_value,
       "/etc/jail.conf:1:12: jail 'a': path 'relative' is not absolute"},
      {"a { exec.start = x; }", errc::missing_field,
       "/etc/jail.conf:1:1: jail 'a': a jail spec needs a 'path'"},
      {"a.b { path = /; }", errc::invalid_name, "/etc/jail.conf:1:1: jail 'a.b': jail name"},
      {"a { path = /; persist; depend = a; }", errc::invalid_value,
       "/etc/jail.conf:1:33: jail 'a': a jail cannot depend on itself"},
      {"a { path = /; devfs_ruleset = 70000; }", errc::invalid_value,
       "/etc/jail.conf:1:31: jail 'a': devfs_ruleset must be 0..65535"},
      {"a { path = /; exec.start = x; persist = 0; exec.timeout = 0; }", errc::invalid_value,
       "/etc/jail.conf:1:59: jail 'a': exec.timeout = 0 means no timeout to jail(8)"},
      {"a { path = /; exec.timeout = 1m; }", errc::jailconf_syntax,
       "/etc/jail.conf:1:30: jail 'a': exec.timeout: '1m' is not an integer"},
      {"a { path = /; }", errc::invalid_value,
       "/etc/jail.conf:1:1: jail 'a': a jail with persist=false needs exec.start or command"},
      {"a { path = /; persist; exec.fib = 1; }", errc::invalid_value,
       "/etc/jail.conf:1:24: jail 'a': exec.fib is not supported by jaild yet"},
      {"a { path = /; persist; jid = 5; }", errc::invalid_value,
       "/etc/jail.conf:1:24: jail 'a': jaild assigns JIDs itself"},
      {"a { path = /; persist; exec.begin = x; }", errc::jailconf_syntax,
       "/etc/jail.conf:1:24: jail 'a': jail(8) has no parameter 'exec.begin'"},
      {"a { path = /; persist; mount.fstab = /a, /b; }", errc::invalid_value,
       "/etc/jail.conf:1:42: jail 'a': jaild takes one mount.fstab file"},
      {"a { path = /; persist; vnet; ip4.addr = 10.0.0.1; }", errc::invalid_value,
       "a VNET jail has its own network stack"},
      // The book's contradiction: interfaces and a comma list in one string.
      {"a { path = /; persist; ip6.addr=\" jpublic|2001:db8:0::225/64, "
       "jpublic|2001:db8:0::226/64\"; }",
       errc::jailconf_syntax,
       "/etc/jail.conf:1:33: jail 'a': ip6.addr ' jpublic|2001:db8:0::225/64,"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto f = import_error(r.text);
    CHECK(errc_name(f.code) == errc_name(r.code));
    CHECK_THAT(f.message, Catch::Contains(r.message));
  }
}

TEST_CASE("spec mapping: seed text that jail(8) refuses is refused", "[jailconf]") {
  // FreeBSD Mastery: Jails, chapter 2, verbatim: no ';' after host.hostname.
  auto book = import_error("$j=\"/jail\";\npath=\"$j/$name\";\nhost.hostname=\"$name.mwl.io\"\n"
                           "loghost {\nip4.addr=\"203.0.113.231\";\n}\n");
  CHECK(book.code == errc::jailconf_syntax);
  CHECK(book.message == "/etc/jail.conf:4:1: expected ';' after the value of 'host.hostname', "
                        "found 'loghost'");
  // A2, verbatim: epair${jid} while jail(8) reads the file.
  auto a2 = import_error(
      "vnet;\nvnet.interface = \"epair${jid}b\";\npath = \"/usr/jails/${name}\";\n"
      "webserver {\nexec.prestart = \"ifconfig epair${jid} create up\";\n}\n");
  CHECK(a2.code == errc::jailconf_syntax);
  CHECK_THAT(a2.message, Catch::StartsWith("/etc/jail.conf:2:24: jail 'webserver': variable "
                                           "'jid' used in 'vnet.interface' is not defined"));
}

TEST_CASE("spec mapping: rctl hooks become limits", "[jailconf]") {
  auto j = import_one(base + R"(logdb {
      exec.prestart = "rctl -a jail:${name}:memoryuse:deny=2G";
      exec.created = "/usr/bin/rctl -a jail:logdb:vmemoryuse:deny=2g", "logger created";
      exec.poststart = "rctl -a jail:logdb:pcpu:deny=50";
      exec.poststop = "rctl -r jail:logdb", "logger stopped";
      exec.release = "rctl -r jail:logdb: || true";
      exec.start += "rctl -a jail:logdb:maxproc:deny=10";
    })");
  CHECK(j.spec.limits ==
        std::vector<std::string>{"memoryuse:deny=2G", "vmemoryuse:deny=2g", "pcpu:deny=50"});
  CHECK(j.spec.exec.prestart.empty());
  CHECK(j.spec.exec.created == std::vector<std::string>{"logger created"});
  CHECK(j.spec.exec.poststop == std::vector<std::string>{"logger stopped"});
  CHECK(j.spec.exec.release.empty());
  // In the jail, rctl is not a limit: it stays a hook.
  CHECK(j.spec.exec.start ==
        std::vector<std::string>{"/bin/sh /etc/rc", "rctl -a jail:logdb:maxproc:deny=10"});

  // Not this jail's, through a shell, or a rule jaild refuses: hooks.
  auto other = import_one(base + R"(a {
      exec.created = "rctl -a jail:b:pcpu:deny=5", "rctl -a jail:a:pcpu:deny=5 && true",
                     "rctl -a jail:a:cputime:deny=5";
    })");
  CHECK(other.spec.limits.empty());
  CHECK(other.spec.exec.created.size() == 3);
  REQUIRE(other.warnings.size() == 1);
  CHECK_THAT(other.warnings[0], Catch::Contains("the kernel cannot deny cputime"));
}

TEST_CASE("spec mapping: cpuset hooks become the CPU list", "[jailconf]") {
  struct row {
    const char* hook;
    const char* cpus;
  };
  const row rows[] = {
      {"exec.created = \"cpuset -c -j $name -l 2-5\";", "2-5"},
      {"exec.created = \"cpuset -j a -cl 6-7\";", "6-7"},
      {"exec.created = \"/usr/bin/cpuset -l 1-2,6-7 -j a\";", "1-2,6-7"},
      {"exec.poststart = \"cpuset -j a -l1,3\";", "1,3"},
      {"exec.created = \"cpuset -j b -cl 6-7\";", ""},       // another jail's
      {"exec.created = \"cpuset -j a -cl 6-7 -x 3\";", ""},  // an option jaild does not model
      {"exec.prestart = \"cpuset -j a -cl 6-7\";", ""},      // no jail yet in prestart
  };
  for (const auto& r : rows) {
    INFO(r.hook);
    auto j = import_one(base + "a { " + r.hook + " }");
    CHECK(j.spec.cpuset == r.cpus);
    const auto hooks = j.spec.exec.created.size() + j.spec.exec.poststart.size() +
                       j.spec.exec.prestart.size();
    CHECK(hooks == (std::string(r.cpus).empty() ? 1u : 0u));
  }
  auto two = import_one(base + "a { exec.created = \"cpuset -j a -l 1\", \"cpuset -j a -l 2\"; }");
  CHECK(two.spec.cpuset.empty());
  CHECK(two.spec.exec.created.size() == 2);
  CHECK(two.warnings.size() == 1);
  CHECK_THAT(import_error(base + "a { exec.created = \"cpuset -j a -l 9-3\"; }").message,
             Catch::Contains("/etc/jail.conf:2:20: jail 'a': CPU list '9-3' has a descending"));
}

TEST_CASE("spec mapping: seed 002's vlan(4) on the uplink stays the host hooks it is",
          "[jailconf]") {
  // The whole bridge on VLAN 100 of em0's wire: host configuration, not the
  // jail's "vlan" (which puts one port of a bridge on a VLAN of that bridge).
  auto j = import_one(base + R"(myjail {
      vnet;
      $jaild_vnet0_bridge = bridge0; $jaild_vnet0_ip4 = 192.168.100.10/24;
      exec.prestart += "ifconfig vlan100 create vlandev em0 vlan 100 up";
      exec.prestart += "ifconfig bridge0 addm vlan100";
    })");
  REQUIRE(j.spec.vnet);
  REQUIRE(j.spec.vnet->interfaces.size() == 1);
  CHECK_FALSE(j.spec.vnet->interfaces[0].vlan);
  CHECK(j.spec.exec.prestart ==
        std::vector<std::string>{"ifconfig vlan100 create vlandev em0 vlan 100 up",
                                 "ifconfig bridge0 addm vlan100"});
}

TEST_CASE("spec mapping: VNET plumbing becomes interfaces", "[jailconf]") {
  SECTION("epair by hand (A1), with MAC, IPv6 and a second address") {
    auto j = import_one(base + R"(v {
        vnet; vnet.interface = "${if}b";
        $if = "epair60";
        exec.prestart += "ifconfig ${if} create up";
        exec.prestart += "ifconfig ${if}a up descr jail:${name}";
        exec.prestart += "ifconfig ${if}b ether 02:00:00:00:00:01";
        exec.prestart += "ifconfig bridge0 addm ${if}a up";
        exec.start += "ifconfig ${if}b 20.0.0.60/24 up";
        exec.start += "ifconfig ${if}b inet 20.0.0.61/24 alias";
        exec.start += "/sbin/ifconfig ${if}b inet6 2001:db8::60/64";
        exec.start += "route add default 20.0.0.1";
        exec.start += "route add -inet6 default 2001:db8::1";
        exec.poststop += "ifconfig bridge0 deletem ${if}a";
        exec.poststop += "ifconfig ${if}a destroy";
      })");
    REQUIRE(j.spec.vnet);
    REQUIRE(j.spec.vnet->interfaces.size() == 1);
    const auto& i = j.spec.vnet->interfaces[0];
    CHECK(i.bridge == "bridge0");
    CHECK(i.mac == "02:00:00:00:00:01");
    CHECK(i.ip4 == std::vector<std::string>{"20.0.0.60/24", "20.0.0.61/24"});
    CHECK(i.ip6 == std::vector<std::string>{"2001:db8::60/64"});
    CHECK(i.defaultrouter == "20.0.0.1");
    CHECK(i.defaultrouter6 == "2001:db8::1");
    CHECK(j.spec.exec.prestart.empty());
    CHECK(j.spec.exec.start == std::vector<std::string>{"/bin/sh /etc/rc"});
    CHECK(j.spec.exec.poststop.empty());
    CHECK(j.warnings.empty());
  }
  SECTION("jib: interface N joins the bridge jib makes for the Nth interface") {
    auto j = import_one(base + R"(lh {
        vnet; vnet.interface = e0b_lh, e1b_lh;
        exec.prestart += "/usr/local/scripts/jib addm lh jailether jailpriv";
        exec.poststop += "/usr/local/scripts/jib destroy lh";
        exec.poststop += "ifconfig e0a_lh description gone";
      })");
    REQUIRE(j.spec.vnet);
    REQUIRE(j.spec.vnet->interfaces.size() == 2);
    CHECK(j.spec.vnet->interfaces[0].bridge == "jailetherbridge");
    CHECK(j.spec.vnet->interfaces[1].bridge == "jailprivbridge");
    CHECK(j.spec.exec.prestart.empty());
    // A hook left that names a lifted interface will not find it: a warning.
    CHECK(j.spec.exec.poststop == std::vector<std::string>{"ifconfig e0a_lh description gone"});
    REQUIRE(j.warnings.size() == 3);
    CHECK_THAT(j.warnings[0],
               Catch::Contains("jib also puts 'jailether' into bridge 'jailetherbridge'"));
    CHECK_THAT(j.warnings[1],
               Catch::Contains("jib also puts 'jailpriv' into bridge 'jailprivbridge'"));
    CHECK_THAT(j.warnings[2],
               Catch::Contains("names interface 'e0a_lh', which jaild names itself"));
  }
  SECTION("what jaild cannot take over is an error") {
    struct row {
      const char* text;
      const char* message;
    };
    const row rows[] = {
        {"v { vnet; vnet.interface = em1; }",
         "/etc/jail.conf:2:28: jail 'v': vnet.interface 'em1' is not created by a block jaild "
         "recognises"},
        {"v { vnet; vnet.interface = epair3b; exec.prestart = \"ifconfig epair3 create\"; }",
         "vnet.interface 'epair3b': no 'ifconfig BRIDGE addm epair3a'"},
        {"v { vnet.interface = epair3b; }", "vnet.interface needs 'vnet'"},
        {"v { vnet; vnet.interface = e1b_v; exec.prestart = \"jib addm v em0\"; }",
         "is interface 1 of 'jib addm v', which names only 1 interface(s)"},
        {"v { vnet; vnet.interface = epair3b; exec.prestart = \"ifconfig epair3 create\", "
         "\"ifconfig bridge_with_a_long_name addm epair3a\"; }",
         "jail 'v': interface name 'bridge_with_a_long_name' is longer than 15"},
    };
    for (const auto& r : rows) {
      INFO(r.text);
      CHECK_THAT(import_error(base + r.text).message, Catch::Contains(r.message));
    }
  }
}

TEST_CASE("spec mapping: $jaild_* variables carry jaild's own settings", "[jailconf]") {
  auto s = import_one(base + R"(
      $jaild_boot;
      a {
        $jaild_priority = 5; $jaild_restart = "on-failure:3"; $jaild_restart_backoff_max = 30s;
        $jaild_limits = "maxproc:deny=50"; $jaild_cpuset = 0-3;
        exec.created = "rctl -a jail:a:maxproc:deny=50";   # the same rule twice is one rule
        $jaild_health_exec = /bin/check, --quick; $jaild_health_timeout = 5s;
        $jaild_health_retries = 2; $jaild_health_start_period = 1m;
        $jaild_stop_timeout = 1500ms;
        vnet;
        $jaild_vnet1_network = backend;
        $jaild_vnet0_bridge = bridge0; $jaild_vnet0_ip4 = 10.0.0.2/24, 10.0.0.3/24;
        $jaild_vnet0_defaultrouter = 10.0.0.1; $jaild_vnet0_mac = "02:00:00:00:00:09";
        $jaild_vnet0_vlan = 100;
        $jaild_capabilities = SYS_PTRACE, SYS_NICE; $jaild_seccomp = unconfined;
        $jaild_no_new_privs = false;
        $jaild_ports = "tcp/8080:80", "udp/[::]:5353:53";
        $unrelated = "a variable of the admin's";
      })").spec;
  CHECK(s.confinement.capabilities == std::vector<std::string>{"SYS_PTRACE", "SYS_NICE"});
  CHECK_FALSE(s.confinement.seccomp);
  CHECK_FALSE(s.confinement.no_new_privs);
  CHECK(s.ports == std::vector<std::string>{"tcp/8080:80", "udp/[::]:5353:53"});
  CHECK(s.boot);
  CHECK(s.priority == 5);
  CHECK(s.restart.policy == model::restart_policy::on_failure);
  CHECK(s.restart.max_retries == 3);
  CHECK(s.restart.backoff_max == std::chrono::seconds(30));
  CHECK(s.limits == std::vector<std::string>{"maxproc:deny=50"});
  CHECK(s.cpuset == "0-3");
  REQUIRE(s.health);
  CHECK(s.health->exec == std::vector<std::string>{"/bin/check", "--quick"});
  CHECK(s.health->timeout == std::chrono::seconds(5));
  CHECK(s.health->retries == 2);
  CHECK(s.health->start_period == std::chrono::minutes(1));
  CHECK(s.stop_timeout == std::chrono::milliseconds(1500));
  REQUIRE(s.vnet);
  REQUIRE(s.vnet->interfaces.size() == 2);
  CHECK(s.vnet->interfaces[0].bridge == "bridge0");
  CHECK(s.vnet->interfaces[0].ip4 == std::vector<std::string>{"10.0.0.2/24", "10.0.0.3/24"});
  CHECK(s.vnet->interfaces[0].defaultrouter == "10.0.0.1");
  CHECK(s.vnet->interfaces[0].mac == "02:00:00:00:00:09");
  CHECK(s.vnet->interfaces[0].vlan == 100);
  CHECK(s.vnet->interfaces[1].network == "backend");
  CHECK_FALSE(s.vnet->interfaces[1].vlan);

  struct row {
    const char* text;
    const char* message;
  };
  const row rows[] = {
      {"a { $jaild_prio = 1; }", "/etc/jail.conf:2:5: jail 'a': unknown jaild variable "
                                 "'$jaild_prio' (jaild knows jaild_priority"},
      {"a { $jaild_priority = 100000; }", "/etc/jail.conf:2:23: jail 'a': priority 100000 is "
                                          "outside 0..9999"},
      {"a { $jaild_priority = high; }", "jail 'a': "},
      {"a { $jaild_restart = sometimes; }", "restart policy 'sometimes' is not one of"},
      {"a { $jaild_vnet0_color = red; vnet; }", "unknown jaild variable '$jaild_vnet0_color'"},
      {"a { $jaild_vnet1_bridge = bridge0; vnet; }", "$jaild_vnet variables skip interface 0"},
      {"a { $jaild_vnet0_bridge = bridge0; }", "$jaild_vnet variables need 'vnet'"},
      {"a { vnet; $jaild_vnet0_bridge = bridge0; $jaild_vnet0_vlan = five; }",
       "$jaild_vnet0_vlan must be a VLAN id (1..4094), not 'five'"},
      {"a { vnet; $jaild_vnet0_bridge = bridge0; $jaild_vnet0_vlan = 4095; }",
       "vlan must be a VLAN id 1..4094, not 4095"},
      {"a { $jaild_cpuset = 1; exec.created = \"cpuset -j a -l 2\"; }",
       "$jaild_cpuset '1' differs from the cpuset hook's list '2'"},
      {"a { $jaild_health_tcp = 80; $jaild_health_http = \"http://x/\"; }",
       "a health check has exactly one of"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK_THAT(import_error(base + r.text).message, Catch::Contains(r.message));
  }
}

// Found by tests/fuzz/run jailconf: "mount.nofstab" with no other mount
// parameter threw a JSON type error instead of meaning "no fstab".
TEST_CASE("spec mapping: mount.nofstab alone means no fstab", "[jailconf]") {
  CHECK(import_one(base + "a { mount.nofstab; }").spec.mount.fstab.empty());
  CHECK(import_one(base + "a { mount.fstab = \"\"; }").spec.mount.fstab.empty());
  CHECK(import_one(base + "mount.fstab = /f/$name; a { mount.nofstab; }").spec.mount.fstab.empty());
}

TEST_CASE("spec mapping: jail(8)'s own switches are kept, with a warning", "[jailconf]") {
  auto j = import_one(base + "a { ip_hostname; allow.dying; }");
  CHECK(j.spec.params == json{{"ip_hostname", true}, {"allow.dying", true}});
  REQUIRE(j.warnings.size() == 2);
  CHECK_THAT(j.warnings[0], Catch::Contains("'ip_hostname' tells jail(8) what to do") &&
                                Catch::Contains("give the addresses in ip4.addr"));
  CHECK_THAT(j.warnings[1], Catch::StartsWith("/etc/jail.conf:2:18: jail 'a': 'allow.dying'"));
}

TEST_CASE("spec mapping: the jail's own DHCP and SLAAC clients become the interface's keywords",
          "[jailconf]") {
  auto j = import_one(base + R"(j0 {
      vnet; vnet.interface = "epair0b";
      exec.prestart += "ifconfig epair0 create up";
      exec.prestart += "ifconfig bridge0 addm epair0a up";
      exec.start += "/sbin/ifconfig epair0b inet6 -ifdisabled accept_rtadv up";
      exec.start += "rtsol epair0b";
      exec.start += "/sbin/dhclient epair0b";
      exec.poststop += "ifconfig epair0a destroy";
    })");
  REQUIRE(j.spec.vnet);
  const auto& i = j.spec.vnet->interfaces.at(0);
  CHECK(i.ip4 == std::vector<std::string>{"dhcp"});
  CHECK(i.ip6 == std::vector<std::string>{"slaac"});
  CHECK(j.spec.exec.start == std::vector<std::string>{"/bin/sh /etc/rc"});
  REQUIRE(j.warnings.size() == 1);
  CHECK(j.warnings[0].find("ifconfig_DEFAULT=\"SYNCDHCP\"") != std::string::npos);
  // As jaild's own variables, too.
  auto v = import_one(base + R"(j1 { vnet; $jaild_vnet0_bridge = "bridge0";
      $jaild_vnet0_ip4 = "dhcp"; $jaild_vnet0_ip6 = "slaac"; })");
  CHECK(v.spec.vnet->interfaces.at(0).ip4 == std::vector<std::string>{"dhcp"});
  CHECK(v.spec.vnet->interfaces.at(0).ip6 == std::vector<std::string>{"slaac"});
  // A route with a DHCP interface is the client's: a route hook stays a hook.
  auto r = import_one(base + R"(j2 {
      vnet; vnet.interface = "epair2b";
      exec.prestart += "ifconfig epair2 create up";
      exec.prestart += "ifconfig bridge0 addm epair2a up";
      exec.start += "dhclient epair2b";
      exec.start += "route add default 192.168.0.1";
    })");
  CHECK(r.spec.vnet->interfaces.at(0).defaultrouter.empty());
  CHECK(r.spec.exec.start.back() == "route add default 192.168.0.1");
}
