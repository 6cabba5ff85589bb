#include "lib/model/validate.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace jaild::model;

namespace {

struct row {
  std::string value;
  bool ok;
};

template <typename F>
void run_table(const std::vector<row>& rows, F validator) {
  for (const auto& r : rows) {
    INFO("value: '" << r.value << "'");
    const std::string problem = validator(r.value);
    INFO("problem: " << problem);
    CHECK(problem.empty() == r.ok);
  }
}

}  // namespace

TEST_CASE("validate: jail names follow FreeBSD's rules and jaild's subset", "[model]") {
  run_table({{"web", true},
             {"web-01", true},
             {"db_2", true},
             {"0a", true},
             {"a", true},
             {std::string(63, 'a'), true},
             {std::string(64, 'a'), false},
             {"", false},
             {"web.child", false},     // a dot names a child jail
             {"123", false},           // numeric names are JIDs
             {"-web", false},
             {"_web", false},
             {"we b", false},
             {"web/x", false},
             {"*", false},
             {"import", false},        // API route
             {"export", false},
             {std::string("a\0b", 3), false},
             {"caf\xc3\xa9", false}},
            [](const std::string& v) { return check::jail_name(v); });
}

TEST_CASE("validate: hostnames are RFC 1123", "[model]") {
  run_table({{"web", true},
             {"web.example.org", true},
             {"a-b.c", true},
             {"1.2", true},
             {"", false},
             {"web..org", false},
             {".web", false},
             {"web.", false},
             {"-web.org", false},
             {"web-.org", false},
             {"we_b.org", false},
             {std::string(64, 'a') + ".org", false},
             {std::string(300, 'a'), false}},
            [](const std::string& v) { return check::hostname(v); });
}

TEST_CASE("validate: paths are absolute without dot components", "[model]") {
  run_table({{"/", true},
             {"/jails/web", true},
             {"/jails/web/", true},
             {"/jails//web", true},
             {"/jails/.web", true},
             {"/jails/..web", true},
             {"", false},
             {"jails/web", false},
             {"/jails/../etc", false},
             {"/jails/..", false},
             {"/jails/./web", false},
             {"/..", false},
             {std::string("/a\0b", 4), false},
             {"/" + std::string(1100, 'a'), false}},
            [](const std::string& v) { return check::absolute_path(v); });
}

TEST_CASE("validate: jail(8) addresses are [iface|]addr[/len]", "[model]") {
  run_table({{"192.0.2.5", true},
             {"192.0.2.5/24", true},
             {"em0|192.0.2.5", true},
             {"em0|192.0.2.5/24", true},
             {"jpublic|203.0.113.225/32", true},
             {"192.0.2.5/0", true},
             {"192.0.2.5/33", false},
             {"192.0.2.5/", false},
             {"192.0.2.5/x", false},
             {"192.0.2", false},
             {"256.0.0.1", false},
             {"|192.0.2.5", false},
             {"em0|", false},
             {"a_very_long_interface|192.0.2.5", false},
             {"2001:db8::1", false},
             {"", false}},
            [](const std::string& v) { return check::jail_address(check::ip_family::v4, v); });
  run_table({{"2001:db8::1", true},
             {"em0|2001:db8::1/64", true},
             {"::1/128", true},
             {"2001:db8::1/129", false},
             {"192.0.2.5", false},
             {"2001:db8:::1", false}},
            [](const std::string& v) { return check::jail_address(check::ip_family::v6, v); });
}

TEST_CASE("validate: VNET addresses need a prefix and no interface", "[model]") {
  run_table({{"10.0.0.10/24", true},
             {"10.0.0.10", false},
             {"em0|10.0.0.10/24", false},
             {"10.0.0.300/24", false}},
            [](const std::string& v) { return check::cidr_address(check::ip_family::v4, v); });
}

TEST_CASE("validate: RCTL rules are resource:action=amount[/per]", "[model]") {
  run_table({{"memoryuse:deny=512M", true},
             {"memoryuse:deny=2G", true},
             {"vmemoryuse:deny=2g", true},
             {"maxproc:deny=100", true},
             {"pcpu:deny=20", true},
             {"openfiles:deny=1024", true},
             {"readiops:throttle=10", true},
             {"wallclock:sigkill=30", true},
             {"cputime:log=3600", true},
             {"memoryuse:devctl=1g/jail", true},
             {"maxproc:sigterm=50/process", true},
             {"memoryuse:deny=512M/user", true},
             {"MEMORYUSE:DENY=512M", true},
             {"jail:web:memoryuse:deny=512M", false},  // subject is implied
             {"memoryuse", false},
             {"memoryuse:deny", false},
             {"memoryuse=512M", false},
             {"memory:deny=512M", false},
             {"memoryuse:block=512M", false},
             {"memoryuse:deny=", false},
             {"memoryuse:deny=12X", false},
             {"memoryuse:deny=-1", false},
             {"memoryuse:deny=1.5G", false},
             {"memoryuse:deny=512M/host", false},
             {"cputime:deny=10", false},    // the kernel cannot deny time
             {"wallclock:deny=10", false},
             {"readbps:deny=1M", false},
             {"memoryuse:throttle=1M", false},
             {"pcpu:throttle=10", false},
             {"memoryuse:sigfoo=1", false},
             {"pcpu:deny=9999999", false},
             {"memoryuse:deny=99999999999999999999", false},
             {"memoryuse:deny=99999999999E", false}},
            [](const std::string& v) { return check::rctl_rule(v); });
}

