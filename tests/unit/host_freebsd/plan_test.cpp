// The FreeBSD adapter's pure decisions: names, jail_set parameters, the argv
// of every command, RCTL rule strings, mounts, cpusets.
#include "lib/host/freebsd/plan.h"

#include <algorithm>

#include "lib/host/freebsd/dhcp_devfs.h"
#include "lib/host/freebsd/parse.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::host;
using namespace jaild::host::freebsd;
using strings = std::vector<std::string>;

namespace {
jail_context context(const nlohmann::json& spec, std::string instance = "i1") {
  jail_context ctx;
  ctx.spec = model::spec_from_json(spec);
  ctx.instance = std::move(instance);
  return ctx;
}
}  // namespace

TEST_CASE("plan: kernel names carry jaild's mark and come back", "[host_freebsd]") {
  CHECK(kernel_name("web") == "jaild-web");
  CHECK(spec_name_of("jaild-web") == "web");
  CHECK(spec_name_of("jaild-my-db_2") == "my-db_2");
  CHECK_FALSE(spec_name_of("web"));
  CHECK_FALSE(spec_name_of("ioc-web"));
  CHECK_FALSE(spec_name_of("jaild-"));
  CHECK_FALSE(spec_name_of("jaild-a.b"));  // a child jail is not one of jaild's
  CHECK(epair_description("web") == "jail:jaild-web");
}

TEST_CASE("plan: epair names come from the instance and fit IFNAMSIZ", "[host_freebsd]") {
  auto n = epair_names_for("7f3a9c01", 0);
  CHECK(n.host_end == "e0a_7f3a9c01");
  CHECK(n.jail_end == "e0b_7f3a9c01");
  CHECK(epair_names_for("abcdefghijk", 3).host_end == "e3a_abcdefghijk");  // 15 characters
  CHECK_THROWS_AS(epair_names_for("abcdefghijkl", 0), jaild::error);      // 16
  CHECK_THROWS_AS(epair_names_for("a-b", 0), jaild::error);
  CHECK_THROWS_AS(epair_names_for("", 12), jaild::error);

  // The same instance gives the same MAC on every start; a different one does not.
  CHECK(derived_mac("w1", 0) == derived_mac("w1", 0));
  CHECK(derived_mac("w1", 0) != derived_mac("w1", 1));
  CHECK(derived_mac("w1", 0) != derived_mac("w2", 0));
  CHECK(derived_mac("w1", 0).starts_with("02:"));
  CHECK(derived_mac("w1", 0).size() == 17);

  resolved_interface ok{"e0a_x", "e0b_x", "bridge0", {}, {}, {}, "", "", "02:00:00:00:00:01"};
  CHECK_NOTHROW(check_interface_names(ok));
  auto same = ok;
  same.jail_end = "e0a_x";
  CHECK_THROWS_AS(check_interface_names(same), jaild::error);
  auto longname = ok;
  longname.host_end = "e0a_0123456789ab";
  CHECK_THROWS_AS(check_interface_names(longname), jaild::error);
  auto nobridge = ok;
  nobridge.bridge = "";
  CHECK_THROWS_AS(check_interface_names(nobridge), jaild::error);
}

TEST_CASE("plan: resolved interfaces from the spec when the engine gave none", "[host_freebsd]") {
  auto ctx = context({{"name", "vnet"},
                      {"path", "/jail/vnet"},
                      {"vnet",
                       {{"interfaces",
                         {{{"bridge", "bridge0"}, {"ip4", {"20.0.0.60/24"}}, {"defaultrouter", "20.0.0.1"}},
                          {{"bridge", "jailpriv"}, {"mac", "02:aa:bb:cc:dd:ee"}}}}}}},
                     "60");
  auto list = resolved_interfaces(ctx);
  REQUIRE(list.size() == 2);
  CHECK(list[0].host_end == "e0a_60");
  CHECK(list[1].jail_end == "e1b_60");
  CHECK(list[0].mac == derived_mac("60", 0));
  CHECK(list[1].mac == "02:aa:bb:cc:dd:ee");
  CHECK(list[0].defaultrouter == "20.0.0.1");

  ctx.interfaces = {{"x0a", "x0b", "bridge9", {}, {}, {}, "", "", "02:00:00:00:00:09"}};
  REQUIRE(resolved_interfaces(ctx).size() == 1);
  CHECK(resolved_interfaces(ctx)[0].bridge == "bridge9");
}

