#include "lib/model/jail_spec.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild::model;
using nlohmann::json;

namespace {

// A spec that sets every field to something other than its default.
jail_spec full_spec() {
  jail_spec s;
  s.name = "web";
  s.path = "/jails/web";
  s.hostname = "web.example.org";
  s.params = {{"allow.raw_sockets", true},
              {"enforce_statfs", 2},
              {"osrelease", "13.2-RELEASE"},
              {"allow.mount.zfs", false},
              {"sysvshm", "new"},
              {"x.list", json::array({"a", 1, true})},
              {"x.float", 1.5}};
  s.exec.prepare = {"zfs create tank/web"};
  s.exec.prestart = {"logger starting", "logger starting again"};
  s.exec.created = {"cpuset -j web -cl 2-5"};
  s.exec.start = {"/bin/sh /etc/rc"};
  s.exec.poststart = {"logger started"};
  s.exec.prestop = {"logger stopping"};
  s.exec.stop = {"/bin/sh /etc/rc.shutdown jail"};
  s.exec.poststop = {"logger stopped"};
  s.exec.release = {"zfs destroy tank/web"};
  s.exec.clean = false;
  s.exec.jail_user = "www";
  s.exec.system_user = "operator";
  s.exec.consolelog = "/var/log/jail_web_console.log";
  s.exec.timeout = std::chrono::seconds(90);
  s.command = {"/bin/sh", "-c", "sleep 1"};
  s.mount.devfs = true;
  s.mount.devfs_ruleset = 5;
  s.mount.fdescfs = true;
  s.mount.procfs = true;
  s.mount.fstab = "/jails/fstab/web.fstab";
  s.mount.entries = {"tmpfs /jails/web/tmp tmpfs rw,size=1g,mode=1777 0 0"};
  vnet_interface i;
  i.bridge = "bridge0";
  i.ip4 = {"10.0.0.10/24"};
  i.ip6 = {"2001:db8::10/64"};
  i.defaultrouter = "10.0.0.1";
  i.defaultrouter6 = "2001:db8::1";
  i.mac = "02:00:5e:10:00:01";
  i.vlan = 5;
  vnet_interface j;
  j.network = "backend";
  s.vnet = vnet_spec{{i, j}};
  s.depend = {"db", "cache"};
  s.priority = 10;
  s.boot = true;
  s.persist = false;
  s.limits = {"memoryuse:deny=512M", "maxproc:deny=100", "pcpu:deny=50"};
  s.confinement.capabilities = {"SYS_PTRACE", "SYS_NICE"};
  s.confinement.seccomp = false;
  s.confinement.no_new_privs = false;
  s.cpuset = "0-1,4";
  s.restart = {restart_policy::on_failure, 5, std::chrono::seconds(30)};
  health_spec h;
  h.http = "http://10.0.0.10:8080/health";
  h.interval = std::chrono::seconds(5);
  h.timeout = std::chrono::milliseconds(1500);
  h.retries = 4;
  h.start_period = std::chrono::seconds(20);
  s.health = h;
  s.stop_timeout = std::chrono::seconds(30);
  return s;
}

// Decoding `j` must fail with `code`, naming `field`.
void expect_refused(const json& j, jaild::errc code, const std::string& field) {
  INFO("spec: " << j.dump());
  try {
    (void)spec_from_json(j);
    FAIL("accepted");
  } catch (const jaild::error& e) {
    INFO("detail: " << e.what());
    CHECK(jaild::errc_name(e.code()) == jaild::errc_name(code));
    CHECK(e.field() == field);
    CHECK(std::string(e.what()).size() > 10);
  }
}

json minimal() { return {{"name", "web"}, {"path", "/jails/web"}}; }

}  // namespace

TEST_CASE("jail_spec: a full spec survives JSON both ways", "[model]") {
  const auto s = full_spec();
  const auto j = spec_to_json(s);
  const auto back = spec_from_json(j);
  CHECK(back == s);
  // Through text as well (SQLite stores the text).
  CHECK(spec_from_json(json::parse(j.dump())) == s);
  CHECK(spec_to_json(back) == j);
}

