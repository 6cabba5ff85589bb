// The Linux adapter's entry points that are not about one part of a jail:
// construction, info(), check() and destroy()'s dispatch by object kind.
#include "lib/host/linux/linux_host.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/confinement.h"
#include "lib/host/linux/fstab.h"
#include "lib/host/linux/images.h"
#include "lib/host/linux/isolation.h"
#include "lib/host/linux/limits.h"
#include "lib/host/linux/nft_rules.h"
#include "lib/host/linux/resolve.h"
#include "lib/host/linux/socket_hooks.h"
#include "lib/model/error.h"
#include "lib/model/port.h"
#include "lib/model/rctl.h"
#include "lib/model/validate.h"

namespace jaild::host::linux_host {
namespace {

bool file_exists(const char* path) {
  return ::access(path, F_OK) == 0;
}

}  // namespace

linux_adapter::linux_adapter(platform_options options)
    : options_(std::move(options)),
      bridge_mark_(bridge_mark_of(options_.instance_tag)),
      cgroups_(cgroups::discover(cgroup_parent_name(options_.instance_tag))),
      console_logs_({options_.console_log_max_bytes, options_.console_log_keep}) {}

linux_adapter::~linux_adapter() = default;

bool linux_adapter::shared_ip_restricted(std::string* why) const {
  if (!cgroups_ || !cgroups_->socket_dir("probe")) {
    if (why) *why = "no unified (v2) cgroup hierarchy is mounted";
    return false;
  }
  return socket_hooks_supported(why);
}

platform_info linux_adapter::info() {
  platform_info p;
  p.platform = "linux";
  struct utsname u {};
  if (uname(&u) == 0) {
    p.kernel = std::string(u.sysname) + " " + u.release;
    p.hostname = u.nodename;
  }
  p.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  p.prerequisites.push_back(
      {"namespaces",
       file_exists("/proc/self/ns/pid") && file_exists("/proc/self/ns/net"),
       "the kernel lacks PID or network namespaces (CONFIG_PID_NS, CONFIG_NET_NS)",
       {"jails"}});
  p.prerequisites.push_back({"cgroups",
                             cgroups_ != nullptr,
                             "no usable cgroup hierarchy: jaild needs the v1 memory, pids, cpu, "
                             "cpuacct and cpuset hierarchies, or cgroup v2 with the memory "
                             "controller",
                             {"jails", "limits", "cpuset"}});
  {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
    if (fd >= 0) ::close(fd);
    p.prerequisites.push_back({"pidfd",
                               fd >= 0,
                               "the kernel lacks pidfd_open (Linux 5.3 or later is needed)",
                               {"jails"}});
  }
  p.prerequisites.push_back({"jaild-init",
                             init_image_fd() >= 0,
                             "jaild cannot make the memfd for its init: " + errno_text(errno),
                             {"jails"}});
  p.prerequisites.push_back(
      {"jaild-enter",
       enter_image_fd() >= 0,
       "jaild cannot make the memfd of the helper that enters jails: " + errno_text(errno),
       {"exec", "hooks", "health"}});
  {
    std::string why;
    const bool held = shared_ip_restricted(&why);
    p.prerequisites.push_back({"socket-hooks", held,
                               "shared-IP jails are not held to their addresses: " + why,
                               {"shared-ip"}});
  }
  p.prerequisites.push_back({"nftables",
                             nft_available(),
                             "nft is not installed: published ports and NAT networks are nftables "
                             "rules (Debian: apt-get install nftables)",
                             {"ports", "nat"}});
  nlohmann::json own = nlohmann::json::object();
  if (cgroups_)
    for (const auto& [controller, dir] : cgroups_->layout().own)
      own[controller.empty() ? "unified" : controller] = dir.string();
  p.details = {
      {"cgroup", cgroups_ ? (cgroups_->version() == cgroup_version::v2 ? "v2" : "v1") : "none"},
      {"cgroup_parents", own},
      {"state_dir", options_.state_dir.string()},
      {"shared_ip_restricted", shared_ip_restricted()},
      {"limits", {"memoryuse", "maxproc", "pcpu", "openfiles", "vmemoryuse"}}};
  return p;
}

std::vector<std::string> linux_adapter::check(const model::jail_spec& spec) {
  std::vector<std::string> warnings;
  // Refused when the spec is written, not as a host_failure at its start.
  std::error_code ec;
  const auto root = std::filesystem::status(spec.path, ec);
  if (!std::filesystem::exists(root))
    throw error(errc::invalid_value,
                "path " + spec.path + " does not exist on this host; make the jail's root first",
                "/path");
  if (!std::filesystem::is_directory(root))
    throw error(errc::invalid_value, "path " + spec.path + " is not a directory", "/path");
  if (auto refused = unsupported_limits(spec.limits); !refused.empty()) {
    std::string detail;
    for (const auto& r : refused) detail += (detail.empty() ? "" : "; ") + r;
    throw error(errc::unsupported_on_platform, detail, "/limits");
  }
  for (const auto& text : spec.limits) {
    auto rule = model::parse_rctl_rule(text, nullptr);
    if (rule && (rule->resource == "openfiles" || rule->resource == "vmemoryuse"))
      warnings.push_back("'" + text + "': Linux enforces " + rule->resource +
                         " per process (an rlimit), not for the jail as a whole");
  }
  if (!spec.cpuset.empty()) {
    std::string why;
    auto cpus = model::check::parse_cpu_list(spec.cpuset, &why);
    if (!cpus) throw error(errc::invalid_value, why, "/cpuset");
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    ::sched_getaffinity(0, sizeof allowed, &allowed);
    for (int c : *cpus)
      if (c >= CPU_SETSIZE || !CPU_ISSET(static_cast<std::size_t>(c), &allowed))
        throw error(errc::invalid_value,
                    "cpuset " + spec.cpuset + " names CPU " + std::to_string(c) +
                        ", which this host does not give jaild",
                    "/cpuset");
  }
  std::string problem;
  const auto mounts = parse_fstab(spec.mount.entries, "", &problem);
  if (!problem.empty()) throw error(errc::invalid_value, problem, "/mount/entries");
  for (const auto& m : mounts)
    if (!m.supported())
      throw error(errc::unsupported_on_platform,
                  "mount of " + m.target + ": the file system type " + m.fstype +
                      " is not supported on Linux (nullfs and tmpfs are)",
                  "/mount/entries");
  for (const auto& m : mounts)
    if (!m.skipped() && !path_below(spec.path, m.target))
      throw error(errc::invalid_value,
                  "mount target " + m.target + " is not below the jail's path " + spec.path,
                  "/mount/entries");
  if (!spec.vnet && (!spec.ip4.empty() || !spec.ip6.empty())) {
    std::string why;
    if (!holds_to_addresses(spec))
      warnings.push_back(
          "shared-IP jail with ip4 or ip6 = \"inherit\": on Linux it is not held to its "
          "addresses for either family");
    else if (!shared_ip_restricted(&why))
      warnings.push_back("shared-IP jail: this host cannot hold it to its addresses (" + why +
                         "); it may bind and send from any of the host's");
  }
  for (auto& w : confinement_warnings(spec)) warnings.push_back(std::move(w));
  for (std::size_t i = 0; i < spec.ports.size(); ++i) {
    auto p = model::parse_port(spec.ports[i], nullptr);
    if (p && !p->host_address.empty() && (p->host_address.rfind("127.", 0) == 0 || p->host_address == "::1"))
      throw error(errc::unsupported_on_platform,
                  "port " + spec.ports[i] +
                      ": Linux does not forward a loopback address to a jail; publish it on "
                      "another host address, or on all of them",
                  "/ports/" + std::to_string(i));
  }
  if (!spec.ports.empty() && !nft_available())
    warnings.push_back("published ports need nft (nftables), which is not installed: the jail "
                       "will not start until it is");

  if (!spec.persist && spec.command.empty())
    warnings.push_back(
        "a non-persistent jail without a command ends on Linux when the last process that "
        "its init can see ends; processes started by exec.start in the foreground are not "
        "among them");
  return warnings;
}

void linux_adapter::destroy(const object& obj, step_sinks sinks) {
  switch (obj.kind) {
    case object_kind::jail:
      return destroy_jail(obj, sinks);
    case object_kind::cgroup:
      return destroy_cgroup(obj, sinks);
    case object_kind::epair:
      return destroy_epair(obj, sinks);
    case object_kind::bridge:
      return destroy_bridge(obj, sinks);
    case object_kind::alias:
      return destroy_alias(obj, sinks);
    case object_kind::mount:
      return destroy_mount(obj, sinks);
    case object_kind::firewall:
      return destroy_firewall(obj, sinks);
    case object_kind::file: {
      step_timer step(sinks.steps, "file.remove", {"rm", "-f", obj.key});
      if (::unlink(obj.key.c_str()) != 0 && errno != ENOENT)
        step.fail(errno, obj.key + ": " + errno_text(errno));
      step.ok();
      sinks.objects.forget(obj);
      return;
    }
    case object_kind::rctl:
    case object_kind::devfs_ruleset:
      // FreeBSD's kinds: nothing of them exists on Linux.
      sinks.objects.forget(obj);
      return;
  }
}

std::unique_ptr<host> make(const platform_options& options) {
  return std::make_unique<linux_adapter>(options);
}

}  // namespace jaild::host::linux_host

namespace jaild::host {

// Linux's helpers are images of their own (images.h), not modes of jaild.
int platform_helper_main(int, char**) { return -1; }

std::unique_ptr<host> make_platform_host(const platform_options& options) {
  return linux_host::make(options);
}

}  // namespace jaild::host