TEST_CASE("plan: jail_set parameters in jail(8)'s vocabulary", "[host_freebsd]") {
  auto ctx = context({{"name", "web"},
                      {"path", "/jails/web"},
                      {"ip4", {"em0|192.0.2.5/24", "192.0.2.6"}},
                      {"ip6", {"em0|2001:db8::5"}},
                      {"mount", {{"devfs", true}, {"devfs_ruleset", 5}}},
                      {"params",
                       {{"allow.raw_sockets", true},
                        {"allow.mount", false},
                        {"enforce_statfs", 2},
                        {"sysvshm", "new"},
                        {"securelevel", 2}}}});
  CHECK(create_params(ctx) == std::vector<jail_param>{{"name", "jaild-web"},
                                                      {"path", "/jails/web"},
                                                      {"host.hostname", "web"},
                                                      {"ip4.addr", "192.0.2.5,192.0.2.6"},
                                                      {"ip6.addr", "2001:db8::5"},
                                                      {"devfs_ruleset", "5"},
                                                      {"allow.mount", "false"},
                                                      {"allow.raw_sockets", "true"},
                                                      {"enforce_statfs", "2"},
                                                      {"securelevel", "2"},
                                                      {"sysvshm", "new"},
                                                      {"persist", "true"}});
  // persist=false jails lose the flag only after their start (jail(8)'s order).
  CHECK(nopersist_params(ctx, 9).empty());
  ctx.spec.persist = false;
  CHECK(nopersist_params(ctx, 9) == std::vector<jail_param>{{"jid", "9"}, {"persist", "false"}});
  CHECK(jail_set_journal(nopersist_params(ctx, 9), jail_set_mode::update) ==
        strings{"jail_set", "JAIL_UPDATE", "jid=9", "persist=false"});
}

TEST_CASE("plan: shared-IP aliases as jail(8) adds them", "[host_freebsd]") {
  auto spec = model::spec_from_json({{"name", "classic"},
                                     {"path", "/jail/classic"},
                                     {"ip4", {"em0|20.0.0.50", "em0|192.0.2.5/24", "20.0.0.51"}},
                                     {"ip6", {"em0|2001:db8::1", "vtnet1|2001:db8:1::1/64"}}});
  auto aliases = shared_ip_aliases(spec);
  REQUIRE(aliases.size() == 4);  // 20.0.0.51 names no interface: no alias
  CHECK(alias_argv(aliases[0], true) ==
        strings{"/sbin/ifconfig", "em0", "inet", "20.0.0.50", "netmask", "255.255.255.255", "alias"});
  CHECK(alias_argv(aliases[1], true) ==
        strings{"/sbin/ifconfig", "em0", "inet", "192.0.2.5/24", "alias"});
  CHECK(alias_argv(aliases[2], false) == strings{"/sbin/ifconfig", "em0", "inet6", "2001:db8::1",
                                                 "prefixlen", "128", "-alias"});
  CHECK(alias_argv(aliases[3], true) ==
        strings{"/sbin/ifconfig", "vtnet1", "inet6", "2001:db8:1::1/64", "alias"});
  CHECK(alias_key(aliases[0]) == "em0 inet 20.0.0.50");
  CHECK(alias_from_attrs(alias_attrs(aliases[3])) == aliases[3]);
  CHECK_FALSE(alias_from_attrs({{"addr", "1.2.3.4"}}));
}

