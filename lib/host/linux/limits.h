// RCTL rules translated to what Linux can enforce (DESIGN.md section 4):
// memoryuse -> memory cgroup limit, maxproc -> pids.max, pcpu -> CFS quota,
// openfiles -> RLIMIT_NOFILE, vmemoryuse -> RLIMIT_AS. Only `deny` is
// enforceable; every other resource or action is refused by name. Pure
// functions: the cgroup and rlimit code applies what these compute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jaild::host::linux_host {

struct limit_plan {
  std::optional<std::uint64_t> memory_bytes;   // memoryuse, for the whole jail
  std::optional<std::uint64_t> max_procs;      // maxproc, for the whole jail
  std::optional<std::uint64_t> cpu_percent;    // pcpu: percent of one CPU (200 = two CPUs)
  std::optional<std::uint64_t> open_files;     // openfiles: per process (RLIMIT_NOFILE)
  std::optional<std::uint64_t> address_space;  // vmemoryuse: per process (RLIMIT_AS)

  bool operator==(const limit_plan&) const = default;
};

// One sentence per rule that Linux cannot enforce, naming the rule; empty when
// every rule translates. Rules that do not parse are reported too.
std::vector<std::string> unsupported_limits(const std::vector<std::string>& rules);

// The plan for a list of rules. Throws jaild::error(unsupported_on_platform)
// with the sentences of unsupported_limits() when any rule is refused. When a
// resource has several rules, the smallest amount wins (as the kernel would
// deny at the first one reached).
limit_plan plan_limits(const std::vector<std::string>& rules);

enum class cgroup_version { v1, v2 };

// CFS period used for pcpu; the quota is percent * period / 100.
inline constexpr std::uint64_t cpu_period_us = 100'000;
// The kernel refuses quotas under 1 ms.
inline constexpr std::uint64_t cpu_min_quota_us = 1'000;

struct cgroup_write {
  std::string controller;  // v1 hierarchy ("memory"), or the v2 controller to enable
  std::string file;        // "memory.limit_in_bytes", "cpu.max"
  std::string value;

  bool operator==(const cgroup_write&) const = default;
};

// The files to write, in order, so that a jail's cgroup enforces the plan. A
// resource without a limit is written as "no limit", so that a live change
// that drops a rule lifts the limit.
std::vector<cgroup_write> cgroup_writes(const limit_plan& plan, cgroup_version version);

// An rlimit for an RCTL amount: never above the hard limit jaild itself has
// (without CAP_SYS_RESOURCE it could not be raised there anyway).
std::uint64_t rlimit_value(std::uint64_t requested, std::uint64_t hard_limit);

}  // namespace jaild::host::linux_host
