// The Linux adapter's class (private to lib/host/linux). Its methods live in
// one file per concept: adapter_jail.cpp (the jail's init: create, stop,
// adopt, watch), adapter_network.cpp (aliases, veths, bridges),
// adapter_firewall.cpp (NAT and published ports, nftables),
// adapter_limits.cpp (cgroups and rlimits, usage), adapter_exec.cpp (hooks and
// exec), adapter_mounts.cpp (fstab mounts), adapter_provision.cpp (releases
// and roots), linux_host.cpp (info, check,
// destroy and the factory).
//
// Thread-safety: calls for different jails run concurrently. Shared state is
// the table of jail inits (inits_mutex_), the bridges that several jails join
// (bridges_mutex_), the pcpu samples (samples_mutex_), the cgroup parents
// (inside `cgroups`) and the open console logs (inside `console_logs`).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "lib/host/linux/cgroup.h"
#include "lib/host/linux/console_log.h"
#include "lib/host/linux/dhcp_server.h"
#include "lib/host/linux/launcher.h"
#include "lib/host/linux/netlink.h"
#include "lib/host/linux/netns_pool.h"
#include "lib/host/linux/nft_rules.h"
#include "lib/host/linux/spawn.h"
#include "lib/host/linux/sys.h"
#include "lib/host/linux/watcher.h"
#include "lib/host/platform.h"

namespace jaild::host::linux_host {

// The fstab mounts of a spec as the jail's init makes them (adapter_mounts.cpp);
// throws jaild::error for an entry that cannot be mounted.
std::vector<launch_mount> jail_mounts(const model::jail_spec& spec);

// The ifalias jaild gives the bridges it creates, "jaild:<tag>" ("jaild" for
// an empty tag, as jailds before tags wrote): the kernel keeps it, so a
// restarted jaild still knows which bridges are its own to remove, and never
// takes another instance's for its own.
std::string bridge_mark_of(std::string_view instance_tag);

// A jail's init as the adapter knows it.
struct tracked_init {
  pid_t pid = -1;
  std::string token;
  unique_fd pidfd;
  unique_fd status;    // the memfd that init's fd 3 is; -1 if unknown
  bool child = false;  // jaild is the parent (it can waitid)
  std::mutex mutex;
  std::optional<exit_info> ended;
  std::uint64_t watch_key = 0;
};

class linux_adapter final : public host {
 public:
  explicit linux_adapter(platform_options options);
  ~linux_adapter() override;

