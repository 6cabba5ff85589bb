#include "lib/host/freebsd/provision.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/model/validate.h"

namespace jaild::host::freebsd {
namespace {

bool all_of_chars(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

// ZFS dataset names: pool/child/... of letters, digits and _-.: ; never
// starting with '-', so a name can never be read as an option of zfs(8).
std::string check_dataset(const std::string& ds) {
  if (ds.empty()) return "a ZFS root needs a dataset name such as zroot/jail/web";
  if (ds.front() == '-' || ds.front() == '/' || ds.back() == '/' ||
      ds.find("//") != std::string::npos || !all_of_chars(ds, "_-.:/"))
    return "dataset '" + ds + "' is not a ZFS dataset name (pool/child, letters, digits, _-.:)";
  return {};
}

constexpr std::array<std::string_view, 13> system_dirs{
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/libexec", "/root", "/sbin",
    "/tmp", "/usr", "/var"};

const char* tar_path = "/usr/bin/tar";
const char* zfs_path = "/sbin/zfs";

// The root's own dataset (mounted at its path) or directory.
command root_directory(const root_spec& root) {
  if (root.storage == root_storage::zfs_dataset)
    return {{zfs_path, "create", "-p", "-o", "mountpoint=" + root.path, root.dataset}};
  return {{"/bin/mkdir", "-p", root.path}};
}

// What every root gets last: the host's resolv.conf, an empty fstab.
void add_host_files(const root_spec& root, std::vector<command>& plan) {
  plan.push_back({{"/bin/cp", "/etc/resolv.conf", root.path + "/etc/resolv.conf"}});
  plan.push_back({{"/usr/bin/touch", root.path + "/etc/fstab"}});
}

}  // namespace

std::string check_release(const release_ref& r) {
  if (r.name.empty() || r.name.front() == '-' || !all_of_chars(r.name, "._-"))
    return "release '" + r.name + "' is not a release name such as 13.2-RELEASE";
  if (r.arch.empty() || r.arch.front() == '/' || !all_of_chars(r.arch, "/_"))
    return "architecture '" + r.arch + "' is not one such as amd64 or arm64/aarch64";
  if (!r.mirror.starts_with("https://") && !r.mirror.starts_with("http://") &&
      !r.mirror.starts_with("file://"))
    return "mirror '" + r.mirror + "' is not an http(s):// or file:// URL";
  return {};
}

std::string check_root(const root_spec& root) {
  if (auto why = model::check::absolute_path(root.path); !why.empty()) return why;
  if (root.storage == root_storage::zfs_dataset) return check_dataset(root.dataset);
  return {};
}

std::string check_snapshot(const std::string& snapshot) {
  auto at = snapshot.find('@');
  if (at == std::string::npos || at + 1 == snapshot.size())
    return "snapshot '" + snapshot + "' is not DATASET@NAME";
  if (auto why = check_dataset(snapshot.substr(0, at)); !why.empty()) return why;
  if (!all_of_chars(snapshot.substr(at + 1), "_-.:"))
    return "snapshot name in '" + snapshot + "' may have letters, digits and _-.: only";
  return {};
}

std::string release_url(const release_ref& r) {
  std::string mirror = r.mirror;
  while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
  return fmt::format("{}/{}/{}/base.txz", mirror, r.arch, r.name);
}

std::string cached_base(const std::string& cache_dir, const release_ref& r) {
  return fmt::format("{}/{}/{}/base.txz", cache_dir, r.arch, r.name);
}

std::vector<command> fetch_release_plan(const std::string& cache_dir, const release_ref& r) {
  const auto target = cached_base(cache_dir, r);
  const auto dir = target.substr(0, target.rfind('/'));
  return {{{"/bin/mkdir", "-p", dir}},
          {{"/usr/bin/fetch", "-o", target + ".part", release_url(r)}},
          {{"/bin/mv", "-f", target + ".part", target}}};
}

std::vector<command> create_root_plan(const root_spec& root, const std::string& base_txz) {
  std::vector<command> plan{root_directory(root)};
  plan.push_back({{tar_path, "-xpf", base_txz, "-C", root.path, "--unlink"}});
  add_host_files(root, plan);
  return plan;
}

std::vector<command> snapshot_plan(const std::string& dataset, const std::string& name) {
  return {{{zfs_path, "snapshot", dataset + "@" + name}}};
}

std::vector<command> clone_root_plan(const root_spec& root, const std::string& snapshot) {
  return {{{zfs_path, "clone", "-o", "mountpoint=" + root.path, snapshot, root.dataset}}};
}

std::vector<command> destroy_root_plan(const root_spec& root) {
  std::vector<command> plan{{{"/bin/chflags", "-R", "0", root.path}}};
  if (root.storage == root_storage::zfs_dataset)
    plan.push_back({{zfs_path, "destroy", "-r", root.dataset}});
  else
    plan.push_back({{"/bin/rm", "-r", "-f", "-x", root.path}});
  return plan;
}

std::string destroy_refusal(const root_spec& root, const std::vector<mounted>& mounts) {
  std::string path = root.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (std::find(system_dirs.begin(), system_dirs.end(), path) != system_dirs.end())
    return "refusing to destroy " + path + ": it is a system directory, not a jail's root";
  for (const auto& m : mounts) {
    // The dataset's own mount at PATH is expected for a ZFS root.
    if (root.storage == root_storage::zfs_dataset && m.point == path && m.fstype == "zfs") continue;
    if (m.point == path || m.point.starts_with(path + "/"))
      return fmt::format("refusing to destroy {}: {} ({}) is still mounted there; stop the jail "
                         "and unmount it first",
                         path, m.point, m.fstype);
  }
  return {};
}

std::string manifest_digest(std::string_view manifest, std::string_view archive) {
  std::size_t at = 0;
  while (at < manifest.size()) {
    auto end = manifest.find('\n', at);
    if (end == std::string_view::npos) end = manifest.size();
    const auto line = manifest.substr(at, end - at);
    at = end + 1;
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos || line.substr(0, tab) != archive) continue;
    auto digest = line.substr(tab + 1);
    digest = digest.substr(0, digest.find('\t'));
    if (digest.size() == 64 &&
        std::all_of(digest.begin(), digest.end(),
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
      return std::string(digest);
  }
  return {};
}

namespace {

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The parts of a thin root that stay the base's (read-only through the
// nullfs mount) and the parts that are the jail's own.
constexpr std::array<std::string_view, 15> thin_links{
    "bin",         "boot",        "lib",         "libexec",     "rescue",
    "sbin",        "usr/bin",     "usr/include", "usr/lib",     "usr/lib32",
    "usr/libdata", "usr/libexec", "usr/sbin",    "usr/share",   "usr/src"};
constexpr std::array<std::string_view, 4> thin_copies{"etc", "root", "var", "tmp"};
constexpr std::string_view thin_base = ".jaild-base";

}  // namespace

std::vector<command> import_release_plan(const release_archives& archives,
                                         const std::string& target) {
  const auto part = target + ".part";
  std::vector<command> plan{{{"/bin/mkdir", "-p", part + "/root"}}};
  std::vector<std::string> all{archives.base};
  all.insert(all.end(), archives.extra.begin(), archives.extra.end());
  for (const auto& a : all) plan.push_back({{"/bin/cp", a, part + "/" + base_name(a)}});
  for (const auto& a : all)
    plan.push_back({{tar_path, "-xpf", part + "/" + base_name(a), "-C", part + "/root", "--unlink"}});
  plan.push_back({{"/bin/mv", part, target}});
  return plan;
}

std::vector<command> pkgbase_release_plan(const std::string& target,
                                          const std::vector<std::string>& packages) {
  const auto part = target + ".part";
  command install{{"/usr/sbin/pkg", "-r", part + "/root", "install", "-y", "-r", "FreeBSD-base"}};
  if (packages.empty())
    install.argv.push_back("FreeBSD-set-minimal-jail");
  else
    install.argv.insert(install.argv.end(), packages.begin(), packages.end());
  return {{{"/bin/mkdir", "-p", part + "/root"}}, install, {{"/bin/mv", part, target}}};
}

std::vector<command> thick_root_plan(const root_spec& root, const std::string& release,
                                     bool pkgbase) {
  if (!pkgbase) return create_root_plan(root, release + "/base.txz");
  std::vector<command> plan{root_directory(root)};
  plan.push_back({{"/bin/cp", "-a", release + "/root/.", root.path}});
  add_host_files(root, plan);
  return plan;
}

std::vector<command> thin_root_plan(const root_spec& root, const std::string& release) {
  std::vector<command> plan{root_directory(root)};
  plan.push_back({{"/bin/mkdir", "-p", root.path + "/" + std::string(thin_base),
                   root.path + "/usr/local"}});
  for (auto dir : thin_copies)
    plan.push_back({{"/bin/cp", "-a", release + "/root/" + std::string(dir),
                     root.path + "/" + std::string(dir)}});
  for (auto dir : thin_links)
    plan.push_back({{"/bin/ln", "-s", "/" + std::string(thin_base) + "/" + std::string(dir),
                     root.path + "/" + std::string(dir)}});
  add_host_files(root, plan);
  return plan;
}

command thin_mount(const std::string& path, const std::string& release) {
  return {{"/sbin/mount_nullfs", "-o", "ro", release + "/root",
           path + "/" + std::string(thin_base)}};
}

command thin_unmount(const std::string& path) {
  return {{"/sbin/umount", path + "/" + std::string(thin_base)}};
}

namespace {

void require_snapshot(const std::string& dataset, const std::string& name) {
  if (auto why = check_snapshot(dataset + "@" + name); !why.empty())
    throw error(errc::invalid_value, why);
  if (name.front() == '-') throw error(errc::invalid_value, "snapshot '" + name + "' starts with -");
}

}  // namespace

command snapshot_list_command(const std::string& dataset) {
  if (auto why = check_dataset(dataset); !why.empty()) throw error(errc::invalid_value, why);
  return {{zfs_path, "list", "-H", "-p", "-t", "snapshot", "-o", "name,creation,used,referenced",
           "-s", "creation", "-d", "1", dataset}};
}

std::vector<zfs_snapshot> parse_snapshot_list(std::string_view out, const std::string& dataset) {
  std::vector<zfs_snapshot> list;
  const std::string prefix = dataset + "@";
  while (!out.empty()) {
    const auto nl = out.find('\n');
    auto line = out.substr(0, nl);
    out = nl == std::string_view::npos ? std::string_view{} : out.substr(nl + 1);
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
      const auto tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (fields.size() != 4 || !fields[0].starts_with(prefix)) continue;
    zfs_snapshot s;
    s.name = std::string(fields[0].substr(prefix.size()));
    try {
      s.creation = std::stoll(std::string(fields[1]));
      s.used = std::stoull(std::string(fields[2]));
      s.referenced = std::stoull(std::string(fields[3]));
    } catch (const std::exception&) {
      continue;
    }
    if (s.name.empty() || s.name.find('@') != std::string::npos) continue;
    list.push_back(std::move(s));
  }
  return list;
}

command snapshot_rollback_command(const std::string& dataset, const std::string& name,
                                  bool destroy_later) {
  require_snapshot(dataset, name);
  command c{{zfs_path, "rollback"}};
  if (destroy_later) c.argv.push_back("-r");
  c.argv.push_back(dataset + "@" + name);
  return c;
}

command snapshot_destroy_command(const std::string& dataset, const std::string& name) {
  require_snapshot(dataset, name);
  return {{zfs_path, "destroy", dataset + "@" + name}};
}

command zfs_send_command(const std::string& dataset, const std::string& name) {
  require_snapshot(dataset, name);
  return {{zfs_path, "send", dataset + "@" + name}};
}

command zfs_receive_command(const std::string& dataset, const std::string& path) {
  if (auto why = check_dataset(dataset); !why.empty()) throw error(errc::invalid_value, why);
  if (auto why = check_root({path, root_storage::zfs_dataset, dataset}); !why.empty())
    throw error(errc::invalid_value, why);
  return {{zfs_path, "receive", "-u", "-o", "mountpoint=" + path, dataset}};
}

std::vector<command> release_snapshot_plan(const std::string& release_dataset) {
  return snapshot_plan(release_dataset, "jaild");
}

// ---------------------------------------------------------------------------

void provisioner::run_all(const std::vector<command>& plan, journal& steps) {
  run_options o;
  o.timeout = std::chrono::milliseconds(30 * 60 * 1000);  // a slow mirror; still bounded
  o.env = {{"PATH", "/sbin:/bin:/usr/sbin:/usr/bin"}};
  for (const auto& cmd : plan) {
    auto r = sys_.run(cmd, o);
    step_record rec;
    rec.step = "provision." + cmd.argv[0].substr(cmd.argv[0].rfind('/') + 1);
    rec.argv = cmd.argv;
    rec.status = r.timed_out ? -1 : r.status;
    rec.output = r.output.substr(0, 64 * 1024);
    rec.error = r.status == 0 && !r.timed_out ? "" : r.error.substr(0, 64 * 1024);
    rec.duration = r.duration;
    steps.record(rec);
    if (r.timed_out)
      throw error(errc::timeout, rec.step + ": " + cmd.argv[0] + " did not finish in 30 minutes");
    if (r.status != 0)
      throw error(errc::host_failure,
                  fmt::format("{}: {} failed with status {}: {}", rec.step, cmd.argv[0],
                              r.status, r.error.substr(0, r.error.find('\n'))));
  }
}

std::string provisioner::fetch_release(const std::string& cache_dir, const release_ref& r,
                                       journal& steps) {
  if (auto why = check_release(r); !why.empty()) throw error(errc::invalid_value, why);
  if (auto why = model::check::absolute_path(cache_dir); !why.empty())
    throw error(errc::invalid_value, "cache directory: " + why);
  const auto target = cached_base(cache_dir, r);
  if (!sys_.path_exists(target)) run_all(fetch_release_plan(cache_dir, r), steps);
  return target;
}

void provisioner::create_root(const root_spec& root, const std::string& base_txz, journal& steps) {
  if (auto why = check_root(root); !why.empty()) throw error(errc::invalid_value, why);
  if (sys_.path_exists(root.path + "/bin"))
    throw error(errc::invalid_value, root.path + " already holds a userland; destroy it first");
  if (root.storage == root_storage::zfs_dataset) {
    run_options o;
    o.timeout = std::chrono::milliseconds(30'000);
    auto r = sys_.run({{zfs_path, "list", "-H", "-o", "name", root.dataset}}, o);
    if (r.status == 0)
      throw error(errc::invalid_value, "dataset " + root.dataset + " already exists");
  }
  if (!sys_.path_exists(base_txz))
    throw error(errc::host_failure, base_txz + " is not there: fetch the release first");
  run_all(create_root_plan(root, base_txz), steps);
}

void provisioner::snapshot(const std::string& dataset, const std::string& name, journal& steps) {
  if (auto why = check_snapshot(dataset + "@" + name); !why.empty())
    throw error(errc::invalid_value, why);
  run_all(snapshot_plan(dataset, name), steps);
}

void provisioner::clone_root(const root_spec& root, const std::string& snapshot, journal& steps) {
  if (root.storage != root_storage::zfs_dataset)
    throw error(errc::unsupported_on_platform,
                "thin jails are ZFS clones; " + root.path + " is not on a ZFS dataset");
  if (auto why = check_root(root); !why.empty()) throw error(errc::invalid_value, why);
  if (auto why = check_snapshot(snapshot); !why.empty()) throw error(errc::invalid_value, why);
  run_all(clone_root_plan(root, snapshot), steps);
}

void provisioner::destroy_root(const root_spec& root, journal& steps) {
  if (auto why = check_root(root); !why.empty()) throw error(errc::invalid_value, why);
  if (auto why = destroy_refusal(root, sys_.mounts()); !why.empty())
    throw error(errc::jail_running, why);
  if (!sys_.path_exists(root.path) && root.storage == root_storage::ufs_directory) return;
  run_all(destroy_root_plan(root), steps);
}

}  // namespace jaild::host::freebsd
