// The seeds' setups, run through the FreeBSD adapter against a recording
// system: every command, syscall and ledger entry, in order, is compared with
// a golden file. The scenarios and their sources:
//   classic   seed 001 "Classic Jails": shared IP 20.0.0.50 on em0
//   vnet      seed 001 "VNET Jails": epair on bridge0, 20.0.0.60/24, default 20.0.0.1
//   webserver seed 002 "webserver": bridge0 created with 10.0.0.1/24, 10.0.0.10/24,
//             route via 10.0.0.1, lo0 up; its "Best Practices" limits
//             memoryuse:deny=2G and pcpu:deny=20
//   shell     seed 001 "Single Process Jails": command=/sh, ip4.addr=20.0.0.111
//   limits    the book ch11: rctl rules and "cpuset -j logdb -cl" (here 0-1),
//             then changed live
//   dhcp      seed 000 "j0": iocage's vnet=on bpf=yes dhcp=on on bridge0, and
//             SLAAC on the same interface
#include <catch2/catch.hpp>

#include "lib/host/freebsd/adapter.h"
#include "lib/host/freebsd/dhcp_devfs.h"
#include "lib/model/error.h"
#include "tests/unit/host_freebsd/fake_system.h"
#include "tests/unit/host_freebsd/golden.h"

using namespace jaild;
using namespace jaild::host;
using jaild::test::fake_system;
using jaild::test::recording_journal;
using jaild::test::recording_ledger;

namespace {

model::jail_spec spec_of(const nlohmann::json& j) { return model::spec_from_json(j); }

// Start and stop one jail the way the pipeline (DESIGN.md section 3) calls
// the port, then destroy what the ledger holds in reverse order, twice: the
// second pass must change nothing on the host.
std::vector<std::string> lifecycle(fake_system& sys, const jail_context& ctx,
                                   std::vector<std::string>& log) {
  freebsd::adapter a(sys, {"/var/db/jaild"});
  recording_ledger ledger(log);
  recording_journal journal;
  step_sinks sinks{journal, ledger};
  auto section = [&](const std::string& s) { log.push_back("== " + s); };
  const auto& e = ctx.spec.exec;

  section("add_aliases");
  a.add_aliases(ctx, sinks);
  section("mount_filesystems");
  a.mount_filesystems(ctx, sinks);
  for (const auto& c : e.prestart) a.run_host_hook(ctx, "prestart", c, sinks);
  section("create_interfaces");
  a.create_interfaces(ctx, sinks);
  section("create_jail");
  auto jail = a.create_jail(ctx, sinks);
  for (const auto& c : e.created) a.run_host_hook(ctx, "created", c, sinks);
  section("apply_limits");
  a.apply_limits(ctx, jail, sinks);
  section("attach_interfaces");
  a.attach_interfaces(ctx, jail, sinks);
  section("start");
  for (const auto& c : e.start) a.run_jail_hook(ctx, jail, "start", c, sinks);
  a.start_main(ctx, jail, sinks);
  for (const auto& c : e.poststart) a.run_host_hook(ctx, "poststart", c, sinks);
  a.clear_persist(ctx, jail, sinks);
  section("stop");
  for (const auto& c : e.prestop) a.run_host_hook(ctx, "prestop", c, sinks);
  for (const auto& c : e.stop) a.run_jail_hook(ctx, jail, "stop", c, sinks);
  a.stop_jail(ctx, jail, sinks);
  for (const auto& c : e.poststop) a.run_host_hook(ctx, "poststop", c, sinks);

  const auto objects = ledger.live;
  section("destroy (reverse ledger order)");
  for (auto it = objects.rbegin(); it != objects.rend(); ++it) a.destroy(*it, sinks);
  CHECK(ledger.live.empty());
  section("destroy again: already gone");
  for (auto it = objects.rbegin(); it != objects.rend(); ++it) a.destroy(*it, sinks);

  // Every step was journaled, and none failed.
  CHECK_FALSE(journal.steps.empty());
  for (const auto& s : journal.steps) {
    INFO(s.step << " " << jaild::test::joined(s.argv));
    CHECK(s.ok());
  }
  return log;
}

jail_context context(const nlohmann::json& spec, const std::string& instance) {
  jail_context ctx;
  ctx.spec = spec_of(spec);
  ctx.instance = instance;
  ctx.run_dir = "/var/db/jaild/run/" + ctx.spec.name;
  return ctx;
}

}  // namespace

