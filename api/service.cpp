#include "api/service.h"

#include <spdlog/spdlog.h>

#include "api/metrics.h"
#include "api/problem.h"
#include "api/url.h"
#include "lib/model/json_reader.h"

namespace jaild::api {

service::service(engine::engine& engine, service_options options, executor run_blocking)
    : engine_(engine),
      options_(std::move(options)),
      run_blocking_(std::move(run_blocking)),
      started_(std::chrono::steady_clock::now()),
      metrics_(std::make_shared<request_metrics>()) {
  add_system_routes();
  add_lifecycle_routes();  // before /v1/jails/{name}: more segments, no clash, but kept together
  add_jail_routes();
  add_event_routes();
  add_network_routes();
  add_metrics_routes();
}

nlohmann::json parse_json_body(const request& req) {
  const auto type = req.header("content-type");
  const auto media = type.substr(0, type.find(';'));
  if (!media.empty() && media != "application/json" && media != "application/merge-patch+json")
    throw error(errc::unsupported_media_type,
                "send the body as application/json (curl --json '...'), not " + media);
  if (req.body.empty()) throw error(errc::malformed_json, "the request needs a JSON body");
  try {
    return nlohmann::json::parse(req.body);
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

void service::dispatch(request req, std::function<void(response)> answer) {
  auto m = router_.find(req.method, req.path);
  // Every answer is counted under its route's pattern (or "none").
  auto done = [this, start = std::chrono::steady_clock::now(), method = req.method,
               route = m.found ? m.found->pattern : std::string("none"),
               answer = std::move(answer)](response r) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    metrics_->observe(method, route, r.status, took.count());
    answer(std::move(r));
  };
  if (!m.found) {
    if (!m.allowed.empty()) {
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      auto resp = problem(errc::method_not_allowed,
                          req.method + " is not allowed on " + req.path + "; use " + allow,
                          req.path);
      resp.headers.emplace_back("Allow", allow);
      return done(std::move(resp));
    }
    return done(problem(errc::not_found, "no route " + req.method + " " + req.path +
                                             "; see /v1/openapi.json",
                        req.path));
  }
  req.params = std::move(m.params);
  const route* r = m.found;
  if (r->where == run_on::io) return done(handle(*r, req));
  run_blocking_([this, r, req = std::move(req), done = std::move(done)]() mutable {
    done(handle(*r, req));
  });
}

}  // namespace jaild::api
