// The FreeBSD adapter's contract (lib/host/host.h): ledger before create,
// journaled failures, idempotent destroy, crash leftovers, refusals, and the
// queries (alive, list_jails, usage, exec, watch).
#include "lib/host/freebsd/adapter.h"

#include <cerrno>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "lib/host/freebsd/plan.h"
#include "lib/model/error.h"
#include "tests/unit/host_freebsd/fake_system.h"

using namespace jaild;
using namespace jaild::host;
using jaild::test::fake_system;
using jaild::test::recording_journal;
using jaild::test::recording_ledger;

namespace {

struct rig {
  std::vector<std::string> log;
  fake_system sys{log};
  recording_ledger ledger{log};
  recording_journal journal;
  freebsd::adapter a{sys, {"/var/db/jaild"}};
  step_sinks sinks{journal, ledger};

  std::size_t index_of(const std::string& needle) const {
    for (std::size_t i = 0; i < log.size(); ++i)
      if (log[i].find(needle) != std::string::npos) return i;
    FAIL("no line with '" << needle << "' in the transcript");
    return 0;
  }
};

jail_context web_context() {
  jail_context ctx;
  ctx.spec = model::spec_from_json(
      {{"name", "web"},
       {"path", "/jails/web"},
       {"mount", {{"devfs", true}}},
       {"vnet",
        {{"interfaces",
          {{{"bridge", "bridge7"}, {"ip4", {"10.7.0.2/24"}}, {"defaultrouter", "10.7.0.1"}}}}}},
       {"limits", {"maxproc:deny=50"}},
       {"exec", {{"timeout", "5s"}, {"start", {"/bin/sh /etc/rc"}}}}});
  ctx.instance = "k9";
  return ctx;
}

}  // namespace

TEST_CASE("adapter: every object is in the ledger before it is created", "[host_freebsd]") {
  rig r;
  auto ctx = web_context();
  ctx.spec.ip4.clear();
  r.a.mount_filesystems(ctx, r.sinks);
  r.a.create_interfaces(ctx, r.sinks);
  auto jail = r.a.create_jail(ctx, r.sinks);
  r.a.apply_limits(ctx, jail, r.sinks);
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"ledger.record mount /jails/web/dev", "run /sbin/mount -t devfs"},
      {"ledger.record bridge bridge7", "run /sbin/ifconfig bridge7 create"},
      {"ledger.record epair e0a_k9", "run /sbin/ifconfig epair create"},
      {"ledger.record jail jaild-web", "jail_set JAIL_CREATE"},
      {"ledger.record rctl jail:jaild-web", "rctl_add_rule"},
  };
  for (const auto& [ledgered, created] : pairs) {
    INFO(ledgered << " before " << created);
    CHECK(r.index_of(ledgered) < r.index_of(created));
  }
  // The journal has one record per command or syscall, in the same order.
  std::vector<std::string> steps;
  for (const auto& s : r.journal.steps) steps.push_back(s.step);
  CHECK(steps == std::vector<std::string>{"mount.devfs", "bridge.create", "epair.create",
                                          "epair.name", "epair.name", "bridge.addm",
                                          "jail.create", "rctl.add"});
  CHECK(r.journal.steps[6].argv[0] == "jail_set");
  CHECK(r.journal.steps[6].argv[1] == "JAIL_CREATE");
}

TEST_CASE("adapter: a VLAN member is put on its VLAN on a bridge that filters, refused on one "
          "that cannot", "[host_freebsd]") {
  auto vlan_context = [] {
    auto ctx = web_context();
    ctx.spec.ip4.clear();
    ctx.spec.vnet->interfaces[0].vlan = 5;
    return ctx;
  };
  SECTION("FreeBSD 15.0's bridge: the member's untagged VLAN, after addm") {
    rig r;
    r.sys.bridge_vlans = true;
    r.a.create_interfaces(vlan_context(), r.sinks);
    std::vector<std::string> steps;
    for (const auto& s : r.journal.steps) steps.push_back(s.step);
    CHECK(steps == std::vector<std::string>{"bridge.create", "bridge.show", "epair.create",
                                            "epair.name", "epair.name", "bridge.addm",
                                            "bridge.vlan"});
    CHECK(r.journal.steps.back().argv ==
          std::vector<std::string>{"/sbin/ifconfig", "bridge7", "ifuntagged", "e0a_k9", "5"});
  }
  SECTION("an older bridge: refused before any epair is made") {
    rig r;
    try {
      r.a.create_interfaces(vlan_context(), r.sinks);
      FAIL("no refusal");
    } catch (const error& e) {
      CHECK(e.code() == errc::prerequisite_missing);
      CHECK(std::string(e.what()).find("per-member VLAN filtering") != std::string::npos);
    }
    for (const auto& line : r.log) CHECK(line.find("epair create") == std::string::npos);
  }
}

