#include "api/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/metrics.h"
#include "api/problem.h"
#include "api/url.h"
#include "lib/model/json_reader.h"

namespace jaild::api {

service::service(engine::engine& engine, service_options options, executor run_blocking,
                 executor run_long)
    : engine_(engine),
      options_(std::move(options)),
      run_blocking_(std::move(run_blocking)),
      run_long_(run_long ? std::move(run_long) : run_blocking_),
      long_budget_(std::make_shared<budget>(budget::limits{options_.long_requests,
                                                           options_.admin_long_requests,
                                                           options_.long_requests_per_caller})),
      stream_budget_(std::make_shared<budget>(budget::limits{
          options_.exec_sessions, options_.exec_sessions / 16,
          options_.exec_sessions_per_caller})),
      started_(std::chrono::steady_clock::now()),
      metrics_(std::make_shared<request_metrics>()),
      auth_(std::make_unique<authenticator>(engine.tokens(), options_.auth)) {
  if (!options_.audit_log.empty()) audit_ = std::make_unique<audit_log>(options_.audit_log);
  add_system_routes();
  add_ui_routes();
  add_lifecycle_routes();  // before /v1/jails/{name}: more segments, no clash, but kept together
  add_jailconf_routes();  // before the jail routes: /v1/jails/export is not a jail
  add_jail_routes();
  add_event_routes();
  add_network_routes();
  add_release_routes();
  add_template_routes();
  add_snapshot_routes();
  add_archive_routes();
  add_metrics_routes();
  add_token_routes();
}

nlohmann::json parse_json_body(const request& req) {
  const auto type = req.header("content-type");
  const auto media = type.substr(0, type.find(';'));
  if (!media.empty() && media != "application/json" && media != "application/merge-patch+json")
    throw error(errc::unsupported_media_type,
                "send the body as application/json (curl --json '...'), not " + media);
  if (req.body.empty()) throw error(errc::malformed_json, "the request needs a JSON body");
  // No request nests deeper than a few levels, and a merge patch is applied
  // recursively: a body of a million '{"a":' would overflow a thread's stack.
  const auto bounded = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > max_json_depth)
      throw error(errc::invalid_value,
                  fmt::format("the body nests JSON deeper than {} levels", max_json_depth));
    return true;
  };
  try {
    return nlohmann::json::parse(req.body, bounded);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann prefixes "[json.exception.parse_error.101] "; the rest is the sentence.
    std::string what = e.what();
    if (auto cut = what.find("] "); cut != std::string::npos) what = what.substr(cut + 2);
    throw error(errc::malformed_json, "the body is not valid JSON: " + what);
  }
}

response json_response(unsigned status, const nlohmann::json& body) {
  response r;
  r.status = status;
  r.body = model::dump_json(body);
  return r;
}