TEST_CASE("plan: mounts in jail(8)'s order, inside the jail only", "[host_freebsd]") {
  auto spec = model::spec_from_json(
      {{"name", "ldap3"},
       {"path", "/jail/ldap3"},
       {"mount",
        {{"devfs", true},
         {"fdescfs", true},
         {"procfs", true},
         {"fstab", "/jail/fstab/ldap3.fstab"},
         {"entries", {"tmpfs /jail/ldap3/tmp tmpfs rw,size=1g,mode=1777 0 0"}}}}});
  // The book's base jail: read-only nullfs of the origin (ch. 6).
  const std::string fstab =
      "# base jail\n/jail/ldapbase/bin /jail/ldap3/bin nullfs ro 0 0\n\n"
      "/jail/ldapbase/lib\t/jail/ldap3/lib\tnullfs\tro\t0\t0\n";
  auto plan = mount_plan(spec, fstab);
  REQUIRE(plan.size() == 6);
  CHECK(plan[0] == mount_step{"mount.entry", "/jail/ldap3/tmp", "tmpfs",
                              {"/sbin/mount", "-t", "tmpfs", "-o", "rw,size=1g,mode=1777", "tmpfs",
                               "/jail/ldap3/tmp"}});
  CHECK(plan[1].argv ==
        strings{"/sbin/mount", "-t", "nullfs", "-o", "ro", "/jail/ldapbase/bin", "/jail/ldap3/bin"});
  CHECK(plan[2].point == "/jail/ldap3/lib");
  CHECK(plan[3].argv ==
        strings{"/sbin/mount", "-t", "devfs", "-o", "ruleset=4", "devfs", "/jail/ldap3/dev"});
  CHECK(plan[4].argv == strings{"/sbin/mount", "-t", "fdescfs", "fdesc", "/jail/ldap3/dev/fd"});
  CHECK(plan[5].argv == strings{"/sbin/mount", "-t", "procfs", "proc", "/jail/ldap3/proc"});
  CHECK(umount_argv("/jail/ldap3/dev") == strings{"/sbin/umount", "/jail/ldap3/dev"});

  CHECK_THROWS_WITH(mount_plan(spec, "/ /etc nullfs rw 0 0\n"),
                    Catch::Contains("not below the jail's path /jail/ldap3"));
  CHECK_THROWS_WITH(mount_plan(spec, "/x /jail/ldap3x nullfs\n"), Catch::Contains("not below"));
  CHECK_THROWS_WITH(mount_plan(spec, "/x /jail/ldap3/../../etc nullfs\n"),
                    Catch::Contains("'..'"));
  // The jail's path itself (a base mounted at the root of a thin jail).
  CHECK(mount_plan(spec, "/jail/base /jail/ldap3 nullfs ro\n").at(1).point == "/jail/ldap3");
  CHECK_THROWS_WITH(mount_plan(spec, "/x /jail/ldap3/x\n"),
                    Catch::Contains("needs at least a device, a mount point and a type"));

}

TEST_CASE("plan: jaild's mark in `meta` where the kernel has it (FreeBSD 15)", "[host_freebsd]") {
  auto ctx = context({{"name", "web"}, {"path", "/jails/web"}});
  ctx.instance = "k9";
  // 13 and 14: no meta parameter at all (the kernel would refuse an unknown one).
  for (const auto& p : create_params(ctx)) CHECK(p.name != "meta");
  auto with = create_params(ctx, true);
  REQUIRE(with.size() >= 2);
  CHECK(with[with.size() - 2] == jail_param{"meta", "jaild.id=k9"});
  CHECK(with.back() == jail_param{"persist", "true"});
  // The admin's own meta is kept, and a jaild.id it had is replaced, once.
  ctx.spec.params["meta"] = "owner=ops\njaild.id=forged\nticket=42";
  with = create_params(ctx, true);
  CHECK(std::count_if(with.begin(), with.end(), [](const jail_param& p) { return p.name == "meta"; }) == 1);
  CHECK(with[with.size() - 2] == jail_param{"meta", "owner=ops\nticket=42\njaild.id=k9"});
  CHECK(meta_value("owner=ops\njaild.id=k9", "jaild.id") == "k9");
  CHECK(meta_value("jaild.idx=1\nowner=ops", "jaild.id") == std::nullopt);
  CHECK(meta_value("", "jaild.id") == std::nullopt);
  // Recognised from the kernel alone: the token names the start that made it.
  const auto owned = owned_jails({{7, "jaild-web", "", "/jails/web", false, -1, {}, {},
                                   {{"meta", "owner=ops\njaild.id=k9"}}},
                                  {8, "jaild-db", "", "/jails/db", false, -1, {}, {}, {}}});
  REQUIRE(owned.size() == 2);
  CHECK(owned[0].token == "jaild.id=k9");
  CHECK(owned[1].token == "jid=8");
}

