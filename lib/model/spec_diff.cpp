#include "lib/model/spec_diff.h"

#include <fmt/format.h>

#include <map>

#include "lib/model/rctl.h"

namespace jaild::model {
namespace {

using nlohmann::json;

// Rules keyed by "resource:action[/per]" with their amount; nullopt when two
// rules share a key or one does not parse (a spec that was never validated).
std::optional<json> keyed_limits(const std::vector<std::string>& rules) {
  json out = json::object();
  for (const auto& text : rules) {
    auto rule = parse_rctl_rule(text, nullptr);
    if (!rule) return std::nullopt;
    auto key = rule->resource + ":" + rule->action;
    if (!rule->per.empty()) key += "/" + rule->per;
    if (out.contains(key)) return std::nullopt;
    out[key] = rule->amount_text;
  }
  return out;
}

// A list compared element by element: one of objects (vnet.interfaces).
bool objects_or_empty(const json& j) {
  if (!j.is_array()) return false;
  for (const auto& e : j)
    if (!e.is_object()) return false;
  return true;
}

const json& member(const json& object, const std::string& key) {
  static const json none;
  auto it = object.find(key);
  return it == object.end() ? none : *it;
}

void compare(const std::string& path, const json& a, const json& b,
             std::vector<field_change>& out) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    // Keys of `before` in order, then the keys only `after` has.
    for (const auto& [key, value] : a.items())
      compare(path + "." + key, value, member(b, key), out);
    for (const auto& [key, value] : b.items())
      if (!a.contains(key)) compare(path + "." + key, json(), value, out);
    return;
  }
  if (objects_or_empty(a) && objects_or_empty(b)) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
      compare(fmt::format("{}[{}]", path, i), i < a.size() ? a[i] : json(),
              i < b.size() ? b[i] : json(), out);
    return;
  }
  out.push_back({path, a, b});
}

}  // namespace

std::vector<field_change> diff_specs(const jail_spec& before, const jail_spec& after) {
  const auto a = spec_to_json(before);
  const auto b = spec_to_json(after);
  std::vector<field_change> out;
  for (const auto& field : spec_field_names()) {
    const auto& x = member(a, field);
    const auto& y = member(b, field);
    if (x == y) continue;
    if (field == "limits") {
      auto kx = keyed_limits(before.limits);
      auto ky = keyed_limits(after.limits);
      // The same rules in another order are still a change of the list.
      if (kx && ky && *kx != *ky) {
        compare(field, *kx, *ky, out);
        continue;
      }
    }
    compare(field, x, y, out);
  }
  return out;
}

}  // namespace jaild::model
