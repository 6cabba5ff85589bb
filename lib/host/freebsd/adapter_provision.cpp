// Provisioning through the Host port on FreeBSD (issue 16): releases from a
// local base.txz (and the lib32.txz and src.txz beside it), thick roots
// extracted from the release's archive, thin roots in Bastille's layout
// with the base mounted read-only by nullfs at each start, and removal with
// chflags -R 0 first (base.txz installs schg files). Every command is one of
// provision.h's argv builders, run through `system` and journaled, so this
// file is tested on Linux against fake_system. ZFS clones from the API are
// not wired yet (provision.h has their steps).
#include <fmt/format.h>

#include "lib/host/freebsd/adapter.h"
#include "lib/host/freebsd/provision.h"
#include "lib/host/jail_path.h"
#include "lib/model/error.h"

namespace jaild::host::freebsd {
namespace {

// Provisioning calls have a journal and no ledger (provisioning.h).
struct no_ledger : ledger {
  void record(const object&) override {}
  void forget(const object&) override {}
};

run_options long_run() {
  run_options o;
  o.timeout = std::chrono::milliseconds(30 * 60 * 1000);
  o.env = {{"PATH", "/sbin:/bin:/usr/sbin:/usr/bin"}};
  return o;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

release_contents adapter::import_release(const release_import& r, journal& steps) {
  no_ledger nl;
  step_sinks sinks{steps, nl};
  const auto source = r.source.string();
  if (!sys_.path_exists(source))
    throw error(errc::invalid_value, "source " + source + " does not exist on this host",
                "/source");
  if (sys_.path_exists(r.target.string()))
    throw error(errc::release_exists, r.target.string() + " exists already", "/name");
  release_archives archives;
  if (source.ends_with(".txz") || source.ends_with(".tar") || source.ends_with(".tgz")) {
    archives.base = source;
  } else {
    // A release directory as download.freebsd.org has it.
    archives.base = source + "/base.txz";
    if (!sys_.path_exists(archives.base))
      throw error(errc::invalid_value, "source " + source + " has no base.txz", "/source");
    for (const char* extra : {"lib32.txz", "src.txz"})
      if (sys_.path_exists(source + "/" + extra)) archives.extra.push_back(source + "/" + extra);
  }
  std::string expected = r.sha256;
  if (expected.empty() && archives.base == source + "/base.txz")
    if (auto manifest = sys_.read_file(source + "/MANIFEST"))
      expected = manifest_digest(*manifest, "base.txz");  // the release's own word
  release_contents out;
  out.kind = "archive";
  auto digest = run_step("release.verify", {{"/sbin/sha256", "-q", archives.base}}, long_run(),
                         sinks);
  out.sha256 = trimmed(digest.output);
  if (!expected.empty() && expected != out.sha256)
    throw error(errc::invalid_value,
                fmt::format("{} has sha256 {}, not the {} {}; nothing was added", archives.base,
                            out.sha256, expected,
                            r.sha256.empty() ? "that its MANIFEST gives" : "given"),
                "/sha256");
  try {
    for (const auto& cmd : import_release_plan(archives, r.target.string()))
      run_step("release.import", cmd, long_run(), sinks);
  } catch (...) {
    for (const auto& cmd : destroy_root_plan({r.target.string() + ".part",
                                              root_storage::ufs_directory, ""}))
      run_step("release.remove", cmd, long_run(), sinks, true);
    throw;
  }
  return out;
}

void adapter::remove_release(const std::filesystem::path& dir, journal& steps) {
  no_ledger nl;
  step_sinks sinks{steps, nl};
  const root_spec spec{dir.string(), root_storage::ufs_directory, ""};
  if (auto why = destroy_refusal(spec, sys_.mounts()); !why.empty())
    throw error(errc::release_in_use, why);
  if (!sys_.path_exists(dir.string())) return;
  for (const auto& cmd : destroy_root_plan(spec)) run_step("release.remove", cmd, long_run(), sinks);
}

::jaild::host::storage_info adapter::storage(const std::filesystem::path&) {
  ::jaild::host::storage_info s;
  s.filesystem = "ufs";
  s.thick = "extract";
  s.thin = true;
  s.clone = false;
  s.why_not_clone = "ZFS clones are not made through the API yet (docs/freebsd.md)";
  return s;
}

::jaild::host::snapshot_support adapter::snapshot_backend(const root_request& r) {
  ::jaild::host::snapshot_support s;
  s.mode = std::string(model::root_mode_name(r.mode));
  s.backend = "";
  s.keeps_later = false;  // zfs rollback -r, once roots are datasets
  s.why_not =
      "snapshots on FreeBSD are ZFS snapshots of a root's dataset, and the roots that jaild makes "
      "here are directories until ZFS roots are wired (provision.h has the zfs snapshot, list, "
      "rollback, destroy, send and receive commands, golden-tested)";
  return s;
}

void adapter::make_root(const root_request& r, journal& steps) {
  no_ledger nl;
  step_sinks sinks{steps, nl};
  const root_spec spec{r.path.string(), root_storage::ufs_directory, ""};
  if (auto why = check_root(spec); !why.empty()) throw error(errc::invalid_value, why, "/path");
  if (sys_.path_exists(spec.path))
    throw error(errc::root_not_made,
                spec.path + " exists already: jaild makes a root only where there is nothing",
                "/path");
  const auto release = r.release.string();
  if (!sys_.path_exists(release + "/root"))
    throw error(errc::release_not_found, release + " is not there", "/root/release");
  std::vector<command> plan;
  switch (r.mode) {
    case model::root_mode::thick:
      plan = thick_root_plan(spec, release, !sys_.path_exists(release + "/base.txz"));
      break;
    case model::root_mode::thin:
      plan = thin_root_plan(spec, release);
      break;
    case model::root_mode::clone:
      throw error(errc::root_not_made, storage(r.path).why_not_clone, "/root/mode");
  }
  try {
    for (const auto& cmd : plan) run_step("root.make", cmd, long_run(), sinks);
  } catch (...) {
    // The path did not exist before: what is there now is this call's.
    for (const auto& cmd : destroy_root_plan(spec))
      run_step("root.remove", cmd, long_run(), sinks, true);
    throw;
  }
}

void adapter::remove_root(const root_request& r, journal& steps) {
  no_ledger nl;
  step_sinks sinks{steps, nl};
  const auto mounts = sys_.mounts();
  for (const auto& dir : {r.path, r.private_dir}) {
    if (dir.empty()) continue;
    const root_spec spec{dir.string(), root_storage::ufs_directory, ""};
    if (auto why = destroy_refusal(spec, mounts); !why.empty())
      throw error(errc::jail_running, why);
  }
  for (const auto& dir : {r.path, r.private_dir}) {
    if (dir.empty() || !sys_.path_exists(dir.string())) continue;
    for (const auto& cmd : destroy_root_plan({dir.string(), root_storage::ufs_directory, ""}))
      run_step("root.remove", cmd, long_run(), sinks);
  }
}

void adapter::mount_thin_base(const jail_context& ctx, step_sinks& sinks) {
  const auto cmd = thin_mount(ctx.root->path.string(), ctx.root->release.string());
  // Jail root may have replaced /.jaild-base with a link to a host directory
  // since the last start: the base would be mounted over it. jail(8)'s
  // check_path, as for every mount point below the root.
  const auto point = cmd.argv.back();
  if (auto problem = check_path(ctx.root->path.string(), point, false,
                                [this](const std::string& p) { return sys_.lstat_kind(p); });
      !problem.empty())
    throw error(errc::host_failure,
                fmt::format("mount.nullfs: mount point {}; jaild does not mount there", problem));
  sinks.objects.record({object_kind::mount, ctx.spec.name, cmd.argv.back(), {{"fstype", "nullfs"}}});
  run_step("mount.nullfs", cmd, {}, sinks);
}

}  // namespace jaild::host::freebsd