TEST_CASE("freebsd scenarios: classic shared-IP jail on em0", "[host_freebsd]") {
  std::vector<std::string> log{"# seed 001 'Classic Jails': ip4.addr=20.0.0.50 interface=em0"};
  fake_system sys(log);
  auto ctx = context({{"name", "classic"},
                      {"path", "/jail/classic"},
                      {"hostname", "classic"},
                      {"ip4", {"em0|20.0.0.50"}},
                      {"params", {{"allow.raw_sockets", true}}},
                      {"exec",
                       {{"start", {"/bin/sh /etc/rc"}},
                        {"stop", {"/bin/sh /etc/rc.shutdown"}},
                        {"consolelog", "/var/log/jail_console_classic.log"}}}},
                     "c1");
  sys.processes[5] = {101, 102};  // what /etc/rc left running
  lifecycle(sys, ctx, log);
  CHECK(sys.addresses["em0"].empty());
  CHECK(sys.jails.empty());
  jaild::test::check_golden("classic.txt", log);
}

TEST_CASE("freebsd scenarios: VNET jail on bridge0 with an epair and a default route",
          "[host_freebsd]") {
  std::vector<std::string> log{"# seed 001 'VNET Jails': epair on bridge0, 20.0.0.60/24 via 20.0.0.1"};
  fake_system sys(log);
  sys.interfaces.insert("bridge0");
  sys.members["bridge0"] = {"em0"};
  auto ctx = context({{"name", "vnet"},
                      {"path", "/jail/vnet"},
                      {"hostname", "vnet"},
                      {"params", {{"allow.raw_sockets", true}}},
                      {"vnet",
                       {{"interfaces",
                         {{{"bridge", "bridge0"},
                           {"ip4", {"20.0.0.60/24"}},
                           {"defaultrouter", "20.0.0.1"}}}}}},
                      {"exec",
                       {{"start", {"/bin/sh /etc/rc"}},
                        {"stop", {"/bin/sh /etc/rc.shutdown"}},
                        {"consolelog", "/var/log/jail_console_vnet.log"}}}},
                     "60");
  lifecycle(sys, ctx, log);
  // The host's bridge stays (em0 is on it); the epair is gone.
  CHECK(sys.interfaces.contains("bridge0"));
  CHECK_FALSE(sys.interfaces.contains("e0a_60"));
  CHECK_FALSE(sys.interfaces.contains("epair0a"));
  jaild::test::check_golden("vnet.txt", log);
}

TEST_CASE("freebsd scenarios: the VNET article's webserver, bridge created, with limits",
          "[host_freebsd]") {
  std::vector<std::string> log{
      "# seed 002 'webserver': bridge0 10.0.0.1/24, jail 10.0.0.10/24, default 10.0.0.1,",
      "# rctl memoryuse:deny=2G and pcpu:deny=20 from its 'Best Practices'"};
  fake_system sys(log);
  auto ctx = context({{"name", "webserver"},
                      {"path", "/usr/jails/webserver"},
                      {"hostname", "webserver.jail"},
                      {"params", {{"allow.raw_sockets", true}}},
                      {"mount", {{"devfs", true}}},
                      {"vnet",
                       {{"interfaces",
                         {{{"bridge", "bridge0"},
                           {"ip4", {"10.0.0.10/24"}},
                           {"defaultrouter", "10.0.0.1"}}}}}},
                      {"limits", {"memoryuse:deny=2G", "pcpu:deny=20"}},
                      {"exec",
                       {{"start", {"/bin/sh /etc/rc"}}, {"stop", {"/bin/sh /etc/rc.shutdown"}}}}},
                     "w1");
  // As the engine resolves it: names, MAC, and the bridge's own address.
  ctx.interfaces = {{"e0a_w1", "e0b_w1", "bridge0", {"10.0.0.1/24"}, {"10.0.0.10/24"}, {},
                     "10.0.0.1", "", "02:00:0a:00:00:0a"}};
  lifecycle(sys, ctx, log);
  CHECK_FALSE(sys.interfaces.contains("bridge0"));  // jaild made it, nothing else is on it
  CHECK(sys.rules.empty());
  CHECK(sys.mounted_list.empty());
  jaild::test::check_golden("webserver.txt", log);
}

TEST_CASE("freebsd scenarios: single-process jail running /sh", "[host_freebsd]") {
  std::vector<std::string> log{
      "# seed 001 'Single Process Jails': jail -n shell -c path=/jail/shell mount.devfs",
      "#   host.hostname=shell ip4.addr=20.0.0.111 command=/sh"};
  fake_system sys(log);
  auto ctx = context({{"name", "shell"},
                      {"path", "/jail/shell"},
                      {"hostname", "shell"},
                      {"mount", {{"devfs", true}}},
                      {"ip4", {"20.0.0.111"}},
                      {"command", {"/sh"}},
                      {"persist", false}},
                     "s1");
  lifecycle(sys, ctx, log);
  jaild::test::check_golden("shell.txt", log);
}

