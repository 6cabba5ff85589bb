// Which FreeBSD prerequisites a spec needs, what each missing one says, and
// that check() refuses with that sentence.
#include "lib/host/freebsd/prerequisites.h"

#include <catch2/catch.hpp>

#include "lib/host/freebsd/adapter.h"
#include "lib/host/freebsd/parse.h"
#include "lib/model/error.h"
#include "tests/unit/host_freebsd/fake_system.h"
#include "tests/unit/host_freebsd/golden.h"

using namespace jaild;
using namespace jaild::host;
using namespace jaild::host::freebsd;
using strings = std::vector<std::string>;

namespace {

host_facts ready_host() {
  host_facts f;
  f.sysctl = parse_sysctl(
      "kern.features.vimage=1\nkern.racct.enable=1\nnet.inet.ip.forwarding=1\n"
      "net.link.bridge.pfil_member=0\nnet.link.bridge.pfil_bridge=0\n");
  f.modules = {"if_bridge", "if_epair", "pf"};
  f.addresses = {"20.0.0.20", "10.0.0.1"};
  return f;
}

const prerequisite& find(const std::vector<prerequisite>& all, const std::string& name) {
  for (const auto& p : all)
    if (p.name == name) return p;
  FAIL("no prerequisite " << name);
  return all.front();
}

model::jail_spec vnet_spec(const std::string& router) {
  return model::spec_from_json(
      {{"name", "web"},
       {"path", "/j/web"},
       {"vnet",
        {{"interfaces", {{{"bridge", "bridge0"}, {"ip4", {"10.0.0.10/24"}}, {"defaultrouter", router}}}}}}});
}

}  // namespace

TEST_CASE("prerequisites: a prepared host has them all", "[host_freebsd]") {
  auto all = evaluate_prerequisites(ready_host());
  CHECK(all.size() == 8);
  for (const auto& p : all) {
    INFO(p.name);
    CHECK(p.ok);
  }
}

TEST_CASE("prerequisites: each missing one says what to change", "[host_freebsd]") {
  struct row {
    std::string name;
    std::function<void(host_facts&)> break_it;
    std::string sentence;
  };
  const std::vector<row> rows{
      {"kern.features.vimage", [](host_facts& f) { f.sysctl.erase("kern.features.vimage"); },
       "\"options VIMAGE\""},
      {"kern.racct.enable", [](host_facts& f) { f.sysctl["kern.racct.enable"] = "0"; },
       "add kern.racct.enable=1 to /boot/loader.conf and reboot"},
      {"kern.racct.enable", [](host_facts& f) { f.sysctl.erase("kern.racct.enable"); },
       "\"options RACCT\" and \"options RCTL\""},
      {"if_bridge", [](host_facts& f) { f.modules.erase("if_bridge"); },
       "ifconfig loads it at the first jail's start. To load it at boot, add "
       "if_bridge_load=\"YES\" to /boot/loader.conf"},
      {"if_epair", [](host_facts& f) { f.modules.erase("if_epair"); },
       "if_epair_load=\"YES\""},
      {"net.inet.ip.forwarding", [](host_facts& f) { f.sysctl["net.inet.ip.forwarding"] = "0"; },
       "gateway_enable=\"YES\" to /etc/rc.conf"},
      {"net.link.bridge.pfil_member",
       [](host_facts& f) { f.sysctl["net.link.bridge.pfil_member"] = "1"; },
       "sysctl net.link.bridge.pfil_member=0"},
      {"net.link.bridge.pfil_bridge",
       [](host_facts& f) { f.sysctl.erase("net.link.bridge.pfil_bridge"); },
       "sysctl net.link.bridge.pfil_bridge=0"},
      {"pf.anchors", [](host_facts& f) { f.modules.erase("pf"); },
       "run \"kldload pf\" and add pf_enable=\"YES\" to /etc/rc.conf"},
      {"pf.anchors",
       [](host_facts& f) {
         f.pf_anchor_lines_missing = {"rdr-anchor \"jaild/*\"", "anchor \"jaild/*\""};
       },
       "add rdr-anchor \"jaild/*\"; anchor \"jaild/*\" to /etc/pf.conf"},
  };
  for (const auto& r : rows) {
    INFO(r.name << ": " << r.sentence);
    auto facts = ready_host();
    r.break_it(facts);
    auto all = evaluate_prerequisites(facts);
    const auto& p = find(all, r.name);
    CHECK_FALSE(p.ok);
    CHECK_THAT(p.message, Catch::Contains(r.sentence));
    std::size_t missing = 0;
    for (const auto& q : all) missing += q.ok ? 0 : 1;
    CHECK(missing == 1);
  }
}

