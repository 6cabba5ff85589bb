#include "api/problem.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "lib/model/json_reader.h"

namespace jaild::api {
namespace {

struct status_row {
  errc code;
  unsigned status;
  std::string_view title;
};

constexpr std::array<status_row, errc_count> table{{
    {errc::malformed_json, 400, "Malformed JSON"},
    {errc::invalid_type, 400, "Wrong type"},
    {errc::invalid_value, 400, "Invalid value"},
    {errc::unknown_field, 400, "Unknown field"},
    {errc::missing_field, 400, "Missing field"},
    {errc::invalid_name, 400, "Invalid jail name"},
    {errc::bad_request, 400, "Bad request"},
    {errc::jailconf_syntax, 400, "Invalid jail.conf"},
    {errc::body_too_large, 413, "Body too large"},
    {errc::unsupported_media_type, 415, "Unsupported media type"},
    {errc::not_found, 404, "Not found"},
    {errc::method_not_allowed, 405, "Method not allowed"},
    {errc::unauthorized, 401, "Unauthorized"},
    {errc::forbidden, 403, "Forbidden"},
    {errc::jail_not_found, 404, "No such jail"},
    {errc::jail_exists, 409, "Jail exists"},
    {errc::jail_running, 409, "Jail is running"},
    {errc::dependency_cycle, 409, "Dependency cycle"},
    {errc::dependency_failed, 424, "Dependency failed"},
    {errc::dependents_running, 409, "Dependents are running"},
    {errc::dependents_exist, 409, "Other jails depend on it"},
    {errc::operation_not_found, 404, "No such operation"},
    {errc::operation_in_progress, 409, "Operation in progress"},
    {errc::network_not_found, 404, "No such network"},
    {errc::network_exists, 409, "Network exists"},
    {errc::address_conflict, 409, "Address conflict"},
    {errc::port_conflict, 409, "Port already published"},
    {errc::token_not_found, 404, "No such token"},
    {errc::process_not_found, 404, "No such process in the jail"},
    {errc::release_not_found, 404, "No such release"},
    {errc::release_exists, 409, "Release exists"},
    {errc::release_in_use, 409, "Release in use"},
    {errc::template_not_found, 404, "No such template"},
    {errc::root_not_made, 409, "Root cannot be made"},
    {errc::snapshot_not_found, 404, "No such snapshot"},
    {errc::snapshot_exists, 409, "Snapshot exists"},
    {errc::archive_invalid, 400, "Archive refused"},
    {errc::unsupported_on_platform, 422, "Unsupported on this platform"},
    {errc::prerequisite_missing, 422, "Host prerequisite missing"},
    {errc::host_failure, 500, "Host step failed"},
    {errc::timeout, 504, "Timed out"},
    {errc::store_unavailable, 503, "Database unavailable"},
    {errc::store_locked, 503, "Database locked"},
    {errc::store_newer_schema, 503, "Database schema is newer"},
    {errc::unavailable, 503, "Unavailable"},
    {errc::too_many_requests, 429, "Too many requests"},
    {errc::internal, 500, "Internal error"},
}};

// Every code has its row, in the enum's order.
constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].code != static_cast<errc>(i)) return false;
  return true;
}
static_assert(in_enum_order(), "problem.cpp's table must follow errc's order");

const status_row& row(errc code) {
  for (const auto& r : table)
    if (r.code == code) return r;
  return table.back();
}

}  // namespace

unsigned http_status(errc code) { return row(code).status; }

response problem(const jaild::error& e, std::string_view instance, const nlohmann::json& extra) {
  const auto& r = row(e.code());
  nlohmann::json body = {
      {"type", "urn:jaild:problem:" + std::string(errc_name(e.code()))},
      {"title", r.title},
      {"status", r.status},
      {"detail", e.what()},
      {"code", errc_name(e.code())},
  };
  if (!e.field().empty()) body["field"] = e.field();
  if (!instance.empty()) body["instance"] = instance;
  for (const auto& [k, v] : extra.items()) body[k] = v;
  response resp;
  resp.status = r.status;
  resp.content_type = "application/problem+json";
  resp.body = model::dump_json(body);
  resp.problem_code = errc_name(e.code());
  return resp;
}

response problem(errc code, std::string detail, std::string_view instance) {
  return problem(jaild::error(code, std::move(detail)), instance);
}

}  // namespace jaild::api