TEST_CASE("freebsd scenarios: rctl limits and cpuset 0-1, changed live", "[host_freebsd]") {
  std::vector<std::string> log{
      "# the book ch11: jail rules by name, and cpuset -j NAME -cl LIST before the jail's",
      "# processes run; then update_limits: memoryuse 2G -> 1G, pcpu kept, maxproc added,",
      "# cpuset 0-1 -> 1"};
  fake_system sys(log);
  auto ctx = context({{"name", "logdb"},
                      {"path", "/jail/logdb"},
                      {"limits", {"memoryuse:deny=2G", "pcpu:deny=20"}},
                      {"cpuset", "0-1"}},
                     "l1");
  freebsd::adapter a(sys, {"/var/db/jaild"});
  recording_ledger ledger(log);
  recording_journal journal;
  step_sinks sinks{journal, ledger};
  log.push_back("== create_jail");
  auto jail = a.create_jail(ctx, sinks);
  log.push_back("== apply_limits");
  a.apply_limits(ctx, jail, sinks);
  CHECK(sys.rules == std::set<std::string>{"jail:jaild-logdb:memoryuse:deny=2147483648",
                                           "jail:jaild-logdb:pcpu:deny=20"});
  log.push_back("== update_limits");
  ctx.spec.limits = {"memoryuse:deny=1G", "pcpu:deny=20", "maxproc:deny=100"};
  ctx.spec.cpuset = "1";
  a.update_limits(ctx, jail, sinks);
  CHECK(sys.rules == std::set<std::string>{"jail:jaild-logdb:memoryuse:deny=1073741824",
                                           "jail:jaild-logdb:pcpu:deny=20",
                                           "jail:jaild-logdb:maxproc:deny=100"});
  log.push_back("== usage");
  auto use = a.usage(jail);
  CHECK(use.at("memoryuse") == 1048576.0);
  CHECK(use.at("pcpu") == 3.0);
  jaild::test::check_golden("limits.txt", log);
}

TEST_CASE("freebsd scenarios: seed 000's DHCP jail gets bpf in a ruleset of its own, and SLAAC",
          "[host_freebsd]") {
  std::vector<std::string> log{
      "# seed 000 'j0': iocage vnet=on bpf=yes dhcp=on on bridge0 (with bge0); ip6 slaac"};
  fake_system sys(log);
  sys.interfaces.insert("bridge0");
  sys.members["bridge0"] = {"bge0"};
  auto ctx = context({{"name", "j0"},
                      {"path", "/iocage/jails/j0/root"},
                      {"params", {{"allow.raw_sockets", true}}},
                      {"mount", {{"devfs", true}}},
                      {"vnet",
                       {{"interfaces",
                         {{{"bridge", "bridge0"}, {"ip4", {"dhcp"}}, {"ip6", {"slaac"}}}}}}},
                      {"exec",
                       {{"start", {"/bin/sh /etc/rc"}}, {"stop", {"/bin/sh /etc/rc.shutdown"}}}}},
                     "d0");
  const int ruleset = *freebsd::generated_devfs_ruleset(ctx);
  CHECK(ruleset >= 1000);
  CHECK(ruleset < 61000);
  lifecycle(sys, ctx, log);
  CHECK_FALSE(sys.devfs_sets.contains(ruleset));  // deleted with the jail
  CHECK(sys.devfs_sets == std::set<int>{1, 2, 3, 4, 5});
  jaild::test::check_golden("dhcp.txt", log);
}

TEST_CASE("freebsd scenarios: a DHCP jail's ruleset number that is taken refuses the start",
          "[host_freebsd]") {
  std::vector<std::string> log;
  fake_system sys(log);
  sys.interfaces.insert("bridge0");
  auto ctx = context({{"name", "j0"},
                      {"path", "/j/j0"},
                      {"mount", {{"devfs", true}}},
                      {"vnet", {{"interfaces", {{{"bridge", "bridge0"}, {"ip4", {"dhcp"}}}}}}}},
                     "d0");
  const int ruleset = *freebsd::generated_devfs_ruleset(ctx);
  sys.devfs_sets.insert(ruleset);  // the admin's, from devfs.rules
  freebsd::adapter a(sys, {"/var/db/jaild"});
  recording_ledger ledger(log);
  recording_journal journal;
  step_sinks sinks{journal, ledger};
  CHECK_THROWS_AS(a.mount_filesystems(ctx, sinks), jaild::error);
  CHECK(ledger.live.empty());  // nothing recorded: the set is not jaild's to delete
  CHECK(sys.devfs_sets.contains(ruleset));
  // An admin's own ruleset is used as it is: nothing made.
  ctx.spec.mount.devfs_ruleset = 7;
  CHECK_FALSE(freebsd::generated_devfs_ruleset(ctx));
  // No DHCP interface, no ruleset of jaild's.
  auto plain = context({{"name", "p"},
                        {"path", "/j/p"},
                        {"mount", {{"devfs", true}}},
                        {"vnet", {{"interfaces", {{{"bridge", "bridge0"}}}}}}},
                       "d1");
  CHECK_FALSE(freebsd::generated_devfs_ruleset(plain));
}
