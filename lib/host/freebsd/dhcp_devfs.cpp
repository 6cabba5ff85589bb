#include "lib/host/freebsd/dhcp_devfs.h"

#include <charconv>
#include <cstdint>

#include "lib/model/dynamic_address.h"

namespace jaild::host::freebsd {

bool needs_bpf(const model::jail_spec& spec) {
  if (!spec.vnet) return false;
  for (const auto& itf : spec.vnet->interfaces)
    if (model::uses_dhcp(itf)) return true;
  return false;
}

std::optional<int> generated_devfs_ruleset(const jail_context& ctx) {
  const auto& s = ctx.spec;
  if (!needs_bpf(s) || !s.mount.devfs || s.mount.devfs_ruleset) return std::nullopt;
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : ctx.instance) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return 1000 + static_cast<int>(h % 60000u);
}

std::vector<int> parse_devfs_showsets(std::string_view output) {
  std::vector<int> out;
  while (!output.empty()) {
    auto nl = output.find('\n');
    auto line = output.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    int n = 0;
    const auto [end, err] = std::from_chars(line.data(), line.data() + line.size(), n);
    if (err == std::errc() && end == line.data() + line.size() && !line.empty()) out.push_back(n);
    if (nl == std::string_view::npos) break;
    output.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<std::string> devfs_showsets_argv() { return {devfs_path, "rule", "showsets"}; }

std::vector<std::vector<std::string>> devfs_bpf_ruleset_argvs(int ruleset) {
  const auto n = std::to_string(ruleset);
  return {{devfs_path, "rule", "-s", n, "add", "include", std::to_string(vnet_jail_ruleset)},
          {devfs_path, "rule", "-s", n, "add", "path", "bpf*", "unhide"}};
}

std::vector<std::string> devfs_delset_argv(int ruleset) {
  return {devfs_path, "rule", "-s", std::to_string(ruleset), "delset"};
}

}  // namespace jaild::host::freebsd
