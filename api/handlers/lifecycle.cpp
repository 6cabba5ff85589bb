// Lifecycle routes: start, stop, restart, exec, logs, stats, operations and
// the boot plan. start/stop/restart answer when the operation has ended
// (200, or the operation's problem), or at once with async=true (202 and the
// operation to poll at its Location).
#include <fmt/format.h>

#include "api/exec_protocol.h"
#include "api/exec_upgrade.h"
#include "api/log_follow.h"
#include "api/problem.h"
#include "api/service.h"
#include "api/url.h"
#include "lib/model/base64.h"
#include "lib/model/json_reader.h"
#include "lib/model/signal_name.h"
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
  auto c = read_exec_command(r, true);
  req.argv = std::move(c.argv);
  req.env = std::move(c.env);
  req.user = std::move(c.user);
  req.cwd = std::move(c.cwd);
  if (auto v = r.string("timeout")) {
    std::string why;
    auto d = model::check::parse_duration(*v, &why);
    if (!d) r.fail(errc::invalid_value, "timeout", why);
    req.timeout = *d;
  }
  if (auto v = r.string("input")) req.input = *v;
  // Bytes that are not UTF-8 (a JSON string cannot hold them) come as base64.
  if (auto v = r.string("input_base64")) {
    if (body.contains("input"))
      r.fail(errc::invalid_value, "input_base64", "give input or input_base64, not both");
    auto bytes = model::base64_decode(*v);
    if (!bytes) r.fail(errc::invalid_value, "input_base64", "not padded base64 (RFC 4648)");
    req.input = std::move(*bytes);
  }
  r.finish("exec takes argv, env, user, cwd, timeout, input, input_base64");
  return req;
}

struct signal_request {
  int number = 0;
  std::string name;
  host::signal_target target;
};

// {"signal":"HUP","target":"init"|"all"|PID}; target defaults to init.
signal_request signal_request_from(const nlohmann::json& body) {
  model::json_reader r(body, "", "a signal request");
  signal_request out;
  auto sig = r.string("signal");
  if (!sig) throw error(errc::missing_field, "a signal request needs 'signal' (\"HUP\")", "/signal");
  auto number = model::signal_number(*sig);
  if (!number) {
    std::string names;
    for (const auto& n : model::signal_names()) names += (names.empty() ? "" : ", ") + n;
    r.fail(errc::invalid_value, "signal", fmt::format("'{}' is not a signal jaild sends; one of {}",
                                                      *sig, names));
  }
  out.number = *number;
  out.name = *sig;
  if (const auto* t = r.raw("target")) {
    if (t->is_string() && t->get<std::string>() == "init") {
      out.target.what = host::signal_target::kind::init;
    } else if (t->is_string() && t->get<std::string>() == "all") {
      out.target.what = host::signal_target::kind::all;
    } else if (t->is_number_integer()) {
      const auto pid = t->get<std::int64_t>();
      // PID_MAX_LIMIT on Linux; FreeBSD's PID_MAX is lower.
      if (pid < 1 || pid > 4194304)
        r.fail(errc::invalid_value, "target", fmt::format("{} is not a process ID", pid));
      out.target.what = host::signal_target::kind::pid;
      out.target.pid = pid;
    } else {
      r.fail(errc::invalid_value, "target",
             "target is \"init\", \"all\" or a process ID as the jail numbers it");
    }
  }
  r.finish("a signal request takes signal and target");
  return out;
}

bool has_token(std::string value, std::string_view token) {
  for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value.find(token) != std::string::npos;
}