TEST_CASE("plan: devfs ruleset defaults to 4 only with mount.devfs", "[host_freebsd]") {
  auto spec = model::spec_from_json({{"name", "a"}, {"path", "/j/a"}});
  CHECK_FALSE(devfs_ruleset(spec));
  spec.mount.devfs = true;
  CHECK(devfs_ruleset(spec) == 4);
  spec.mount.devfs_ruleset = 6;
  CHECK(devfs_ruleset(spec) == 6);
  // A VNET jail gets devfsrules_jail_vnet (5), as FreeBSD ships it for them.
  auto vnet = model::spec_from_json(
      {{"name", "v"}, {"path", "/j/v"}, {"mount", {{"devfs", true}}},
       {"vnet", {{"interfaces", {{{"bridge", "bridge0"}}}}}}});
  CHECK(devfs_ruleset(vnet) == 5);
  vnet.mount.devfs_ruleset = 4;
  CHECK(devfs_ruleset(vnet) == 4);
}

TEST_CASE("plan: VNET commands", "[host_freebsd]") {
  CHECK(epair_create_argv("web") ==
        strings{"/sbin/ifconfig", "epair", "create", "descr", "jail:jaild-web", "up"});
  CHECK(created_epair("epair3a\n") == "epair3a");
  CHECK(created_epair("epair12a") == "epair12a");
  CHECK_FALSE(created_epair("epair3b\n"));
  CHECK_FALSE(created_epair("e0a_x\n"));
  CHECK_FALSE(created_epair("epaira\n"));
  CHECK_FALSE(created_epair(""));
  CHECK(epair_peer("epair3a") == "epair3b");
  CHECK(bridge_create_argv("bridge0") == strings{"/sbin/ifconfig", "bridge0", "create", "up"});
  CHECK(bridge_create_argv("jailetherbridge") ==
        strings{"/sbin/ifconfig", "bridge", "create", "name", "jailetherbridge", "up"});
  CHECK(bridge_create_argv("bridge") ==
        strings{"/sbin/ifconfig", "bridge", "create", "name", "bridge", "up"});
  CHECK(bridge_address_argv("bridge0", "fd00::1/64") ==
        strings{"/sbin/ifconfig", "bridge0", "inet6", "fd00::1/64", "alias"});
  CHECK(jail_end_argv("epair3b", "e0b_x", "") ==
        strings{"/sbin/ifconfig", "epair3b", "name", "e0b_x", "up"});
  CHECK(vnet_move_argv("e0b_x", 12) == strings{"/sbin/ifconfig", "e0b_x", "vnet", "12"});
  CHECK(bridge_untagged_argv("bridge0", "e0a_x", 4094) ==
        strings{"/sbin/ifconfig", "bridge0", "ifuntagged", "e0a_x", "4094"});
  CHECK(bridge_show_argv("bridge0") == strings{"/sbin/ifconfig", "bridge0"});
  // ifconfig's bridge status (sbin/ifconfig/ifbridge.c): 15.0 prints "bridge flags".
  CHECK(bridge_vlan_filtering(
      "bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n"
      "\tid 58:9c:fc:10:ff:d6 priority 32768 hellotime 2 fwddelay 15\n"
      "\tbridge flags=1<VLANFILTER>\n"
      "\tmember: e0a_x flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n"
      "\t        port 5 priority 128 path cost 2000 untagged 5\n"));
  CHECK_FALSE(bridge_vlan_filtering(
      "bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
      "\tid 58:9c:fc:10:ff:d6 priority 32768 hellotime 2 fwddelay 15\n"
      "\tmember: e0a_x flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n"
      "\tdescription: bridge flags=1 is not a status line\n"));
  CHECK_FALSE(bridge_vlan_filtering(""));

  resolved_interface itf{"e1a_x", "e1b_x", "bridge1", {}, {"10.1.0.5/24", "10.1.0.6/24"},
                         {"fd00::5/64"}, "10.1.0.1", "fd00::1", "02:00:00:00:00:01"};
  auto inside = vnet_inside(itf, "e1b_x", 12, false);  // not the first interface: no lo0
  REQUIRE(inside.size() == 5);
  for (const auto& c : inside) {
    CHECK(c.jail == 12);
    CHECK(c.host_binary);
  }
  CHECK(inside[0].argv == strings{"/rescue/ifconfig", "e1b_x", "inet", "10.1.0.5/24", "up"});
  CHECK(inside[1].argv == strings{"/rescue/ifconfig", "e1b_x", "inet", "10.1.0.6/24", "alias"});
  CHECK(inside[2].argv == strings{"/rescue/ifconfig", "e1b_x", "inet6", "fd00::5/64", "alias"});
  CHECK(inside[3].argv == strings{"/rescue/route", "add", "-inet", "default", "10.1.0.1"});
  CHECK(inside[4].argv == strings{"/rescue/route", "add", "-inet6", "default", "fd00::1"});

  resolved_interface v6only{"a", "b", "br", {}, {}, {"fd00::5/64"}, "", "", ""};
  auto v6 = vnet_inside(v6only, "b", 1, true);
  REQUIRE(v6.size() == 2);
  CHECK(v6[1].argv == strings{"/rescue/ifconfig", "b", "inet6", "fd00::5/64", "alias", "up"});
  resolved_interface bare{"a", "b", "br", {}, {}, {}, "", "", ""};
  auto b = vnet_inside(bare, "b", 1, true);
  REQUIRE(b.size() == 2);
  CHECK(b[0].argv == strings{"/rescue/ifconfig", "lo0", "inet", "127.0.0.1/8", "up"});
  CHECK(b[1].argv == strings{"/rescue/ifconfig", "b", "up"});
}

