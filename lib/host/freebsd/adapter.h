// The Host port on FreeBSD (DESIGN.md section 4): the pipeline's steps in
// jail(8)'s order, each one journaled, every object ledgered before it is
// created. The decisions are plan.h's pure functions; the calls go through
// the `system` interface (system.h), which freebsd_system.cpp implements with
// libjail, rctl(2), cpuset(2), kqueue(2) and ifconfig(8)/route(8)/mount(8)
// run with an argv. Because of that split this file compiles and is tested on
// every platform; only the syscall layer is FreeBSD's.
//
// jaild's mark on its jails is the kernel name prefix "jaild-" (plan.h): the
// jail "web" is "jaild-web" in jls(8), jexec(8) and rctl(8). A running_jail's
// token is "jid=N": FreeBSD does not reuse a JID until the counter wraps, so
// name and JID together identify one life of a jail.
//
// Thread safety: calls for different jails may run concurrently; the only
// shared state (the main processes started by start_main) is under a mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "lib/host/freebsd/prerequisites.h"
#include "lib/host/freebsd/system.h"
#include "lib/host/host.h"
#include "lib/host/platform.h"

namespace jaild::host::freebsd {

class adapter final : public host {
 public:
  adapter(system& sys, platform_options options);
  // Owns the system (make_platform_host on FreeBSD).
  adapter(std::unique_ptr<system> sys, platform_options options);

  platform_info info() override;
  std::vector<std::string> check(const model::jail_spec& spec) override;
  void run_host_hook(const jail_context& ctx, std::string_view stage, const std::string& command,
                     step_sinks sinks) override;
  void add_aliases(const jail_context& ctx, step_sinks sinks) override;
  void mount_filesystems(const jail_context& ctx, step_sinks sinks) override;
  void create_interfaces(const jail_context& ctx, step_sinks sinks) override;
  running_jail create_jail(const jail_context& ctx, step_sinks sinks) override;
  void apply_limits(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void publish(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void attach_interfaces(const jail_context& ctx, const running_jail& jail,
                         step_sinks sinks) override;
  void run_jail_hook(const jail_context& ctx, const running_jail& jail, std::string_view stage,
                     const std::string& command, step_sinks sinks) override;
  void start_main(const jail_context& ctx, const running_jail& jail, step_sinks sinks) override;
  void clear_persist(const jail_context& ctx, const running_jail& jail,
                     step_sinks sinks) override;
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

  // adapter_provision.cpp
  release_contents import_release(const release_import& r, journal& steps) override;
  void remove_release(const std::filesystem::path& dir, journal& steps) override;
  ::jaild::host::storage_info storage(const std::filesystem::path& dir) override;
  void make_root(const root_request& r, journal& steps) override;
  void remove_root(const root_request& r, journal& steps) override;
  ::jaild::host::snapshot_support snapshot_backend(const root_request& r) override;

  // The facts prerequisites are judged on (sysctl(8), modfind(2), addresses).
  host_facts facts();

 private:
  // Runs one command and journals it; throws host_failure / timeout when it
  // fails, unless allow_failure (then the caller reads the result).
  run_result run_step(const std::string& step, const command& cmd, const run_options& options,
                      step_sinks& sinks, bool allow_failure = false);
  // Journals a syscall; throws host_failure when it failed.
  void syscall_step(const std::string& step, std::vector<std::string> argv, const sys_result& r,
                    std::chrono::microseconds duration, step_sinks& sinks,
                    bool allow_failure = false);
  void note(const std::string& step, std::vector<std::string> argv, std::string output,
            step_sinks& sinks);

  void destroy_alias(const object& obj, step_sinks& sinks);
  void destroy_mount(const object& obj, step_sinks& sinks);
  void destroy_epair(const object& obj, step_sinks& sinks);
  bool destroy_bridge(const object& obj, step_sinks& sinks);
  void destroy_rctl(const object& obj, step_sinks& sinks);
  void destroy_jail(const object& obj, step_sinks& sinks);
  // A thin root's base, mounted read-only (adapter_provision.cpp).
  void mount_thin_base(const jail_context& ctx, step_sinks& sinks);

  std::unique_ptr<system> owned_;
  system& sys_;
  platform_options options_;
  std::mutex mutex_;
  std::map<std::int64_t, std::int64_t> main_pids_;  // JID -> pid started by start_main
};

}  // namespace jaild::host::freebsd
