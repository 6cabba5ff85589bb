// mount.fstab and `mount` lines: mounted on the host below the jail's path
// before the jail starts (as jail(8) does), carried into the jail's mount
// namespace by the recursive bind of its root, and removed at stop.
#include <sys/mount.h>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/fstab.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {

void linux_adapter::mount_filesystems(const jail_context& ctx, step_sinks sinks) {
  const auto& m = ctx.spec.mount;
  std::string fstab_text;
  if (!m.fstab.empty()) {
    auto text = read_text(m.fstab);
    if (!text) throw error(errc::host_failure, "mount.fstab " + m.fstab + ": " + errno_text(errno));
    fstab_text = *text;
  }
  std::string problem;
  const auto entries = parse_fstab(m.entries, fstab_text, &problem);
  if (!problem.empty()) throw error(errc::invalid_value, problem, "/mount");
  for (const auto& e : entries) {
    std::vector<std::string> argv{"mount", "-t", e.fstype, e.source, e.target};
    step_timer step(sinks.steps, "mount." + e.fstype, argv);
    if (e.skipped()) {
      step.ok("every Linux jail has its own /proc and /dev: skipped");
      continue;
    }
    if (!e.supported())
      step.fail(EOPNOTSUPP, "the file system type " + e.fstype + " is not supported on Linux",
                errc::unsupported_on_platform);
    sinks.objects.record({object_kind::mount,
                          ctx.spec.name,
                          e.target,
                          {{"source", e.source}, {"fstype", e.fstype}}});
    int rc = 0;
    if (e.fstype == "nullfs") {
      rc = ::mount(e.source.c_str(), e.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
      if (rc == 0 && e.read_only())
        rc = ::mount(nullptr, e.target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr);
    } else {
      const std::string data = e.tmpfs_data();
      rc = ::mount("tmpfs", e.target.c_str(), "tmpfs",
                   MS_NOSUID | MS_NODEV | (e.read_only() ? MS_RDONLY : 0),
                   data.empty() ? nullptr : data.c_str());
    }
    if (rc != 0) step.fail(errno, e.target + ": " + errno_text(errno));
    step.ok();
  }
}

void linux_adapter::destroy_mount(const object& obj, step_sinks sinks) {
  step_timer step(sinks.steps, "mount.remove", {"umount", obj.key});
  // Only a mount jaild made is ledgered; detach it even when something inside
  // still holds it open.
  if (::umount2(obj.key.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL &&
      errno != ENOENT)
    step.fail(errno, obj.key + ": " + errno_text(errno));
  step.ok();
  sinks.objects.forget(obj);
}

}  // namespace jaild::host::linux_host
