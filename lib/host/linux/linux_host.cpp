#include "lib/host/linux/linux_host.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

bool file_exists(const char* path) { return ::access(path, F_OK) == 0; }

class linux_adapter final : public host {
 public:
  explicit linux_adapter(platform_options options) : options_(std::move(options)) {}

  platform_info info() override {
    platform_info p;
    p.platform = "linux";
    struct utsname u {};
    if (uname(&u) == 0) {
      p.kernel = std::string(u.sysname) + " " + u.release;
      p.hostname = u.nodename;
    }
    p.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    p.prerequisites.push_back(
        {"namespaces", file_exists("/proc/self/ns/pid") && file_exists("/proc/self/ns/net"),
         "the kernel lacks PID or network namespaces (CONFIG_PID_NS, CONFIG_NET_NS)",
         {"jails"}});
    const bool v1_memory = file_exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    const bool v2 = file_exists("/sys/fs/cgroup/cgroup.controllers");
    p.prerequisites.push_back({"cgroups", v1_memory || v2,
                               "no memory cgroup controller is mounted (v1 or v2)",
                               {"limits", "cpuset"}});
    p.details = {{"cgroup", v2 ? "v2" : (v1_memory ? "v1" : "none")},
                 {"state_dir", options_.state_dir.string()}};
    return p;
  }

  std::vector<std::string> check(const model::jail_spec& spec) override {
    std::vector<std::string> warnings;
    if (!spec.ip4.empty() || !spec.ip6.empty())
      warnings.push_back(
          "shared-IP jail: Linux adds the address but does not restrict the jail to it");
    return warnings;
  }

  // The lifecycle is issue 4's work; until then every step says so.
  [[noreturn]] static void not_yet() {
    throw error(errc::unsupported_on_platform,
                "this build of jaild cannot run jails on Linux yet (the Linux adapter is "
                "incomplete)");
  }
  void run_host_hook(const jail_context&, std::string_view, const std::string&,
                     step_sinks) override { not_yet(); }
  void add_aliases(const jail_context&, step_sinks) override { not_yet(); }
  void mount_filesystems(const jail_context&, step_sinks) override { not_yet(); }
  void create_interfaces(const jail_context&, step_sinks) override { not_yet(); }
  running_jail create_jail(const jail_context&, step_sinks) override { not_yet(); }
  void apply_limits(const jail_context&, const running_jail&, step_sinks) override { not_yet(); }
  void attach_interfaces(const jail_context&, const running_jail&, step_sinks) override {
    not_yet();
  }
  void run_jail_hook(const jail_context&, const running_jail&, std::string_view,
                     const std::string&, step_sinks) override { not_yet(); }
  void stop_jail(const jail_context&, const running_jail&, step_sinks) override { not_yet(); }
  void destroy(const object&, step_sinks) override { not_yet(); }
  void update_limits(const jail_context&, const running_jail&, step_sinks) override {
    not_yet();
  }
  exec_result exec(const running_jail&, const exec_request&) override { not_yet(); }
  std::map<std::string, double> usage(const running_jail&) override { return {}; }
  bool alive(const running_jail&) override { return false; }
  std::vector<running_jail> list_jails() override { return {}; }
  bool watch(const running_jail&, std::function<void(exit_info)>) override { return false; }
  void unwatch(const running_jail&) override {}

 private:
  platform_options options_;
};

}  // namespace

std::unique_ptr<host> make(const platform_options& options) {
  return std::make_unique<linux_adapter>(options);
}

}  // namespace jaild::host::linux_host

namespace jaild::host {

std::unique_ptr<host> make_platform_host(const platform_options& options) {
  return linux_host::make(options);
}

}  // namespace jaild::host
