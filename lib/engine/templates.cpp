// Templates (issue 16, point 3): a stopped jail's root copied into the
// releases directory as a release of kind "template", with a profile of spec
// fields. Jails are made from it as from a release (thick, thin or clone with
// the copy as the base) and inherit its profile.
//
// The copy is of what jail root wrote: it goes through the host's tree copy,
// which is descriptor-relative and copies a symbolic link as a link, never
// following it (lib/host/linux/tree.h); mount points below the root are made,
// not entered. The jail stays stopped while it is copied.
#include <fmt/format.h>

#include "lib/engine/deferred.h"
#include "lib/engine/engine.h"
#include "lib/engine/runtime.h"
#include "lib/model/error.h"

namespace jaild::engine {

model::release engine::add_template(const model::template_request& request) {
  const auto entry = require(request.jail);
  const auto& spec = entry->spec;
  if (spec.root && spec.root->mode == model::root_mode::thin)
    throw error(errc::invalid_value,
                fmt::format("jail '{}' has a thin root: its files are its release and a layer of "
                            "its own, which jaild does not merge into a template; make the "
                            "template from a thick or cloned jail",
                            request.jail),
                "/jail");
  {
    guard lock(runtime_mutex_);
    refuse_if_deleting(request.jail);
    auto rt = runtime_of(request.jail);
    if (!is_down(rt->state) || rt->handle || busy(request.jail))
      throw error(errc::jail_running,
                  fmt::format("jail '{}' is {}; a template is made from a stopped jail",
                              request.jail,
                              busy(request.jail) ? "busy" : model::jail_state_name(rt->state)),
                  "/jail");
    rt->held = "being copied into a template";  // no start and no delete until the copy is done
  }
  deferred unhold([&] {
    guard lock(runtime_mutex_);
    runtime_of(request.jail)->held.clear();
  });
  model::release r;
  r.name = request.name;
  r.kind = "template";
  r.source = spec.path;
  r.description = request.description;
  r.jail = request.jail;
  r.base = spec.root ? spec.root->release : "";
  r.profile = request.profile;
  return import_release_copy(std::move(r), "");
}

std::vector<model::release> engine::templates() const {
  std::vector<model::release> out;
  for (auto& r : releases())
    if (r.is_template()) out.push_back(std::move(r));
  return out;
}

nlohmann::json engine::with_template_profile(nlohmann::json body) const {
  if (!body.is_object()) return body;
  const auto root = body.find("root");
  if (root == body.end() || !root->is_object()) return body;
  const auto name = root->find("template");
  if (name == root->end() || !name->is_string()) return body;
  const auto t = find_release(name->get<std::string>());
  if (!t || !t->is_template() || t->profile.empty()) return body;
  auto merged = t->profile;
  merged.merge_patch(body);
  return merged;
}

}  // namespace jaild::engine
