// Lifecycle routes: start, stop, restart, exec, logs, stats, operations and
// the boot plan. start/stop/restart answer when the operation has ended
// (200, or the operation's problem), or at once with async=true (202 and the
// operation to poll at its Location).
#include <fmt/format.h>

#include "api/problem.h"
#include "api/service.h"
#include "api/url.h"
#include "lib/model/json_reader.h"
#include "lib/model/validate.h"

namespace jaild::api {
namespace {

// The answer to a lifecycle request, once `op` is queued.
response operation_answer(engine::engine& eng, const request& req,
                          const std::shared_ptr<engine::operation>& op) {
  if (req.flag("async")) {
    auto r = json_response(202, {{"operation", op->to_json()}});
    r.headers.emplace_back("Location", "/v1/operations/" + op->id());
    return r;
  }
  op->wait();
  if (op->state() == engine::op_state::failed)
    return problem(error(op->error_code(), op->error()), req.path,
                   {{"operation", op->id()}});
  nlohmann::json body = {{"operation", op->to_json()}};
  if (auto entry = eng.current()->find(op->jail()))
    body["jail"] = nlohmann::json::parse(entry->json);
  return json_response(200, body);
}

host::exec_request exec_request_from(const nlohmann::json& body) {
  model::json_reader r(body, "", "an exec request");
  host::exec_request req;
  if (auto v = r.strings("argv")) req.argv = *v;
  if (req.argv.empty())
    throw error(errc::missing_field, "exec needs a non-empty 'argv' (no shell is implied)",
                "/argv");
  if (const auto* env = r.object("env")) {
    for (const auto& [k, v] : env->items()) {
      if (!v.is_string())
        throw error(errc::invalid_type, fmt::format("env '{}' must be a string", k),
                    "/env/" + model::pointer_escape(k));
      if (k.empty() || k.find('=') != std::string::npos)
        throw error(errc::invalid_value, fmt::format("'{}' is not an environment name", k),
                    "/env/" + model::pointer_escape(k));
      req.env[k] = v.get<std::string>();
    }
  }
  if (auto v = r.string("user")) req.user = *v;
  if (auto v = r.string("cwd")) {
    req.cwd = *v;
    if (!v->empty())
      if (auto why = model::check::absolute_path(*v); !why.empty())
        r.fail(errc::invalid_value, "cwd", why);
  }
  if (auto v = r.string("timeout")) {
    std::string why;
    auto d = model::check::parse_duration(*v, &why);
    if (!d) r.fail(errc::invalid_value, "timeout", why);
    req.timeout = *d;
  }
  if (auto v = r.string("input")) req.input = *v;
  r.finish("exec takes argv, env, user, cwd, timeout, input");
  return req;
}

std::size_t size_param(const request& req, const char* name, std::size_t fallback,
                       std::size_t max) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return fallback;
  try {
    std::size_t used = 0;
    const auto v = std::stoull(it->second, &used);
    if (used == it->second.size() && v > 0 && v <= max) return v;
  } catch (const std::exception&) {
  }
  throw error(errc::bad_request, fmt::format("query parameter '{}' must be a number from 1 to {}",
                                             name, max));
}

}  // namespace

void service::add_lifecycle_routes() {
  router_.add({"POST", "/v1/jails/{name}/start", role::operator_role, run_on::long_work,
               [this](request& req) {
                 return operation_answer(engine_, req, engine_.start(name_param(req)));
               },
               "Start a jail and what it depends on"});

  router_.add({"POST", "/v1/jails/{name}/stop", role::operator_role, run_on::long_work,
               [this](request& req) {
                 engine::stop_options_api o;
                 o.cascade = req.flag("cascade");
                 o.force = req.flag("force");
                 return operation_answer(engine_, req, engine_.stop(name_param(req), o));
               },
               "Stop a jail (cascade=true stops its dependents first)"});

  router_.add({"POST", "/v1/jails/{name}/restart", role::operator_role, run_on::long_work,
               [this](request& req) {
                 return operation_answer(engine_, req, engine_.restart(name_param(req)));
               },
               "Stop and start a jail"});

  router_.add({"POST", "/v1/jails/{name}/exec", role::operator_role, run_on::long_work,
               [this](request& req) {
                 const auto name = name_param(req);
                 auto r = engine_.exec(name, exec_request_from(parse_json_body(req)));
                 return json_response(
                     200, {{"exit_code", r.exit_code},
                           {"stdout", r.output},
                           {"stderr", r.error},
                           {"timed_out", r.timed_out},
                           {"duration_ms",
                            std::chrono::duration_cast<std::chrono::milliseconds>(r.duration)
                                .count()}});
               },
               "Run a command inside a running jail"});

  router_.add({"GET", "/v1/jails/{name}/logs", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 const auto bytes = size_param(req, "bytes", 64 * 1024, 16 * 1024 * 1024);
                 return text_response(200, "text/plain; charset=utf-8",
                                      engine_.console_log(name, bytes));
               },
               "The end of a jail's console log"});

  router_.add({"GET", "/v1/jails/{name}/stats", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 auto usage = engine_.stats(name);
                 auto entry = engine_.current()->find(name);
                 return json_response(
                     200, {{"name", name},
                           {"state", entry ? model::jail_state_name(entry->status.state) : ""},
                           {"usage", usage}});
               },
               "RCTL-named resource usage of a running jail"});

  router_.add({"GET", "/v1/operations", role::viewer, run_on::pool,
               [this](request& req) {
                 auto it = req.query.find("jail");
                 const std::string jail = it == req.query.end() ? "" : it->second;
                 const auto limit = size_param(req, "limit", 50, 1000);
                 return json_response(200, {{"operations", engine_.list_operations(jail, limit)}});
               },
               "Recent operations, newest first"});

  router_.add({"GET", "/v1/operations/{id}", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto& id = req.params.at("id");
                 auto op = engine_.find_operation(id);
                 if (!op)
                   throw error(errc::operation_not_found,
                               fmt::format("no operation '{}' (finished ones are kept for the "
                                           "last {})",
                                           id, engine_.options().operations_kept));
                 return json_response(200, op->to_json());
               },
               "One operation with its steps"});

  router_.add({"GET", "/v1/boot-plan", role::viewer, run_on::io,
               [this](request&) { return json_response(200, engine_.boot_plan()); },
               "The order in which boot jails start, in waves"});
}

}  // namespace jaild::api
