// The short forms of the spec's structured fields on jailctl's command line:
//
//   --vnet bridge0:10.0.0.5/24   one VNET interface on a bridge, static address
//   --network lan                one VNET interface leased from a managed network
//   --health tcp:80 | http://127.0.0.1:8080/ready | 'exec:/bin/check --quick'
//   --restart on-failure:5       (no, on-failure[:N], always, unless-stopped)
//
// Each turns into the JSON of the field; jaild validates it as it validates a
// JSON spec. Malformed short forms throw std::invalid_argument.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace jaild::client {

// BRIDGE[:ADDR[,ADDR...]]: an interface object. An address with a ':' in it
// is IPv6, else IPv4.
nlohmann::json vnet_interface_flag(std::string_view value);

// NAME: an interface object that leases from the managed network NAME.
nlohmann::json network_interface_flag(std::string_view value);

// tcp:[HOST:]PORT, http(s)://..., or exec:COMMAND (split as jail.conf splits
// a command): a health object.
nlohmann::json health_flag(std::string_view value);

}  // namespace jaild::client
