#include "lib/host/linux/isolation.h"

#include <linux/capability.h>

namespace jaild::host::linux_host {
namespace {

constexpr std::uint64_t bit(int cap) {
  return std::uint64_t{1} << cap;
}

// A jail(8) boolean parameter: true, 1 or "true"/"1"/"yes".
bool param_true(const nlohmann::json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<long long>() != 0;
  if (it->is_string()) {
    const auto s = it->get<std::string>();
    return s == "true" || s == "1" || s == "yes";
  }
  return false;
}

bool param_is(const nlohmann::json& params, const char* name, const char* value) {
  auto it = params.find(name);
  return it != params.end() && it->is_string() && it->get<std::string>() == value;
}

}  // namespace

bool needs_own_netns(const model::jail_spec& spec) {
  if (spec.vnet) return true;
  if (!spec.ip4.empty() || !spec.ip6.empty()) return false;
  return !(param_is(spec.params, "ip4", "inherit") || param_is(spec.params, "ip6", "inherit"));
}

std::uint64_t dropped_capabilities(const model::jail_spec& spec) {
  std::uint64_t drop =
      bit(CAP_SYS_MODULE) | bit(CAP_SYS_RAWIO) | bit(CAP_MKNOD) | bit(CAP_SYS_TIME) |
      bit(CAP_SYS_BOOT) | bit(CAP_SYS_PACCT) | bit(CAP_SYS_TTY_CONFIG) | bit(CAP_AUDIT_CONTROL) |
      bit(CAP_AUDIT_READ) | bit(CAP_MAC_OVERRIDE) | bit(CAP_MAC_ADMIN) | bit(CAP_SYSLOG) |
      bit(CAP_WAKE_ALARM) | bit(CAP_BLOCK_SUSPEND) | bit(CAP_BPF) | bit(CAP_PERFMON) |
      bit(CAP_DAC_READ_SEARCH) | bit(CAP_SYS_RESOURCE) | bit(CAP_CHECKPOINT_RESTORE);
  if (!param_true(spec.params, "allow.mount")) drop |= bit(CAP_SYS_ADMIN);
  const bool own_stack = spec.vnet.has_value();
  if (!own_stack) drop |= bit(CAP_NET_ADMIN);
  if (!own_stack && !param_true(spec.params, "allow.raw_sockets")) drop |= bit(CAP_NET_RAW);
  return drop;
}

std::vector<int> capability_list(std::uint64_t mask, int last) {
  std::vector<int> out;
  for (int c = 0; c <= last && c < 64; ++c)
    if (mask & bit(c)) out.push_back(c);
  return out;
}

}  // namespace jaild::host::linux_host
