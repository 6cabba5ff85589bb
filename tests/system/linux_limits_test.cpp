// RCTL rules and cpusets as cgroups and rlimits, against the real kernel:
// each limit stops what it must stop, and changes on a running jail apply.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "lib/model/error.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace jaild::systest;

namespace {

int started(const std::string& forker_output) {
  auto at = forker_output.find("started ");
  return at == std::string::npos ? -1 : std::stoi(forker_output.substr(at + 8));
}

}  // namespace

TEST_CASE("linux limits: memoryuse stops an allocator", "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("mem");
    harness h;
    auto ctx = make_context("mem", root.path());
    ctx.spec.limits = {"memoryuse:deny=48M"};
    auto& a = h.adapter();
    auto j = start(h, ctx);
    auto small = exec_in(a, ctx, j, {"alloc", "16"});
    CHECK(small.exit_code == 0);
    CHECK(small.output == "allocated 16\n");
    auto big = exec_in(a, ctx, j, {"alloc", "200"});
    INFO(big.output << big.error);
    CHECK(big.exit_code == 128 + 9);  // the OOM killer of the jail's cgroup
    CHECK(big.output.find("allocated") == std::string::npos);
    CHECK(a.alive(j));  // the jail itself goes on
    // A live change: now 200 MiB fit.
    ctx.spec.limits = {"memoryuse:deny=512M"};
    a.update_limits(ctx, j, h.sinks());
    CHECK(h.journal().last("limits.update").ok());
    CHECK(exec_in(a, ctx, j, {"alloc", "200"}).exit_code == 0);
    a.stop_jail(ctx, j, h.sinks());
    h.destroy_all();
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}

TEST_CASE("linux limits: maxproc stops a fork loop, and a live change takes effect", "[system]") {
  require_prerequisites();
  rootfs root("pids");
  harness h;
  auto ctx = make_context("pids", root.path());
  ctx.spec.limits = {"maxproc:deny=10"};
  auto& a = h.adapter();
  auto j = start(h, ctx);
  // init + forker = 2 of the 10.
  auto limited = exec_in(a, ctx, j, {"forker", "30"});
  INFO(limited.output << limited.error);
  CHECK(started(limited.output) == 8);
  ctx.spec.limits = {"maxproc:deny=25"};
  a.update_limits(ctx, j, h.sinks());
  CHECK(started(exec_in(a, ctx, j, {"forker", "30"}).output) == 23);
  ctx.spec.limits.clear();  // no rule: no limit
  a.update_limits(ctx, j, h.sinks());
  CHECK(started(exec_in(a, ctx, j, {"forker", "30"}).output) == 30);
  a.stop_jail(ctx, j, h.sinks());
}

TEST_CASE("linux limits: openfiles and vmemoryuse become rlimits of every process", "[system]") {
  require_prerequisites();
  rootfs root("rlim");
  harness h;
  auto ctx = make_context("rlim", root.path());
  ctx.spec.limits = {"openfiles:deny=64", "vmemoryuse:deny=256M"};
  auto& a = h.adapter();
  auto j = start(h, ctx);
  CHECK(exec_in(a, ctx, j, {"sh", "-c", "ulimit -n"}).output == "64\n");
  CHECK(exec_in(a, ctx, j, {"sh", "-c", "ulimit -v"}).output == std::to_string(256 * 1024) + "\n");
  CHECK(exec_in(a, ctx, j, {"alloc", "300"}).exit_code != 0);  // address space denied
  // The init has them too, so its children inherit them.
  auto limits = run({"cat", "/proc/" + std::to_string(j.pid) + "/limits"}).output;
  CHECK(limits.find("Max open files            64                   64") != std::string::npos);
  // Lowering works live on running processes.
  ctx.spec.limits = {"openfiles:deny=32", "vmemoryuse:deny=256M"};
  a.update_limits(ctx, j, h.sinks());
  limits = run({"cat", "/proc/" + std::to_string(j.pid) + "/limits"}).output;
  CHECK(limits.find("Max open files            32                   32") != std::string::npos);
  a.stop_jail(ctx, j, h.sinks());
}

