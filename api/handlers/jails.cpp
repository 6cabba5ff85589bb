// /v1/jails: create, list, get, replace, merge-patch and delete jail specs.
// Writing a spec needs admin: its exec.* hooks run as root on the host.
#include <fmt/format.h>

#include "api/problem.h"
#include "api/service.h"
#include "api/url.h"
#include "lib/model/selector.h"
#include "lib/model/validate.h"

namespace jaild::api {

// The {name} of the path, refused early when no jail could have it.
std::string name_param(const request& req) {
  const auto& name = req.params.at("name");
  if (auto why = model::check::jail_name(name); !why.empty())
    throw error(errc::invalid_name, why);
  return name;
}

response entry_response(unsigned status, const engine::jail_entry& entry) {
  response r;
  r.status = status;
  r.body = entry.json;
  return r;
}

void service::add_jail_routes() {
  router_.add({"GET", "/v1/jails", role::viewer, run_on::io,
               [this](request& req) {
                 auto query = [&req](const char* key) -> std::optional<std::string> {
                   auto it = req.query.find(key);
                   if (it == req.query.end()) return std::nullopt;
                   return it->second;
                 };
                 const auto selector = model::parse_selector(query("label"), query("state"));
                 auto snap = engine_.current();
                 response r;
                 if (selector.empty()) {
                   // The body stays shared with the snapshot, which stays alive with it.
                   r.shared_body = std::shared_ptr<const std::string>(snap, &snap->list_json());
                   return r;
                 }
                 r.body = "{\"jails\":[";
                 bool first = true;
                 for (const auto& [name, entry] : snap->jails()) {
                   if (!selector.matches(entry->spec, entry->status)) continue;
                   if (!first) r.body += ',';
                   r.body += entry->json;
                   first = false;
                 }
                 r.body += "]}";
                 return r;
               },
               "List the jails with their spec and status (?label=KEY=VALUE,... and "
               "?state=STATE,... select some)"});

  router_.add({"POST", "/v1/jails", role::admin, run_on::pool,
               [this](request& req) {
                 // A root from a template: the template's profile under the body.
                 auto spec = model::spec_from_json(
                     engine_.with_template_profile(parse_json_body(req)));
                 auto entry = engine_.create_jail(spec);
                 auto resp = entry_response(201, *entry);
                 resp.headers.emplace_back("Location", "/v1/jails/" + percent_encode(spec.name));
                 return resp;
               },
               "Define a jail"});

  router_.add({"GET", "/v1/jails/{name}", role::viewer, run_on::io,
               [this](request& req) {
                 const auto name = name_param(req);
                 auto entry = engine_.current()->find(name);
                 if (!entry)
                   throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
                 return entry_response(200, *entry);
               },
               "One jail's spec and status"});

  router_.add({"PUT", "/v1/jails/{name}", role::admin, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 auto body = parse_json_body(req);
                 if (body.is_object() && !body.contains("name")) body["name"] = name;
                 auto spec = model::spec_from_json(body);
                 if (spec.name != name)
                   throw error(errc::invalid_value,
                               fmt::format("the body names jail '{}' but the path names '{}'",
                                           spec.name, name),
                               "/name");
                 return entry_response(200, *engine_.replace_jail(spec));
               },
               "Replace a jail's spec"});

  router_.add({"PATCH", "/v1/jails/{name}", role::admin, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 return entry_response(200, *engine_.patch_jail(name, parse_json_body(req)));
               },
               "Change a jail's spec with a JSON merge patch (RFC 7396)"});

  router_.add({"DELETE", "/v1/jails/{name}", role::admin, run_on::long_work,
               [this](request& req) {
                 const auto name = name_param(req);
                 engine_.delete_jail(name, req.flag("force"), req.flag("keep_root"));
                 response r;
                 r.status = 204;
                 return r;
               },
               "Destroy a jail's definition and the root jaild made for it (force=true stops "
               "it first, keep_root=true keeps the root)"});
}

}  // namespace jaild::api
