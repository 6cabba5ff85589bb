// /v1/templates: releases made from a stopped jail's root, with a profile of
// spec fields that the jails made from them inherit (issue 16, point 3).
// Making one copies the jail's root: it runs with the long requests.
#include <fmt/format.h>

#include "api/service.h"
#include "api/url.h"
#include "lib/model/release.h"

namespace jaild::api {
namespace {

std::string template_param(const request& req) {
  const auto& name = req.params.at("name");
  if (auto why = model::check_release_name(name); !why.empty())
    throw error(errc::invalid_value, "template " + why.substr(8));
  return name;
}

// The template of the path's {name}: a release of kind template.
model::release require_template(engine::engine& eng, const request& req) {
  const auto name = template_param(req);
  auto t = eng.find_release(name);
  if (!t || !t->is_template())
    throw error(errc::template_not_found, fmt::format("no template named '{}'", name));
  return *t;
}

}  // namespace

void service::add_template_routes() {
  router_.add({"GET", "/v1/templates", role::viewer, run_on::pool,
               [this](request&) {
                 nlohmann::json list = nlohmann::json::array();
                 for (const auto& t : engine_.templates()) list.push_back(model::release_to_json(t));
                 return json_response(200, {{"templates", list}});
               },
               "List the templates that roots are made from"});

  router_.add({"POST", "/v1/templates", role::admin, run_on::long_work,
               [this](request& req) {
                 auto made = engine_.add_template(
                     model::template_request_from_json(parse_json_body(req)));
                 auto r = json_response(201, model::release_to_json(made));
                 r.headers.emplace_back("Location", "/v1/templates/" + percent_encode(made.name));
                 return r;
               },
               "Make a template from a stopped jail's root"});

  router_.add({"GET", "/v1/templates/{name}", role::viewer, run_on::pool,
               [this](request& req) {
                 return json_response(200, model::release_to_json(require_template(engine_, req)));
               },
               "One template"});

  router_.add({"DELETE", "/v1/templates/{name}", role::admin, run_on::long_work,
               [this](request& req) {
                 engine_.delete_release(require_template(engine_, req).name);
                 response r;
                 r.status = 204;
                 return r;
               },
               "Delete a template that no jail's root uses"});
}

}  // namespace jaild::api
