// Parsers for the /proc files the Linux adapter reads: a process's stat,
// status, cgroup and mountinfo. Pure functions over the text, so that they are
// tested without a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::host::linux_host {

// Field 22 of /proc/PID/stat: the start time in clock ticks since boot. With
// the PID it identifies a process across PID reuse.
std::optional<std::uint64_t> stat_start_time(std::string_view stat);

// utime + stime (fields 14 and 15) in clock ticks.
std::optional<std::uint64_t> stat_cpu_ticks(std::string_view stat);

// The last NSpid of /proc/PID/status: the PID in the process's own namespace.
std::optional<std::int64_t> status_innermost_pid(std::string_view status);

// CapBnd of /proc/PID/status as a bit mask.
std::optional<std::uint64_t> status_capability_bounding_set(std::string_view status);

// One line of /proc/PID/cgroup: "4:memory:/process_api/x" or "0::/a/b".
struct cgroup_membership {
  int hierarchy = 0;
  std::vector<std::string> controllers;  // "memory", "name=systemd"; empty for v2
  std::string path;                      // "/process_api/x"
};
std::vector<cgroup_membership> parse_proc_cgroup(std::string_view text);

// One line of /proc/PID/mountinfo.
struct mount_entry {
  std::string root;         // the mount's root within its filesystem
  std::string mount_point;  // unescaped (\040 becomes a space)
  std::string fstype;       // "cgroup", "cgroup2", "proc", ...
  std::string source;
  std::vector<std::string> super_options;  // "rw", "memory", ...
};
std::vector<mount_entry> parse_mountinfo(std::string_view text);

}  // namespace jaild::host::linux_host
