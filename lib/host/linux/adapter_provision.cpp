// Provisioning on Linux (issue 16): releases copied into jaild's releases
// directory from a root file system tarball (GNU tar, which refuses members
// that leave the target and defers links that could) or from a directory
// (mmdebstrap, debootstrap); roots made from them as a copy (reflinked where
// the file system can), a btrfs snapshot (clone) or an overlayfs mount with
// the release as its lower layer (thin), mounted at each start and ledgered.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "lib/host/digest.h"
#include "lib/host/linux/adapter.h"
#include "lib/host/linux/proc_text.h"
#include "lib/host/linux/resolve.h"
#include "lib/host/linux/tree.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::minutes long_step{30};

fs::path partial(const fs::path& target) { return fs::path(target.string() + ".part"); }

std::string text_of(const tree_totals& t) {
  return fmt::format("{} entries, {} bytes{}{}", t.files, t.bytes,
                     t.reflinked ? fmt::format(", {} files reflinked", t.reflinked) : "",
                     t.flags_cleared ? fmt::format(", {} flags cleared", t.flags_cleared) : "");
}

// Something mounted at `path` or below it ("" when nothing is).
std::string mounted_below(const fs::path& path) {
  const auto text = read_text("/proc/self/mountinfo");
  if (!text) return {};
  const auto root = path.lexically_normal().string();
  for (const auto& m : parse_mountinfo(*text))
    if (m.mount_point == root || m.mount_point.starts_with(root + "/"))
      return m.mount_point + " (" + m.fstype + ")";
  return {};
}

// The private directory's seed of a release for clones: a read-only btrfs
// subvolume on the jails' file system, made once per release.
fs::path clone_seed(const root_request& r) {
  return r.private_dir.parent_path() / ".releases" / r.release.filename();
}

// Paths that go into overlayfs's option string, where ',' ':' '\' and '='
// would be read as separators: jaild names them, so this only refuses an
// odd configured directory.
void require_plain(const fs::path& p, step_timer& step) {
  if (p.string().find_first_of(",:\\=") != std::string::npos)
    step.fail(EINVAL, p.string() + ": overlayfs cannot take a directory whose path has , : \\ or =",
              errc::invalid_value);
}

void run_tool(step_timer& step, const std::vector<std::string>& argv) {
  spawn_request req;
  req.argv = argv;
  req.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
  req.timeout = long_step;
  req.output_limit = 64 * 1024;
  spawn_result res;
  try {
    res = run_process(req);
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), e.what());
  }
  step.record().output = res.output;
  if (res.timed_out)
    step.fail_with(res.exit_code, res.error, errc::timeout,
                   step.record().step + ": " + argv[0] + " did not finish in 30 minutes");
  if (res.exit_code != 0)
    step.fail_with(res.exit_code, res.error, errc::host_failure,
                   fmt::format("{}: {} failed with status {}: {}", step.record().step, argv[0],
                               res.exit_code, res.error.substr(0, res.error.find('\n'))));
  step.ok(res.output);
}

// The seed of clones from `release`: a read-only btrfs subvolume, made
// beside its place and renamed into it, so that a crash or a second clone at
// the same time never sees half of one.
void make_seed(const fs::path& release, const fs::path& seed, const std::string& jail,
               journal& steps) {
  const auto part = fs::path(seed.string() + ".part-" + jail);
  std::error_code ec;
  fs::create_directories(seed.parent_path(), ec);
  step_timer step(steps, "root.seed", {"btrfs", "subvolume", "create", part.string()});
  try {
    if (fs::exists(fs::symlink_status(part, ec))) remove_tree(part);
    btrfs_create_subvolume(part);
    const auto t = copy_tree(release, part, true, true);
    btrfs_set_read_only(part);
    if (::rename(part.c_str(), seed.c_str()) != 0) {
      const int err = errno;
      remove_tree(part);
      if (!btrfs_is_subvolume(seed))  // not another clone's seed, made meanwhile
        throw std::system_error(err, std::generic_category(), seed.string());
    }
    step.ok(text_of(t));
  } catch (const std::system_error& e) {
    std::error_code ignored;
    if (fs::exists(fs::symlink_status(part, ignored))) {
      try {
        remove_tree(part);
      } catch (const std::exception&) {
      }
    }
    step.fail(e.code().value(), e.what());
  }
}

}  // namespace