TEST_CASE("jail_spec: a minimal spec takes the documented defaults", "[model]") {
  auto s = spec_from_json(minimal());
  CHECK(s.priority == 99);
  CHECK_FALSE(s.boot);
  CHECK(s.persist);
  CHECK(s.exec.clean);
  CHECK(s.exec.timeout == std::chrono::seconds(60));
  CHECK(s.stop_timeout == std::chrono::seconds(10));
  CHECK(s.restart.policy == restart_policy::no);
  CHECK_FALSE(s.vnet);
  CHECK_FALSE(s.health);
  CHECK(spec_from_json(spec_to_json(s)) == s);
}

TEST_CASE("jail_spec: unknown parameters are kept verbatim in params", "[model]") {
  auto j = minimal();
  j["params"] = {{"allow.mount.nullfs", true},
                 {"linux.osrelease", "5.15.0"},
                 {"children.max", 0},
                 {"ip4", "inherit"},
                 {"some.future.param", json::array({"x", "y"})},
                 {"big", 12345678901234LL}};
  auto s = spec_from_json(j);
  CHECK(s.params == j["params"]);
  auto again = spec_from_json(json::parse(spec_to_json(s).dump()));
  CHECK(again.params == j["params"]);
}

TEST_CASE("jail_spec: every field refuses a wrong type, naming it", "[model]") {
  struct bad {
    std::string key;
    json value;
  };
  const std::vector<bad> cases{{"path", 5},          {"hostname", true},
                               {"params", "x"},      {"exec", json::array()},
                               {"command", "sh"},    {"mount", 1},
                               {"ip4", "10.0.0.1"},  {"ip6", json::object()},
                               {"vnet", "bridge0"},  {"depend", "db"},
                               {"priority", "10"},   {"priority", 1.5},
                               {"boot", "yes"},      {"persist", 1},
                               {"limits", "memoryuse:deny=1G"},
                               {"cpuset", 1},        {"health", "ok"},
                               {"stop_timeout", 10}, {"restart", 5}};
  for (const auto& c : cases) {
    auto j = minimal();
    j[c.key] = c.value;
    expect_refused(j, jaild::errc::invalid_type, "/" + c.key);
  }
  auto j = minimal();
  j["ip4"] = json::array({"10.0.0.1", 7});
  expect_refused(j, jaild::errc::invalid_type, "/ip4/1");
  j = minimal();
  j["exec"] = {{"start", "sh /etc/rc"}};
  expect_refused(j, jaild::errc::invalid_type, "/exec/start");
  j = minimal();
  j["name"] = 7;
  expect_refused(j, jaild::errc::invalid_type, "/name");
  expect_refused(json::array(), jaild::errc::invalid_type, "");
}

TEST_CASE("jail_spec: unknown fields are refused where no extras belong", "[model]") {
  auto j = minimal();
  j["allow.raw_sockets"] = true;
  expect_refused(j, jaild::errc::unknown_field, "/allow.raw_sockets");
  j = minimal();
  j["exec"] = {{"begin", json::array()}};
  expect_refused(j, jaild::errc::unknown_field, "/exec/begin");
  j = minimal();
  j["vnet"] = {{"interfaces", json::array({{{"bridge", "bridge0"}, {"ipv4", json::array()}}})}};
  expect_refused(j, jaild::errc::unknown_field, "/vnet/interfaces/0/ipv4");
  j = minimal();
  j["health"] = {{"exec", json::array({"true"})}, {"every", "5s"}};
  expect_refused(j, jaild::errc::unknown_field, "/health/every");
  j = minimal();
  j["mount"] = {{"nullfs", true}};
  expect_refused(j, jaild::errc::unknown_field, "/mount/nullfs");
  j = minimal();
  j["restart"] = {{"policy", "always"}, {"delay", "1s"}};
  expect_refused(j, jaild::errc::unknown_field, "/restart/delay");
}