TEST_CASE("plan: RCTL rules for rctl_add_rule(2) have expanded amounts", "[host_freebsd]") {
  auto spec = model::spec_from_json(
      {{"name", "web"},
       {"path", "/j/web"},
       {"limits", {"memoryuse:deny=2G", "pcpu:deny=20", "maxproc:sigterm=50/process",
                   "vmemoryuse:deny=512m"}}});
  CHECK(rctl_kernel_rules(spec) == strings{"jail:jaild-web:memoryuse:deny=2147483648",
                                           "jail:jaild-web:pcpu:deny=20",
                                           "jail:jaild-web:maxproc:sigterm=50/process",
                                           "jail:jaild-web:vmemoryuse:deny=536870912"});
  CHECK(rctl_human_rules(spec) == strings{"jail:jaild-web:memoryuse:deny=2G",
                                          "jail:jaild-web:pcpu:deny=20",
                                          "jail:jaild-web:maxproc:sigterm=50/process",
                                          "jail:jaild-web:vmemoryuse:deny=512m"});
  CHECK(rctl_subject("web") == "jail:jaild-web");
  CHECK(rctl_remove_filter("web") == "jail:jaild-web:");
}

TEST_CASE("plan: RCTL changes remove what went and add what is new", "[host_freebsd]") {
  const strings current{"jail:jaild-w:memoryuse:deny=2147483648/jail",
                        "jail:jaild-w:pcpu:deny=20/jail", "jail:jaild-w:maxproc:log=10/jail"};
  auto c = rctl_diff(current, {"jail:jaild-w:memoryuse:deny=1073741824",
                               "jail:jaild-w:pcpu:deny=20"});
  CHECK(c.remove == strings{"jail:jaild-w:maxproc:log", "jail:jaild-w:memoryuse:deny"});
  CHECK(c.add == strings{"jail:jaild-w:memoryuse:deny=1073741824"});

  auto same = rctl_diff(current, {"jail:jaild-w:memoryuse:deny=2147483648",
                                  "jail:jaild-w:pcpu:deny=20", "jail:jaild-w:maxproc:log=10"});
  CHECK(same.remove.empty());
  CHECK(same.add.empty());

  auto none = rctl_diff(current, {});
  CHECK(none.remove.size() == 3);
  CHECK(none.add.empty());
}

TEST_CASE("plan: cpusets", "[host_freebsd]") {
  auto spec = model::spec_from_json({{"name", "a"}, {"path", "/j/a"}, {"cpuset", "0-1,4"}});
  CHECK(cpuset_cpus(spec) == std::vector<int>{0, 1, 4});
  CHECK(cpuset_journal(7, {0, 1, 4}) == strings{"cpuset_setaffinity", "CPU_LEVEL_CPUSET",
                                                "CPU_WHICH_JAIL", "7", "0,1,4"});
  spec.cpuset = "";
  CHECK(cpuset_cpus(spec).empty());
}