release_contents linux_adapter::import_release(const release_import& r, journal& steps) {
  std::error_code ec;
  const auto st = fs::status(r.source, ec);
  if (!fs::exists(st))
    throw error(errc::invalid_value, "source " + r.source.string() + " does not exist on this host",
                "/source");
  const bool directory = fs::is_directory(st);
  if (!directory && !fs::is_regular_file(st))
    throw error(errc::invalid_value,
                "source " + r.source.string() + " is neither an archive nor a directory", "/source");
  if (directory && !r.sha256.empty())
    throw error(errc::invalid_value, "sha256 checks an archive; " + r.source.string() +
                                         " is a directory",
                "/sha256");
  if (fs::exists(fs::symlink_status(r.target, ec)))
    throw error(errc::release_exists, r.target.string() + " exists already", "/name");
  fs::create_directories(r.target.parent_path(), ec);
  if (ec)
    throw error(errc::host_failure, r.target.parent_path().string() + ": " + ec.message());
  release_contents out;
  out.kind = directory ? "directory" : "archive";
  if (!directory) {
    step_timer step(steps, "release.verify", {"sha256", r.source.string()});
    try {
      out.sha256 = sha256_file(r.source);
    } catch (const std::system_error& e) {
      step.fail(e.code().value(), e.what(), errc::invalid_value);
    }
    if (!r.sha256.empty() && r.sha256 != out.sha256) {
      step.failed_quietly(EINVAL, "sha256 " + out.sha256 + ", expected " + r.sha256);
      throw error(errc::invalid_value,
                  fmt::format("{} has sha256 {}, not the {} given; nothing was added",
                              r.source.string(), out.sha256, r.sha256),
                  "/sha256");
    }
    step.ok(out.sha256);
  }
  const auto part = partial(r.target);
  try {
    if (fs::exists(fs::symlink_status(part, ec))) remove_tree(part);  // a crash's leftover
    if (directory) {
      step_timer step(steps, "release.copy", {"cp", "-a", r.source.string(), part.string()});
      try {
        const auto t = copy_tree(r.source, part, reflink_works(r.target.parent_path()));
        step.ok(text_of(t));
      } catch (const std::system_error& e) {
        step.fail(e.code().value(), e.what());
      }
    } else {
      if (::mkdir(part.c_str(), 0755) != 0)
        throw error(errc::host_failure, part.string() + ": " + errno_text(errno));
      std::vector<std::string> argv{"tar",          "--extract",    "--file",
                                    r.source.string(), "--directory", part.string(),
                                    "--numeric-owner", "--preserve-permissions",
                                    "--same-owner", "--xattrs", "--xattrs-include=*"};
      step_timer step(steps, "release.extract", argv);
      run_tool(step, argv);
    }
    const auto t = measure_tree(part);
    out.bytes = t.bytes;
    out.files = t.files;
    step_timer step(steps, "release.rename", {"mv", part.string(), r.target.string()});
    if (::rename(part.c_str(), r.target.c_str()) != 0) step.fail(errno, errno_text(errno));
    step.ok(text_of(t));
  } catch (...) {
    std::error_code ignored;
    if (fs::exists(fs::symlink_status(part, ignored))) {
      try {
        remove_tree(part);
      } catch (const std::exception&) {
      }
    }
    throw;
  }
  return out;
}

void linux_adapter::remove_release(const fs::path& dir, journal& steps) {
  step_timer step(steps, "release.remove", {"rm", "-rf", dir.string()});
  if (auto m = mounted_below(dir); !m.empty())
    step.fail(EBUSY, dir.string() + ": " + m + " is mounted there", errc::release_in_use);
  try {
    step.ok(text_of(remove_tree(dir)));
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), e.what());
  }
}

storage_info linux_adapter::storage(const fs::path& dir) {
  storage_info s;
  std::error_code ec;
  fs::path probe = dir;
  while (!probe.empty() && !fs::exists(probe, ec) && probe != probe.parent_path())
    probe = probe.parent_path();
  s.filesystem = filesystem_of(probe);
  s.thick = reflink_works(probe) ? "reflink" : "copy";
  const auto filesystems = read_text("/proc/filesystems").value_or("");
  s.thin = filesystems.find("\toverlay\n") != std::string::npos;
  s.clone = s.filesystem == "btrfs";
  if (!s.clone)
    s.why_not_clone = "clones are btrfs snapshots; " + probe.string() + " is on " + s.filesystem;
  return s;
}