TEST_CASE("adapter: a failed step is journaled, throws, and leaves its object ledgered",
          "[host_freebsd]") {
  rig r;
  auto ctx = web_context();
  auto jail = r.a.create_jail(ctx, r.sinks);
  r.sys.fail_on = "rctl_add_rule";
  r.sys.fail_errno = EINVAL;
  try {
    r.a.apply_limits(ctx, jail, r.sinks);
    FAIL("apply_limits did not fail");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::host_failure);
    CHECK(std::string(e.what()) == "rctl.add: rctl_add_rule failed: simulated failure");
  }
  const auto& last = r.journal.steps.back();
  CHECK(last.step == "rctl.add");
  CHECK(last.status == EINVAL);
  CHECK(last.argv == std::vector<std::string>{"rctl_add_rule", "jail:jaild-web:maxproc:deny=50"});
  // The engine rolls back from the ledger: the rule's subject is there.
  REQUIRE(r.ledger.live.size() == 2);
  CHECK(r.ledger.live[1].kind == object_kind::rctl);

  // A command that fails: status and stderr in the journal and the error.
  r.sys.fail_on = "/bin/sh -c";
  CHECK_THROWS_WITH(r.a.run_jail_hook(ctx, jail, "start", "/bin/sh /etc/rc", r.sinks),
                    "exec.start: `/bin/sh -c '/bin/sh /etc/rc'` failed with status 1: simulated failure");
  CHECK(r.journal.steps.back().status == 1);
  CHECK(r.journal.steps.back().error == "simulated failure");
  CHECK(r.journal.steps.back().argv ==
        std::vector<std::string>{"jail_attach(5)", "/bin/sh", "-c", "/bin/sh /etc/rc"});

  // A hook that hangs is a timeout, not a failure.
  r.sys.time_out_on = "logger";
  try {
    r.a.run_host_hook(ctx, "prestart", "logger starting", r.sinks);
    FAIL("no timeout");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::timeout);
    CHECK(std::string(e.what()) ==
          "exec.prestart: `/bin/sh -c 'logger starting'` did not finish within 5000 ms");
  }
  CHECK(r.journal.steps.back().status == ETIMEDOUT);
}

TEST_CASE("adapter: destroy removes an epair a crash left unrenamed", "[host_freebsd]") {
  rig r;
  auto ctx = web_context();
  r.sys.interfaces.insert("bridge7");
  // The crash: ifconfig created the epair (with jaild's description), jaild died
  // before renaming it. An unrelated epair of another tool is there too.
  r.sys.fail_on = "epair0a name";
  CHECK_THROWS(r.a.create_interfaces(ctx, r.sinks));
  r.sys.interfaces.insert("epair7a");
  r.sys.interfaces.insert("epair7b");
  r.sys.descriptions["epair7a"] = "someone else's";
  REQUIRE(r.sys.interfaces.contains("epair0a"));
  REQUIRE(r.ledger.live.size() == 1);
  const auto obj = r.ledger.live[0];
  CHECK(obj.key == "e0a_k9");

  r.log.clear();
  r.a.destroy(obj, r.sinks);
  CHECK(r.log == std::vector<std::string>{"run /sbin/ifconfig epair0a destroy",
                                          "ledger.forget epair e0a_k9"});
  CHECK_FALSE(r.sys.interfaces.contains("epair0a"));
  CHECK_FALSE(r.sys.interfaces.contains("epair0b"));
  CHECK(r.sys.interfaces.contains("epair7a"));
  CHECK(r.ledger.live.empty());

  // Destroyed again (the reconciler after another crash): nothing to do.
  r.log.clear();
  r.a.destroy(obj, r.sinks);
  CHECK(r.log == std::vector<std::string>{"ledger.forget epair e0a_k9"});
  CHECK(r.journal.steps.back().output == "no such interface: nothing to do");
}

TEST_CASE("adapter: a bridge created by a concurrent start is used, a failed one is not",
          "[host_freebsd]") {
  // The bridge-create command fails because another start made it meanwhile.
  struct racing_system final : jaild::test::fake_system {
    using fake_system::fake_system;
    bool lose_race = true;
    run_result run(const command& cmd, const run_options& o) override {
      if (lose_race && cmd.argv.size() >= 3 && cmd.argv[2] == "create" && cmd.argv[1] == "bridge7") {
        interfaces.insert("bridge7");
        log.push_back("run " + jaild::test::joined(cmd.argv) + " (lost the race)");
        run_result r;
        r.status = 1;
        r.error = "ifconfig: SIOCIFCREATE2: File exists";
        return r;
      }
      return fake_system::run(cmd, o);
    }
  };
  std::vector<std::string> log;
  racing_system sys(log);
  recording_ledger ledger(log);
  recording_journal journal;
  step_sinks sinks{journal, ledger};
  freebsd::adapter a(sys, {"/var/db/jaild"});
  auto ctx = web_context();
  ctx.interfaces = {{"e0a_k9", "e0b_k9", "bridge7", {"10.7.0.1/24"}, {"10.7.0.2/24"}, {},
                     "10.7.0.1", "", "02:00:00:00:00:07"}};
  a.create_interfaces(ctx, sinks);
  CHECK(sys.members["bridge7"] == std::vector<std::string>{"e0a_k9"});
  // The other start's bridge keeps its own address: jaild adds none.
  CHECK(sys.addresses["bridge7"].empty());

  std::vector<std::string> log2;
  racing_system sys2(log2);
  sys2.lose_race = false;
  sys2.fail_on = "bridge7 create";
  recording_ledger ledger2(log2);
  step_sinks sinks2{journal, ledger2};
  freebsd::adapter a2(sys2, {"/var/db/jaild"});
  CHECK_THROWS_WITH(a2.create_interfaces(ctx, sinks2),
                    "bridge.create: `/sbin/ifconfig bridge7 create up` failed: simulated failure");
}