response text_response(unsigned status, std::string content_type, std::string body) {
  response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

response service::handle(const route& r, request& req) {
  try {
    return r.handle(req);
  } catch (const jaild::error& e) {
    return problem(e, req.path);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    return problem(errc::internal, std::string("internal error: ") + e.what(), req.path);
  }
}

namespace {

bool async_asked(const request& req) {
  auto it = req.query.find("async");
  return it != req.query.end() && (it->second.empty() || it->second == "true" || it->second == "1");
}

}  // namespace

response service::long_refusal(const budget::answer& got, const principal& who,
                               const request& req) const {
  const auto& b = long_budget_->bounds();
  std::string detail;
  if (got.why == budget::refusal::holder_full)
    detail = fmt::format("{} has {} long requests (exec, synchronous start, stop, restart) "
                         "under way, its limit; wait for one, or use ?async=true and poll the "
                         "operation",
                         who.name, got.open);
  else if (got.why == budget::refusal::reserved)
    detail = fmt::format("{} long requests are under way; the last {} of {} are kept for admins",
                         got.open, b.reserved, b.max);
  else
    detail = fmt::format("{} long requests are under way, the limit", got.open);
  auto r = problem(errc::too_many_requests, detail, req.path);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool service::holds_admin(const peer& p) const {
  request req;
  req.from = p;
  try {
    return auth_->identify(req).granted == role::admin;
  } catch (const jaild::error&) {
    return false;
  }
}

void service::reopen_audit_log() {
  if (audit_) audit_->reopen();
}

bool service::may_upload(const request& req) const {
  const auto m = router_.find(req.method, req.path);
  if (!m.found) return false;
  try {
    const auto who = auth_->identify(req);
    return who.granted && role_allows(*who.granted, m.found->needs);
  } catch (const jaild::error&) {
    return false;
  }
}

void service::dispatch(request req, std::function<void(response)> answer) {
  const auto started = std::chrono::steady_clock::now();
  // Routed first only to label the metrics; nothing of it is acted on (or
  // shown to the caller) before the caller is identified.
  // HEAD is GET without the content (the HTTP server drops it).
  auto m = router_.find(req.method == "HEAD" ? "GET" : req.method, req.path);
  // What may change something is audited, and what runs commands (the
  // streaming exec is a GET).
  const bool changes =
      (req.method != "GET" && req.method != "HEAD") || (m.found && m.found->audited);
  // Every answer is counted under its route's pattern (or "none").
  auto done = [this, started, method = req.method,
               route = m.found ? m.found->pattern : std::string("none"),
               gzip_ok = accepts_gzip(req.header("accept-encoding")),
               answer = std::move(answer)](response resp) {
    resp = encoder_.encode(std::move(resp), gzip_ok);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    metrics_->observe(method, route, resp.status, took.count());
    answer(std::move(resp));
  };
  principal who{"anonymous", std::nullopt};
  std::optional<response> refusal;
  const route* r = nullptr;

  try {
    who = auth_->identify(req);
  } catch (const jaild::error& e) {
    refusal = problem(e, req.path);
    // RFC 6750: say how to authenticate, and whether the token sent was the problem.
    refusal->headers.emplace_back("WWW-Authenticate",
                                  req.header("authorization").empty()
                                      ? R"(Bearer realm="jaild")"
                                      : R"(Bearer realm="jaild", error="invalid_token")");
  }
  // The status page's files need no credential (a bad one is still refused).
  const bool anyone = m.found && m.found->anyone && req.header("authorization").empty();
  if (anyone) refusal.reset();
  if (!refusal && !who.granted && !anyone) {
    refusal = problem(errc::forbidden,
                      who.name.starts_with("cert ")
                          ? who.name + " holds no role: list its CN in [auth] viewer_cert_names, "
                                       "operator_cert_names or admin_cert_names"
                          : who.name + " holds no role: give it a group named in [auth] "
                                       "viewer_groups, operator_groups or admin_groups",
                      req.path);
  }
  if (!refusal) {
    if (m.found) {
      r = m.found;
      req.params = std::move(m.params);
      if (!anyone && !role_allows(*who.granted, r->needs))
        refusal = problem(errc::forbidden,
                          fmt::format("{} has the role {}; {} {} needs {}", who.name,
                                      role_name(*who.granted), r->method, r->pattern,
                                      role_name(r->needs)),
                          req.path);
    } else if (!m.allowed.empty()) {
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      refusal = problem(errc::method_not_allowed,
                        req.method + " is not allowed on " + req.path + "; use " + allow,
                        req.path);
      refusal->headers.emplace_back("Allow", allow);
    } else {
      refusal = problem(errc::not_found,
                        "no route " + req.method + " " + req.path + "; see /v1/openapi.json",
                        req.path);
    }
  }
  req.caller = who.name;
  req.caller_admin = who.granted == role::admin;

  // A long request takes a place of its own (or is refused, 429) and runs
  // where it holds none of the pool.
  std::shared_ptr<budget::slot> long_slot;
  const bool long_work = !refusal && r->where == run_on::long_work && !async_asked(req);
  if (long_work) {
    auto got = long_budget_->take(who.name, who.granted == role::admin);
    long_slot = std::move(got.taken);
    if (!long_slot) refusal = long_refusal(got, who, req);
  }
  const executor& run_there = long_slot ? run_long_ : run_blocking_;

  if (!changes) {
    if (refusal) return done(std::move(*refusal));
    if (r->where == run_on::io) return done(handle(*r, req));
    run_there([this, r, req = std::move(req), done = std::move(done),
               long_slot = std::move(long_slot)]() mutable {
      auto resp = handle(*r, req);
      long_slot.reset();  // given back before the caller can ask again
      done(std::move(resp));
    });
    return;
  }

  // A change, allowed or not: the audit log has it before the caller has the
  // answer. The log is a file, so this runs on the blocking pool.
  audit_record record;
  record.time_ms = store::now_ms();
  record.who = who.name;
  record.held = who.granted;
  record.method = req.method;
  record.target = req.target;
  run_there([this, r, req = std::move(req), refusal = std::move(refusal),
             done = std::move(done), record = std::move(record), started,
             long_slot = std::move(long_slot)]() mutable {
    response resp = refusal ? std::move(*refusal) : handle(*r, req);
    long_slot.reset();
    if (audit_) {
      record.from = &req.from;
      record.status = resp.status;
      record.code = resp.problem_code;
      record.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
      audit_->record(record);
    }
    done(std::move(resp));
  });
}

}  // namespace jaild::api