  platform_info info() override;
  std::vector<std::string> check(const model::jail_spec& spec) override;
  void run_host_hook(const jail_context& ctx, std::string_view stage, const std::string& command,
                     step_sinks sinks) override;
  void add_aliases(const jail_context& ctx, step_sinks sinks) override;
  void mount_filesystems(const jail_context& ctx, step_sinks sinks) override;
  void create_interfaces(const jail_context& ctx, step_sinks sinks) override;
  running_jail create_jail(const jail_context& ctx, step_sinks sinks) override;
  void apply_limits(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void attach_interfaces(const jail_context& ctx, const running_jail& jail,
                         step_sinks sinks) override;
  void publish(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void run_jail_hook(const jail_context& ctx, const running_jail& jail, std::string_view stage,
                     const std::string& command, step_sinks sinks) override;
  void start_main(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void stop_jail(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void destroy(const object& obj, step_sinks sinks) override;
  void update_limits(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  exec_result exec(const jail_context& ctx, const running_jail& jail,
                   const exec_request& req) override;
  std::unique_ptr<exec_session> open_exec(const jail_context& ctx, const running_jail& jail,
                                          const exec_stream_request& req) override;
  void signal(const jail_context& ctx, const running_jail& jail, signal_target target,
              int sig) override;
  std::map<std::string, double> usage(const running_jail& jail) override;
  bool alive(const running_jail& jail) override;
  std::vector<running_jail> list_jails() override;
  bool watch(const running_jail& jail, std::function<void(exit_info)> on_exit) override;
  void unwatch(const running_jail& jail) override;
  std::vector<std::string> dynamic_addresses(const jail_context& ctx,
                                             const running_jail& jail) override;
  void resume_services(const jail_context& ctx, const running_jail& jail) override;

  release_contents import_release(const release_import& r, journal& steps) override;
  void remove_release(const std::filesystem::path& dir, journal& steps) override;
  storage_info storage(const std::filesystem::path& dir) override;
  void make_root(const root_request& r, journal& steps) override;
  void remove_root(const root_request& r, journal& steps) override;
  // adapter_snapshots.cpp
  snapshot_support snapshot_backend(const root_request& r) override;
  snapshot_info make_snapshot(const root_request& r, const std::string& name,
                              journal& steps) override;
  std::vector<snapshot_info> list_snapshots(const root_request& r) override;
  void rollback_snapshot(const root_request& r, const std::string& name, journal& steps) override;
  void remove_snapshot(const root_request& r, const std::string& name, journal& steps) override;
  // adapter_archives.cpp
  std::string archive_format() const override { return "tar+zstd"; }
  archive_info write_archive(const root_request& r, const std::string& manifest,
                             const std::function<void(const char*, std::size_t)>& sink,
                             journal& steps) override;
  std::string archive_manifest(const std::filesystem::path& file) override;
  archive_info make_root_from_archive(const root_request& r, const std::filesystem::path& file,
                                      journal& steps) override;

 private:
  // linux_host.cpp
  // Whether shared-IP jails are held to their addresses here (a unified
  // cgroup hierarchy and a kernel that loads the socket hooks); *why when not.
  bool shared_ip_restricted(std::string* why = nullptr) const;

  // adapter_jail.cpp
  cgroups& require_cgroups();
  std::shared_ptr<tracked_init> track(const running_jail& jail);
  std::optional<exit_info> reap(tracked_init& t);
  void forget_init(pid_t pid, const std::string& token);
  void destroy_jail(const object& obj, step_sinks sinks);
  void destroy_cgroup(const object& obj, step_sinks sinks);
  // Kills every process in the directories and waits until they have gone.
  void kill_members(const std::vector<fs::path>& dirs, step_timer& step);

  // adapter_network.cpp
  // The bridge of an interface, made (and ledgered) when missing; its ifindex.
  int ensure_bridge(rtnl& nl, const resolved_interface& i, step_sinks sinks);
  void destroy_epair(const object& obj, step_sinks sinks);
  void destroy_bridge(const object& obj, step_sinks sinks);
  void destroy_alias(const object& obj, step_sinks sinks);
  // Removes a bridge that jaild made (it has jaild's mark, or `ledgered`:
  // the caller holds its ledger row) once nothing is on it; whether it went.
  bool remove_bridge_if_unused(const std::string& bridge, step_sinks sinks,
                               bool ledgered = false);

  // adapter_dhcp.cpp
  // Hands interface i's lease (resolved_interface::lease4) out on its bridge.
  // Throws jaild::error or std::system_error when it cannot.
  void serve_lease(const resolved_interface& i);
  void withdraw_lease(const std::string& host_end);
  // accept_ra and autoconf of the jail end, in the jail's namespace: on for
  // an interface with slaac (returns the errno when it cannot), accept_ra off
  // for the others (quietly: a kernel without IPv6 has none).
  int set_router_advertisements(pid_t pid, const resolved_interface& i);

  // adapter_firewall.cpp
  void destroy_firewall(const object& obj, step_sinks sinks);
  // The bridge table that keeps the jail's VLAN ports on their VLANs
  // (nft_rules.h), ledgered; nothing when no interface has a VLAN.
  void isolate_vlans(const jail_context& ctx, step_sinks sinks);

  // adapter_limits.cpp
  void apply_all_limits(const jail_context& ctx, const running_jail& jail, step_sinks sinks,
                        const char* step);

  // adapter_exec.cpp
  // What jaild-enter needs to enter the running jail with the spec's confinement.
  jail_entry enter(const jail_context& ctx, const running_jail& jail, const std::string& user,
                   const std::string& cwd);
  void run_hook(const jail_context& ctx, const running_jail* jail, std::string_view stage,
                const std::string& command, step_sinks sinks);

  // adapter_mounts.cpp
  void destroy_mount(const object& obj, step_sinks sinks);

  // adapter_provision.cpp
  // A thin root's overlay at ctx.root->path, ledgered (a host mount).
  void mount_thin_root(const jail_context& ctx, step_sinks sinks);

  platform_options options_;
  const std::string bridge_mark_;  // bridge_mark_of(options_.instance_tag)
  std::unique_ptr<cgroups> cgroups_;

  std::mutex inits_mutex_;
  std::map<pid_t, std::shared_ptr<tracked_init>> inits_;

  std::mutex bridges_mutex_;

  // jaild's DHCP server on the bridges of networks with dhcp, made with
  // their first lease (adapter_dhcp.cpp).
  std::mutex dhcp_mutex_;
  std::unique_ptr<dhcp_server> dhcp_;

  struct cpu_sample {
    std::string token;
    std::uint64_t cpu_ns = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex samples_mutex_;
  std::map<pid_t, cpu_sample> samples_;

  netns_pool netns_pool_;
  console_logs console_logs_;

  std::once_flag watcher_once_;
  std::unique_ptr<pidfd_watcher> watcher_;
};

// The start time of a process (its identity with the PID), "" when gone.
std::string process_token(pid_t pid);

}  // namespace jaild::host::linux_host