TEST_CASE("adapter: a bridge other jails still use stays, and stays ledgered", "[host_freebsd]") {
  rig r;
  r.sys.interfaces.insert("bridge7");
  r.sys.members["bridge7"] = {"e0a_other"};
  const object bridge{object_kind::bridge, "", "bridge7", {{"created_for", "web"}}};
  r.ledger.record(bridge);
  r.a.destroy(bridge, r.sinks);
  CHECK(r.sys.interfaces.contains("bridge7"));
  CHECK(r.ledger.live.size() == 1);
  CHECK(r.journal.steps.back().step == "bridge.keep");
  CHECK(r.journal.steps.back().output == "still in use by e0a_other");
  r.sys.members["bridge7"].clear();
  r.a.destroy(bridge, r.sinks);
  CHECK_FALSE(r.sys.interfaces.contains("bridge7"));
  CHECK(r.ledger.live.empty());
}

TEST_CASE("adapter: mount points reached through a symlink are refused", "[host_freebsd]") {
  rig r;
  auto ctx = web_context();
  r.sys.symlinks.insert("/jails/web/dev");  // the jail's root made dev a link (to /etc)
  CHECK_THROWS_WITH(r.a.mount_filesystems(ctx, r.sinks),
                    "mount.devfs: mount point /jails/web/dev is a symbolic link (jail(8) refuses "
                    "one below the jail's path, and so does jaild); jaild does not mount there");
  CHECK(r.log.empty());  // nothing ledgered, nothing mounted
  CHECK(r.sys.mounted_list.empty());
}

TEST_CASE("adapter: mount points are checked as jail(8)'s check_path checks them",
          "[host_freebsd]") {
  auto ctx = web_context();
  ctx.spec.mount.entries = {"/srv/www /jails/web/usr/local/www nullfs ro"};
  SECTION("a symbolic link above the jail's path is the admin's and is followed") {
    rig r;
    r.sys.symlinks = {"/jails", "/usr/home"};  // /jails -> usr/jails; not below the root
    r.sys.log_queries = true;
    r.a.mount_filesystems(ctx, r.sinks);
    CHECK(r.sys.mounted_list.size() == 2);
    // Only the components below /jails/web were looked at, each of them.
    std::vector<std::string> looked;
    for (const auto& line : r.log)
      if (line.starts_with("lstat ")) looked.push_back(line.substr(6));
    CHECK(looked == std::vector<std::string>{"/jails/web/usr", "/jails/web/usr/local",
                                             "/jails/web/usr/local/www", "/jails/web/dev"});
  }
  SECTION("a symbolic link in any component below it is refused, and nothing is mounted") {
    rig r;
    r.sys.symlinks = {"/jails/web/usr/local"};
    CHECK_THROWS_WITH(r.a.mount_filesystems(ctx, r.sinks),
                      Catch::StartsWith("mount.entry: mount point /jails/web/usr/local is a "
                                        "symbolic link"));
    CHECK(r.sys.mounted_list.empty());
  }
  SECTION("a missing component or a file on the way is refused") {
    rig r;
    r.sys.missing = {"/jails/web/usr/local/www"};
    CHECK_THROWS_WITH(r.a.mount_filesystems(ctx, r.sinks),
                      "mount.entry: mount point /jails/web/usr/local/www does not exist; jaild "
                      "does not mount there");
    rig f;
    f.sys.plain_files = {"/jails/web/usr"};
    CHECK_THROWS_WITH(f.a.mount_filesystems(ctx, f.sinks),
                      Catch::Contains("/jails/web/usr is not a directory"));
  }
}