TEST_CASE("jail_spec: bad values are refused with the field's pointer", "[model]") {
  struct bad {
    const char* fields;  // JSON object merged over a minimal spec
    jaild::errc code;
    std::string field;
  };
  using jaild::errc;
  const std::vector<bad> cases{
      {R"({"name":"a.b"})", errc::invalid_name, "/name"},
      {R"({"name":""})", errc::invalid_name, "/name"},
      {R"({"path":"relative"})", errc::invalid_value, "/path"},
      {R"({"path":"/a/../b"})", errc::invalid_value, "/path"},
      {R"({"hostname":"bad_host"})", errc::invalid_value, "/hostname"},
      {R"({"ip4":["em0|300.1.1.1"]})", errc::invalid_value, "/ip4/0"},
      {R"({"ip6":["2001:db8::1","nope"]})", errc::invalid_value, "/ip6/1"},
      {R"({"limits":["memoryuse:deny=1G","cputime:deny=1"]})", errc::invalid_value, "/limits/1"},
      {R"({"limits":["memoryuse:deny=1G","memoryuse:deny=2G"]})", errc::invalid_value,
       "/limits/1"},
      {R"({"cpuset":"3-1"})", errc::invalid_value, "/cpuset"},
      {R"({"priority":10000})", errc::invalid_value, "/priority"},
      {R"({"depend":["web"]})", errc::invalid_value, "/depend/0"},
      {R"({"depend":["db","db"]})", errc::invalid_value, "/depend/1"},
      {R"({"depend":["d.b"]})", errc::invalid_value, "/depend/0"},
      {R"({"stop_timeout":"forever"})", errc::invalid_value, "/stop_timeout"},
      {R"({"exec":{"timeout":"0s"}})", errc::invalid_value, "/exec/timeout"},
      {R"({"exec":{"consolelog":"log.txt"}})", errc::invalid_value, "/exec/consolelog"},
      {R"({"mount":{"devfs_ruleset":70000}})", errc::invalid_value, "/mount/devfs_ruleset"},
      {R"({"restart":"sometimes"})", errc::invalid_value, "/restart"},
      {R"({"restart":{"policy":"on-failure:x"}})", errc::invalid_value, "/restart/policy"},
      {R"({"health":{"tcp":"99999"}})", errc::invalid_value, "/health/tcp"},
      {R"({"health":{"tcp":"80","http":"http://x/"}})", errc::invalid_value, "/health"},
      {R"({"health":{}})", errc::invalid_value, "/health"},
      {R"({"health":{"exec":["true"],"retries":0}})", errc::invalid_value, "/health/retries"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0","ip4":["10.0.0.1"]}]}})",
       errc::invalid_value, "/vnet/interfaces/0/ip4/0"},
      {R"({"vnet":{"interfaces":[{"ip4":["10.0.0.1/24"]}]}})", errc::missing_field,
       "/vnet/interfaces/0"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0","mac":"01:00:00:00:00:01"}]}})",
       errc::invalid_value, "/vnet/interfaces/0/mac"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0","vlan":0}]}})", errc::invalid_value,
       "/vnet/interfaces/0/vlan"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0","vlan":4095}]}})", errc::invalid_value,
       "/vnet/interfaces/0/vlan"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0","vlan":-1}]}})", errc::invalid_value,
       "/vnet/interfaces/0/vlan"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0","vlan":"5"}]}})", errc::invalid_type,
       "/vnet/interfaces/0/vlan"},
      // DHCP and SLAAC stand alone in their list, with no router of their family.
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip4":["dhcp","10.0.0.2/24"]}]}})",
       errc::invalid_value, "/vnet/interfaces/0/ip4/0"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip4":["10.0.0.2/24","dhcp"]}]}})",
       errc::invalid_value, "/vnet/interfaces/0/ip4/1"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip4":["dhcp"],"defaultrouter":"10.0.0.1"}]}})",
       errc::invalid_value, "/vnet/interfaces/0/defaultrouter"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip4":["slaac"]}]}})", errc::invalid_value,
       "/vnet/interfaces/0/ip4/0"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip6":["dhcp"]}]}})", errc::invalid_value,
       "/vnet/interfaces/0/ip6/0"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip4":["DHCP"]}]}})", errc::invalid_value,
       "/vnet/interfaces/0/ip4/0"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip6":["slaac","fd00::2/64"]}]}})",
       errc::invalid_value, "/vnet/interfaces/0/ip6/0"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip6":["slaac"],"defaultrouter6":"fd00::1"}]}})",
       errc::invalid_value, "/vnet/interfaces/0/defaultrouter6"},
      {R"({"vnet":{"interfaces":[{"bridge":"b0","ip4":["dhcp"]}]},"ports":["tcp/80:80"]})",
       errc::invalid_value, "/ports"},
      {R"({"vnet":{"interfaces":[{"bridge":"bridge0"}]},"ip4":["192.0.2.1"]})",
       errc::invalid_value, "/ip4"},
      {R"({"persist":false})", errc::invalid_value, "/persist"},
      {R"({"params":{"path":"/x"}})", errc::invalid_value, "/params/path"},
      {R"({"params":{"exec.start":"sh"}})", errc::invalid_value, "/params/exec.start"},
      {R"({"params":{"host.hostname":"x"}})", errc::invalid_value, "/params/host.hostname"},
      {R"({"params":{"bad name":1}})", errc::invalid_value, "/params/bad name"},
      {R"({"params":{"x":{"nested":1}}})", errc::invalid_type, "/params/x"},
      {R"({"params":{"x":[[1]]}})", errc::invalid_type, "/params/x"},
  };
  for (const auto& c : cases) {
    auto j = minimal();
    const auto fields = json::parse(c.fields);
    for (const auto& [k, v] : fields.items()) j[k] = v;
    expect_refused(j, c.code, c.field);
  }
}

