#include "lib/engine/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/model/error.h"
#include "lib/model/json_reader.h"

namespace jaild::engine {

engine::engine(store::store& db, host::host& platform)
    : store_(db), host_(platform), snapshot_(std::make_shared<snapshot>(snapshot::map{}, 0)) {}

engine::~engine() = default;

void engine::load() {
  std::lock_guard lock(write_mutex_);
  snapshot::map jails;
  for (auto& stored : store_.load_jails()) {
    jail_entry entry;
    entry.spec = std::move(stored.spec);
    entry.created_ms = stored.created_ms;
    entry.updated_ms = stored.updated_ms;
    entry.generation = stored.generation;
    try {
      entry.status.warnings = host_.check(entry.spec);
    } catch (const error& e) {
      // Stored before the host changed (a module unloaded, a tunable reset):
      // keep the spec, say why it cannot run.
      entry.status.last_error = e.what();
    }
    auto name = entry.spec.name;
    jails.emplace(std::move(name), make_entry(std::move(entry)));
  }
  spdlog::info("loaded {} jail spec(s) from {}", jails.size(), store_.path().string());
  publish(std::make_shared<snapshot>(std::move(jails), ++version_));
}

std::shared_ptr<const snapshot> engine::current() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

void engine::publish(std::shared_ptr<const snapshot> next) {
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(next);
}

void engine::on_event(event_listener listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

void engine::emit(const model::event& ev) {
  std::lock_guard lock(listeners_mutex_);
  for (const auto& l : listeners_) l(ev);
}

std::shared_ptr<const jail_entry> engine::require(const std::string& name) const {
  auto entry = current()->find(name);
  if (!entry) throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
  return entry;
}

std::shared_ptr<const jail_entry> engine::create_jail(const model::jail_spec& spec) {
  model::validate_spec(spec);
  auto warnings = host_.check(spec);
  std::lock_guard lock(write_mutex_);
  auto snap = current();
  if (snap->find(spec.name))
    throw error(errc::jail_exists, fmt::format("a jail named '{}' exists", spec.name), "/name");

  model::event ev;
  ev.type = "jail.created";
  ev.jail = spec.name;
  ev = store_.create_jail(spec, ev);

  jail_entry entry;
  entry.spec = spec;
  entry.status.warnings = std::move(warnings);
  entry.created_ms = entry.updated_ms = ev.time_ms;
  entry.generation = 1;
  auto made = make_entry(std::move(entry));
  auto jails = snap->jails();
  jails.emplace(spec.name, made);
  publish(std::make_shared<snapshot>(std::move(jails), ++version_));
  emit(ev);
  return made;
}

std::shared_ptr<const jail_entry> engine::replace_jail(const model::jail_spec& spec) {
  model::validate_spec(spec);
  auto warnings = host_.check(spec);
  std::lock_guard lock(write_mutex_);
  auto snap = current();
  auto old = snap->find(spec.name);
  if (!old) throw error(errc::jail_not_found, fmt::format("no jail named '{}'", spec.name));
  if (old->spec == spec) return old;  // nothing to change, nothing to record

  model::event ev;
  ev.type = "jail.updated";
  ev.jail = spec.name;
  ev = store_.replace_jail(spec, ev);

  jail_entry entry = *old;
  entry.spec = spec;
  entry.status.warnings = std::move(warnings);
  entry.updated_ms = ev.time_ms;
  entry.generation = old->generation + 1;
  auto made = make_entry(std::move(entry));
  auto jails = snap->jails();
  jails[spec.name] = made;
  publish(std::make_shared<snapshot>(std::move(jails), ++version_));
  emit(ev);
  return made;
}

std::shared_ptr<const jail_entry> engine::patch_jail(const std::string& name,
                                                     const nlohmann::json& patch) {
  if (!patch.is_object())
    throw error(errc::invalid_type,
                fmt::format("a merge patch must be a JSON object, not {}",
                            model::json_type_name(patch)));
  if (auto it = patch.find("name"); it != patch.end() && *it != nlohmann::json(name))
    throw error(errc::invalid_value, "a jail cannot be renamed by a patch", "/name");
  auto old = require(name);
  nlohmann::json merged = model::spec_to_json(old->spec);
  merged.merge_patch(patch);
  return replace_jail(model::spec_from_json(merged));
}

void engine::delete_jail(const std::string& name, bool force) {
  (void)force;  // no jail runs yet: the lifecycle (issue 5) stops it first when forced
  std::lock_guard lock(write_mutex_);
  auto snap = current();
  if (!snap->find(name)) throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));

  model::event ev;
  ev.type = "jail.deleted";
  ev.jail = name;
  ev = store_.delete_jail(name, ev);

  auto jails = snap->jails();
  jails.erase(name);
  publish(std::make_shared<snapshot>(std::move(jails), ++version_));
  emit(ev);
}

}  // namespace jaild::engine