TEST_CASE("adapter: unmounting is checked as jail(8) checks it", "[host_freebsd]") {
  rig r;
  const object dev{object_kind::mount, "web", "/jails/web/dev",
                   {{"fstype", "devfs"}, {"root", "/jails/web"}}};
  SECTION("a link below the root now: refused, and the ledger keeps the row") {
    r.sys.mounted_list = {{"/jails/web/dev", "devfs"}};
    r.ledger.record(dev);
    r.sys.symlinks = {"/jails/web/dev"};
    CHECK_THROWS_WITH(r.a.destroy(dev, r.sinks), Catch::StartsWith("umount: /jails/web/dev is a "
                                                                   "symbolic link"));
    CHECK(r.sys.mounted_list.size() == 1);
    CHECK(r.ledger.live.size() == 1);
  }
  SECTION("another file system on the point now: left alone") {
    r.sys.mounted_list = {{"/jails/web/dev", "devfs"}, {"/jails/web/dev", "nullfs"}};
    CHECK_THROWS_WITH(r.a.destroy(dev, r.sinks),
                      "umount: /jails/web/dev is a nullfs mount now, not the devfs mount jaild "
                      "made; jaild leaves it alone");
    CHECK(r.sys.mounted_list.size() == 2);
  }
}

TEST_CASE("adapter: exec.consolelog is opened below the jail's path without links",
          "[host_freebsd]") {
  rig r;
  auto ctx = web_context();
  ctx.spec.exec.consolelog = "/jails/web/var/log/console.log";
  running_jail jail{ctx.spec.name, 5, -1, ""};
  r.a.run_jail_hook(ctx, jail, "start", "/bin/sh /etc/rc", r.sinks);
  REQUIRE_FALSE(r.log.empty());
  CHECK(r.log.back() == "run[jail 5] /bin/sh -c '/bin/sh /etc/rc' >> "
                        "/jails/web/var/log/console.log (below /jails/web)");
}

TEST_CASE("adapter: unmounting waits for what is mounted below", "[host_freebsd]") {
  rig r;
  r.sys.mounted_list = {{"/jails/web/dev", "devfs"}, {"/jails/web/dev/fd", "fdescfs"}};
  const object dev{object_kind::mount, "web", "/jails/web/dev", {{"fstype", "devfs"}}};
  CHECK_THROWS_WITH(r.a.destroy(dev, r.sinks),
                    "umount: /jails/web/dev has /jails/web/dev/fd mounted below it; that mount "
                    "goes first");
  r.a.destroy({object_kind::mount, "web", "/jails/web/dev/fd", {}}, r.sinks);
  r.a.destroy(dev, r.sinks);
  CHECK(r.sys.mounted_list.empty());
}

TEST_CASE("adapter: shared-IP aliases are removed only when present", "[host_freebsd]") {
  rig r;
  jail_context ctx;
  ctx.spec = model::spec_from_json(
      {{"name", "classic"}, {"path", "/jail/classic"}, {"ip4", {"em0|20.0.0.50"}}});
  r.a.add_aliases(ctx, r.sinks);
  REQUIRE(r.sys.addresses["em0"] == std::vector<std::string>{"20.0.0.50"});
  const auto obj = r.ledger.live.at(0);
  r.sys.addresses["em0"].clear();  // the admin removed it by hand
  r.log.clear();
  r.a.destroy(obj, r.sinks);
  CHECK(r.log == std::vector<std::string>{"ledger.forget alias em0 inet 20.0.0.50"});
  CHECK(r.journal.steps.back().output == "address not on em0: nothing to do");
}

TEST_CASE("adapter: stop with stop.timeout 0 removes at once", "[host_freebsd]") {
  rig r;
  jail_context ctx;
  ctx.spec = model::spec_from_json(
      {{"name", "fast"}, {"path", "/j/fast"}, {"stop_timeout", "0"}});
  auto jail = r.a.create_jail(ctx, r.sinks);
  r.sys.processes[jail.jid] = {200};
  r.log.clear();
  r.a.stop_jail(ctx, jail, r.sinks);
  CHECK(r.log == std::vector<std::string>{"jail_remove 5"});
  // Removing a jail that is already gone is not an error.
  r.a.stop_jail(ctx, jail, r.sinks);
  CHECK(r.journal.steps.back().ok());
  CHECK(r.journal.steps.back().output == "already gone: no live jail jaild-fast with JID 5");
}

TEST_CASE("adapter: a JID that another jail has now is never acted on", "[host_freebsd]") {
  rig r;
  jail_context ctx;
  ctx.spec = model::spec_from_json({{"name", "web"}, {"path", "/j/web"}});
  auto jail = r.a.create_jail(ctx, r.sinks);
  // web was removed behind jaild's back and the kernel gave JID 5 to another jail.
  r.sys.jails.clear();
  r.sys.jails["other"] = {5, "other", "/j/other", false, ""};
  r.sys.processes[5] = {300, 301};
  r.log.clear();
  r.a.stop_jail(ctx, jail, r.sinks);
  CHECK(r.log.empty());  // no kill, no jail_remove
  CHECK(r.sys.jails.contains("other"));
  exec_request req;
  req.argv = {"/bin/sh"};
  CHECK_THROWS_WITH(r.a.exec(ctx, jail, req), "the jail web is not running");
  CHECK(r.log.empty());
  CHECK_FALSE(r.a.alive(jail));
}