TEST_CASE("plan: hook environments leak nothing of jaild's", "[host_freebsd]") {
  auto ctx = context({{"name", "web"}, {"path", "/j/web"}}, "w9");
  auto env = host_hook_env(ctx);
  CHECK(env.size() == 5);
  CHECK(env.at("JAIL_NAME") == "web");
  CHECK(env.at("JAIL_KERNEL_NAME") == "jaild-web");
  CHECK(env.at("JAIL_PATH") == "/j/web");
  CHECK(env.at("JAIL_INSTANCE") == "w9");
  auto jenv = jail_env("www");
  CHECK(jenv.at("USER") == "www");
  CHECK(jail_env("").at("HOME") == "/root");
  CHECK(jail_env("").size() == 5);
}

TEST_CASE("plan: DHCP and SLAAC interfaces inside the jail, and the bpf ruleset", "[host_freebsd]") {
  resolved_interface dhcp{"a", "e0b_x", "br", {}, {}, {}, "", "", ""};
  dhcp.dhcp4 = true;
  auto d = vnet_inside(dhcp, "e0b_x", 3, false);
  // Up, no address and no route: the jail's dhclient does the rest.
  REQUIRE(d.size() == 1);
  CHECK(d[0].argv == strings{"/rescue/ifconfig", "e0b_x", "up"});
  resolved_interface slaac{"a", "e0b_x", "br", {}, {"10.1.0.5/24"}, {}, "10.1.0.1", "", ""};
  slaac.slaac6 = true;
  auto s = vnet_inside(slaac, "e0b_x", 3, false);
  REQUIRE(s.size() == 3);
  CHECK(s[0].argv == strings{"/rescue/ifconfig", "e0b_x", "inet", "10.1.0.5/24", "up"});
  CHECK(s[1].argv ==
        strings{"/rescue/ifconfig", "e0b_x", "inet6", "-ifdisabled", "accept_rtadv", "up"});
  CHECK(s[2].argv == strings{"/rescue/route", "add", "-inet", "default", "10.1.0.1"});

  // From the spec alone (no resolved interfaces): the keywords are no addresses.
  auto ctx = context({{"name", "j0"},
                      {"path", "/j/j0"},
                      {"mount", {{"devfs", true}}},
                      {"vnet", {{"interfaces", {{{"bridge", "bridge0"}, {"ip4", {"dhcp"}},
                                                 {"ip6", {"slaac"}}}}}}}});
  const auto itfs = resolved_interfaces(ctx);
  REQUIRE(itfs.size() == 1);
  CHECK(itfs[0].ip4.empty());
  CHECK(itfs[0].ip6.empty());
  CHECK(itfs[0].dhcp4);
  CHECK(itfs[0].slaac6);

  // jail_set gets the generated ruleset, which the mount uses too.
  const auto rs = generated_devfs_ruleset(ctx);
  REQUIRE(rs);
  bool found = false;
  for (const auto& p : create_params(ctx))
    if (p.name == "devfs_ruleset") {
      CHECK(p.value == std::to_string(*rs));
      found = true;
    }
  CHECK(found);
  auto other = ctx;
  other.instance = "i2";
  CHECK(generated_devfs_ruleset(other) != rs);  // another start, another number
  CHECK(devfs_bpf_ruleset_argvs(4711) ==
        std::vector<strings>{{"/sbin/devfs", "rule", "-s", "4711", "add", "include", "5"},
                             {"/sbin/devfs", "rule", "-s", "4711", "add", "path", "bpf*", "unhide"}});
  CHECK(devfs_delset_argv(4711) == strings{"/sbin/devfs", "rule", "-s", "4711", "delset"});
  CHECK(devfs_showsets_argv() == strings{"/sbin/devfs", "rule", "showsets"});
  CHECK(parse_devfs_showsets("1\n2\n3\n4\n5\n4711\n") == std::vector<int>{1, 2, 3, 4, 5, 4711});
  CHECK(parse_devfs_showsets("").empty());
  CHECK(parse_devfs_showsets("x\n12 \n") == std::vector<int>{12});
}
