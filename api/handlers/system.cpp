// GET /v1/health, GET /v1/info and GET /v1/openapi.json.
#include <unistd.h>

#include "api/openapi.h"
#include "api/service.h"
#include "lib/store/store.h"

namespace jaild::api {

void service::add_system_routes() {
  router_.add({"GET", "/v1/health", role::viewer, run_on::io,
               [this](request&) {
                 auto snap = engine_.current();
                 const auto up = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::steady_clock::now() - started_);
                 return json_response(200, {{"status", "ok"},
                                            {"version", JAILD_VERSION},
                                            {"uptime_s", up.count()},
                                            {"jails", snap->jails().size()},
                                            {"running", snap->running()}});
               },
               "Liveness: is jaild answering"});

  router_.add({"GET", "/v1/info", role::viewer, run_on::pool,
               [this](request&) {
                 auto info = engine_.host_info();
                 nlohmann::json body = {
                     {"name", "jaild"},
                     {"version", JAILD_VERSION},
                     {"api_version", "v1"},
                     {"pid", ::getpid()},
                     {"state_dir", options_.state_dir},
                     {"schema_version", store::store::newest_schema_version()},
                     {"max_body_bytes", options_.max_body_bytes},
                     {"host", host::platform_info_to_json(info)},
                     {"provisioning", engine_.provisioning_info()},
                 };
                 return json_response(200, body);
               },
               "Platform, version, kernel features and prerequisites"});

  router_.add({"GET", "/v1/openapi.json", role::viewer, run_on::io,
               [](request&) {
                 // Built into jaild: shared, never copied per request.
                 static const auto document = std::make_shared<const std::string>(openapi_json());
                 response r;
                 r.shared_body = document;
                 return r;
               },
               "This API's OpenAPI 3 document"});
}

}  // namespace jaild::api