TEST_CASE("adapter: a live cpuset change says what the kernel refused", "[host_freebsd]") {
  rig r;
  jail_context ctx;
  ctx.spec = model::spec_from_json({{"name", "web"}, {"path", "/j/web"}, {"cpuset", "0-3"}});
  auto jail = r.a.create_jail(ctx, r.sinks);
  r.sys.fail_on = "cpuset_setaffinity";
  r.sys.fail_errno = EINVAL;
  CHECK_THROWS_WITH(r.a.update_limits(ctx, jail, r.sinks),
                    Catch::Contains("the set names CPUs outside the host's own set"));
  r.sys.fail_on = "cpuset_setaffinity";
  r.sys.fail_errno = EDEADLK;
  CHECK_THROWS_WITH(r.a.update_limits(ctx, jail, r.sinks),
                    Catch::Contains("a process in the jail is pinned to CPUs outside the new set"));
  CHECK_THAT(r.journal.steps.back().error, !Catch::Contains("restart"));
}

TEST_CASE("adapter: alive, list_jails and usage", "[host_freebsd]") {
  rig r;
  jail_context ctx;
  ctx.spec = model::spec_from_json({{"name", "web"}, {"path", "/j/web"}});
  auto jail = r.a.create_jail(ctx, r.sinks);
  r.sys.jails["ioc-www1"] = {9, "ioc-www1", "/iocage/jails/www1/root", false, ""};
  CHECK(r.a.alive(jail));
  CHECK(r.a.list_jails() == std::vector<running_jail>{{"web", 5, -1, "jid=5"}});
  auto other_life = jail;
  other_life.jid = 4;  // the same name, an earlier life
  CHECK_FALSE(r.a.alive(other_life));
  r.sys.jails["jaild-web"].dying = true;
  CHECK_FALSE(r.a.alive(jail));
  CHECK(r.a.list_jails().empty());

  CHECK(r.a.usage(jail).at("maxproc") == 2.0);
  r.sys.racct = false;
  try {
    r.a.usage(jail);
    FAIL("usage without RACCT");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::prerequisite_missing);
  }
}

TEST_CASE("adapter: exec runs inside the jail with a clean environment", "[host_freebsd]") {
  rig r;
  exec_request req;
  req.argv = {"/usr/bin/id", "-u"};
  req.user = "www";
  req.env = {{"LANG", "C.UTF-8"}};
  r.sys.jails["jaild-web"] = {5, "jaild-web", "/j/web", false, ""};
  auto out = r.a.exec({}, {"web", 5, -1, "jid=5"}, req);
  CHECK(out.exit_code == 0);
  CHECK(r.log == std::vector<std::string>{"run[jail 5] /usr/bin/id -u (as www)"});
}

TEST_CASE("adapter: a streaming exec enters the jail of that name only, as the user asked",
          "[host_freebsd]") {
  rig r;
  exec_stream_request req;
  req.argv = {"top"};
  req.user = "www";
  req.cwd = "/var";
  req.tty = true;
  req.rows = 40;
  req.cols = 120;
  req.env = {{"LANG", "C.UTF-8"}};
  // Not running (no jail of that name with JID 5): refused, nothing started.
  try {
    r.a.open_exec({}, {"web", 5, -1, "jid=5"}, req);
    FAIL("a streaming exec into a jail that is not running");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::jail_running);
  }
  CHECK(r.log.empty());
  r.sys.jails["jaild-web"] = {5, "jaild-web", "/j/web", false, ""};
  // The fake starts nothing: its refusal comes back as host_failure.
  CHECK_THROWS_AS(r.a.open_exec({}, {"web", 5, -1, "jid=5"}, req), jaild::error);
  req.login = true;
  req.argv.clear();
  req.tty = false;
  req.user.clear();
  req.cwd.clear();
  CHECK_THROWS_AS(r.a.open_exec({}, {"web", 5, -1, "jid=5"}, req), jaild::error);
  CHECK(r.log == std::vector<std::string>{"stream[jail 5] top tty 40x120 (as www) in /var",
                                          "stream[jail 5] (login shell)"});
  CHECK(r.sys.stream_env.at("TERM") == "dumb");
  CHECK(r.sys.stream_env.at("LANG") == "C.UTF-8");
  // No argv and no login shell: the request is refused before anything.
  req.login = false;
  try {
    r.a.open_exec({}, {"web", 5, -1, "jid=5"}, req);
    FAIL("an empty argv");
  } catch (const jaild::error& e) {
    CHECK(e.code() == errc::invalid_value);
    CHECK(e.field() == "/argv");
  }
}