TEST_CASE("jail_spec: name and path are required", "[model]") {
  expect_refused(json{{"path", "/j"}}, jaild::errc::missing_field, "/name");
  expect_refused(json{{"name", "j"}}, jaild::errc::missing_field, "/path");
}

TEST_CASE("jail_spec: Docker's restart shorthand and zero durations", "[model]") {
  auto j = minimal();
  j["restart"] = "on-failure:3";
  j["stop_timeout"] = "0s";
  auto s = spec_from_json(j);
  CHECK(s.restart.policy == restart_policy::on_failure);
  CHECK(s.restart.max_retries == 3);
  CHECK(s.stop_timeout.count() == 0);
  CHECK(spec_from_json(spec_to_json(s)) == s);
  j["restart"] = "unless-stopped";
  CHECK(spec_from_json(j).restart.policy == restart_policy::unless_stopped);
}

TEST_CASE("jail_spec: confinement names Linux capabilities and the filter", "[model]") {
  auto base = json{{"name", "c"}, {"path", "/jails/c"}};
  auto with = [&](json c) {
    auto j = base;
    j["confinement"] = std::move(c);
    return spec_from_json(j);
  };
  auto d = spec_from_json(base);
  CHECK(d.confinement.capabilities.empty());
  CHECK(d.confinement.seccomp);
  CHECK(d.confinement.no_new_privs);
  CHECK(spec_to_json(d)["confinement"] ==
        json{{"capabilities", json::array()}, {"seccomp", "default"}, {"no_new_privs", true}});
  // Any case, with or without CAP_, kept in the canonical spelling.
  auto s = with({{"capabilities", {"cap_sys_ptrace", "SYS_NICE"}}, {"seccomp", "unconfined"}});
  CHECK(s.confinement.capabilities == std::vector<std::string>{"SYS_PTRACE", "SYS_NICE"});
  CHECK_FALSE(s.confinement.seccomp);
  CHECK(spec_from_json(spec_to_json(s)) == s);
  auto refused = [&](json c) {
    try {
      with(std::move(c));
    } catch (const jaild::error& e) {
      return e.field() + " " + e.what();
    }
    return std::string("accepted");
  };
  CHECK_THAT(refused({{"capabilities", {"SYS_PTRAC"}}}),
             Catch::Contains("/confinement/capabilities/0") && Catch::Contains("not a Linux"));
  CHECK_THAT(refused({{"capabilities", {"KILL", "CAP_KILL"}}}),
             Catch::Contains("/confinement/capabilities/1") && Catch::Contains("twice"));
  CHECK_THAT(refused({{"seccomp", "off"}}), Catch::Contains("/confinement/seccomp"));
  CHECK_THAT(refused({{"nnp", true}}), Catch::Contains("nnp"));
}

