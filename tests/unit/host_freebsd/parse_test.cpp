// The FreeBSD parsers on output samples (samples/SOURCES.md says where each
// one comes from).
#include "lib/host/freebsd/parse.h"

#include <catch2/catch.hpp>

#include "tests/unit/host_freebsd/golden.h"

using namespace jaild::host;
using namespace jaild::host::freebsd;
using jaild::test::sample;

TEST_CASE("parse: jls -v --libxo json", "[host_freebsd]") {
  std::string why;
  auto jails = parse_jls_json(sample("jls_v_kleene.json"), &why);
  REQUIRE(jails);
  REQUIRE(jails->size() == 1);
  const auto& j = jails->front();
  CHECK(j.jid == 83);
  CHECK(j.name == "83");
  CHECK(j.hostname.empty());
  CHECK(j.path == "/zroot/kleene_basejail");
  CHECK_FALSE(j.dying);
  CHECK(j.cpuset_id == 4);
  CHECK(j.ip4 == std::vector<std::string>{"172.17.0.1", "172.17.0.2"});
  CHECK(j.ip6.empty());
}

TEST_CASE("parse: jls -n --libxo json and selected parameters", "[host_freebsd]") {
  std::string why;
  auto n = parse_jls_json(sample("jls_n_constructed.json"), &why);
  REQUIRE(n);
  REQUIRE(n->size() == 1);
  const auto& j = n->front();
  CHECK(j.jid == 9);  // -n prints it as a string
  CHECK(j.name == "loghost");
  CHECK(j.hostname == "loghost.mwl.io");
  CHECK(j.path == "/jail/loghost");
  CHECK(j.cpuset_id == 4);
  CHECK_FALSE(j.dying);
  CHECK(j.ip4 == std::vector<std::string>{"203.0.113.231"});
  CHECK(j.params.at("securelevel") == "-1");
  CHECK(j.params.at("allow.raw_sockets") == "false");
  CHECK(j.params.at("allow.reserved_ports") == "true");

  auto meta = parse_jls_json(sample("jls_name_meta_freebsd_tests.json"), &why);
  REQUIRE(meta);
  REQUIRE(meta->size() == 1);
  CHECK(meta->front().name == "jail1");
  CHECK(meta->front().jid == -1);
  CHECK(meta->front().params.at("meta") == "a b c");

  auto plain = parse_jls_json(sample("jls_plain_constructed.json"), &why);
  REQUIRE(plain);
  REQUIRE(plain->size() == 2);
  CHECK(plain->at(0).ip4 == std::vector<std::string>{"203.0.113.231"});
  CHECK(plain->at(1).ip4.empty());
  CHECK(plain->at(1).hostname == "web");
}

TEST_CASE("parse: jls output that is not what jls prints is refused", "[host_freebsd]") {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"not json", "jls output is not a JSON object"},
      {"[]", "jls output is not a JSON object"},
      {R"({"__version":"2"})", "jls output has no \"jail-information\" object"},
      {R"({"jail-information":{"jail":{}}})", "\"jail-information\".\"jail\" is not a list"},
      {R"({"jail-information":{"jail":[{"jid":"x","name":"a"}]}})", "jid \"x\" is not a number"},
      {R"({"jail-information":{"jail":[{"path":"/x"}]}})", "a jail in jls output has neither jid nor name"},
  };
  for (const auto& [text, message] : bad) {
    INFO(text);
    std::string why;
    CHECK_FALSE(parse_jls_json(text, &why));
    CHECK(why == message);
  }
  std::string why;
  auto none = parse_jls_json(R"({"__version": "2", "jail-information": {}})", &why);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("parse: owned_jails keeps jaild's live jails, by spec name", "[host_freebsd]") {
  std::vector<jls_jail> listed(5);
  listed[0].jid = 3, listed[0].name = "jaild-web";
  listed[1].jid = 4, listed[1].name = "ioc-www1";             // iocage's
  listed[2].jid = 5, listed[2].name = "loghost";              // jail.conf's
  listed[3].jid = 6, listed[3].name = "jaild-db", listed[3].dying = true;
  listed[4].jid = 7, listed[4].name = "jaild-";               // a prefix, no name
  auto owned = owned_jails(listed);
  REQUIRE(owned.size() == 1);
  CHECK(owned[0] == running_jail{"web", 3, -1, "jid=3"});
}

