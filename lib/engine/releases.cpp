// Releases (issue 16): bases that jails' roots are made from, copied by the
// Host port into RELEASES_DIR/NAME and recorded in the store. A release is
// visible only once it is whole and stored; one that jails' roots use (or
// are being made from) cannot be deleted.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "lib/engine/engine.h"
#include "lib/engine/deferred.h"
#include "lib/model/error.h"

namespace jaild::engine {

std::filesystem::path engine::releases_dir() const {
  return options_.releases_dir.empty() ? options_.state_dir / "releases" : options_.releases_dir;
}

std::filesystem::path engine::jails_dir() const {
  return options_.jails_dir.empty() ? options_.state_dir / "jails" : options_.jails_dir;
}

std::filesystem::path engine::private_root() const {
  return jails_dir() / (".jaild-" + instance_tag_);
}

std::vector<model::release> engine::releases() const {
  guard lock(releases_mutex_);
  std::vector<model::release> out;
  for (const auto& [name, r] : releases_) out.push_back(r);
  return out;
}

std::optional<model::release> engine::find_release(const std::string& name) const {
  guard lock(releases_mutex_);
  auto it = releases_.find(name);
  if (it == releases_.end()) return std::nullopt;
  return it->second;
}

void engine::run_provision(const std::string& jail, const std::string& reason,
                           const std::function<void(host::journal&)>& body) {
  auto op = std::make_shared<operation>(new_operation_id(), jail, op_kind::provision, reason);
  {
    guard lock(runtime_mutex_);
    recent_ops_[op->id()] = op;
    recent_order_.push_back(op->id());
  }
  op->begin();
  // Stored with its first step (op_journal): a request refused before any
  // host step leaves no trace, as every bad input must.
  op_journal journal(*op, store_);
  auto end = [&] {
    if (op->state() == op_state::failed && op->to_row().steps.empty()) {
      op->complete();
      guard lock(runtime_mutex_);
      recent_ops_.erase(op->id());
      return;
    }
    store_.save_operation(op->to_row());
    model::event ev;
    ev.type = "operation.finished";
    ev.jail = jail;
    ev.data = {{"id", op->id()},
               {"kind", op_kind_name(op->kind())},
               {"state", op_state_name(op->state())},
               {"reason", reason},
               {"error", op->error()}};
    emit(ev);
    op->complete();
  };
  try {
    body(journal);
  } catch (const error& e) {
    op->fail(e.code(), e.what());
    end();
    throw;
  } catch (const std::exception& e) {
    op->fail(errc::internal, e.what());
    end();
    throw;
  }
  op->succeed();
  end();
}

model::release engine::add_release(const model::release_request& request) {
  model::release r;
  r.name = request.name;
  r.source = request.source;
  r.description = request.description;
  return import_release_copy(std::move(r), request.sha256);
}

model::release engine::import_release_copy(model::release r, const std::string& sha256) {
  if (auto why = model::check_release_name(r.name); !why.empty())
    throw error(errc::invalid_value, why, "/name");
  {
    guard lock(releases_mutex_);
    if (releases_.count(r.name) || !importing_.insert(r.name).second)
      throw error(errc::release_exists, fmt::format("a release named '{}' exists", r.name),
                  "/name");
  }
  deferred unreserve([&] {
    guard lock(releases_mutex_);
    importing_.erase(r.name);
  });

  const bool is_template = r.is_template();
  r.path = (releases_dir() / r.name).string();
  host::release_import what{r.name, r.source, r.path, sha256};
  run_provision(is_template ? r.jail : "",
                (is_template ? "template add " : "release add ") + r.name,
                [&](host::journal& steps) {
    const auto made = host_.import_release(what, steps);
    if (!is_template) r.kind = made.kind;
    r.sha256 = made.sha256;
    r.bytes = made.bytes;
    r.files = made.files;
    r.created_ms = store::now_ms();
    model::event ev;
    ev.type = "release.added";
    ev.data = model::release_to_json(r);
    try {
      events_.stored([&] { return store_.save_release(r.name, model::release_to_json(r), ev); });
    } catch (...) {
      host_.remove_release(r.path, steps);  // nothing stored: nothing kept
      throw;
    }
  });
  guard lock(releases_mutex_);
  releases_[r.name] = r;
  return r;
}

void engine::delete_release(const std::string& name) {
  std::string path;
  {
    guard lock(releases_mutex_);
    auto it = releases_.find(name);
    if (it == releases_.end())
      throw error(errc::release_not_found, fmt::format("no release named '{}'", name));
    std::vector<std::string> users;
    for (const auto& [jail, entry] : current()->jails())
      if (entry->spec.root && entry->spec.root->source() == name) users.push_back(jail);
    for (const auto& row : store_.load_roots())
      if (row.release == name && std::find(users.begin(), users.end(), row.jail) == users.end())
        users.push_back(row.jail);
    if (!users.empty())
      throw error(errc::release_in_use,
                  fmt::format("{} '{}' is the base of {}'s root{}; delete {} first",
                              it->second.is_template() ? "template" : "release", name,
                              fmt::join(users, ", "), users.size() == 1 ? "" : "s",
                              users.size() == 1 ? "that jail" : "those jails"));
    path = it->second.path;
    releases_.erase(it);  // no root is made from it from here on
  }
  try {
    run_provision("", "release rm " + name, [&](host::journal& steps) {
      host_.remove_release(path, steps);
      // The clones' read-only seed of the release, when one was made.
      host_.remove_release(private_root() / ".releases" / name, steps);
      model::event ev;
      ev.type = "release.deleted";
      ev.data = {{"name", name}};
      events_.stored([&] { return store_.delete_release(name, ev); });
    });
  } catch (...) {
    // Still stored: still there (what could not be removed stays listed).
    if (auto stored = [&]() -> std::optional<model::release> {
          for (const auto& j : store_.load_releases())
            if (j.value("name", "") == name) return model::release_from_json(j);
          return std::nullopt;
        }()) {
      guard lock(releases_mutex_);
      releases_[name] = *stored;
    }
    throw;
  }
}

nlohmann::json engine::provisioning_info() {
  const auto s = host_.storage(jails_dir());
  nlohmann::json storage = {{"filesystem", s.filesystem},
                            {"thick", s.thick},
                            {"thin", s.thin},
                            {"clone", s.clone}};
  if (!s.why_not_clone.empty()) storage["why_not_clone"] = s.why_not_clone;
  // How each kind of root is snapshotted here, and the backend's limits.
  nlohmann::json snapshots = nlohmann::json::array();
  for (auto mode : {model::root_mode::thick, model::root_mode::thin, model::root_mode::clone}) {
    host::root_request probe;
    probe.jail = "probe";
    probe.mode = mode;
    probe.path = jails_dir() / "probe";
    probe.private_dir = private_root() / "probe";
    snapshots.push_back(host::snapshot_support_to_json(host_.snapshot_backend(probe)));
  }
  storage["snapshots"] = snapshots;
  return {{"releases_dir", releases_dir().string()},
          {"jails_dir", jails_dir().string()},
          {"private_dir", private_root().string()},
          {"releases", releases().size()},
          {"storage", storage}};
}

}  // namespace jaild::engine
