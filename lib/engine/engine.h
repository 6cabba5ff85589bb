// The engine: owner of every jail's desired state and lifecycle (DESIGN.md
// sections 3, 5 and 6). The API calls it and nothing else; it calls the store
// and the Host port.
//
// Threads. Reads take the current snapshot and never block. Desired-state
// writes run on the caller's thread (the API's blocking pool) and end in an
// fsync. Lifecycle operations run on the engine's own workers (scheduler.h);
// one operation at a time per jail (op_queue.h: no thread waits for a turn),
// at most `parallel_starts` starts at once, each start launched only when its
// dependencies are ready.
// Jail exits arrive from the adapter's watcher thread and are handled on the
// workers. No loop polls: timers drive backoff, health checks and deadlines.
//
// The engine is the facade over parts that each own their state and lock:
// the event bus (event_bus.h: stored, then announced in order), the status
// publisher (status_publisher.h: the snapshot readers take), the launcher
// (launcher.h: starts waiting for their dependencies, start slots) and the
// per-jail operation queue (op_queue.h). What is left here is the jails'
// runtimes under one lock and the decisions that read them.
//
// Files: engine.cpp (desired state, status), lifecycle.cpp (start, stop,
// the operations), supervise.cpp (exits, restart policy, health checks),
// liveness.cpp, recover.cpp (reconciling at start-up, in phases),
// networks.cpp, releases.cpp, roots.cpp, templates.cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/engine/event_bus.h"
#include "lib/engine/launcher.h"
#include "lib/engine/op_queue.h"
#include "lib/engine/operation.h"
#include "lib/engine/scheduler.h"
#include "lib/engine/snapshot.h"
#include "lib/engine/status_publisher.h"
#include "lib/engine/sync.h"
#include "lib/host/host.h"
#include "lib/model/event.h"
#include "lib/model/jail_spec.h"
#include "lib/model/network.h"
#include "lib/model/release.h"
#include "lib/store/store.h"

