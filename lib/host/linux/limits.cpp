#include "lib/host/linux/limits.h"

#include <algorithm>

#include "lib/model/error.h"
#include "lib/model/rctl.h"

namespace jaild::host::linux_host {
namespace {

enum class kind { jail_wide, per_process };

struct supported {
  const char* resource;
  kind scope;
};

constexpr supported supported_resources[] = {
    {"memoryuse", kind::jail_wide},   {"maxproc", kind::jail_wide},      {"pcpu", kind::jail_wide},
    {"openfiles", kind::per_process}, {"vmemoryuse", kind::per_process},
};

const supported* find_supported(const std::string& resource) {
  for (const auto& s : supported_resources)
    if (resource == s.resource) return &s;
  return nullptr;
}

// Why a parsed rule cannot be enforced on Linux; empty when it can.
std::string refusal(const model::rctl_rule& r, const std::string& text) {
  const std::string quoted = "'" + text + "'";
  const supported* s = find_supported(r.resource);
  if (!s)
    return quoted + ": the resource " + r.resource +
           " is not supported on Linux (Linux enforces memoryuse, maxproc, pcpu, openfiles "
           "and vmemoryuse)";
  if (r.action != "deny")
    return quoted + ": the action " + r.action +
           " is not supported on Linux (only deny can be enforced there)";
  if (s->scope == kind::jail_wide && !r.per.empty() && r.per != "jail")
    return quoted + ": /" + r.per + " is not supported on Linux for " + r.resource +
           " (its cgroup limit covers the whole jail)";
  if (s->scope == kind::per_process && !r.per.empty() && r.per != "jail" && r.per != "process")
    return quoted + ": /" + r.per + " is not supported on Linux for " + r.resource +
           " (it becomes a per-process rlimit)";
  return {};
}

void keep_smallest(std::optional<std::uint64_t>& slot, std::uint64_t amount) {
  slot = slot ? std::min(*slot, amount) : amount;
}

}  // namespace

std::vector<std::string> unsupported_limits(const std::vector<std::string>& rules) {
  std::vector<std::string> out;
  for (const auto& text : rules) {
    std::string problem;
    auto rule = model::parse_rctl_rule(text, &problem);
    if (!rule) {
      out.push_back(problem);
      continue;
    }
    if (auto why = refusal(*rule, text); !why.empty()) out.push_back(why);
  }
  return out;
}

limit_plan plan_limits(const std::vector<std::string>& rules) {
  if (auto problems = unsupported_limits(rules); !problems.empty()) {
    std::string detail;
    for (const auto& p : problems) detail += (detail.empty() ? "" : "; ") + p;
    throw error(errc::unsupported_on_platform, detail, "/limits");
  }
  limit_plan plan;
  for (const auto& text : rules) {
    auto rule = model::parse_rctl_rule(text, nullptr);
    if (rule->resource == "memoryuse")
      keep_smallest(plan.memory_bytes, rule->amount);
    else if (rule->resource == "maxproc")
      keep_smallest(plan.max_procs, rule->amount);
    else if (rule->resource == "pcpu")
      keep_smallest(plan.cpu_percent, rule->amount);
    else if (rule->resource == "openfiles")
      keep_smallest(plan.open_files, rule->amount);
    else if (rule->resource == "vmemoryuse")
      keep_smallest(plan.address_space, rule->amount);
  }
  return plan;
}

std::vector<cgroup_write> cgroup_writes(const limit_plan& plan, cgroup_version version) {
  auto quota = [&]() -> std::optional<std::uint64_t> {
    if (!plan.cpu_percent) return std::nullopt;
    return std::max(cpu_min_quota_us, *plan.cpu_percent * cpu_period_us / 100);
  }();
  std::vector<cgroup_write> out;
  if (version == cgroup_version::v1) {
    out.push_back({"memory", "memory.limit_in_bytes",
                   plan.memory_bytes ? std::to_string(*plan.memory_bytes) : "-1"});
    out.push_back({"pids", "pids.max", plan.max_procs ? std::to_string(*plan.max_procs) : "max"});
    out.push_back({"cpu", "cpu.cfs_period_us", std::to_string(cpu_period_us)});
    out.push_back({"cpu", "cpu.cfs_quota_us", quota ? std::to_string(*quota) : "-1"});
  } else {
    out.push_back(
        {"memory", "memory.max", plan.memory_bytes ? std::to_string(*plan.memory_bytes) : "max"});
    out.push_back({"pids", "pids.max", plan.max_procs ? std::to_string(*plan.max_procs) : "max"});
    out.push_back({"cpu", "cpu.max",
                   (quota ? std::to_string(*quota) : std::string("max")) + " " +
                       std::to_string(cpu_period_us)});
  }
  return out;
}

std::uint64_t rlimit_value(std::uint64_t requested, std::uint64_t hard_limit) {
  return std::min(requested, hard_limit);
}

}  // namespace jaild::host::linux_host
