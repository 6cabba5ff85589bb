// /v1/networks: managed bridges with subnets, from which VNET interfaces
// lease their addresses.
#include <fmt/format.h>

#include "api/service.h"
#include "api/url.h"
#include "lib/model/validate.h"

namespace jaild::api {
namespace {

nlohmann::json network_with_leases(engine::engine& eng, const model::network_spec& n) {
  auto j = model::network_to_json(n);
  j["leases"] = nlohmann::json::array();
  for (const auto& l : eng.leases(n.name))
    j["leases"].push_back({{"address", l.address},
                           {"jail", l.jail},
                           {"interface", l.interface},
                           {"family", l.family},
                           {"created_at", l.created_ms}});
  return j;
}

std::string network_param(const request& req) {
  const auto& name = req.params.at("name");
  if (auto why = model::check::jail_name(name); !why.empty())
    throw error(errc::invalid_name, "network " + why.substr(5));
  return name;
}

}  // namespace

void service::add_network_routes() {
  router_.add({"GET", "/v1/networks", role::viewer, run_on::pool,
               [this](request&) {
                 nlohmann::json list = nlohmann::json::array();
                 for (const auto& n : engine_.networks())
                   list.push_back(network_with_leases(engine_, n));
                 return json_response(200, {{"networks", list}});
               },
               "List managed networks with their leases"});

  router_.add({"POST", "/v1/networks", role::admin, run_on::pool,
               [this](request& req) {
                 auto net = engine_.create_network(model::network_from_json(parse_json_body(req)));
                 auto r = json_response(201, network_with_leases(engine_, net));
                 r.headers.emplace_back("Location", "/v1/networks/" + percent_encode(net.name));
                 return r;
               },
               "Define a managed network (a bridge with subnets)"});

  router_.add({"GET", "/v1/networks/{name}", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto name = network_param(req);
                 auto net = engine_.find_network(name);
                 if (!net)
                   throw error(errc::network_not_found, fmt::format("no network named '{}'", name));
                 return json_response(200, network_with_leases(engine_, *net));
               },
               "One network with its leases"});

  router_.add({"DELETE", "/v1/networks/{name}", role::admin, run_on::pool,
               [this](request& req) {
                 engine_.delete_network(network_param(req));
                 response r;
                 r.status = 204;
                 return r;
               },
               "Delete a network no jail uses"});
}

}  // namespace jaild::api