TEST_CASE("prerequisites: the pfil sysctls only matter with a packet filter", "[host_freebsd]") {
  auto facts = ready_host();
  facts.sysctl["net.link.bridge.pfil_member"] = "1";
  facts.sysctl["net.link.bridge.pfil_bridge"] = "1";
  facts.modules.erase("pf");
  CHECK(find(evaluate_prerequisites(facts), "net.link.bridge.pfil_member").ok);
  facts.modules.insert("ipfw");
  CHECK_FALSE(find(evaluate_prerequisites(facts), "net.link.bridge.pfil_member").ok);
  CHECK_FALSE(find(evaluate_prerequisites(facts), "net.link.bridge.pfil_bridge").ok);
}

TEST_CASE("prerequisites: which a spec needs", "[host_freebsd]") {
  const auto facts = ready_host();
  auto classic = model::spec_from_json(
      {{"name", "classic"}, {"path", "/jail/classic"}, {"ip4", {"em0|20.0.0.50"}}});
  CHECK(needed_prerequisites(classic, facts).empty());

  classic.limits = {"memoryuse:deny=2G"};
  CHECK(needed_prerequisites(classic, facts) == strings{"kern.racct.enable"});
  classic.ports = {"tcp/8080:80"};
  CHECK(needed_prerequisites(classic, facts) == strings{"kern.racct.enable", "pf.anchors"});

  // Bridged to the LAN (seed 001): the router is not this host.
  CHECK(needed_prerequisites(vnet_spec("20.0.0.1"), facts) ==
        strings{"kern.features.vimage", "if_epair", "if_bridge", "net.link.bridge.pfil_member",
                "net.link.bridge.pfil_bridge"});
  // Routed through the host's bridge address (seed 002): forwarding too.
  CHECK(needed_prerequisites(vnet_spec("10.0.0.1"), facts) ==
        strings{"kern.features.vimage", "if_epair", "if_bridge", "net.link.bridge.pfil_member",
                "net.link.bridge.pfil_bridge", "net.inet.ip.forwarding"});
}

TEST_CASE("prerequisites: only what the kernel cannot do refuses, the rest are warnings",
          "[host_freebsd]") {
  const auto spec = vnet_spec("10.0.0.1");  // routed through this host
  SECTION("forwarding off: the jail runs, with a warning") {
    auto facts = ready_host();
    facts.sysctl["net.inet.ip.forwarding"] = "0";
    CHECK(require_prerequisites(vnet_spec("20.0.0.1"), facts).empty());
    CHECK(require_prerequisites(spec, facts) ==
          strings{"net.inet.ip.forwarding: IP forwarding is off, so a VNET jail whose default "
                  "router is this host reaches nothing beyond it: run \"sysctl "
                  "net.inet.ip.forwarding=1\" and add gateway_enable=\"YES\" to /etc/rc.conf"});
  }
  SECTION("pf filtering on the bridge and its members is a normal setup: warnings") {
    auto facts = ready_host();
    facts.sysctl["net.link.bridge.pfil_member"] = "1";
    facts.sysctl["net.link.bridge.pfil_bridge"] = "1";
    const auto w = require_prerequisites(spec, facts);
    REQUIRE(w.size() == 2);
    CHECK_THAT(w[0], Catch::StartsWith("net.link.bridge.pfil_member: a packet filter is loaded"));
    CHECK_THAT(w[1], Catch::StartsWith("net.link.bridge.pfil_bridge: a packet filter is loaded"));
  }
  SECTION("a module not loaded: ifconfig loads it, so a warning") {
    auto facts = ready_host();
    facts.modules = {};
    facts.sysctl["kern.securelevel"] = "0";
    const auto w = require_prerequisites(spec, facts);
    CHECK(w == strings{"if_epair: if_epair is not loaded; ifconfig loads it at the first jail's "
                       "start. To load it at boot, add if_epair_load=\"YES\" to /boot/loader.conf",
                       "if_bridge: if_bridge is not loaded; ifconfig loads it at the first "
                       "jail's start. To load it at boot, add if_bridge_load=\"YES\" to "
                       "/boot/loader.conf"});
    CHECK(find(evaluate_prerequisites(facts), "if_epair").warning);
  }
  SECTION("a module not loaded at securelevel 1: the kernel loads none, so refused") {
    auto facts = ready_host();
    facts.modules.erase("if_epair");
    facts.sysctl["kern.securelevel"] = "1";
    CHECK_FALSE(find(evaluate_prerequisites(facts), "if_epair").warning);
    try {
      require_prerequisites(spec, facts);
      FAIL("a VNET jail was accepted with no if_epair at securelevel 1");
    } catch (const jaild::error& e) {
      CHECK(e.code() == errc::prerequisite_missing);
      CHECK(std::string(e.what()) ==
            "jail 'web' needs if_epair: if_epair is not loaded, and at kern.securelevel 1 the "
            "kernel loads no module: add if_epair_load=\"YES\" to /boot/loader.conf and reboot");
    }
    facts.modules.insert("if_epair");  // loaded before the securelevel rose: fine
    CHECK(require_prerequisites(spec, facts).empty());
  }
  SECTION("no VIMAGE: refused") {
    auto facts = ready_host();
    facts.sysctl["kern.features.vimage"] = "0";
    CHECK_THROWS_WITH(require_prerequisites(spec, facts),
                      Catch::StartsWith("jail 'web' needs kern.features.vimage"));
  }
}