TEST_CASE("adapter: signals are sent from inside the jail, init is the jail's command",
          "[host_freebsd]") {
  rig r;
  const running_jail web{"web", 5, -1, "jid=5"};
  r.sys.jails["jaild-web"] = {5, "jaild-web", "/j/web", false, ""};
  r.sys.processes[5] = {900, 901};
  auto code_of = [&](signal_target t, int sig) {
    try {
      r.a.signal({}, web, t, sig);
      return std::string("sent");
    } catch (const jaild::error& e) {
      return std::string(jaild::errc_name(e.code()));
    }
  };
  CHECK(code_of({signal_target::kind::all, 0}, 1) == "sent");
  CHECK(code_of({signal_target::kind::pid, 901}, 15) == "sent");
  // A PID the jail does not have (a host process, say) is not found.
  CHECK(code_of({signal_target::kind::pid, 4242}, 9) == "process_not_found");
  // No `command` was started by jaild: a FreeBSD jail has no init to signal.
  CHECK(code_of({signal_target::kind::init, 0}, 1) == "process_not_found");
  CHECK(r.log == std::vector<std::string>{"kill_in_jail 5 -1 1", "kill_in_jail 5 901 15",
                                          "kill_in_jail 5 4242 9"});
  // With a `command` jaild started, init is that process.
  auto ctx = web_context();
  ctx.spec.command = {"/usr/local/bin/app"};
  r.a.start_main(ctx, web, r.sinks);
  const auto main_pid = r.sys.processes[5].back();
  CHECK(code_of({signal_target::kind::init, 0}, 10) == "sent");
  CHECK(r.log.back() == "kill_in_jail 5 " + std::to_string(main_pid) + " 10");
  // Another jail has JID 5 now: nothing is sent.
  const auto lines = r.log.size();
  r.sys.jails["jaild-web"] = {6, "jaild-web", "/j/web", false, ""};
  CHECK(code_of({signal_target::kind::all, 0}, 1) == "jail_running");
  CHECK(r.log.size() == lines);
}

TEST_CASE("adapter: hooks get a clean environment unless exec.clean is false", "[host_freebsd]") {
  // A recorder of the options a command gets.
  struct env_system final : jaild::test::fake_system {
    using fake_system::fake_system;
    std::vector<std::map<std::string, std::string>> envs;
    run_result run(const command& cmd, const run_options& o) override {
      envs.push_back(o.env);
      return fake_system::run(cmd, o);
    }
  };
  std::vector<std::string> log;
  env_system sys(log);
  recording_ledger ledger(log);
  recording_journal journal;
  step_sinks sinks{journal, ledger};
  freebsd::adapter a(sys, {"/var/db/jaild"});
  jail_context ctx;
  ctx.spec = model::spec_from_json({{"name", "web"}, {"path", "/j/web"}});
  ::setenv("JAILD_TEST_LEAK", "yes", 1);
  a.run_host_hook(ctx, "prestart", "true", sinks);
  a.run_jail_hook(ctx, {"web", 5, -1, "jid=5"}, "start", "true", sinks);
  REQUIRE(sys.envs.size() == 2);
  CHECK_FALSE(sys.envs[0].contains("JAILD_TEST_LEAK"));
  CHECK(sys.envs[0].at("JAIL_NAME") == "web");
  CHECK_FALSE(sys.envs[1].contains("JAILD_TEST_LEAK"));
  CHECK(sys.envs[1].at("USER") == "root");
  ctx.spec.exec.clean = false;
  a.run_host_hook(ctx, "prestart", "true", sinks);
  a.run_jail_hook(ctx, {"web", 5, -1, "jid=5"}, "start", "true", sinks);
  REQUIRE(sys.envs.size() == 4);
  CHECK(sys.envs[2].at("JAILD_TEST_LEAK") == "yes");
  CHECK(sys.envs[2].at("JAIL_NAME") == "web");
  CHECK(sys.envs[3].at("JAILD_TEST_LEAK") == "yes");
  CHECK(sys.envs[3].at("PATH") == "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin");
  ::unsetenv("JAILD_TEST_LEAK");
}

TEST_CASE("adapter: start_main starts the command and watch follows it", "[host_freebsd]") {
  rig r;
  jail_context ctx;
  ctx.spec = model::spec_from_json(
      {{"name", "shell"}, {"path", "/jail/shell"}, {"command", {"/sh"}}, {"persist", false}});
  auto jail = r.a.create_jail(ctx, r.sinks);
  r.a.start_main(ctx, jail, r.sinks);
  CHECK(r.journal.steps.at(1).step == "command");
  CHECK(r.journal.steps.at(1).output == "pid 4000");
  CHECK(r.journal.steps.size() == 2);  // persist stays until after exec.poststart
  r.a.clear_persist(ctx, jail, r.sinks);
  CHECK(r.journal.steps.at(2).step == "jail.nopersist");
  bool ended = false;
  CHECK(r.a.watch(jail, [&](exit_info) { ended = true; }));
  CHECK(r.log.back() == "watch 5 jaild-shell main_pid=4000");
  r.sys.watches.at(5)({0, true});
  CHECK(ended);
  r.a.unwatch(jail);
  CHECK(r.log.back() == "unwatch 5");

  // Without a command of jaild's, the jail is looked up by name first: one
  // that is gone is not watched, and neither is another jail that has its JID now.
  const running_jail no_command{"shell", 6, -1, ""};
  r.sys.jails.clear();
  CHECK_FALSE(r.a.watch(no_command, [](exit_info) {}));
  r.sys.jails["jaild-other"] = {6, "jaild-other", "/j/other", false, ""};
  CHECK_FALSE(r.a.watch(no_command, [](exit_info) {}));
  r.sys.jails["jaild-shell"] = {6, "jaild-shell", "/jail/shell", false, ""};
  r.sys.jails.erase("jaild-other");
  CHECK(r.a.watch(no_command, [](exit_info) {}));

  // A persistent jail with no command: nothing is started, persist stays.
  rig r2;
  jail_context plain;
  plain.spec = model::spec_from_json({{"name", "p"}, {"path", "/j/p"}});
  auto pj = r2.a.create_jail(plain, r2.sinks);
  r2.log.clear();
  r2.a.start_main(plain, pj, r2.sinks);
  r2.a.clear_persist(plain, pj, r2.sinks);
  CHECK(r2.log.empty());
}

