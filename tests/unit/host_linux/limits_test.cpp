#include "lib/host/linux/limits.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::host::linux_host;

TEST_CASE("linux limits: the five enforceable rules translate", "[host_linux]") {
  auto plan = plan_limits({"memoryuse:deny=512M", "maxproc:deny=100", "pcpu:deny=50",
                           "openfiles:deny=1024", "vmemoryuse:deny=1G/process"});
  CHECK(plan.memory_bytes == 512ull << 20);
  CHECK(plan.max_procs == 100u);
  CHECK(plan.cpu_percent == 50u);
  CHECK(plan.open_files == 1024u);
  CHECK(plan.address_space == 1ull << 30);
  CHECK(plan_limits({}) == limit_plan{});
}

TEST_CASE("linux limits: of several rules on one resource the smallest wins", "[host_linux]") {
  CHECK(plan_limits({"memoryuse:deny=1G", "memoryuse:deny=256M/jail"}).memory_bytes == 256ull
                                                                                           << 20);
}

TEST_CASE("linux limits: everything else is refused by name", "[host_linux]") {
  struct row {
    const char* rule;
    const char* says;
  };
  for (auto r : {row{"readbps:throttle=1M", "the resource readbps is not supported on Linux"},
                 row{"nthr:deny=10", "the resource nthr is not supported on Linux"},
                 row{"memoryuse:sigterm=1G", "the action sigterm is not supported on Linux"},
                 row{"maxproc:log=10", "the action log is not supported on Linux"},
                 row{"memoryuse:deny=1G/user", "/user is not supported on Linux for memoryuse"},
                 row{"openfiles:deny=10/loginclass", "/loginclass is not supported on Linux"},
                 row{"pcpu:deny=10/process", "/process is not supported on Linux for pcpu"},
                 row{"bogus", "not an RCTL rule"}}) {
    INFO(r.rule);
    auto refused = unsupported_limits({"memoryuse:deny=1G", r.rule});
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].find(r.says) != std::string::npos);
    try {
      plan_limits({r.rule});
      FAIL("plan_limits must throw");
    } catch (const error& e) {
      CHECK(e.code() == errc::unsupported_on_platform);
      CHECK(std::string(e.what()).find(r.rule) != std::string::npos);
      CHECK(e.field() == "/limits");
    }
  }
  CHECK(unsupported_limits({"openfiles:deny=10/process", "vmemoryuse:deny=1G/jail"}).empty());
}

TEST_CASE("linux limits: cgroup v1 files", "[host_linux]") {
  limit_plan plan;
  plan.memory_bytes = 64ull << 20;
  plan.max_procs = 20;
  plan.cpu_percent = 50;
  CHECK(cgroup_writes(plan, cgroup_version::v1) ==
        std::vector<cgroup_write>{{"memory", "memory.limit_in_bytes", "67108864"},
                                  {"pids", "pids.max", "20"},
                                  {"cpu", "cpu.cfs_period_us", "100000"},
                                  {"cpu", "cpu.cfs_quota_us", "50000"}});
  // No rule: no limit, so that a live change can lift one.
  CHECK(cgroup_writes({}, cgroup_version::v1) ==
        std::vector<cgroup_write>{{"memory", "memory.limit_in_bytes", "-1"},
                                  {"pids", "pids.max", "max"},
                                  {"cpu", "cpu.cfs_period_us", "100000"},
                                  {"cpu", "cpu.cfs_quota_us", "-1"}});
}

TEST_CASE("linux limits: cgroup v2 files", "[host_linux]") {
  limit_plan plan;
  plan.memory_bytes = 1ull << 30;
  plan.max_procs = 100;
  plan.cpu_percent = 250;
  CHECK(cgroup_writes(plan, cgroup_version::v2) ==
        std::vector<cgroup_write>{{"memory", "memory.max", "1073741824"},
                                  {"pids", "pids.max", "100"},
                                  {"cpu", "cpu.max", "250000 100000"}});
  CHECK(cgroup_writes({}, cgroup_version::v2) ==
        std::vector<cgroup_write>{{"memory", "memory.max", "max"},
                                  {"pids", "pids.max", "max"},
                                  {"cpu", "cpu.max", "max 100000"}});
}

TEST_CASE("linux limits: a tiny pcpu gets the kernel's smallest quota", "[host_linux]") {
  limit_plan plan;
  plan.cpu_percent = 0;
  CHECK(cgroup_writes(plan, cgroup_version::v2).back().value == "1000 100000");
}

TEST_CASE("linux limits: rlimits never exceed jaild's own hard limit", "[host_linux]") {
  CHECK(rlimit_value(1024, 20000) == 1024);
  CHECK(rlimit_value(1'000'000, 20000) == 20000);
}