TEST_CASE("prerequisites: info() reports them and check() refuses through the adapter",
          "[host_freebsd]") {
  std::vector<std::string> log;
  jaild::test::fake_system sys(log);
  sys.sysctl_output = jaild::test::sample("sysctl_e_constructed.txt");  // racct off, pfil_member 1
  sys.modules = {"if_bridge", "if_epair"};
  sys.host_addrs = {"20.0.0.20"};
  adapter a(sys, {"/var/db/jaild"});
  auto info = a.info();
  CHECK(info.platform == "freebsd");
  CHECK(info.kernel == "FreeBSD 14.1-RELEASE");
  CHECK(info.cpus == 8);
  CHECK(info.details.at("jail_name_prefix") == "jaild-");
  CHECK(info.details.at("firewall") == "none");
  CHECK_FALSE(find(info.prerequisites, "kern.racct.enable").ok);
  CHECK(find(info.prerequisites, "net.link.bridge.pfil_member").ok);  // no firewall loaded
  CHECK(find(info.prerequisites, "kern.features.vimage").ok);
  CHECK(platform_info_to_json(info)["prerequisites"][1]["message"] ==
        "RACCT is off: add kern.racct.enable=1 to /boot/loader.conf and reboot (it is a loader "
        "tunable; sysctl(8) cannot turn it on while the system runs)");

  auto limited = model::spec_from_json(
      {{"name", "db"}, {"path", "/j/db"}, {"limits", {"memoryuse:deny=1G"}}});
  try {
    a.check(limited);
    FAIL("limits accepted without RACCT");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::prerequisite_missing);
    CHECK_THAT(e.what(), Catch::Contains("kern.racct.enable=1 to /boot/loader.conf and reboot"));
  }
  // No firewall, modules loaded, routed elsewhere: no warning.
  CHECK(a.check(vnet_spec("20.0.0.1")).empty());
  sys.modules.clear();
  CHECK(a.check(vnet_spec("20.0.0.1")).size() == 2);  // the modules: warnings
  CHECK(platform_info_to_json(a.info())["prerequisites"][2]["severity"] == "warning");
  CHECK(platform_info_to_json(a.info())["prerequisites"][0]["severity"] == "error");

  // cpusets name CPUs this host has.
  auto pinned = model::spec_from_json({{"name", "p"}, {"path", "/j/p"}, {"cpuset", "6-9"}});
  CHECK_THROWS_WITH(a.check(pinned), "cpuset 6-9 names CPU 9, but this host has CPUs 0-7");
}
