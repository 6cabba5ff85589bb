#include "client/assign.h"

#include <map>
#include <stdexcept>

#include "client/field_flags.h"
#include "client/suggest.h"
#include "lib/jailconf/hooks.h"
#include "lib/model/jail_params.h"

namespace jaild::client {
namespace {

using nlohmann::json;

enum class kind { text, number, boolean, list, hook, command, duration, structured, health };

struct field {
  std::vector<std::string> at;  // path in the spec
  kind type;
};

// The spec's own fields and jail(8)'s names for them.
const std::map<std::string, field, std::less<>>& fields() {
  static const std::map<std::string, field, std::less<>> table = [] {
    std::map<std::string, field, std::less<>> t{
        {"name", {{"name"}, kind::text}},
        {"path", {{"path"}, kind::text}},
        {"hostname", {{"hostname"}, kind::text}},
        {"host.hostname", {{"hostname"}, kind::text}},
        {"ip4", {{"ip4"}, kind::list}},
        {"ip4.addr", {{"ip4"}, kind::list}},
        {"ip6", {{"ip6"}, kind::list}},
        {"ip6.addr", {{"ip6"}, kind::list}},
        {"depend", {{"depend"}, kind::list}},
        {"priority", {{"priority"}, kind::number}},
        {"boot", {{"boot"}, kind::boolean}},
        {"persist", {{"persist"}, kind::boolean}},
        {"limits", {{"limits"}, kind::list}},
        {"ports", {{"ports"}, kind::list}},
        {"cpuset", {{"cpuset"}, kind::text}},
        {"command", {{"command"}, kind::command}},
        // "on-failure:5" as jaild reads it; JSON for the whole object.
        {"restart", {{"restart"}, kind::text}},
        {"health", {{"health"}, kind::health}},
        {"vnet", {{"vnet"}, kind::structured}},
        {"stop_timeout", {{"stop_timeout"}, kind::duration}},
        {"stop.timeout", {{"stop_timeout"}, kind::duration}},
        {"exec.clean", {{"exec", "clean"}, kind::boolean}},
        {"exec.jail_user", {{"exec", "jail_user"}, kind::text}},
        {"exec.system_user", {{"exec", "system_user"}, kind::text}},
        {"exec.consolelog", {{"exec", "consolelog"}, kind::text}},
        {"exec.timeout", {{"exec", "timeout"}, kind::duration}},
        {"mount.devfs", {{"mount", "devfs"}, kind::boolean}},
        {"mount.fdescfs", {{"mount", "fdescfs"}, kind::boolean}},
        {"mount.procfs", {{"mount", "procfs"}, kind::boolean}},
        {"mount.fstab", {{"mount", "fstab"}, kind::text}},
        {"mount", {{"mount", "entries"}, kind::list}},
        {"devfs_ruleset", {{"mount", "devfs_ruleset"}, kind::number}},
    };
    for (const char* hook : {"prepare", "prestart", "created", "start", "poststart", "prestop",
                             "stop", "poststop", "release"}) {
      // One command per assignment: hook strings contain commas and spaces.
      t.emplace(std::string("exec.") + hook, field{{"exec", hook}, kind::hook});
    }
    return t;
  }();
  return table;
}

std::vector<std::string> split_commas(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    auto item = value.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

// A value written as JSON ("[...]", "{...}") is taken as JSON.
bool looks_like_json(std::string_view v) {
  return !v.empty() && (v.front() == '[' || v.front() == '{');
}

json typed_param(std::string_view value) {
  if (value == "true") return true;
  if (value == "false") return false;
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos &&
      value.size() < 18)
    return std::stoll(std::string(value));
  if (value.find(',') != std::string_view::npos) return split_commas(value);
  return std::string(value);
}

const model::known_param* find_param(std::string_view name) {
  for (const auto& p : model::known_jail_params)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> known_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : fields()) names.push_back(name);
  for (const auto& p : model::known_jail_params) names.emplace_back(p.name);
  return names;
}

// The value of a jail(8) parameter jaild keeps verbatim, checked against the
// kind jail(8) gives the parameter when it is one jail(8) has.
json param_value(const std::string& key, std::string_view value, std::vector<std::string>* warnings) {
  if (value.empty()) return nullptr;
  if (looks_like_json(value)) {
    json v = json::parse(value, nullptr, false);
    if (v.is_discarded()) throw std::invalid_argument("the value of " + key + " is not valid JSON");
    return v;
  }
  const auto* known = find_param(key);
  if (!known) {
    if (warnings) {
      std::string w = "'" + key + "' is neither a spec field nor a jail(8) parameter";
      if (auto near = nearest(key, known_names())) w += "; did you mean '" + *near + "'?";
      warnings->push_back(w);
    }
    return typed_param(value);
  }
  switch (known->kind) {
    case model::param_kind::boolean:
      if (value == "true" || value == "1" || value == "yes") return true;
      if (value == "false" || value == "0" || value == "no") return false;
      {
        std::string why = key + " takes true or false, not '" + std::string(value) + "'";
        if (auto near = nearest(value, {"true", "false"})) why += "; did you mean '" + *near + "'?";
        throw std::invalid_argument(why);
      }
    case model::param_kind::integer:
      try {
        std::size_t used = 0;
        const long long n = std::stoll(std::string(value), &used);
        if (used == value.size()) return n;
      } catch (const std::exception&) {
      }
      throw std::invalid_argument(key + " takes a number, not '" + std::string(value) + "'");
    case model::param_kind::text: return typed_param(value);
  }
  return typed_param(value);
}

}  // namespace

