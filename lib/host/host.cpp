#include "lib/host/host.h"

#include "lib/model/error.h"

#include <array>
#include <string>
#include <utility>

#include "lib/model/error.h"

namespace jaild::host {
namespace {

constexpr std::array<std::pair<object_kind, std::string_view>, 10> kind_names{{
    {object_kind::alias, "alias"},
    {object_kind::mount, "mount"},
    {object_kind::epair, "epair"},
    {object_kind::bridge, "bridge"},
    {object_kind::rctl, "rctl"},
    {object_kind::cgroup, "cgroup"},
    {object_kind::jail, "jail"},
    {object_kind::devfs_ruleset, "devfs_ruleset"},
    {object_kind::file, "file"},
    {object_kind::firewall, "firewall"},
}};

}  // namespace

std::string_view object_kind_name(object_kind k) {
  for (const auto& [kind, name] : kind_names)
    if (kind == k) return name;
  return "file";
}

std::optional<object_kind> object_kind_from_name(std::string_view name) {
  for (const auto& [kind, n] : kind_names)
    if (n == name) return kind;
  return std::nullopt;
}

nlohmann::json step_to_json(const step_record& s) {
  return {{"step", s.step},
          {"argv", s.argv},
          {"status", s.status},
          {"output", s.output},
          {"error", s.error},
          {"duration_us", s.duration.count()}};
}

nlohmann::json running_jail_to_json(const running_jail& j) {
  return {{"name", j.name}, {"jid", j.jid}, {"pid", j.pid}, {"token", j.token}};
}

running_jail running_jail_from_json(const nlohmann::json& j) {
  running_jail r;
  r.name = j.value("name", "");
  r.jid = j.value("jid", std::int64_t{-1});
  r.pid = j.value("pid", std::int64_t{-1});
  r.token = j.value("token", "");
  return r;
}

nlohmann::json platform_info_to_json(const platform_info& p) {
  nlohmann::json prereqs = nlohmann::json::array();
  for (const auto& pr : p.prerequisites)
    prereqs.push_back({{"name", pr.name},
                       {"ok", pr.ok},
                       {"message", pr.ok ? "" : pr.message},
                       {"needed_by", pr.needed_by},
                       {"severity", pr.warning ? "warning" : "error"}});
  return {{"platform", p.platform},
          {"kernel", p.kernel},
          {"hostname", p.hostname},
          {"cpus", p.cpus},
          {"prerequisites", prereqs},
          {"details", p.details}};
}

nlohmann::json snapshot_support_to_json(const snapshot_support& s) {
  nlohmann::json j = {{"mode", s.mode},
                      {"backend", s.backend.empty() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(s.backend)},
                      {"while_running", s.while_running},
                      {"copy_on_write", s.cheap},
                      {"rollback_keeps_later", s.keeps_later}};
  if (!s.scope.empty()) j["scope"] = s.scope;
  if (!s.why_not.empty()) j["why_not"] = s.why_not;
  return j;
}

std::unique_ptr<exec_session> host::open_exec(const jail_context&, const running_jail&,
                                              const exec_stream_request&) {
  throw error(errc::unsupported_on_platform,
              "a streaming exec is not there on this platform yet; use POST "
              "/v1/jails/{name}/exec");
}

void host::signal(const jail_context&, const running_jail&, signal_target, int) {
  throw error(errc::unsupported_on_platform, "signals to a jail's processes are not there on "
                                             "this platform yet");
}

}  // namespace jaild::host

namespace jaild::host {
namespace {

[[noreturn]] void no_provisioning(const char* what) {
  throw error(errc::unsupported_on_platform,
              std::string("this host adapter cannot ") + what + " (no provisioning)");
}

}  // namespace

release_contents host::import_release(const release_import&, journal&) {
  no_provisioning("add releases");
}
void host::remove_release(const std::filesystem::path&, journal&) {
  no_provisioning("remove releases");
}
storage_info host::storage(const std::filesystem::path&) { return {}; }
void host::make_root(const root_request&, journal&) { no_provisioning("make roots"); }
void host::remove_root(const root_request&, journal&) { no_provisioning("remove roots"); }
snapshot_support host::snapshot_backend(const root_request& r) {
  snapshot_support s;
  s.mode = std::string(model::root_mode_name(r.mode));
  s.why_not = "this host adapter has no snapshots";
  return s;
}
snapshot_info host::make_snapshot(const root_request&, const std::string&, journal&) {
  no_provisioning("make snapshots");
}
std::vector<snapshot_info> host::list_snapshots(const root_request&) { return {}; }
void host::rollback_snapshot(const root_request&, const std::string&, journal&) {
  no_provisioning("roll back to snapshots");
}
void host::remove_snapshot(const root_request&, const std::string&, journal&) {
  no_provisioning("remove snapshots");
}
archive_info host::write_archive(const root_request&, const std::string&,
                                 const std::function<void(const char*, std::size_t)>&, journal&) {
  no_provisioning("write archives");
}
std::string host::archive_manifest(const std::filesystem::path&) {
  no_provisioning("read archives");
}
archive_info host::make_root_from_archive(const root_request&, const std::filesystem::path&,
                                          journal&) {
  no_provisioning("make roots from archives");
}

}  // namespace jaild::host