TEST_CASE("adapter: ledger objects of other kinds are destroyed idempotently", "[host_freebsd]") {
  rig r;
  r.sys.files["/var/db/jaild/run/web/resolv.conf"] = "nameserver 1.1.1.1\n";
  const object file{object_kind::file, "web", "/var/db/jaild/run/web/resolv.conf", {}};
  r.a.destroy(file, r.sinks);
  r.a.destroy(file, r.sinks);
  CHECK(r.sys.files.empty());
  CHECK(r.journal.steps.back().ok());
  const object cg{object_kind::cgroup, "web", "jaild/web-k9", {}};
  r.a.destroy(cg, r.sinks);
  CHECK(r.journal.steps.back().output == "not a FreeBSD object: nothing to remove");
  const object gone_jail{object_kind::jail, "web", "jaild-web", {}};
  r.a.destroy(gone_jail, r.sinks);
  CHECK(r.journal.steps.back().output == "no such jail");
  CHECK(r.ledger.live.empty());
}

TEST_CASE("adapter: Linux's confinement widenings are refused by name", "[host_freebsd]") {
  rig r;
  auto spec = model::spec_from_json({{"name", "plain"}, {"path", "/jails/plain"}});
  CHECK_NOTHROW(r.a.check(spec));
  spec.confinement.no_new_privs = false;  // nothing to turn off on FreeBSD
  CHECK_NOTHROW(r.a.check(spec));
  spec.confinement.capabilities = {"SYS_PTRACE"};
  CHECK_THROWS_WITH(r.a.check(spec), Catch::Contains("allow.*"));
  spec.confinement.capabilities.clear();
  spec.confinement.seccomp = false;
  CHECK_THROWS_WITH(r.a.check(spec), Catch::Contains("seccomp"));
}

TEST_CASE("adapter: NAT and published ports are pf rules in the jail's own anchor",
          "[host_freebsd][pf]") {
  rig r;
  auto ctx = web_context();
  ctx.spec.ports = {"tcp/8080:80"};
  resolved_interface itf;
  itf.host_end = "e0a_k9";
  itf.jail_end = "e0b_k9";
  itf.bridge = "bridge7";
  itf.ip4 = {"10.7.0.2/24"};
  itf.subnet4 = "10.7.0.0/24";
  itf.nat = "";  // through the default route's interface
  ctx.interfaces = {itf};
  running_jail jail{"web", 5, -1, ""};

  // Without pf, or without jaild's anchor lines in pf.conf: refused, nothing loaded.
  CHECK_THROWS_WITH(r.a.publish(ctx, jail, r.sinks), Catch::Contains("kldload pf"));
  r.sys.modules.insert("pf");
  r.sys.pf_nat_rules = "nat-anchor \"jaild/*\" all\n";
  try {
    r.a.publish(ctx, jail, r.sinks);
    FAIL("published without the anchor lines");
  } catch (const error& e) {
    CHECK(e.code() == errc::prerequisite_missing);
    CHECK_THAT(e.what(), Catch::Contains("add rdr-anchor \"jaild/*\"; anchor \"jaild/*\""));
  }
  CHECK(r.sys.pf_anchors.empty());
  CHECK(r.ledger.live.empty());

  r.sys.pf_nat_rules += "rdr-anchor \"jaild/*\" all\n";
  r.sys.pf_filter_rules = "anchor \"jaild/*\" all\n";
  r.sys.default_route_interface = "vtnet0";
  r.a.publish(ctx, jail, r.sinks);
  REQUIRE(r.sys.pf_anchors.count("jaild/web"));
  CHECK(r.sys.pf_anchors["jaild/web"] ==
        "# jaild: NAT and published ports of jail web\n"
        "nat on vtnet0 inet from 10.7.0.2 to any -> (vtnet0)\n"
        "nat on bridge7 inet proto tcp from 10.7.0.0/24 to 10.7.0.2 port 80 tagged jaild_rdr -> (bridge7)\n"
        "rdr pass inet proto tcp from any to self port 8080 tag jaild_rdr -> 10.7.0.2 port 80\n");
  CHECK(r.index_of("ledger.record firewall jaild/web") < r.index_of("run /sbin/pfctl -a jaild/web -f -"));
  CHECK(r.journal.steps.back().step == "firewall.apply");

  // A jail with neither: nothing is run.
  auto plain = ctx;
  plain.spec.ports.clear();
  plain.interfaces[0].nat.reset();
  const auto lines = r.log.size();
  r.a.publish(plain, jail, r.sinks);
  CHECK(r.log.size() == lines);

  // destroy empties the anchor, again and again; never one outside jaild's.
  const object rules{object_kind::firewall, "web", "jaild/web", {{"anchor", "jaild/web"}}};
  r.a.destroy(rules, r.sinks);
  CHECK(r.sys.pf_anchors.empty());
  CHECK(r.journal.steps.back().argv ==
        std::vector<std::string>{"/sbin/pfctl", "-a", "jaild/web", "-F", "all"});
  r.a.destroy(rules, r.sinks);
  CHECK(r.ledger.live.empty());
  r.a.destroy({object_kind::firewall, "x", "other/x", {{"anchor", "other/x"}}}, r.sinks);
  CHECK(r.journal.steps.back().output == "not an anchor of jaild's: left as it is");
}

