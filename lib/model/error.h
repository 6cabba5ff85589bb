// The one error type of jaild. Every failure that reaches a user carries a
// stable machine code (the `code` member of a problem+json answer, the CLI's
// message) and a sentence that says what was wrong and, where it helps, what
// to do. The HTTP status for each code is chosen in exactly one table, in
// api/problem.cpp; nothing below the API knows about HTTP.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace jaild {

enum class errc {
  // The request itself.
  malformed_json,          // body is not JSON
  invalid_type,            // a field has the wrong JSON type
  invalid_value,           // a field has the right type and a bad value
  unknown_field,           // a field jaild does not know, in a place that takes no extras
  missing_field,           // a required field is absent
  invalid_name,            // a jail name that FreeBSD or jaild refuses
  bad_request,             // any other malformed request (query string, header)
  jailconf_syntax,         // jail.conf text that jail(8) would refuse; the detail starts FILE:LINE:COL
  body_too_large,
  unsupported_media_type,
  not_found,               // no such route
  method_not_allowed,
  unauthorized,
  forbidden,
  // The model.
  jail_not_found,
  jail_exists,
  jail_running,            // the change needs a stopped jail
  dependency_cycle,
  dependency_failed,
  dependents_running,
  dependents_exist,        // a delete of a jail that other jails depend on
  operation_not_found,
  operation_in_progress,
  network_not_found,
  network_exists,
  address_conflict,
  port_conflict,           // a host port another jail (or this spec) already publishes
  token_not_found,
  process_not_found,       // a signal for a PID the jail does not have
  release_not_found,
  release_exists,
  release_in_use,          // a delete of a release that a jail's root (or a template) uses
  template_not_found,      // a template named by a request or a jail's root.template
  root_not_made,           // a root jaild did not make, or cannot make from what the spec says
  snapshot_not_found,      // a snapshot that the jail does not have
  snapshot_exists,         // a snapshot name the jail has already
  archive_invalid,         // an archive that is not jaild's, is damaged, or has a member it refuses
  // The host.
  unsupported_on_platform,
  prerequisite_missing,
  host_failure,            // a host step failed (the detail names it)
  timeout,
  // jaild itself.
  store_unavailable,       // the database cannot be opened or used
  store_locked,            // another jaild holds the state directory
  store_newer_schema,
  unavailable,             // shutting down, or not ready yet
  too_many_requests,       // the caller holds its share of long requests (exec, a synchronous start)
  internal,
};
// How many codes there are: every value below this one is a code.
inline constexpr int errc_count = static_cast<int>(errc::internal) + 1;

// The stable name of a code, e.g. "invalid_value". Never changes once published.
std::string_view errc_name(errc code) noexcept;
// Inverse of errc_name; errc::internal for an unknown name (a newer daemon).
errc errc_from_name(std::string_view name) noexcept;

class error : public std::runtime_error {
 public:
  error(errc code, std::string detail, std::string field = {})
      : std::runtime_error(std::move(detail)), code_(code), field_(std::move(field)) {}

  errc code() const noexcept { return code_; }
  // A JSON pointer to the offending field ("/vnet/interfaces/0/bridge"), or empty.
  const std::string& field() const noexcept { return field_; }

 private:
  errc code_;
  std::string field_;
};

}  // namespace jaild