void linux_adapter::make_root(const root_request& r, journal& steps) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(r.path, ec)))
    throw error(errc::root_not_made,
                r.path.string() + " exists already: jaild makes a root only where there is nothing",
                "/path");
  if (!fs::is_directory(r.release, ec))
    throw error(errc::release_not_found, r.release.string() + " is not there", "/root/release");
  if (r.mode == model::root_mode::clone) {
    const auto s = storage(r.path.parent_path());
    if (!s.clone) throw error(errc::root_not_made, s.why_not_clone, "/root/mode");
  }
  if (r.mode == model::root_mode::thin && !storage(r.path.parent_path()).thin)
    throw error(errc::root_not_made, "this kernel has no overlay file system", "/root/mode");
  fs::create_directories(r.path.parent_path(), ec);
  if (!ec) fs::create_directories(r.private_dir.parent_path(), ec);
  if (ec) throw error(errc::host_failure, r.path.parent_path().string() + ": " + ec.message());
  ::chmod(r.private_dir.parent_path().c_str(), 0700);
  // What this call made, removed again when it fails: never what was there.
  bool made_path = false, made_private = false;
  try {
    switch (r.mode) {
      case model::root_mode::thick: {
        step_timer step(steps, "root.copy",
                        {"cp", "-a", "--reflink=auto", r.release.string(), r.path.string()});
        if (::mkdir(r.path.c_str(), 0700) != 0) step.fail(errno, errno_text(errno));
        made_path = true;
        try {
          step.ok(text_of(copy_tree(r.release, r.path, true, true)));
        } catch (const std::system_error& e) {
          step.fail(e.code().value(), e.what());
        }
        break;
      }
      case model::root_mode::clone: {
        const auto seed = clone_seed(r);
        if (!btrfs_is_subvolume(seed)) make_seed(r.release, seed, r.jail, steps);
        step_timer step(steps, "root.clone",
                        {"btrfs", "subvolume", "snapshot", seed.string(), r.path.string()});
        try {
          btrfs_snapshot(seed, r.path, false);
        } catch (const std::system_error& e) {
          step.fail(e.code().value(), e.what());
        }
        made_path = true;
        step.ok();
        break;
      }
      case model::root_mode::thin: {
        step_timer step(steps, "root.thin",
                        {"mkdir", r.path.string(), (r.private_dir / "upper").string(),
                         (r.private_dir / "work").string()});
        require_plain(r.release, step);
        require_plain(r.private_dir, step);
        if (::mkdir(r.private_dir.c_str(), 0700) != 0) step.fail(errno, errno_text(errno));
        made_private = true;
        if (::mkdir((r.private_dir / "upper").c_str(), 0755) != 0 ||
            ::mkdir((r.private_dir / "work").c_str(), 0700) != 0)
          step.fail(errno, errno_text(errno));
        if (::mkdir(r.path.c_str(), 0755) != 0) step.fail(errno, errno_text(errno));
        made_path = true;
        step.ok("lower " + r.release.string());
        break;
      }
    }
  } catch (...) {
    for (const auto& [made, dir] : {std::pair{made_path, r.path}, {made_private, r.private_dir}}) {
      if (!made) continue;
      try {
        remove_tree(dir);
      } catch (const std::exception& e) {
        step_timer step(steps, "root.remove", {"rm", "-rf", dir.string()});
        step.failed_quietly(EIO, e.what());
      }
    }
    throw;
  }
}

void linux_adapter::remove_root(const root_request& r, journal& steps) {
  for (const auto& dir : {r.path, r.private_dir}) {
    if (dir.empty()) continue;
    step_timer step(steps, "root.remove", {"rm", "-rf", "--one-file-system", dir.string()});
    if (auto m = mounted_below(dir); !m.empty())
      step.fail(EBUSY,
                dir.string() + ": " + m + " is still mounted there; stop the jail and unmount it",
                errc::jail_running);
    try {
      step.ok(text_of(remove_tree(dir)));
    } catch (const std::system_error& e) {
      step.fail(e.code().value(), e.what());
    }
  }
}

void linux_adapter::mount_thin_root(const jail_context& ctx, step_sinks sinks) {
  const auto& r = *ctx.root;
  const auto upper = r.private_dir / "upper", work = r.private_dir / "work";
  const std::string data = "lowerdir=" + r.release.string() + ",upperdir=" + upper.string() +
                           ",workdir=" + work.string();
  step_timer step(sinks.steps, "mount.overlay",
                  {"mount", "-t", "overlay", "-o", data, "overlay", r.path.string()});
  require_plain(r.release, step);
  require_plain(r.private_dir, step);
  // The point, the upper and the work directory are jaild's (JAILS_DIR/NAME
  // and JAILS_DIR/.jaild-TAG/NAME, 0700): opened without following any link.
  unique_fd point(openat2_raw(AT_FDCWD, r.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                              RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (!point) step.fail(errno, r.path.string() + ": " + errno_text(errno));
  for (const auto& dir : {upper, work}) {
    unique_fd d(openat2_raw(AT_FDCWD, dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                            RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
    if (!d) step.fail(errno, dir.string() + ": " + errno_text(errno));
  }
  object obj{object_kind::mount, ctx.spec.name, r.path.string(),
             {{"fstype", "overlay"}, {"root", true}}};
  sinks.objects.record(obj);
  const std::string target = "/proc/self/fd/" + std::to_string(point.get());
  if (::mount("overlay", target.c_str(), "overlay", MS_NODEV, data.c_str()) != 0) {
    const int err = errno;
    sinks.objects.forget(obj);
    step.fail(err, errno_text(err));
  }
  step.ok();
}

}  // namespace jaild::host::linux_host
