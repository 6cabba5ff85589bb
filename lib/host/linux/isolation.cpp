#include "lib/host/linux/isolation.h"

namespace jaild::host::linux_host {
namespace {

bool param_is(const nlohmann::json& params, const char* name, const char* value) {
  auto it = params.find(name);
  return it != params.end() && it->is_string() && it->get<std::string>() == value;
}

}  // namespace

bool jail_param_true(const nlohmann::json& params, const char* name) {
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

bool needs_own_netns(const model::jail_spec& spec) {
  if (spec.vnet) return true;
  if (!spec.ip4.empty() || !spec.ip6.empty()) return false;
  return !(param_is(spec.params, "ip4", "inherit") || param_is(spec.params, "ip6", "inherit"));
}

bool holds_to_addresses(const model::jail_spec& spec) {
  if (spec.vnet || (spec.ip4.empty() && spec.ip6.empty())) return false;
  return !(param_is(spec.params, "ip4", "inherit") || param_is(spec.params, "ip6", "inherit"));
}

}  // namespace jaild::host::linux_host