TEST_CASE("jail_spec: labels are checked key by key and value by value", "[model]") {
  auto spec = [](json labels) {
    return jaild::model::spec_from_json(json{{"name", "web"}, {"path", "/jails/web"}, {"labels", labels}});
  };
  auto s = spec({{"team", "web"}, {"nomad.alloc", "7f3a-01"}, {"example.org/owner", ""}});
  CHECK(s.labels.at("nomad.alloc") == "7f3a-01");
  CHECK(jaild::model::spec_to_json(s)["labels"] == json{{"team", "web"}, {"nomad.alloc", "7f3a-01"},
                                                 {"example.org/owner", ""}});
  CHECK(jaild::model::spec_from_json(json{{"name", "a"}, {"path", "/a"}}).labels.empty());
  auto refused = [&](json labels, const std::string& field, const std::string& words) {
    try {
      spec(labels);
      FAIL("accepted " << labels.dump());
    } catch (const jaild::error& e) {
      CHECK(e.field() == field);
      CHECK_THAT(e.what(), Catch::Matchers::Contains(words));
    }
  };
  refused({{"-team", "x"}}, "/labels/-team", "must start and end with a letter or a digit");
  refused({{"a=b", "x"}}, "/labels/a=b", "may contain only");
  refused({{"te am", "x"}}, "/labels/te am", "may contain only");
  refused({{std::string(64, 'a'), "x"}}, "/labels/" + std::string(64, 'a'), "longer than 63");
  refused({{"team", 5}}, "/labels/team", "takes a string");
  refused({{"team", "a,b"}}, "/labels/team", "','");
  refused({{"team", "a\nb"}}, "/labels/team", "control character");
  refused({{"team", std::string(256, 'v')}}, "/labels/team", "longer than 255 bytes");
  refused({{"a/b", 1}}, "/labels/a~1b", "takes a string");
  json many = json::object();
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  refused(many, "/labels", "at most 64 labels");
  refused(json::array(), "/labels", "");
}

#include "lib/model/selector.h"

TEST_CASE("selector: labels all match, states any", "[model]") {
  auto s = jaild::model::spec_from_json(
      json{{"name", "web"}, {"path", "/jails/web"}, {"labels", {{"team", "web"}, {"tier", "front"}}}});
  jaild::model::jail_status running;
  running.state = jaild::model::jail_state::running;
  jaild::model::jail_status stopped;
  auto sel = [](std::optional<std::string> l, std::optional<std::string> st) {
    return jaild::model::parse_selector(l, st);
  };
  CHECK(sel(std::nullopt, std::nullopt).empty());
  CHECK(sel("team=web", std::nullopt).matches(s, stopped));
  CHECK(sel("team=web,tier", std::nullopt).matches(s, stopped));
  CHECK_FALSE(sel("team=web,tier=back", std::nullopt).matches(s, stopped));
  CHECK_FALSE(sel("team=we", std::nullopt).matches(s, stopped));
  CHECK_FALSE(sel("owner", std::nullopt).matches(s, stopped));
  CHECK(sel("team=web", "running").matches(s, running));
  CHECK_FALSE(sel("team=web", "running").matches(s, stopped));
  CHECK(sel(std::nullopt, "failed,stopped").matches(s, stopped));
  CHECK_THROWS_AS(sel("-x=1", std::nullopt), jaild::error);
  CHECK_THROWS_AS(sel("", std::nullopt), jaild::error);
  try {
    sel(std::nullopt, "runing");
    FAIL("accepted");
  } catch (const jaild::error& e) {
    CHECK(e.code() == jaild::errc::bad_request);
    CHECK_THAT(e.what(), Catch::Matchers::Contains("'runing' is not one of"));
  }
}

TEST_CASE("jail_spec: an interface may take its addresses by DHCP and SLAAC", "[model]") {
  auto j = minimal();
  j["vnet"] = json::parse(
      R"({"interfaces":[{"bridge":"bridge0","ip4":["dhcp"],"ip6":["slaac"]},
                        {"bridge":"bridge1","ip4":["10.0.0.2/24"],"ip6":["slaac"]}]})");
  const auto s = spec_from_json(j);
  REQUIRE(s.vnet);
  CHECK(s.vnet->interfaces[0].ip4 == std::vector<std::string>{"dhcp"});
  CHECK(s.vnet->interfaces[0].ip6 == std::vector<std::string>{"slaac"});
  CHECK(spec_from_json(spec_to_json(s)) == s);
  CHECK(spec_to_json(s)["vnet"]["interfaces"][0]["ip4"] == json::array({"dhcp"}));
}
