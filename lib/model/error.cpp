#include "lib/model/error.h"

#include <array>
#include <utility>

namespace jaild {
namespace {

constexpr std::array<std::pair<errc, std::string_view>, errc_count> names{{
    {errc::malformed_json, "malformed_json"},
    {errc::invalid_type, "invalid_type"},
    {errc::invalid_value, "invalid_value"},
    {errc::unknown_field, "unknown_field"},
    {errc::missing_field, "missing_field"},
    {errc::invalid_name, "invalid_name"},
    {errc::bad_request, "bad_request"},
    {errc::jailconf_syntax, "jailconf_syntax"},
    {errc::body_too_large, "body_too_large"},
    {errc::unsupported_media_type, "unsupported_media_type"},
    {errc::not_found, "not_found"},
    {errc::method_not_allowed, "method_not_allowed"},
    {errc::unauthorized, "unauthorized"},
    {errc::forbidden, "forbidden"},
    {errc::jail_not_found, "jail_not_found"},
    {errc::jail_exists, "jail_exists"},
    {errc::jail_running, "jail_running"},
    {errc::dependency_cycle, "dependency_cycle"},
    {errc::dependency_failed, "dependency_failed"},
    {errc::dependents_running, "dependents_running"},
    {errc::dependents_exist, "dependents_exist"},
    {errc::operation_not_found, "operation_not_found"},
    {errc::operation_in_progress, "operation_in_progress"},
    {errc::network_not_found, "network_not_found"},
    {errc::network_exists, "network_exists"},
    {errc::address_conflict, "address_conflict"},
    {errc::port_conflict, "port_conflict"},
    {errc::token_not_found, "token_not_found"},
    {errc::process_not_found, "process_not_found"},
    {errc::release_not_found, "release_not_found"},
    {errc::release_exists, "release_exists"},
    {errc::release_in_use, "release_in_use"},
    {errc::template_not_found, "template_not_found"},
    {errc::root_not_made, "root_not_made"},
    {errc::snapshot_not_found, "snapshot_not_found"},
    {errc::snapshot_exists, "snapshot_exists"},
    {errc::archive_invalid, "archive_invalid"},
    {errc::unsupported_on_platform, "unsupported_on_platform"},
    {errc::prerequisite_missing, "prerequisite_missing"},
    {errc::host_failure, "host_failure"},
    {errc::timeout, "timeout"},
    {errc::store_unavailable, "store_unavailable"},
    {errc::store_locked, "store_locked"},
    {errc::store_newer_schema, "store_newer_schema"},
    {errc::unavailable, "unavailable"},
    {errc::too_many_requests, "too_many_requests"},
    {errc::internal, "internal"},
}};

// The table lists every code once, in the enum's order.
constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i].first != static_cast<errc>(i)) return false;
  return true;
}
static_assert(in_enum_order(), "error.cpp's names must follow errc's order");

}  // namespace

std::string_view errc_name(errc code) noexcept {
  for (const auto& [c, name] : names)
    if (c == code) return name;
  return "internal";
}

errc errc_from_name(std::string_view name) noexcept {
  for (const auto& [c, n] : names)
    if (n == name) return c;
  return errc::internal;
}

}  // namespace jaild