// RFC 6455's opening handshake, as far as the route can see it (the server
// checks the rest when it accepts).
bool websocket_requested(const request& req) {
  return has_token(req.header("upgrade"), "websocket") &&
         has_token(req.header("connection"), "upgrade");
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
                 auto request = exec_request_from(parse_json_body(req));
                 request.output_limit = options_.exec_output_bytes;
                 auto r = engine_.exec(name, request);
                 nlohmann::json body = {
                     {"exit_code", r.exit_code},
                     {"stdout", r.output},
                     {"stderr", r.error},
                     {"timed_out", r.timed_out},
                     {"duration_ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count()},
                     {"stdout_cut_bytes", r.output_cut},
                     {"stderr_cut_bytes", r.error_cut}};
                 // What was cut is said in words too: a script that prints
                 // only stdout should not take a part for the whole.
                 if (r.output_cut || r.error_cut)
                   body["truncated"] = fmt::format(
                       "jaild kept the first {} bytes of stdout and of stderr ([api] "
                       "exec_output_bytes) and dropped {} more bytes of stdout and {} of stderr; "
                       "use GET /v1/jails/{}/exec (a WebSocket) to stream all of it",
                       options_.exec_output_bytes, r.output_cut, r.error_cut, name);
                 return json_response(200, body);
               },
               "Run a command inside a running jail"});

  // The streaming exec. Everything that can be refused is refused here, as
  // a plain HTTP answer, before the upgrade: the route's role, a jail that
  // does not run, a caller with its share of sessions. The command itself
  // comes in the first message (api/exec_protocol.h).
  router_.add({"GET", "/v1/jails/{name}/exec", role::operator_role, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 if (!websocket_requested(req))
                   throw error(errc::bad_request,
                               "GET /v1/jails/{name}/exec is a WebSocket (Upgrade: websocket; "
                               "see docs/api.md); POST runs a command and answers when it ends");
                 engine_.require_running(name);
                 auto got = stream_budget_->take(req.caller, req.caller_admin);
                 if (!got.taken)
                   throw error(errc::too_many_requests,
                               got.why == budget::refusal::holder_full
                                   ? fmt::format("{} has {} streaming execs open, its limit ([api] "
                                                 "exec_sessions_per_caller)",
                                                 req.caller, got.open)
                                   : fmt::format("{} streaming execs are open, the limit ([api] "
                                                 "exec_sessions)",
                                                 got.open));
                 auto up = std::make_shared<exec_upgrade>();
                 up->jail = name;
                 up->hold = std::move(got.taken);
                 up->open = [this, name](std::string_view first, bool& tty) {
                   auto start = parse_exec_start(first);
                   tty = start.tty;
                   return engine_.open_exec(name, start);
                 };
                 response r;
                 r.status = 101;
                 r.upgrade = std::move(up);
                 return r;
               },
               "Run a command in a running jail over a WebSocket: streams, a TTY, signals",
               true});

  router_.add({"POST", "/v1/jails/{name}/signal", role::operator_role, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 auto s = signal_request_from(parse_json_body(req));
                 engine_.signal(name, s.target, s.number);
                 nlohmann::json target;
                 if (s.target.what == host::signal_target::kind::pid)
                   target = s.target.pid;
                 else
                   target = s.target.what == host::signal_target::kind::all ? "all" : "init";
                 return json_response(200, {{"name", name},
                                            {"signal", model::signal_name(s.number)},
                                            {"target", target}});
               },
               "Send a signal to the jail's init, to all its processes, or to one of them"});

  router_.add({"GET", "/v1/jails/{name}/logs", role::viewer, run_on::pool,
               [this](request& req) {
                 const auto name = name_param(req);
                 const auto bytes = size_param(req, "bytes", 64 * 1024, 16 * 1024 * 1024);
                 if (req.flag("follow")) {
                   engine_.require(name);
                   auto follow = std::make_shared<log_follow>(engine_.console_log_path(name), bytes);
                   logs_->add(follow);
                   response r;
                   r.content_type = "text/plain; charset=utf-8";
                   r.stream = follow;
                   return r;
                 }
                 return text_response(200, "text/plain; charset=utf-8",
                                      engine_.console_log(name, bytes));
               },
               "The end of a jail's console log; follow=true streams it as it grows"});

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