TEST_CASE("parse: owned_jails leaves out the jails another jaild's mark names",
          "[host_freebsd]") {
  std::vector<jls_jail> listed(4);
  listed[0].jid = 3, listed[0].name = "jaild-web", listed[0].params["meta"] = "jaild.id=k3f9q12";
  listed[1].jid = 4, listed[1].name = "jaild-db", listed[1].params["meta"] = "jaild.id=zz01a7";
  listed[2].jid = 5, listed[2].name = "jaild-old", listed[2].params["meta"] = "jaild.id=k9";
  listed[3].jid = 6, listed[3].name = "jaild-bare";  // no meta (FreeBSD 13, 14)
  auto owned = owned_jails(listed, "k3f9q");
  REQUIRE(owned.size() == 3);
  CHECK(owned[0].name == "web");
  CHECK(owned[1].name == "old");   // an id from before tags
  CHECK(owned[2].name == "bare");
  CHECK(owned_jails(listed).size() == 4);  // no tag: every marked jail, as before
}

TEST_CASE("parse: rctl -u, rctl -hu and the rctl_get_racct buffer", "[host_freebsd]") {
  std::string why;
  auto raw = parse_rctl_usage(sample("rctl_get_racct_buffer.txt"), &why);
  REQUIRE(raw);
  CHECK(raw->size() == 25);
  CHECK(raw->at("cputime") == 174);
  CHECK(raw->at("memoryuse") == 25550848);
  CHECK(raw->at("vmemoryuse") == 296804352);
  CHECK(raw->at("maxproc") == 5);
  CHECK(raw->at("wallclock") == 291876);
  CHECK(raw->at("pcpu") == 0);

  auto lines = parse_rctl_usage(sample("rctl_u.txt"), &why);
  REQUIRE(lines);
  CHECK(*lines == *raw);

  auto human = parse_rctl_usage(sample("rctl_hu_constructed.txt"), &why);
  REQUIRE(human);
  CHECK(human->at("datasize") == 780.0 * 1024);
  CHECK(human->at("memoryuse") == 24.0 * 1024 * 1024);
  CHECK(human->at("openfiles") == 1280);
  CHECK(human->at("swapuse") == Approx(1.5 * 1024 * 1024));

  CHECK_FALSE(parse_rctl_usage("memoryuse", &why));
  CHECK(why == "'memoryuse' is not resource=amount");
  CHECK_FALSE(parse_rctl_usage("memoryuse=lots", &why));
  CHECK(why == "'memoryuse=lots' has no number after '='");
}

TEST_CASE("parse: rctl rule lists", "[host_freebsd]") {
  std::string why;
  auto listed = parse_rctl_rules(sample("rctl_book.txt"), &why);
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  const auto& r = listed->front();
  CHECK(r.subject == "jail");
  CHECK(r.id == "logdb");
  CHECK(r.resource == "vmemoryuse");
  CHECK(r.action == "deny");
  CHECK(r.amount == "2147483648");
  CHECK(r.per.empty());
  CHECK(r.text == "jail:logdb:vmemoryuse:deny=2147483648");

  auto human = parse_rctl_rules(sample("rctl_h_book.txt"), &why);
  REQUIRE(human);
  CHECK(human->front().amount == "2048M");

  // rctl_get_rules(2)'s own buffer: comma-separated, the per printed.
  auto buffer = parse_rctl_rules(
      "jail:jaild-web:memoryuse:deny=536870912/jail,jail:jaild-web:pcpu:deny=50/jail,", &why);
  REQUIRE(buffer);
  REQUIRE(buffer->size() == 2);
  CHECK(buffer->at(1).resource == "pcpu");
  CHECK(buffer->at(1).per == "jail");

  CHECK_FALSE(parse_rctl_rules("jail:x:memoryuse", &why));
  CHECK(why == "'jail:x:memoryuse' is not subject:id:resource:action=amount");
  CHECK_FALSE(parse_rctl_rules("jail:x:memoryuse:deny", &why));
  CHECK(why == "'jail:x:memoryuse:deny' has no action=amount");
}