TEST_CASE("validate: CPU lists like cpuset -l", "[model]") {
  run_table({{"0", true},
             {"0-1", true},
             {"0-1,4", true},
             {"1,3,6-7", true},
             {"1023", true},
             {"", false},
             {"1-0", false},
             {"0-", false},
             {"-1", false},
             {"a", false},
             {"0,,1", false},
             {"1024", false},
             {"0-1,", false}},
            [](const std::string& v) { return check::cpu_list(v); });
  std::string problem;
  auto cpus = check::parse_cpu_list("4,0-2,1", &problem);
  REQUIRE(cpus);
  CHECK(*cpus == std::vector<int>{0, 1, 2, 4});
}

TEST_CASE("validate: refusals explain themselves", "[model]") {
  CHECK(check::jail_name("web.child").find("parent.child") != std::string::npos);
  CHECK(check::jail_name("123").find("JIDs") != std::string::npos);
  CHECK(check::absolute_path("/a/../b").find("'..'") != std::string::npos);
  CHECK(check::cpu_list("3-1").find("descending") != std::string::npos);
}

TEST_CASE("validate: priorities are 0..9999", "[model]") {
  CHECK(check::priority(0).empty());
  CHECK(check::priority(99).empty());
  CHECK(check::priority(9999).empty());
  CHECK_FALSE(check::priority(-1).empty());
  CHECK_FALSE(check::priority(10000).empty());
}

TEST_CASE("validate: durations parse, bound and print canonically", "[model]") {
  struct drow {
    std::string text;
    long long ms;  // -1 = refused
  };
  const std::vector<drow> rows{{"500ms", 500},  {"10s", 10'000},   {"2m", 120'000},
                               {"1h", 3'600'000}, {"1m30s", 90'000}, {"30", 30'000},
                               {"24h", 86'400'000}, {"0", -1},     {"0s", -1},
                               {"25h", -1},      {"86401", -1},     {"", -1},
                               {"10", 10'000},   {"10x", -1},       {"s", -1},
                               {"-5s", -1},      {"1.5s", -1},      {"10S", -1}};
  for (const auto& r : rows) {
    INFO("duration: '" << r.text << "'");
    std::string problem;
    auto d = check::parse_duration(r.text, &problem);
    if (r.ms < 0) {
      CHECK_FALSE(d);
      CHECK_FALSE(problem.empty());
    } else {
      REQUIRE(d);
      CHECK(d->count() == r.ms);
    }
  }
  CHECK(check::format_duration(std::chrono::milliseconds(90'000)) == "90s");
  CHECK(check::format_duration(std::chrono::milliseconds(120'000)) == "2m");
  CHECK(check::format_duration(std::chrono::milliseconds(1500)) == "1500ms");
  CHECK(check::format_duration(std::chrono::milliseconds(7'200'000)) == "2h");
  CHECK(check::format_duration(std::chrono::milliseconds(0)) == "0s");
}

TEST_CASE("validate: parameter names as jail.conf writes them", "[model]") {
  run_table({{"allow.raw_sockets", true},
             {"enforce_statfs", true},
             {"linux.osrelease", true},
             {"allow.mount.nullfs", true},
             {"", false},
             {".x", false},
             {"x.", false},
             {"a..b", false},
             {"a b", false},
             {"a=b", false}},
            [](const std::string& v) { return check::param_name(v); });
}

TEST_CASE("validate: MAC addresses, TCP targets and health URLs", "[model]") {
  run_table({{"02:00:5e:10:00:01", true},
             {"02:AB:CD:EF:01:23", true},
             {"01:00:5e:10:00:01", false},  // multicast
             {"02:00:5e:10:00", false},
             {"02-00-5e-10-00-01", false},
             {"zz:00:5e:10:00:01", false}},
            [](const std::string& v) { return check::mac_address(v); });
  run_table({{"80", true},
             {"10.0.0.5:5432", true},
             {"db.local:5432", true},
             {"[2001:db8::1]:80", true},
             {"0", false},
             {"65536", false},
             {":80", false},
             {"10.0.0.5:", false},
             {"bad host:80", false}},
            [](const std::string& v) { return check::tcp_target(v); });
  run_table({{"http://10.0.0.5:8080/health", true},
             {"http://localhost/", true},
             {"http://web", true},
             {"https://web/", false},
             {"http:///x", false},
             {"http://web/a b", false},
             {"ftp://web/", false}},
            [](const std::string& v) { return check::http_url(v); });
}

TEST_CASE("validate: RCTL amounts use rctl(8)'s suffixes", "[model]") {
  std::string problem;
  CHECK(*check::parse_rctl_amount("512", &problem) == 512);
  CHECK(*check::parse_rctl_amount("1k", &problem) == 1024);
  CHECK(*check::parse_rctl_amount("512M", &problem) == 512ull << 20);
  CHECK(*check::parse_rctl_amount("2g", &problem) == 2ull << 30);
  CHECK(*check::parse_rctl_amount("1T", &problem) == 1ull << 40);
  CHECK_FALSE(check::parse_rctl_amount("1KB", &problem));
  CHECK_FALSE(check::parse_rctl_amount("", &problem));
  CHECK_FALSE(check::parse_rctl_amount("16E", &problem));
}