void add_assignment(json& patch, std::string_view assignment, std::vector<std::string>* warnings) {
  auto eq = assignment.find('=');
  std::string key(assignment.substr(0, eq));
  std::string_view value =
      eq == std::string_view::npos ? std::string_view("true") : assignment.substr(eq + 1);
  if (key.empty())
    throw std::invalid_argument("'" + std::string(assignment) + "' is not NAME=VALUE");
  // jail(8)'s "no" booleans: allow.noraw_sockets means allow.raw_sockets=false.
  if (eq == std::string_view::npos) {
    auto dot = key.rfind('.');
    auto last = key.substr(dot == std::string::npos ? 0 : dot + 1);
    if (last.starts_with("no") && !fields().contains(key)) {
      key = key.substr(0, dot == std::string::npos ? 0 : dot + 1) + last.substr(2);
      value = "false";
    }
  }

  // labels.KEY=VALUE: one label (an empty VALUE removes it).
  if (key.starts_with("labels.") && key.size() > 7) {
    patch["labels"][key.substr(7)] = value.empty() ? json(nullptr) : json(std::string(value));
    return;
  }
  auto it = fields().find(key);
  if (it == fields().end()) {
    // Not modelled: a jail(8) parameter kept verbatim.
    patch["params"][key] = param_value(key, value, warnings);
    return;
  }
  json v;
  if (value.empty()) {
    v = nullptr;
  } else if (looks_like_json(value)) {
    v = json::parse(value, nullptr, false);
    if (v.is_discarded())
      throw std::invalid_argument("the value of " + key + " is not valid JSON");
  } else {
    switch (it->second.type) {
      case kind::text:
      case kind::duration: v = std::string(value); break;
      case kind::number:
        try {
          std::size_t used = 0;
          v = std::stoll(std::string(value), &used);
          if (used != value.size()) throw std::invalid_argument("");
        } catch (const std::exception&) {
          throw std::invalid_argument(key + " takes a number, not '" + std::string(value) + "'");
        }
        break;
      case kind::boolean:
        if (value == "true" || value == "1" || value == "yes")
          v = true;
        else if (value == "false" || value == "0" || value == "no")
          v = false;
        else
          throw std::invalid_argument(key + " takes true or false, not '" + std::string(value) +
                                      "'");
        break;
      case kind::list: v = split_commas(value); break;
      // A hook is a command line jaild runs as jail(8) does.
      case kind::hook: v = json::array({std::string(value)}); break;
      // `command` is an argv: split as jail.conf's command is.
      case kind::command: v = jailconf::command_argv(value); break;
      case kind::health: v = health_flag(value); break;
      case kind::structured:
        throw std::invalid_argument(key + " takes a JSON object; for one interface, --vnet "
                                    "BRIDGE[:ADDR] or --network NAME");
    }
  }
  json* at = &patch;
  const auto& path = it->second.at;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) at = &(*at)[path[i]];
  (*at)[path.back()] = v;
}

json assignments_to_patch(const std::vector<std::string>& assignments,
                          std::vector<std::string>* warnings) {
  json patch = json::object();
  for (const auto& a : assignments) add_assignment(patch, a, warnings);
  return patch;
}

void overlay(json& into, const json& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (const auto& [key, value] : from.items()) {
    if (value.is_object() && into.contains(key) && into[key].is_object())
      overlay(into[key], value);
    else
      into[key] = value;
  }
}

}  // namespace jaild::client