TEST_CASE("adapter: an interface name taken on the host is refused, never ledgered or removed",
          "[host_freebsd]") {
  for (const char* taken : {"e0a_k9", "e0b_k9"}) {
    INFO(taken);
    rig r;
    auto ctx = web_context();
    r.sys.interfaces.insert("bridge7");
    r.sys.interfaces.insert(taken);  // another jaild's, another tool's
    CHECK_THROWS_WITH(r.a.create_interfaces(ctx, r.sinks),
                      Catch::Contains(std::string(taken) + " exists on the host and is not "
                                                           "this jaild's; refused"));
    CHECK(r.ledger.live.empty());  // nothing a rollback could destroy
    CHECK(r.sys.interfaces.contains(taken));
    for (const auto& line : r.log) CHECK(line.find("epair create") == std::string::npos);
  }
}

TEST_CASE("adapter: a kernel jail name that is taken is refused before it is ledgered",
          "[host_freebsd]") {
  // Kernel jail names are one namespace for the host: another jaild (or the
  // admin) may run "jaild-web". The start must not ledger it, or its rollback
  // would remove the other's jail.
  rig r;
  auto ctx = web_context();
  ctx.spec.ip4.clear();
  r.sys.jails["jaild-web"] = {41, "jaild-web", "/elsewhere/web", false, "jaild.id=zq7x31"};
  try {
    r.a.create_jail(ctx, r.sinks);
    FAIL("a taken name was not refused");
  } catch (const error& e) {
    CHECK(e.code() == errc::host_failure);
    CHECK(std::string(e.what()).find("jail.reserve: a jail named jaild-web (JID 41)") == 0);
  }
  for (const auto& line : r.log) {
    CHECK(line.find("ledger.record jail") == std::string::npos);
    CHECK(line.find("jail_set JAIL_CREATE") == std::string::npos);
  }
  // A dying jail of that name is no obstacle: the kernel lets the name go.
  r.sys.jails["jaild-web"].dying = true;
  CHECK(r.a.create_jail(ctx, r.sinks).jid > 0);
}

TEST_CASE("adapter: a ledgered jail is removed only when the kernel's jail is the one recorded",
          "[host_freebsd]") {
  const host::object row{host::object_kind::jail, "web", "jaild-web",
                         {{"path", "/jails/web"}, {"instance", "k9"}}};
  auto removed = [](rig& r) {
    for (const auto& line : r.log)
      if (line.rfind("jail_remove", 0) == 0) return true;
    return false;
  };
  SECTION("the mark names this start: removed") {
    rig r;
    r.sys.jails["jaild-web"] = {41, "jaild-web", "/jails/web", false, "jaild.id=k9"};
    r.a.destroy(row, r.sinks);
    CHECK(removed(r));
  }
  SECTION("the mark names another instance: left alone") {
    rig r;
    r.sys.jails["jaild-web"] = {41, "jaild-web", "/jails/web", false, "jaild.id=zq7x31"};
    r.a.destroy(row, r.sinks);
    CHECK_FALSE(removed(r));
  }
  SECTION("no mark (FreeBSD 13, 14): another path is another jail") {
    rig r;
    r.sys.jails["jaild-web"] = {41, "jaild-web", "/elsewhere/web", false, ""};
    r.a.destroy(row, r.sinks);
    CHECK_FALSE(removed(r));
    r.sys.jails["jaild-web"].path = "/jails/web";
    r.a.destroy(row, r.sinks);
    CHECK(removed(r));
  }
  SECTION("a row from before instances were recorded: by path") {
    rig r;
    r.sys.jails["jaild-web"] = {41, "jaild-web", "/jails/web", false, "jaild.id=k9"};
    r.a.destroy({host::object_kind::jail, "web", "jaild-web", {{"path", "/jails/web"}}}, r.sinks);
    CHECK(removed(r));
  }
}