namespace jaild::engine {

struct engine_options {
  std::filesystem::path state_dir;                     // run/ and log/ live here
  unsigned parallel_starts = 8;                        // starts running at once
  unsigned workers = 16;                               // engine threads
  std::chrono::milliseconds ready_timeout{60'000};     // a dependency must be ready within this
  std::chrono::milliseconds backoff_initial{100};      // first restart delay, then doubled
  std::chrono::milliseconds backoff_reset{10'000};     // uptime that resets the backoff
  int crashloop_restarts = 5;                          // more restarts than this ...
  std::chrono::milliseconds crashloop_window{60'000};  // ... within this window = crashloop
  std::size_t operations_kept = 1000;                  // finished operations kept in the store
  std::size_t queue_limit = 4;                         // operations waiting per jail before 409
  // Every running jail is looked up on the host this often (liveness.cpp),
  // the safety net under the watchers; 0 turns it off.
  std::chrono::milliseconds liveness_interval{30'000};
  // Provisioning: jaild's copies of releases, and the roots it makes
  // (JAILS_DIR/NAME, with its own JAILS_DIR/.jaild-TAG/NAME beside them,
  // TAG this jaild's instance tag).
  // Empty: STATE_DIR/releases and STATE_DIR/jails.
  std::filesystem::path releases_dir;
  std::filesystem::path jails_dir;
};

struct start_options {
  std::string reason = "requested";
  bool by_policy = false;  // a restart by the restart policy, not a user's start
};

struct stop_options_api {
  bool cascade = false;  // stop running dependents first
  bool force = false;    // go on past failing exec.prestop / exec.stop hooks
  std::string reason = "requested";
};

struct import_entry;    // import.h
struct archive_export;  // archives.h

class engine {
 public:
  engine(store::store& db, host::host& platform, engine_options options = {});
  ~engine();

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Loads the stored specs into the first snapshot (no host calls).
  void load();
  // Reconciles with the kernel before writes are served: adopts running jails
  // it owns, marks vanished ones, rolls back interrupted operations, removes
  // orphaned ledger objects (recover.cpp). Returns a summary for the log.
  nlohmann::json reconcile();
  // Starts the `boot` jails (and those whose restart policy wants them up) in
  // plan order, without waiting.
  void boot();
  // Stops supervision and the workers; jails keep running.
  void shutdown();

  std::shared_ptr<const snapshot> current() const;

  // ---- Desired state. Each throws jaild::error and, when it throws, has
  // changed nothing (neither the store nor the snapshot).
  std::shared_ptr<const jail_entry> create_jail(const model::jail_spec& spec);
  std::shared_ptr<const jail_entry> replace_jail(const model::jail_spec& spec);
  // RFC 7396 merge patch over the spec's JSON; the result is validated whole.
  std::shared_ptr<const jail_entry> patch_jail(const std::string& name,
                                               const nlohmann::json& patch);
  // Refuses a running jail unless `force` (which stops it first). A root
  // that jaild made goes with the jail unless `keep_root` (roots.cpp).
  void delete_jail(const std::string& name, bool force, bool keep_root = false);
  // Every jail in the store plus `changes`, for an all-or-nothing batch
  // (jail.conf import): validates, checks the dependency graph, plans the
  // network leases, writes. With `dry_run` it checks all of that, throws what
  // the write would throw, and writes nothing (returns no events).
  std::vector<model::event> apply_specs(const std::vector<store::store::jail_change>& changes,
                                        bool dry_run = false);

  // ---- Managed networks (networks.cpp). A VNET interface that names a
  // network leases its addresses from it when its spec is written; leases are
  // stored, kept across restarts and released with the jail or interface.
  model::network_spec create_network(const model::network_spec& net);
  void delete_network(const std::string& name);
  std::vector<model::network_spec> networks() const;
  std::optional<model::network_spec> find_network(const std::string& name) const;
  std::vector<store::lease_row> leases(const std::string& network = {});

  // ---- Releases (releases.cpp): bases that roots are made from. add_release
  // copies the source into RELEASES_DIR/NAME (a long call, journaled as a
  // `provision` operation); delete_release refuses while a jail's root uses
  // the release (release_in_use, naming them).
  model::release add_release(const model::release_request& request);
  std::vector<model::release> releases() const;
  std::optional<model::release> find_release(const std::string& name) const;
  void delete_release(const std::string& name);
  // ---- Templates (templates.cpp): releases of kind "template" copied from a
  // stopped jail's root (thick, cloned or the admin's own; a thin root has no
  // files of its own to copy), with a profile of spec fields. A root with
  // "template" is made from its copy; delete_release refuses while roots use it.
  model::release add_template(const model::template_request& request);
  std::vector<model::release> templates() const;
  // The body of a create, under the profile of the template its root names
  // (the body's fields win; a null drops an inherited one). Unchanged when it
  // names none, or one that does not exist (the create then refuses it).
  nlohmann::json with_template_profile(nlohmann::json body) const;
  // Where releases and roots live and what the jails directory can do, for /v1/info.
  nlohmann::json provisioning_info();
  // ---- Snapshots (snapshots.cpp) of a root that jaild made, each a
  // `provision` operation; refused (root_not_made) for any other root.
  // A rollback needs the jail stopped, or `restart`: stopped, rolled back and
  // started again (started again also when the rollback fails).
  host::snapshot_support snapshot_support(const std::string& jail);
  std::vector<host::snapshot_info> snapshots(const std::string& jail);
  host::snapshot_info take_snapshot(const std::string& jail, const std::string& name);
  void rollback_snapshot(const std::string& jail, const std::string& name, bool restart);
  void delete_snapshot(const std::string& jail, const std::string& name);
  // ---- Archives (archives.cpp): a stopped jail's spec and root as one
  // stream, and a jail made from one. begin_archive() checks and holds the
  // jail (until the export is destroyed); write_archive() streams it as a
  // `provision` operation. import_archive() makes the jail from the archive
  // in `file` (hostile input) with the name `name` ("" = the archive's).
  std::unique_ptr<archive_export> begin_archive(const std::string& jail);
  host::archive_info write_archive(archive_export& job,
                                   const std::function<void(const char*, std::size_t)>& sink);
  std::shared_ptr<const jail_entry> import_archive(const std::filesystem::path& file,
                                                   const std::string& name,
                                                   host::archive_info* made = nullptr);

  // ---- Lifecycle. Each returns the jail's operation at once (queued); wait()
  // on it for the synchronous API. Refusals (unknown jail, queue full,
  // running dependents) throw before any operation exists.
  std::shared_ptr<operation> start(const std::string& name, start_options options = {});
  std::shared_ptr<operation> stop(const std::string& name, stop_options_api options = {});
  std::shared_ptr<operation> restart(const std::string& name);

  host::exec_result exec(const std::string& name, const host::exec_request& request);
  // A streaming exec (the API's WebSocket): started now, pumped by the caller.
  std::unique_ptr<host::exec_session> open_exec(const std::string& name,
                                                const host::exec_stream_request& request);
  // Throws jail_running unless the jail runs (a streaming exec checks before
  // the upgrade).
  void require_running(const std::string& name);
  // The jail's entry; throws jail_not_found when there is none.
  std::shared_ptr<const jail_entry> require(const std::string& name) const;
  void signal(const std::string& name, host::signal_target target, int sig);
  std::map<std::string, double> stats(const std::string& name);
  // The last `max_bytes` of the jail's console log.
  std::string console_log(const std::string& name, std::size_t max_bytes);
  std::filesystem::path console_log_path(const std::string& name) const;

  std::shared_ptr<operation> find_operation(const std::string& id);
  std::vector<nlohmann::json> list_operations(const std::string& jail, std::size_t limit);
  // {"waves": [[...], ...], "parallel_starts": N}
  nlohmann::json boot_plan() const;

  // An import of jail.conf or JSON specs (import.cpp, import.h): plans
  // against the snapshot, then creates and replaces `specs` with
  // apply_specs, or changes nothing, and applies limits and cpuset live to
  // the changed jails that run (as a PUT does); with dry_run only plans and
  // runs apply_specs' checks. `source` ("jail.conf", "json") goes into the
  // events.
  std::vector<import_entry> import_jails(const std::vector<model::jail_spec>& specs,
                                         bool dry_run, const std::string& source);

  const engine_options& options() const { return options_; }
  // The host's description for /v1/info (platform, features, prerequisites).
  host::platform_info host_info() { return host_.info(); }
  // The API's tokens, kept in the store beside the jails.
  store::token_table& tokens() { return store_; }

  // ---- Events: stored first, then given to subscribers (the SSE stream,
  // metrics). Callbacks run on the thread that emitted; they must not block.
  using event_listener = event_bus::listener;
  std::uint64_t subscribe(event_listener listener) { return events_.subscribe(std::move(listener)); }
  void unsubscribe(std::uint64_t id) { events_.unsubscribe(id); }
  // Stored events after sequence `after` (GET /v1/events, a stream's catch-up).
  store::store::event_page read_events(std::int64_t after, std::size_t limit,
                                       const std::string& jail = {}) {
    return events_.read(after, limit, jail);
  }
  std::int64_t last_event_seq() { return events_.last_sequence(); }

  // Counters for /metrics.
  struct counters {
    std::uint64_t starts = 0, start_failures = 0, stops = 0, restarts = 0, crashes = 0;
  };
  counters totals() const;
  // The same per jail, for the jails that have a runtime record (every jail
  // an operation has touched since jaild started).
  std::map<std::string, counters> jail_totals() const;

 private:
  struct jail_runtime;

  // engine.cpp
  std::shared_ptr<jail_runtime> runtime_of(const std::string& name) REQUIRES(runtime_mutex_);
  void check_graph(const std::vector<model::jail_spec>& specs) const;
  // The jail's status, from its runtime, into the snapshot.
  void publish_status(const std::string& name) REQUIRES(runtime_mutex_);
  model::event emit(model::event ev) { return events_.emit(std::move(ev)); }
  void persist_runtime(jail_runtime& rt, std::optional<model::event> ev = std::nullopt)
      REQUIRES(runtime_mutex_);
  void set_state(jail_runtime& rt, model::jail_state next, const std::string& reason)
      REQUIRES(runtime_mutex_);
  model::jail_status status_of(const jail_runtime& rt) const;
  std::string new_operation_id();
  std::vector<host::object> objects_of(const std::string& jail);
  host::jail_context context_for(const model::jail_spec& spec, const jail_runtime& rt) const;

  // lifecycle.cpp
  // A running jail's handle and the context (the spec it runs with) that
  // holds what is run into it to the jail's confinement; throws jail_running.
  struct running_jail_target {
    host::running_jail handle;
    host::jail_context ctx;
  };
  running_jail_target running(const std::string& name) EXCLUDES(runtime_mutex_);
  // The plain create of a spec (apply_specs with its event).
  void create_jail_spec(const model::jail_spec& spec);

  // roots.cpp
  // A create whose spec has a root: reserves the name, makes the root (a
  // `provision` operation), then writes the spec; on any failure removes
  // what it made and writes nothing.
  // With `make`, the root is made by it (an archive's) instead of from a release.
  std::shared_ptr<const jail_entry> create_with_root(
      model::jail_spec spec,
      const std::function<void(const host::root_request&, host::journal&)>& make = {});
  // The host's view of a jail's root, from the spec (deterministic paths).
  host::root_request root_request_for(const model::jail_spec& spec) const;
  // Refuses a change of a jail's root after it was made, carries the root
  // over to a spec that leaves it out (a jail.conf import), and refuses a
  // root that no create_with_root() is making. Caller holds write_mutex_.
  void check_root_change(model::jail_spec& next, const model::jail_spec* old);
  // Runs `body` as a provision operation of `jail` with its own journal;
  // rethrows what `body` throws after the operation is stored as failed.
  void run_provision(const std::string& jail, const std::string& reason,
                     const std::function<void(host::journal&)>& body);
  // snapshots.cpp: the root of a jail whose root jaild made (root_not_made
  // for any other); holds the jail (jail_runtime::held) with `why` unless
  // it is "", refusing a jail that is busy, held, or running unless
  // `running_ok`. release_hold() clears it.
  host::root_request made_root(const std::string& jail, const std::string& why, bool running_ok);
  void release_hold(const std::string& jail);
  // Removes the roots of rows left 'making' by a crash (recover.cpp).
  void remove_unfinished_roots();
  std::filesystem::path releases_dir() const;
  std::filesystem::path jails_dir() const;
  // jaild's own files for the roots it makes (thin roots' upper and work
  // directories, clones' seeds): JAILS_DIR/.jaild-TAG, this instance's own,
  // so that two jailds given one jails_dir never use or remove each other's.
  std::filesystem::path private_root() const;
  // Copies `source` (an archive or a directory) into RELEASES_DIR/r.name as a
  // provision operation, stores r and returns it; kind "template" is kept.
  model::release import_release_copy(model::release r, const std::string& sha256);

  // networks.cpp
  // Leases for every jail in `next` that `changes` touch; throws
  // network_not_found / address_conflict. Caller holds write_mutex_.
  std::map<std::string, std::vector<store::lease_row>> plan_leases(
      const std::map<std::string, model::jail_spec>& next,
      const std::vector<store::store::jail_change>& changes);
  // Gives leases to the jails in `jails` whose interfaces name a network but
  // hold none of its addresses. Caller holds write_mutex_ (load()).
  void repair_leases(const snapshot::map& jails);
  // The interfaces of one start, with leased addresses and network bridges.
  std::vector<host::resolved_interface> interfaces_for(const model::jail_spec& spec,
                                                       const std::string& instance);

  // lifecycle.cpp
  // Whether the jail has an operation queued, waiting for its dependencies or
  // under way. Caller holds runtime_mutex_.
  bool busy(const std::string& name) const REQUIRES(runtime_mutex_);
  // Throws jail_not_found when a delete of the jail is under way. Caller
  // holds runtime_mutex_.
  void refuse_if_deleting(const std::string& name) const REQUIRES(runtime_mutex_);
  // Throws operation_in_progress when the jail's queue holds queue_limit
  // operations. Caller holds runtime_mutex_.
  void refuse_if_full(const std::string& name) const REQUIRES(runtime_mutex_);
  std::shared_ptr<operation> enqueue(const std::string& name, op_kind kind, std::string reason)
      REQUIRES(runtime_mutex_);
  // start(), answering with `reuse` (a restart's operation) when given.
  std::shared_ptr<operation> start_with(const std::string& name, start_options options,
                                        std::shared_ptr<operation> reuse) EXCLUDES(runtime_mutex_);
  // Queues a stop of `name` that runs once the operations `after` have
  // ended. Caller holds runtime_mutex_.
  std::shared_ptr<operation> queue_stop(const std::string& name, const stop_options_api& options,
                                        const std::vector<std::string>& after)
      REQUIRES(runtime_mutex_);
  // A cascade: queues a stop of each running dependent of `name`, each after
  // the stops of its own dependents; returns their ids. Caller holds
  // runtime_mutex_.
  std::vector<std::string> queue_dependent_stops(const snapshot& snap, const std::string& name,
                                                 const stop_options_api& options)
      REQUIRES(runtime_mutex_);
  // A pass of the launcher: launches the waiting starts whose dependencies
  // are ready and finishes those that can no longer start (finish() pumps
  // again; the launcher has taken them out first).
  void pump() REQUIRES(runtime_mutex_);
  // What a dependency of a waiting start is doing, from its runtime.
  launcher::dependency_state dependency_state_of(const std::string& dep, std::string& detail)
      REQUIRES(runtime_mutex_);
  bool ready(const std::string& name) const REQUIRES(runtime_mutex_);
  // The one runner of every operation, on a worker holding the jail's turn:
  // marks it current, begins it, gives `body` its journal, turns what `body`
  // throws into the operation's error code, then (under runtime_mutex_)
  // calls `on_end` and finish(). An operation `body` leaves unfinished succeeds.
  void run_operation(const std::shared_ptr<operation>& op,
                     const std::function<void(op_journal&)>& body,
                     const std::function<void()>& on_end = {}) EXCLUDES(runtime_mutex_);
  void run_start(const std::shared_ptr<operation>& op) EXCLUDES(runtime_mutex_);
  void start_steps(operation& op, op_journal& journal) EXCLUDES(runtime_mutex_);
  void run_stop(const std::shared_ptr<operation>& op, const stop_options_api& options);
  void stop_steps(operation& op, const stop_options_api& options, op_journal& journal)
      EXCLUDES(runtime_mutex_);
  // Stores and announces the outcome, wakes wait(), hands the jail's turn on.
  // Caller holds runtime_mutex_.
  void finish(const std::shared_ptr<operation>& op) REQUIRES(runtime_mutex_);
  // Destroys the bridges jaild created that no starting or running jail uses.
  void release_bridges(host::journal& steps) EXCLUDES(runtime_mutex_);
  // A running jail whose spec changed: applies limits, cpuset and published
  // ports live (an update operation, returned, or null when none was needed), restarts its
  // health checks, and marks drift for what only a restart applies
  // (lifecycle.cpp). Called after a spec change and after every start.
  std::shared_ptr<operation> apply_live(const std::string& name) EXCLUDES(runtime_mutex_);
  void update_steps(operation& op, const model::jail_spec& spec, op_journal& journal);
  // The jail's NAT and ports made again from ctx (host::publish), or its
  // firewall rows destroyed when it has neither any more.
  void update_ports(const host::jail_context& ctx, const host::running_jail& handle,
                    op_journal& journal, host::ledger& durable) EXCLUDES(runtime_mutex_);

  // supervise.cpp
  void watch(jail_runtime& rt);
  void on_exit(const std::string& name, const std::string& instance, host::exit_info info);
  // Queues the clean-up of a jail that ended by itself (a recover operation).
  void handle_exit(const std::string& name, const std::string& instance, host::exit_info info)
      EXCLUDES(runtime_mutex_);
  void recover_steps(operation& op, const std::string& instance, host::exit_info info,
                     op_journal& journal);
  void schedule_restart(jail_runtime& rt, const std::string& why) REQUIRES(runtime_mutex_);
  void start_health(jail_runtime& rt) REQUIRES(runtime_mutex_);
  void probe(const std::string& name, const std::string& instance);
  bool run_probe(const model::jail_spec& spec, const host::jail_context& ctx,
                 const jail_runtime& rt, std::string& detail);
  void cancel_timers(jail_runtime& rt) REQUIRES(runtime_mutex_);

  // addresses.cpp: the addresses of a running jail's DHCP and SLAAC
  // interfaces, looked up on the host (host::dynamic_addresses) into its status.
  void watch_addresses(const std::string& name, const std::string& instance)
      EXCLUDES(runtime_mutex_);
  void look_up_addresses(const std::string& name, const std::string& instance)
      EXCLUDES(runtime_mutex_);

  // recover.cpp: reconcile()'s phases, in the order they run.
  struct reconcile_tally {
    int adopted = 0, vanished = 0, rolled_back = 0, interrupted = 0, orphans = 0;
  };
  // Operations the store says were under way: failed, as jaild stopped.
  void fail_interrupted_operations(reconcile_tally& tally);
  // Jails whose handle was recorded: adopted when alive and fully started,
  // rolled back otherwise; returns the adopted (their objects stay).
  std::set<std::string> settle_recorded_jails(host::journal& journal, host::ledger& durable,
                                              reconcile_tally& tally) EXCLUDES(runtime_mutex_);
  void adopt(jail_runtime& rt, host::journal& journal, host::ledger& durable)
      EXCLUDES(runtime_mutex_);
  void roll_back(jail_runtime& rt, bool alive, bool defined, host::journal& journal,
                 host::ledger& durable, reconcile_tally& tally) EXCLUDES(runtime_mutex_);
  // Starts and stops that had not recorded a handle yet.
  void settle_unrecorded_jails(reconcile_tally& tally) EXCLUDES(runtime_mutex_);
  // Ledger objects that no adopted jail owns.
  void remove_orphans(const std::set<std::string>& keep, host::journal& journal,
                      host::ledger& durable, reconcile_tally& tally) EXCLUDES(runtime_mutex_);
  // Jails with jaild's mark that its records do not hold: reported, left alone.
  std::vector<std::string> unknown_jails() EXCLUDES(runtime_mutex_);

  // liveness.cpp
  // Starts the periodic check once (from watch()); a no-op after that.
  void start_liveness();
  void check_liveness() EXCLUDES(runtime_mutex_);

  store::store& store_;
  host::host& host_;
  // This jaild's tag (store::instance_tag): every instance id begins with it.
  const std::string instance_tag_;
  engine_options options_;

  // Locks, in the order they may be taken (a thread holding one takes only
  // those below it; -Wthread-safety checks the marks, see sync.h):
  //   write_mutex_ -> runtime_mutex_ -> networks_mutex_ -> releases_mutex_
  //   -> event_bus's -> status_publisher's -> (launcher's, op_queue's,
  //   scheduler's, operation's, the store's)
  // The parts' own locks are leaves: none calls back into the engine while
  // holding its lock, except the event bus's listeners (which must not emit).
  // Serialises desired-state writers.
  mutex write_mutex_;
  event_bus events_;
  status_publisher status_;

  // Runtime per jail; guarded by runtime_mutex_ (the map and each runtime's fields).
  mutable mutex runtime_mutex_ ACQUIRED_AFTER(write_mutex_);
  std::map<std::string, std::shared_ptr<jail_runtime>, std::less<>> runtimes_
      GUARDED_BY(runtime_mutex_);
  // Starts waiting for their dependencies, and the start slots; passes are
  // made under runtime_mutex_ (pump()), which its decisions read.
  launcher launcher_;
  // Per jail: restarts between their stop and start.
  std::map<std::string, int> handoffs_ GUARDED_BY(runtime_mutex_);
  std::map<std::string, std::shared_ptr<operation>> recent_ops_ GUARDED_BY(runtime_mutex_);
  std::deque<std::string> recent_order_ GUARDED_BY(runtime_mutex_);
  counters totals_ GUARDED_BY(runtime_mutex_);

  mutable mutex networks_mutex_ ACQUIRED_AFTER(runtime_mutex_);
  std::map<std::string, model::network_spec> networks_ GUARDED_BY(networks_mutex_);

  // Releases and the names of jails whose roots are being made.
  mutable mutex releases_mutex_ ACQUIRED_AFTER(networks_mutex_);
  std::map<std::string, model::release> releases_ GUARDED_BY(releases_mutex_);
  std::set<std::string> importing_ GUARDED_BY(releases_mutex_);   // releases being added
  std::set<std::string> making_roots_ GUARDED_BY(releases_mutex_);  // jails being created

  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> liveness_started_{false};
  std::unique_ptr<op_queue> queue_;   // posts to sched_
  std::unique_ptr<scheduler> sched_;  // last: its threads stop first
};

}  // namespace jaild::engine
