// engine::import_jails: an import (jail.conf or JSON specs) is all or
// nothing. The plan is made against the current snapshot; a depend on a jail
// that exists is checked here, everything else (validators, the platform, dependency loops,
// network leases) by engine::apply_specs, which a dry run calls too, so that
// a dry run refuses what the import would refuse. apply_specs writes all the
// changes in one store transaction and publishes them at once. A failure
// anywhere leaves the store, the snapshot and the event stream as they were.
#include <fmt/format.h>

#include <map>
#include <set>

#include "lib/engine/engine.h"
#include "lib/engine/import.h"
#include "lib/model/error.h"

namespace jaild::engine {
namespace {

// The top-level fields of a diff, each once, in the diff's order.
std::vector<std::string> top_level_fields(const std::vector<model::field_change>& diff) {
  std::vector<std::string> out;
  for (const auto& c : diff) {
    auto field = c.field.substr(0, c.field.find_first_of(".["));
    if (out.empty() || out.back() != field) out.push_back(std::move(field));
  }
  return out;
}

}  // namespace

std::string_view import_action_name(import_action a) {
  switch (a) {
    case import_action::create: return "create";
    case import_action::change: return "change";
    case import_action::unchanged: return "unchanged";
  }
  return "unchanged";
}

std::vector<import_entry> engine::import_jails(const std::vector<model::jail_spec>& specs,
                                               bool dry_run, const std::string& source) {
  std::set<std::string> names;
  for (const auto& spec : specs)
    if (!names.insert(spec.name).second)
      throw error(errc::invalid_value, fmt::format("jail '{}' is imported twice", spec.name));

  auto snap = current();
  // jail(8) refuses a depend on a jail it does not know; so does an import.
  std::map<std::string, model::jail_spec> next;
  for (const auto& [name, entry] : snap->jails()) next.emplace(name, entry->spec);
  for (const auto& spec : specs) next[spec.name] = spec;
  for (const auto& spec : specs)
    for (std::size_t i = 0; i < spec.depend.size(); ++i)
      if (!next.count(spec.depend[i]))
        throw error(errc::invalid_value,
                    fmt::format("jail '{}' depends on '{}', which is neither in the import nor "
                                "a jail of jaild",
                                spec.name, spec.depend[i]),
                    fmt::format("/depend/{}", i));

  std::vector<import_entry> plan;
  std::vector<store::store::jail_change> changes;
  for (const auto& spec : specs) {
    import_entry entry;
    entry.name = spec.name;
    entry.warnings = host_.check(spec);
    model::event ev;
    ev.jail = spec.name;
    ev.data = {{"source", source}};
    if (auto old = snap->find(spec.name); !old) {
      entry.action = import_action::create;
      ev.type = "jail.created";
      changes.push_back({store::store::jail_change::kind::create, spec, ev});
    } else if (old->spec == spec) {
      entry.action = import_action::unchanged;
    } else {
      entry.action = import_action::change;
      entry.diff = model::diff_specs(old->spec, spec);
      entry.changed = top_level_fields(entry.diff);
      ev.type = "jail.updated";
      changes.push_back({store::store::jail_change::kind::replace, spec, ev});
    }
    plan.push_back(std::move(entry));
  }
  // One transaction; a jail created or changed since the plan was made is
  // refused there (jail_exists, jail_not_found) and nothing is written.
  if (changes.empty()) return plan;
  apply_specs(changes, dry_run);
  if (dry_run) return plan;
  for (const auto& entry : plan)
    if (entry.action == import_action::change)
      if (auto op = apply_live(entry.name)) op->wait();
  return plan;
}

}  // namespace jaild::engine
