// Roots that jaild makes (issue 16): a spec with `root` has its `path` made
// from a release when the jail is created, as one operation with its journal
// (kind `provision`) and its rollback; the store's roots table says which
// roots jaild made, so that deleting a jail removes its root only then.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/engine/engine.h"
#include "lib/engine/deferred.h"
#include "lib/engine/runtime.h"
#include "lib/model/error.h"

namespace jaild::engine {

host::root_request engine::root_request_for(const model::jail_spec& spec) const {
  host::root_request r;
  r.jail = spec.name;
  r.mode = spec.root->mode;
  r.release = releases_dir() / spec.root->source();
  r.path = spec.path;
  r.private_dir = private_root() / spec.name;
  return r;
}

void engine::check_root_change(model::jail_spec& next, const model::jail_spec* old) {
  if (old && old->root) {
    if (!next.root) next.root = old->root;  // jail.conf has no word for it: kept
    if (next.root != old->root)
      throw error(errc::invalid_value,
                  "a jail's root is made once, when the jail is created; it cannot change "
                  "(delete the jail and create it again)",
                  "/root");
    if (next.path != old->path)
      throw error(errc::invalid_value,
                  "the jail's root was made at " + old->path + "; its path cannot change",
                  "/path");
    return;
  }
  if (!next.root) return;
  bool being_made = false;
  {
    guard lock(releases_mutex_);
    being_made = !old && making_roots_.count(next.name);
  }
  if (!being_made)
    throw error(errc::invalid_value,
                old ? "a root is made when a jail is created; this jail has a root of its own"
                    : "a root is made by POST /v1/jails (jailctl create), not by an import",
                "/root");
}

std::shared_ptr<const jail_entry> engine::create_with_root(
    model::jail_spec spec,
    const std::function<void(const host::root_request&, host::journal&)>& make) {
  const auto& want = *spec.root;
  if (spec.path.empty()) spec.path = (jails_dir() / spec.name).string();
  model::validate_spec(spec);
  if (current()->find(spec.name))
    throw error(errc::jail_exists, fmt::format("a jail named '{}' exists", spec.name), "/name");
  const auto req = root_request_for(spec);
  // Checked here too, before the row that would let a restart remove the
  // path: a path that exists is never jaild's.
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(req.path, ec)))
    throw error(errc::root_not_made,
                req.path.string() + " exists already: jaild makes a root only where there is "
                                    "nothing",
                "/path");
  {
    guard lock(releases_mutex_);
    const auto source = releases_.find(want.source());
    if (make) {
      // An archive's root: its release need not be here.
    } else if (!want.template_name.empty()) {
      if (source == releases_.end() || !source->second.is_template())
        throw error(errc::template_not_found,
                    fmt::format("no template named '{}'; make one with POST /v1/templates",
                                want.template_name),
                    "/root/template");
      if (!want.release.empty() && want.release != source->second.base)
        throw error(errc::invalid_value,
                    fmt::format("template '{}' is made from {}, not release '{}'; leave "
                                "root.release out",
                                want.template_name,
                                source->second.base.empty()
                                    ? std::string("no release")
                                    : "release '" + source->second.base + "'",
                                want.release),
                    "/root/release");
      spec.root->release = source->second.base;  // the jail's release is the template's
    } else if (source == releases_.end()) {
      throw error(errc::release_not_found,
                  fmt::format("no release named '{}'; add it with POST /v1/releases", want.release),
                  "/root/release");
    }
    if (!making_roots_.insert(spec.name).second)
      throw error(errc::jail_exists, fmt::format("a jail named '{}' is being created", spec.name),
                  "/name");
    // Under the same lock as delete_release's check: the release cannot go
    // from here on.
    store::root_row row{spec.name,    req.path.string(), req.private_dir.string(), want.source(),
                        std::string(model::root_mode_name(want.mode)), "making", 0};
    try {
      store_.save_root(row);
    } catch (...) {
      making_roots_.erase(spec.name);
      throw;
    }
  }
  deferred unreserve([&] {
    guard lock(releases_mutex_);
    making_roots_.erase(spec.name);
  });

  bool made = false, removed = false;
  try {
    run_provision(spec.name,
                  make ? std::string("root: from an archive")
                       : fmt::format("root: {} from {} {}", model::root_mode_name(want.mode),
                                     want.template_name.empty() ? "release" : "template",
                                     want.source()),
                  [&](host::journal& steps) {
                    // make_root() removes what it made when it fails itself,
                    // and never what was there before it.
                    if (make)
                      make(req, steps);
                    else
                      host_.make_root(req, steps);
                    made = true;
                    try {
                      create_jail_spec(spec);
                    } catch (...) {
                      try {
                        host_.remove_root(req, steps);
                        removed = true;
                      } catch (const std::exception& e) {
                        spdlog::error("jail {}: the root made for it could not be removed: {}",
                                      spec.name, e.what());
                        throw;
                      }
                      throw;
                    }
                  });
  } catch (...) {
    // The row stays only for a root that is still there (it says what to
    // remove); a root that was never made has nothing of jaild's to remove.
    if (!made || removed) store_.delete_root(spec.name);
    throw;
  }
  auto row = store_.find_root(spec.name);
  if (row) {
    row->state = "made";
    store_.save_root(*row);
  }
  return require(spec.name);
}

void engine::remove_unfinished_roots() {
  for (const auto& row : store_.load_roots()) {
    if (row.state != "making" || current()->find(row.jail)) continue;
    host::root_request r;
    r.jail = row.jail;
    r.path = row.path;
    r.private_dir = row.private_dir;
    try {
      run_provision(row.jail, "remove the root a crash left half made",
                    [&](host::journal& steps) { host_.remove_root(r, steps); });
      store_.delete_root(row.jail);
    } catch (const std::exception& e) {
      spdlog::error("jail {}: the half-made root at {} could not be removed: {}", row.jail,
                    row.path, e.what());
    }
  }
}

}  // namespace jaild::engine
