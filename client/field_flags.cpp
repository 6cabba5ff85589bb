#include "client/field_flags.h"

#include <stdexcept>
#include <string>

#include "lib/jailconf/hooks.h"

namespace jaild::client {

using nlohmann::json;

json vnet_interface_flag(std::string_view value) {
  const auto colon = value.find(':');
  const auto bridge = value.substr(0, colon);
  if (bridge.empty())
    throw std::invalid_argument("--vnet takes BRIDGE[:ADDR], e.g. bridge0:10.0.0.5/24, not '" +
                                std::string(value) + "'");
  json itf = {{"bridge", std::string(bridge)}};
  if (colon == std::string_view::npos) return itf;
  auto rest = value.substr(colon + 1);
  if (rest.empty()) throw std::invalid_argument("--vnet " + std::string(value) + ": no address after ':'");
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string addr(rest.substr(0, comma));
    if (!addr.empty()) itf[addr.find(':') == std::string::npos ? "ip4" : "ip6"].push_back(addr);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return itf;
}

json network_interface_flag(std::string_view value) {
  if (value.empty() || value.find_first_of(":,| ") != std::string_view::npos)
    throw std::invalid_argument("--network takes the name of a managed network, not '" +
                                std::string(value) + "'");
  return {{"network", std::string(value)}};
}

json health_flag(std::string_view value) {
  if (value.starts_with("tcp:") && value.size() > 4) return {{"tcp", std::string(value.substr(4))}};
  if (value.starts_with("http://") || value.starts_with("https://"))
    return {{"http", std::string(value)}};
  if (value.starts_with("exec:")) {
    auto argv = jailconf::command_argv(value.substr(5));
    if (!argv.empty()) return {{"exec", argv}};
  }
  throw std::invalid_argument("--health takes tcp:[HOST:]PORT, http://HOST:PORT/PATH or "
                              "exec:COMMAND, not '" + std::string(value) + "'");
}

}  // namespace jaild::client
