// mount.fstab and `mount` lines. FreeBSD's jail(8) mounts them on the host
// before the jail starts; on Linux they are made inside the jail's own mount
// namespace when its init is created (launcher.cpp), so the host never has
// them: a stopped, crashed or deleted jail can leave none behind, and no
// host-side unmount ever walks a path that jail root controls. Here the
// entries are checked and journaled before the jail is created: every target
// lies below the jail's path, exists, and has no symbolic link below the
// path (jail(8)'s check_path rule).
#include <fcntl.h>
#include <sys/mount.h>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/fstab.h"
#include "lib/host/linux/resolve.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

std::vector<std::pair<std::string, std::string>> tmpfs_options(const fstab_entry& e) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string data = e.tmpfs_data();
  std::size_t i = 0;
  while (i < data.size()) {
    auto comma = data.find(',', i);
    auto item = data.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
    auto eq = item.find('=');
    out.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  return out;
}

}  // namespace

std::vector<launch_mount> jail_mounts(const model::jail_spec& spec) {
  const auto& m = spec.mount;
  std::string fstab_text;
  if (!m.fstab.empty()) {
    auto text = read_text(m.fstab);
    if (!text) throw error(errc::host_failure, "mount.fstab " + m.fstab + ": " + errno_text(errno));
    fstab_text = *text;
  }
  std::string problem;
  const auto entries = parse_fstab(m.entries, fstab_text, &problem);
  if (!problem.empty()) throw error(errc::invalid_value, problem, "/mount");
  std::vector<launch_mount> out;
  for (const auto& e : entries) {
    if (e.skipped()) continue;
    if (!e.supported())
      throw error(errc::unsupported_on_platform,
                  "the file system type " + e.fstype + " is not supported on Linux", "/mount");
    auto below = path_below(spec.path, e.target);
    if (!below)
      throw error(errc::invalid_value,
                  "mount target " + e.target + " is not below the jail's path " + spec.path,
                  "/mount");
    launch_mount lm;
    lm.bind = e.fstype == "nullfs";
    lm.source = e.source;
    lm.target = *below;
    lm.read_only = e.read_only();
    if (!lm.bind) lm.options = tmpfs_options(e);
    out.push_back(std::move(lm));
  }
  return out;
}

void linux_adapter::mount_filesystems(const jail_context& ctx, step_sinks sinks) {
  if (ctx.root && ctx.root->mode == model::root_mode::thin) mount_thin_root(ctx, sinks);
  for (const auto& m : jail_mounts(ctx.spec)) {
    std::vector<std::string> argv{"mount", "-t", m.bind ? "nullfs" : "tmpfs",
                                  m.bind ? m.source : "tmpfs", ctx.spec.path + "/" + m.target};
    step_timer step(sinks.steps, m.bind ? "mount.nullfs" : "mount.tmpfs", argv);
    unique_fd target = open_below(ctx.spec.path, m.target, O_PATH);
    if (!target) step.fail(errno, below_error(m.target, errno), errc::invalid_value);
    step.ok(
        "the target is below the jail's path with no symbolic link; mounted inside the "
        "jail's own mount namespace when it is created");
  }
}

void linux_adapter::destroy_mount(const object& obj, step_sinks sinks) {
  // Host mounts are a thin root's overlay (adapter_provision.cpp) and those
  // a jaild before 2026-12 made for fstab lines. The point is opened without following any symbolic link: one that jail root
  // put in the path since must not make jaild unmount a host mount.
  step_timer step(sinks.steps, "mount.remove", {"umount", obj.key});
  unique_fd point(openat2_raw(AT_FDCWD, obj.key.c_str(), O_PATH | O_CLOEXEC, 0,
                              RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (!point) {
    if (errno == ENOENT) {
      step.ok("already gone");
      sinks.objects.forget(obj);
      return;
    }
    // The ledger keeps the row: the mount may still be there.
    step.fail(errno, obj.key + ": " +
                         (errno == ELOOP ? "a symbolic link is in the path now; "
                                           "unmount it by hand"
                                         : errno_text(errno)));
  }
  const std::string self = "/proc/self/fd/" + std::to_string(point.get());
  if (::umount2(self.c_str(), MNT_DETACH) != 0 && errno != EINVAL)
    step.fail(errno, obj.key + ": " + errno_text(errno));
  step.ok();
  sinks.objects.forget(obj);
}

}  // namespace jaild::host::linux_host
