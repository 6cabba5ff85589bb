// /v1/jails/{name}/snapshots: snapshots of a root that jaild made (issue 16,
// point 4). Making one, rolling back and removing one may copy a whole root
// (the copy and layer backends): they run with the long requests.
#include <fmt/format.h>

#include "api/service.h"
#include "api/url.h"
#include "lib/model/json_reader.h"
#include "lib/model/release.h"

namespace jaild::api {


namespace {

std::string snapshot_param(const request& req) {
  const auto& name = req.params.at("snapshot");
  if (auto why = model::check_snapshot_name(name); !why.empty())
    throw error(errc::invalid_value, why);
  return name;
}

nlohmann::json snapshot_to_json(const host::snapshot_info& s) {
  return {{"name", s.name},
          {"backend", s.backend},
          {"created", s.created},
          {"bytes", s.bytes},
          {"files", s.files}};
}

}  // namespace

void service::add_snapshot_routes() {
  router_.add({"GET", "/v1/jails/{name}/snapshots", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto jail = name_param(req);
                 const auto support = engine_.snapshot_support(jail);
                 nlohmann::json list = nlohmann::json::array();
                 for (const auto& s : engine_.snapshots(jail)) list.push_back(snapshot_to_json(s));
                 return json_response(200, {{"snapshots", list},
                                            {"backend", host::snapshot_support_to_json(support)}});
               },
               "List a jail's snapshots, oldest first, and how its root is snapshotted"});

  router_.add({"POST", "/v1/jails/{name}/snapshots", role::operator_role, run_on::long_work,
               [this](request& req) {
                 const auto jail = name_param(req);
                 const auto body = parse_json_body(req);
                 model::json_reader in(body, "", "a snapshot");
                 auto name = in.string("name");
                 if (!name) in.fail(errc::missing_field, "name", "a snapshot needs a name");
                 in.finish();
                 auto made = engine_.take_snapshot(jail, *name);
                 auto r = json_response(201, snapshot_to_json(made));
                 r.headers.emplace_back("Location", "/v1/jails/" + percent_encode(jail) +
                                                        "/snapshots/" + percent_encode(made.name));
                 return r;
               },
               "Snapshot a jail's root"});

  router_.add({"GET", "/v1/jails/{name}/snapshots/{snapshot}", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto jail = name_param(req);
                 const auto name = snapshot_param(req);
                 for (const auto& s : engine_.snapshots(jail))
                   if (s.name == name) return json_response(200, snapshot_to_json(s));
                 throw error(errc::snapshot_not_found,
                             fmt::format("jail '{}' has no snapshot named '{}'", jail, name));
               },
               "One snapshot"});

  router_.add({"POST", "/v1/jails/{name}/snapshots/{snapshot}/rollback", role::admin,
               run_on::long_work,
               [this](request& req) {
                 const auto jail = name_param(req);
                 const auto name = snapshot_param(req);
                 engine_.rollback_snapshot(jail, name, req.flag("restart"));
                 nlohmann::json body = {{"snapshot", name}};
                 if (auto entry = engine_.current()->find(jail))
                   body["jail"] = nlohmann::json::parse(entry->json);
                 return json_response(200, body);
               },
               "Put a jail's root back as a snapshot has it (?restart=true stops and starts a "
               "running jail around it)"});

  router_.add({"DELETE", "/v1/jails/{name}/snapshots/{snapshot}", role::admin, run_on::long_work,
               [this](request& req) {
                 const auto jail = name_param(req);
                 engine_.delete_snapshot(jail, snapshot_param(req));
                 response r;
                 r.status = 204;
                 return r;
               },
               "Remove a snapshot"});
}

}  // namespace jaild::api