TEST_CASE("linux limits: a cpuset confines every process of the jail, and changes live",
          "[system]") {
  require_prerequisites();
  if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) {
    WARN("SKIPPED: the cpuset test needs two CPUs; this host has one");
    return;
  }
  rootfs root("cpus");
  harness h;
  auto ctx = make_context("cpus", root.path());
  ctx.spec.cpuset = "1";
  auto& a = h.adapter();
  auto j = start(h, ctx);
  auto allowed = [&] {
    auto r = exec_in(a, ctx, j, {"grep", "Cpus_allowed_list", "/proc/self/status"});
    return r.output.substr(r.output.find(':') + 1);
  };
  CHECK(allowed() == "\t1\n");
  auto init_status =
      run({"grep", "Cpus_allowed_list", "/proc/" + std::to_string(j.pid) + "/status"});
  CHECK(init_status.output.find("\t1\n") != std::string::npos);
  // Every process of the jail, and a busy one runs on CPU 1 only (field 39
  // of stat: the CPU it last ran on).
  auto every = [&] {
    return exec_in(a, ctx, j,
                   {"sh", "-c", "cat /proc/[0-9]*/status | grep Cpus_allowed_list | sort -u"})
        .output;
  };
  const std::string busy =
      exec_in(a, ctx, j, {"sh", "-c", "while :; do :; done > /dev/null 2>&1 & echo $!"}).output;
  const std::string last_cpu =
      "sleep 0.3; cut -d' ' -f39 /proc/" + busy.substr(0, busy.size() - 1) + "/stat";
  CHECK(every() == "Cpus_allowed_list:\t1\n");
  CHECK(exec_in(a, ctx, j, {"sh", "-c", last_cpu}).output == "1\n");
  ctx.spec.cpuset = "0";
  a.update_limits(ctx, j, h.sinks());
  CHECK(allowed() == "\t0\n");
  CHECK(every() == "Cpus_allowed_list:\t0\n");
  CHECK(exec_in(a, ctx, j, {"sh", "-c", last_cpu}).output == "0\n");
  a.stop_jail(ctx, j, h.sinks());
}

TEST_CASE("linux limits: pcpu is a CFS quota, and usage reads back in RCTL names", "[system]") {
  require_prerequisites();
  rootfs root("pcpu");
  harness h;
  auto ctx = make_context("pcpu", root.path());
  ctx.spec.limits = {"pcpu:deny=20"};
  auto& a = h.adapter();
  auto j = start(h, ctx);
  const auto throttled = [&] {
    auto stat = read_cgroup_file(j.pid, "cpu", "cpu.stat");
    auto at = stat.find("nr_throttled ");
    return at == std::string::npos ? -1 : std::stol(stat.substr(at + 13));
  };
  a.usage(j);  // first sample
  exec_in(a, ctx, j, {"sh", "-c", "while :; do :; done > /dev/null 2>&1 &"});
  ::usleep(1'500'000);
  auto u = a.usage(j);
  INFO("pcpu " << u["pcpu"]);
  // Upper bounds only: a loaded CI host may give the loop less, never more.
  CHECK(u["pcpu"] < 30);  // a busy loop held to 20 % of one CPU
  CHECK(throttled() > 0);
  CHECK(u["cputime"] > 0.05);
  CHECK(u["maxproc"] == 2);
  CHECK(u["memoryuse"] > 0);
  ctx.spec.limits = {"pcpu:deny=5"};
  a.update_limits(ctx, j, h.sinks());
  a.usage(j);
  ::usleep(1'500'000);
  u = a.usage(j);
  INFO("pcpu after the change " << u["pcpu"]);
  CHECK(u["pcpu"] < 9);
  a.stop_jail(ctx, j, h.sinks());
}

TEST_CASE("linux limits: rules Linux cannot enforce are refused by name", "[system]") {
  require_prerequisites();
  rootfs root("refuse");
  harness h;
  auto ctx = make_context("refuse", root.path());
  ctx.spec.limits = {"memoryuse:deny=1G", "readbps:throttle=1M"};
  try {
    h.adapter().create_jail(ctx, h.sinks());
    FAIL("create_jail must refuse readbps");
  } catch (const error& e) {
    CHECK(e.code() == errc::unsupported_on_platform);
    CHECK(std::string(e.what()).find("readbps:throttle=1M") != std::string::npos);
  }
  CHECK(h.ledger().live().empty());  // refused before anything was made
}