TEST_CASE("parse: ifconfig -g epair and ifconfig IFACE", "[host_freebsd]") {
  CHECK(parse_interface_group(sample("ifconfig_g_epair_constructed.txt")) ==
        std::vector<std::string>{"epair0a", "e0a_60", "e0a_w1"});
  CHECK(parse_interface_group("").empty());  // no such group: ifconfig prints nothing

  std::string why;
  auto bridge = parse_ifconfig(sample("ifconfig_bridge0_seed001.txt"), &why);
  REQUIRE(bridge);
  CHECK(bridge->name == "bridge0");
  CHECK(bridge->members == std::vector<std::string>{"em0"});
  CHECK(bridge->groups == std::vector<std::string>{"bridge"});
  CHECK(bridge->inet == std::vector<std::string>{"20.0.0.20/24"});
  CHECK(bridge->ether == "58:9c:fc:10:ff:b6");

  auto em0 = parse_ifconfig(sample("ifconfig_em0_seed001.txt"), &why);
  REQUIRE(em0);
  CHECK(em0->inet == std::vector<std::string>{"20.0.0.20/24", "20.0.0.50/32"});
  CHECK(em0->members.empty());

  auto bge0 = parse_ifconfig(sample("ifconfig_bge0_seed000.txt"), &why);
  REQUIRE(bge0);
  CHECK(bge0->inet == std::vector<std::string>{"192.168.0.107/24"});  // netmask 0xffffff00

  auto lo0 = parse_ifconfig(sample("ifconfig_lo0_seed001.txt"), &why);
  REQUIRE(lo0);
  CHECK(lo0->inet6 == std::vector<std::string>{"::1/128", "fe80::1%lo0/64"});
  CHECK(lo0->inet == std::vector<std::string>{"127.0.0.1/8"});

  auto epair = parse_ifconfig(sample("ifconfig_epair60b_seed001.txt"), &why);
  REQUIRE(epair);
  CHECK(epair->groups == std::vector<std::string>{"epair"});
  CHECK(epair->description.empty());

  auto described = parse_ifconfig(
      "epair3a: flags=8863<UP> metric 0 mtu 1500\n\tdescription: jail:jaild-web\n"
      "\tgroups: epair\nepair3b: flags=8863<UP> metric 0 mtu 1500\n\tdescription: other\n",
      &why);
  REQUIRE(described);
  CHECK(described->name == "epair3a");
  CHECK(described->description == "jail:jaild-web");  // the next block is not read

  CHECK_FALSE(parse_ifconfig("ifconfig: interface x does not exist\n", &why));
}

TEST_CASE("parse: sysctl output, one line and many", "[host_freebsd]") {
  auto topo = parse_sysctl(sample("sysctl_topology_book.txt"));
  REQUIRE(topo.size() == 1);
  CHECK(topo.at("kern.sched.topology_spec") ==
        "<groups>\n<group level=\"1\" cache-level=\"0\">\n<cpu count=\"1\" mask=\"1\">0</cpu>\n"
        "</group>\n</groups>");

  auto e = parse_sysctl(sample("sysctl_e_constructed.txt"));
  CHECK(e.size() == 5);
  CHECK(sysctl_int(e, "kern.features.vimage") == 1);
  CHECK(sysctl_int(e, "kern.racct.enable") == 0);
  CHECK(sysctl_int(e, "net.link.bridge.pfil_member") == 1);
  CHECK_FALSE(sysctl_int(e, "kern.nonexistent"));

  auto colon = parse_sysctl("net.inet.ip.forwarding: 1\nkern.ostype: FreeBSD\n");
  CHECK(sysctl_int(colon, "net.inet.ip.forwarding") == 1);
  CHECK(colon.at("kern.ostype") == "FreeBSD");
  CHECK_FALSE(sysctl_int(colon, "kern.ostype"));
}

TEST_CASE("parse: passwd and group lookups for jailed commands", "[host_freebsd]") {
  const std::string passwd =
      "# comment\nroot:*:0:0:Charlie &:/root:/bin/csh\nwww:*:80:80:World Wide Web Owner:/nonexistent:/usr/sbin/nologin\n";
  auto www = find_passwd(passwd, "www");
  REQUIRE(www);
  CHECK(www->uid == 80);
  CHECK(www->gid == 80);
  CHECK(www->home == "/nonexistent");
  CHECK(www->shell == "/usr/sbin/nologin");
  CHECK_FALSE(find_passwd(passwd, "nobody"));
  CHECK_FALSE(find_passwd("bad:*:x:0::/:/bin/sh\n", "bad"));
  CHECK(groups_of("wheel:*:0:root,www\nwww:*:80:\nstaff:*:20:ftp, www\n", "www", 80) ==
        std::vector<std::uint32_t>{80, 0, 20});
}
