// jail(8)-style assignments on jailctl's command line, turned into a JSON
// merge patch of the spec:
//
//   jailctl create web path=/jails/web host.hostname=web.example.org
//       ip4.addr='em0|192.0.2.5/24' allow.raw_sockets=true
//   jailctl set web priority=10 depend=db,cache exec.start='sh /etc/rc'
//   jailctl set web labels.team=web labels.tier=
//
// Spec fields and the jail(8) names of modelled parameters map to their
// field; any other name is a jail(8) parameter and goes into "params". An
// empty value removes the setting (null in the patch).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace jaild::client {

// Adds one "key=value" to `patch`; throws std::invalid_argument with a
// sentence when the assignment cannot be understood (a value jail(8) would
// refuse for a parameter it has, such as allow.raw_sockets=ture, included).
// A name that is neither a field nor a jail(8) parameter is kept as a
// parameter and, when `warnings` is given, a sentence naming the nearest
// known name is added to it.
void add_assignment(nlohmann::json& patch, std::string_view assignment,
                    std::vector<std::string>* warnings = nullptr);

nlohmann::json assignments_to_patch(const std::vector<std::string>& assignments,
                                    std::vector<std::string>* warnings = nullptr);

// Copies every member of `from` into `into`, recursing into objects and
// keeping nulls (unlike RFC 7396 merge, which would drop them).
void overlay(nlohmann::json& into, const nlohmann::json& from);

}  // namespace jaild::client
