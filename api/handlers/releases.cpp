// /v1/releases: the bases that jails' roots are made from (issue 16). Adding
// one copies a host archive or directory into jaild's releases directory,
// which may take a while: it runs with the long requests (run_on::long_work).
#include <fmt/format.h>

#include "api/service.h"
#include "api/url.h"
#include "lib/model/release.h"

namespace jaild::api {
namespace {

std::string release_param(const request& req) {
  const auto& name = req.params.at("name");
  if (auto why = model::check_release_name(name); !why.empty())
    throw error(errc::invalid_value, why);
  return name;
}

}  // namespace

void service::add_release_routes() {
  router_.add({"GET", "/v1/releases", role::viewer, run_on::pool,
               [this](request&) {
                 nlohmann::json list = nlohmann::json::array();
                 for (const auto& r : engine_.releases()) list.push_back(model::release_to_json(r));
                 return json_response(200, {{"releases", list}});
               },
               "List the releases that roots are made from"});

  router_.add({"POST", "/v1/releases", role::admin, run_on::long_work,
               [this](request& req) {
                 auto made = engine_.add_release(
                     model::release_request_from_json(parse_json_body(req)));
                 auto r = json_response(201, model::release_to_json(made));
                 r.headers.emplace_back("Location", "/v1/releases/" + percent_encode(made.name));
                 return r;
               },
               "Add a release from an archive or a directory on the host"});

  router_.add({"GET", "/v1/releases/{name}", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto name = release_param(req);
                 auto r = engine_.find_release(name);
                 if (!r)
                   throw error(errc::release_not_found, fmt::format("no release named '{}'", name));
                 return json_response(200, model::release_to_json(*r));
               },
               "One release"});

  router_.add({"DELETE", "/v1/releases/{name}", role::admin, run_on::long_work,
               [this](request& req) {
                 engine_.delete_release(release_param(req));
                 response r;
                 r.status = 204;
                 return r;
               },
               "Delete a release that no jail's root uses"});
}

}  // namespace jaild::api
