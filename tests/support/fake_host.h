// A Host port double for tests: it records every call in order, keeps the
// objects it "created" in a set (so tests can check that nothing is left
// behind), and fails on demand at a named step.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "lib/host/host.h"

namespace jaild::test {

class fake_host : public host::host {
 public:
  // Calls, in order: "add_aliases web", "create_jail web", ...
  std::vector<std::string> calls() const;
  // Objects created and not yet destroyed, as "kind:key".
  std::set<std::string> live_objects() const;
  // The next call whose name starts with `step` throws host_failure.
  void fail_at(std::string step);
  // Warnings that check() returns.
  std::vector<std::string> warnings;
  // check() refuses the spec of the jail with this name (invalid_value /cpuset).
  std::string refuse_check;
  // Roots made and not removed, and releases imported and not removed (paths).
  std::set<std::string> roots() const;
  std::set<std::string> release_dirs() const;
  // Every call whose name starts with `step` sleeps for `d` first ("check
  // NAME" slows check(), which is not recorded as a call).
  void slow_at(std::string step, std::chrono::milliseconds d);
  // Exit codes that exec() returns for a jail, one per call; 0 once they run
  // out. Its stdout is its input (cat), within req.output_limit.
  void exec_results(const std::string& jail, std::vector<int> codes);
  // The jail's init ends with `status`: the watcher is told, as a pidfd would.
  void crash(const std::string& jail, int status);
  // The jail ends while nobody watches (jaild is down): no callback.
  void vanish(const std::string& jail);
  // The most create_jail calls that were in progress at once.
  int max_concurrent_creates() const;
  bool running(const std::string& jail) const;

  ::jaild::host::platform_info info() override;
  std::vector<std::string> check(const model::jail_spec& spec) override;
  void run_host_hook(const ::jaild::host::jail_context& ctx, std::string_view stage,
                     const std::string& command, ::jaild::host::step_sinks sinks) override;
  void add_aliases(const ::jaild::host::jail_context& ctx, ::jaild::host::step_sinks sinks) override;
  void mount_filesystems(const ::jaild::host::jail_context& ctx,
                         ::jaild::host::step_sinks sinks) override;
  void create_interfaces(const ::jaild::host::jail_context& ctx,
                         ::jaild::host::step_sinks sinks) override;
  ::jaild::host::running_jail create_jail(const ::jaild::host::jail_context& ctx,
                                          ::jaild::host::step_sinks sinks) override;
  void apply_limits(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
                    ::jaild::host::step_sinks sinks) override;
  void attach_interfaces(const ::jaild::host::jail_context& ctx,
                         const ::jaild::host::running_jail& jail,
                         ::jaild::host::step_sinks sinks) override;
  // Recorded ("publish NAME [nat(SUBNET [via UPLINK])] PORT...") and ledgered only when
  // the jail has NAT or ports.
  void publish(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
               ::jaild::host::step_sinks sinks) override;
  void run_jail_hook(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
                     std::string_view stage, const std::string& command,
                     ::jaild::host::step_sinks sinks) override;
  void start_main(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
                  ::jaild::host::step_sinks sinks) override;
  void clear_persist(const ::jaild::host::jail_context& ctx,
                     const ::jaild::host::running_jail& jail,
                     ::jaild::host::step_sinks sinks) override;
  void stop_jail(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
                 ::jaild::host::step_sinks sinks) override;
  void destroy(const ::jaild::host::object& obj, ::jaild::host::step_sinks sinks) override;
  void update_limits(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
                     ::jaild::host::step_sinks sinks) override;
  ::jaild::host::exec_result exec(const ::jaild::host::jail_context& ctx,
                                  const ::jaild::host::running_jail& jail,
                                  const ::jaild::host::exec_request& req) override;
  // Runs the command on the host, for real (with a PTY when asked): the
  // API's WebSocket pump is tested against real descriptors and processes.
  std::unique_ptr<::jaild::host::exec_session> open_exec(
      const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
      const ::jaild::host::exec_stream_request& req) override;
  // Recorded as "signal JAIL TARGET SIG" ("init", "all" or the PID); PID
  // 4242 is not in any jail (process_not_found).
  void signal(const ::jaild::host::jail_context& ctx, const ::jaild::host::running_jail& jail,
              ::jaild::host::signal_target target, int sig) override;
  std::map<std::string, double> usage(const ::jaild::host::running_jail& jail) override;
  bool alive(const ::jaild::host::running_jail& jail) override;
  std::vector<::jaild::host::running_jail> list_jails() override;
  bool watch(const ::jaild::host::running_jail& jail,
             std::function<void(::jaild::host::exit_info)> on_exit) override;
  void unwatch(const ::jaild::host::running_jail& jail) override;
  // What dynamic_addresses() answers for a jail (set_dynamic_addresses).
  void set_dynamic_addresses(const std::string& jail, std::vector<std::string> addrs);
  std::vector<std::string> dynamic_addresses(const ::jaild::host::jail_context& ctx,
                                             const ::jaild::host::running_jail& jail) override;
  // Recorded as "resume_services NAME".
  void resume_services(const ::jaild::host::jail_context& ctx,
                       const ::jaild::host::running_jail& jail) override;

  // Provisioning: calls "import_release NAME", "remove_release DIR",
  // "make_root JAIL MODE", "remove_root JAIL"; fail_at() applies.
  ::jaild::host::release_contents import_release(const ::jaild::host::release_import& r,
                                                 ::jaild::host::journal& steps) override;
  void remove_release(const std::filesystem::path& dir, ::jaild::host::journal& steps) override;
  ::jaild::host::storage_info storage(const std::filesystem::path& dir) override;
  void make_root(const ::jaild::host::root_request& r, ::jaild::host::journal& steps) override;
  void remove_root(const ::jaild::host::root_request& r, ::jaild::host::journal& steps) override;

 private:
  void pause(const std::string& name);
  void step(const std::string& name, ::jaild::host::step_sinks* sinks);
  void create(::jaild::host::object obj, ::jaild::host::step_sinks sinks);

  mutable std::mutex mutex_;
  std::map<std::string, std::chrono::milliseconds> slow_;
  std::map<std::string, std::vector<int>> exec_codes_;
  std::map<std::string, std::function<void(::jaild::host::exit_info)>> watchers_;
  int creating_ = 0, max_creating_ = 0;
  std::vector<std::string> calls_;
  std::set<std::string> live_;
  std::set<std::string> roots_, release_dirs_;
  std::string fail_at_;
  std::set<std::string> running_;
  std::map<std::string, ::jaild::host::running_jail> handles_;
  int next_jid_ = 1;
  std::map<std::string, std::vector<std::string>> dynamic_;
};

}  // namespace jaild::test
