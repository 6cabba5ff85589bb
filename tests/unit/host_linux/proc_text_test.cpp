#include "lib/host/linux/proc_text.h"

#include <catch2/catch.hpp>

using namespace jaild::host::linux_host;

TEST_CASE("proc text: stat fields survive a comm with spaces and parentheses", "[host_linux]") {
  const std::string stat =
      "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 7 3 0 0 20 0 1 0 "
      "987654 2461696 180 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
  CHECK(stat_start_time(stat) == 987654u);
  CHECK(stat_cpu_ticks(stat) == 10u);
  CHECK_FALSE(stat_start_time("4242 (x) S 1"));
  CHECK_FALSE(stat_start_time("garbage"));
}

TEST_CASE("proc text: status gives the innermost PID and the bounding set", "[host_linux]") {
  const std::string status =
      "Name:\tjaild-init\nNSpid:\t12566\t1\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n";
  CHECK(status_innermost_pid(status) == 1);
  CHECK(status_capability_bounding_set(status) == 0x000001fffeffffffull);
  CHECK(status_innermost_pid("NSpid:\t77\n") == 77);
  CHECK_FALSE(status_innermost_pid("Name:\tx\n"));
}

TEST_CASE("proc text: /proc/PID/cgroup of a hybrid host", "[host_linux]") {
  auto m =
      parse_proc_cgroup("9:name=systemd:/\n4:memory:/process_api/c3c5\n2:cpu,cpuacct:/a\n0::/\n");
  REQUIRE(m.size() == 4);
  CHECK(m[0].controllers == std::vector<std::string>{"name=systemd"});
  CHECK(m[1].hierarchy == 4);
  CHECK(m[1].path == "/process_api/c3c5");
  CHECK(m[2].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(m[3].hierarchy == 0);
  CHECK(m[3].controllers.empty());
}

TEST_CASE("proc text: mountinfo with optional fields and escapes", "[host_linux]") {
  auto m = parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root "
      "rw,errors=continue\n"
      "40 25 0:35 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
  REQUIRE(m.size() == 2);
  CHECK(m[0].root == "/mnt1");
  CHECK(m[0].mount_point == "/mnt two");
  CHECK(m[0].fstype == "ext3");
  CHECK(m[0].source == "/dev/root");
  CHECK(m[1].super_options == std::vector<std::string>{"rw", "memory"});
}
