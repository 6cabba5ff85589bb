// The Host port (DESIGN.md section 4): everything jaild asks of the kernel, in
// the vocabulary of the start and stop pipelines (section 3). The engine calls
// it; lib/host/linux and lib/host/freebsd implement it; tests use a double.
//
// Rules every adapter keeps:
// - Every call blocks and is made from the engine's blocking pool, never from
//   an I/O thread. Calls for different jails may run concurrently; calls for
//   one jail never do (the engine serialises them).
// - Every host object a call creates is given to ledger::record() *before* it
//   is created, and to ledger::forget() after it is destroyed, so that a crash
//   at any moment leaves nothing that destroy() cannot find and remove.
// - Every command or syscall that changes the host is appended to the journal
//   as a step_record (what ran, status, stderr, duration): jaild's `jail -v`.
// - A failure throws jaild::error (host_failure, timeout, unsupported_on_platform,
//   prerequisite_missing) after the failing step is journaled. The adapter
//   does not roll back: the engine undoes completed steps in reverse.
// - destroy() is idempotent: an object that is already gone is success.
// - No shell ever sees a value from a spec, except the admin's own exec.*
//   hook strings, which run with /bin/sh -c exactly as jail(8) runs them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/host/exec_session.h"
#include "lib/host/provisioning.h"
#include "lib/model/jail_spec.h"

namespace jaild::host {

// ---------------------------------------------------------------------------
// Journal and ledger: the two sinks every changing call writes to.

struct step_record {
  std::string step;                    // "alias.add", "mount.devfs", "exec.prestart", "jail.create"...
  std::vector<std::string> argv;       // the command, or the syscall and its arguments as text
  int status = 0;                      // exit status or errno; 0 = success
  std::string output;                  // stdout of a command (truncated to 64 KiB)
  std::string error;                   // stderr of a command or the kernel's message
  std::chrono::microseconds duration{0};

  bool ok() const { return status == 0 && error.empty(); }
};

nlohmann::json step_to_json(const step_record& s);

class journal {
 public:
  virtual ~journal() = default;
  virtual void record(const step_record& step) = 0;
};

// The kinds of host object jaild creates and must be able to remove later.
enum class object_kind {
  alias,          // an address alias on a host interface (shared-IP jails)
  mount,          // a mount on the host (devfs, nullfs/bind, tmpfs, fstab lines)
  epair,          // an epair (FreeBSD) / veth pair (Linux)
  bridge,         // a bridge jaild created because it was missing
  rctl,           // the RCTL rules of one jail (FreeBSD)
  cgroup,         // one cgroup directory (Linux)
  jail,           // the jail itself (FreeBSD jail / Linux init process)
  devfs_ruleset,  // a devfs ruleset jaild generated
  file,           // a file jaild wrote on the host (resolv.conf copy, ...)
  firewall,       // the packet filter rules of one jail: NAT and published ports
};

std::string_view object_kind_name(object_kind k);
std::optional<object_kind> object_kind_from_name(std::string_view name);

// One host object. `key` is unique within its kind on the host (an interface
// name, a mount point, a cgroup path); `attrs` holds whatever destroy() needs.
struct object {
  object_kind kind = object_kind::file;
  std::string owner;        // the jail it belongs to ("" for shared objects such as bridges)
  std::string key;
  nlohmann::json attrs = nlohmann::json::object();

  bool operator==(const object&) const = default;
};

class ledger {
 public:
  virtual ~ledger() = default;
  // Written durably before the object is created.
  virtual void record(const object& obj) = 0;
  // Called after the object is destroyed (or found already gone).
  virtual void forget(const object& obj) = 0;
};

// The sinks of one operation, passed to every changing call.
struct step_sinks {
  journal& steps;
  ledger& objects;
};

// ---------------------------------------------------------------------------
// What a call needs to know about the jail.

// A VNET interface with everything allocated: names, addresses, MAC.
struct resolved_interface {
  std::string host_end;     // "e0a_<id>": joins the bridge (at most 15 characters)
  std::string jail_end;     // "e0b_<id>": moves into the jail
  std::string bridge;
  std::vector<std::string> bridge_ip4;   // the bridge's own address, when it must be created
  std::vector<std::string> ip4;          // "10.0.0.10/24"
  std::vector<std::string> ip6;
  std::string defaultrouter;
  std::string defaultrouter6;
  std::string mac;                       // of the jail end, always set
  // Egress NAT of the interface's network: nullopt = none, "" = out of the
  // host's default route, else the uplink interface.
  std::optional<std::string> nat = std::nullopt;
  // The IPv4 subnet the interface is on ("10.0.0.0/24"): the network's, or
  // the one its first address's prefix gives; "" when unknown.
  std::string subnet4 = {};
  // The bridge's own IPv6 address ("fd00:1::1/64"), when it must be created.
  std::vector<std::string> bridge_ip6 = {};
  // The VLAN of the host end on the bridge (model::vnet_interface::vlan).
  std::optional<int> vlan = std::nullopt;
  // "ip4": ["dhcp"]: the jail's own client sets the IPv4 address and route
  // (ip4 and defaultrouter stay empty). `lease4` ("10.0.0.5/24"), when the
  // interface's network serves DHCP: what jaild's server on the bridge hands
  // to `mac` (the IPAM lease).
  bool dhcp4 = false;
  std::string lease4 = {};
  // "ip6": ["slaac"]: the jail accepts router advertisements on this
  // interface and forms its IPv6 addresses (ip6 and defaultrouter6 stay empty).
  bool slaac6 = false;
};

struct jail_context {
  model::jail_spec spec;
  // A short id allocated by jaild and recorded in the store: the jaild's tag
  // (store::instance_tag) and a counter, so that two jailds on one host never
  // have the same. Names of host objects derive from it (never from the JID):
  // "e0a_<id>", cgroup "jaild-<tag>/<name>.<id>".
  std::string instance;
  std::vector<resolved_interface> interfaces;
  // Host directory for this jail's runtime files (console log, init status).
  std::filesystem::path run_dir;
  // A root that jaild made: a thin one is mounted (and ledgered) by
  // mount_filesystems() before anything else, and goes at the stop.
  std::optional<root_request> root;
};

// A jail in the kernel, as far as jaild needs to find it again.
struct running_jail {
  std::string name;
  std::int64_t jid = -1;    // FreeBSD JID; on Linux the PID of the jail's init in the host
  std::int64_t pid = -1;    // the process whose end ends the jail (Linux init; FreeBSD -1)
  // Adapter-specific proof of identity that survives a jaild restart (e.g. the
  // init's start time, so a recycled PID is not mistaken for the jail).
  std::string token;

  bool operator==(const running_jail&) const = default;
};

nlohmann::json running_jail_to_json(const running_jail& j);
running_jail running_jail_from_json(const nlohmann::json& j);

struct exec_request {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the clean environment
  std::string user;                        // "" = root
  std::string cwd;                         // "" = "/"
  std::chrono::milliseconds timeout{60'000};
  std::string input;                       // written to stdin, then closed
  // Kept of stdout and of stderr each; what comes beyond is read and
  // dropped (counted in exec_result), so jaild's memory stays bounded.
  std::size_t output_limit = std::size_t{1} << 20;
};

struct exec_result {
  int exit_code = 0;         // 128+N when killed by signal N
  std::string output;        // stdout, at most exec_request::output_limit bytes
  std::string error;         // stderr, as bounded
  bool timed_out = false;
  std::chrono::microseconds duration{0};
  std::uint64_t output_cut = 0;  // bytes of stdout beyond the limit, dropped
  std::uint64_t error_cut = 0;   // bytes of stderr beyond the limit, dropped
};

// A streaming exec (GET /v1/jails/{name}/exec): what runs, and how.
struct exec_stream_request {
  std::vector<std::string> argv;           // empty with login
  std::map<std::string, std::string> env;  // added to the clean environment
  std::string user;                        // "" = root
  std::string cwd;                         // "" = "/"
  bool login = false;   // the user's login shell from the jail's passwd, as jexec -l runs it
  bool tty = false;     // a pseudo-terminal: stdin, stdout and stderr are its slave
  unsigned rows = 24, cols = 80;
};

// Whom POST /v1/jails/{name}/signal is for.
struct signal_target {
  enum class kind { init, all, pid };
  kind what = kind::init;  // init: the jail's first process; all: every process but init
  std::int64_t pid = 0;    // kind::pid: the process as the jail numbers it
};

// How a jail ended, as seen by the watcher.
struct exit_info {
  int status = 0;            // exit status of the jail's init (or 128+signal); -1 if unknown
  bool known = false;        // false when jaild was not the parent (adopted jail)
};

// A prerequisite of the platform (kernel feature, module, sysctl).
struct prerequisite {
  std::string name;          // "kern.features.vimage", "cgroup.memory"
  bool ok = false;
  std::string message;       // when not ok: one sentence of what to change
  std::vector<std::string> needed_by;  // spec features that need it: "vnet", "limits", ...
  // Missing it is worth saying, not a reason to refuse: the jail runs (check()
  // returns the message as a warning). Refusals are for what the kernel cannot do.
  bool warning = false;
};

struct platform_info {
  std::string platform;      // "freebsd" | "linux"
  std::string kernel;        // uname -sr
  std::string hostname;
  int cpus = 0;
  std::vector<prerequisite> prerequisites;
  nlohmann::json details = nlohmann::json::object();  // adapter-specific facts
};

nlohmann::json platform_info_to_json(const platform_info& p);

// ---------------------------------------------------------------------------
// The port.

class host {
 public:
  virtual ~host() = default;

  virtual platform_info info() = 0;

  // Refuses (throws) a spec this host cannot run: a limit the platform cannot
  // enforce, a missing prerequisite. Returns warnings for what it runs with a
  // weaker guarantee (e.g. shared-IP isolation on Linux).
  virtual std::vector<std::string> check(const model::jail_spec& spec) = 0;

  // Runs one exec.* hook command on the host, as jail(8) does: /bin/sh -c
  // COMMAND, with the jail's name and path in the environment, bounded by
  // spec.exec.timeout. Throws host_failure on a non-zero exit, timeout on timeout.
  virtual void run_host_hook(const jail_context& ctx, std::string_view stage,
                             const std::string& command, step_sinks sinks) = 0;

  // Start pipeline, in jail(8)'s order. Each call records what it creates.
  virtual void add_aliases(const jail_context& ctx, step_sinks sinks) = 0;
  virtual void mount_filesystems(const jail_context& ctx, step_sinks sinks) = 0;
  virtual void create_interfaces(const jail_context& ctx, step_sinks sinks) = 0;
  virtual running_jail create_jail(const jail_context& ctx, step_sinks sinks) = 0;
  virtual void apply_limits(const jail_context& ctx, const running_jail& jail,
                            step_sinks sinks) = 0;
  // Moves the VNET jail ends in, sets addresses, MAC, loopback and routes.
  virtual void attach_interfaces(const jail_context& ctx, const running_jail& jail,
                                 step_sinks sinks) = 0;
  // After attach_interfaces (and on a live change of spec.ports): the
  // packet filter rules of the jail, made or replaced as a whole: egress NAT
  // of its interfaces whose network has `nat`, and its published ports
  // (spec.ports) forwarded to its address, reachable from outside, from the
  // host and from the other jails of its subnet (hairpin). Ledgers one
  // `firewall` object; does nothing when the jail has no NAT and no ports.
  virtual void publish(const jail_context& ctx, const running_jail& jail, step_sinks sinks) = 0;
  // Runs one exec.start / exec.stop command inside the jail (/bin/sh -c).
  virtual void run_jail_hook(const jail_context& ctx, const running_jail& jail,
                             std::string_view stage, const std::string& command,
                             step_sinks sinks) = 0;

  // jail(8)'s `command`, called once after the exec.start hooks and before
  // exec.poststart: starts spec.command (if any) inside the jail as its main
  // process (an argv, no shell; not waited for). An adapter whose jails end
  // by themselves may also let persist go here (Linux's init does both at
  // once). The default does nothing, for adapters whose create_jail()
  // already owns the jail's main process.
  virtual void start_main(const jail_context& ctx, const running_jail& jail,
                          step_sinks sinks) {
    (void)ctx, (void)jail, (void)sinks;
  }
  // The last start step, after exec.poststart, as jail(8)'s clear_persist at
  // jail_create_done (usr.sbin/jail/jail.c): when spec.persist is false, drops
  // the persist flag the jail was created with, so that it ends with its last
  // process; poststart hooks run while it cannot end under them.
  virtual void clear_persist(const jail_context& ctx, const running_jail& jail,
                             step_sinks sinks) {
    (void)ctx, (void)jail, (void)sinks;
  }

  // Stop: SIGTERM to every process of the jail, wait up to spec.stop_timeout,
  // SIGKILL, then remove the jail. Objects stay for destroy().
  virtual void stop_jail(const jail_context& ctx, const running_jail& jail,
                         step_sinks sinks) = 0;

  // Removes one ledgered object; idempotent. Used by stop, by rollback and by
  // the reconciler after a crash.
  virtual void destroy(const object& obj, step_sinks sinks) = 0;

  // Live changes on a running jail.
  virtual void update_limits(const jail_context& ctx, const running_jail& jail,
                             step_sinks sinks) = 0;

  // exec into a running jail (the API's /exec, health checks), held to the
  // confinement of ctx.spec (the spec the jail runs with). A user or cwd the
  // jail does not have throws invalid_value (/user, /cwd).
  virtual exec_result exec(const jail_context& ctx, const running_jail& jail,
                           const exec_request& req) = 0;

  // A streaming exec: the command started inside the jail with its streams
  // (or a PTY) open to the caller, held to the same confinement as exec().
  // Throws as exec() does; unsupported_on_platform where there is none.
  virtual std::unique_ptr<exec_session> open_exec(const jail_context& ctx,
                                                  const running_jail& jail,
                                                  const exec_stream_request& req);

  // Sends `sig` to processes of the jail, with no more power than jail root
  // has: a PID names a process of the jail as the jail sees it, never a
  // host process. Throws process_not_found when there is no such process.
  virtual void signal(const jail_context& ctx, const running_jail& jail, signal_target target,
                      int sig);

  // RCTL-named usage: memoryuse, pcpu, maxproc, cputime, openfiles...
  virtual std::map<std::string, double> usage(const running_jail& jail) = 0;

  // Whether the jail still runs (and is the same jail: token checked).
  virtual bool alive(const running_jail& jail) = 0;

  // The jails this host runs that carry jaild's mark, for adoption at start-up.
  virtual std::vector<running_jail> list_jails() = 0;

  // The addresses the jail's own clients gave its DHCP and SLAAC interfaces
  // ("10.0.0.5/24", global scope only), as the kernel has them now. Empty
  // for a jail without such interfaces, or where the adapter cannot look.
  virtual std::vector<std::string> dynamic_addresses(const jail_context& ctx,
                                                     const running_jail& jail) {
    (void)ctx, (void)jail;
    return {};
  }
  // What the host side gives a running jail while it runs, begun again for a
  // jail adopted after jaild restarted (attach_interfaces begins it at the
  // start): the DHCP server's leases for its interfaces. Ends with the
  // interfaces' destroy(). The default has nothing to give.
  virtual void resume_services(const jail_context& ctx, const running_jail& jail) {
    (void)ctx, (void)jail;
  }

  // Calls on_exit once, from the adapter's own thread, when the jail ends.
  // Event-driven (pidfd / kqueue), never polling. Returns false when the jail
  // is already gone. unwatch() cancels; on_exit is not called after it returns.
  virtual bool watch(const running_jail& jail, std::function<void(exit_info)> on_exit) = 0;
  virtual void unwatch(const running_jail& jail) = 0;

  // ---- Provisioning (provisioning.h). The defaults refuse with
  // unsupported_on_platform, for adapters (and doubles) that have none.

  // Copies a release into r.target, whole or not at all: it is made beside
  // the target and renamed into place. Checks r.sha256 of an archive first.
  // Throws invalid_value (source missing, not an archive or directory, digest
  // mismatch; field /source or /sha256) or host_failure.
  virtual release_contents import_release(const release_import& r, journal& steps);
  // Removes a release directory that import_release() made; idempotent.
  virtual void remove_release(const std::filesystem::path& dir, journal& steps);
  // What the file system of `dir` can do for roots made in it.
  virtual storage_info storage(const std::filesystem::path& dir);
  // Makes r.path (and r.private_dir) from the release as r.mode says.
  // Refuses (root_not_made) a path that exists. Unlike the pipeline's calls,
  // a failure removes what this call made (and never what was there before
  // it) before it throws.
  virtual void make_root(const root_request& r, journal& steps);
  // Removes a root make_root() made, and its private directory: clears the
  // immutable and append-only flags, never follows a symbolic link, never
  // crosses into a mount below the root. Refuses (jail_running) while
  // anything is mounted at or below it. Idempotent.
  virtual void remove_root(const root_request& r, journal& steps);

  // ---- Snapshots of a root make_root() made (provisioning.h). The engine
  // checks the jail's state and the names; these keep the snapshots in
  // r.private_dir (never reachable from the jail) or in the root's dataset.
  // How this root is snapshotted ("" backend when it cannot be).
  virtual snapshot_support snapshot_backend(const root_request& r);
  // Makes snapshot `name`, whole or not at all. Throws snapshot_exists.
  virtual snapshot_info make_snapshot(const root_request& r, const std::string& name,
                                      journal& steps);
  // Oldest first.
  virtual std::vector<snapshot_info> list_snapshots(const root_request& r);
  // Puts the root (or a thin root's own layer) back as snapshot `name` was;
  // the jail is stopped. Throws snapshot_not_found.
  virtual void rollback_snapshot(const root_request& r, const std::string& name, journal& steps);
  virtual void remove_snapshot(const root_request& r, const std::string& name, journal& steps);

  // ---- Archives (provisioning.h). The format this host writes and reads
  // ("tar+zstd"); "" = none.
  virtual std::string archive_format() const { return {}; }
  // Writes `manifest` and the root of a
  // stopped jail to `sink` as the archive format of this host, streaming;
  // `sink` throws to stop it.
  virtual archive_info write_archive(const root_request& r, const std::string& manifest,
                                     const std::function<void(const char*, std::size_t)>& sink,
                                     journal& steps);
  // The manifest of the archive in `file`; archive_invalid when it is none.
  virtual std::string archive_manifest(const std::filesystem::path& file);
  // Makes r.path from the archive in `file`, which is hostile input: it
  // stays below r.path and never follows a link (archive_invalid when a
  // member would not). Refuses (root_not_made) a path that exists; removes
  // what it made when it fails.
  virtual archive_info make_root_from_archive(const root_request& r,
                                              const std::filesystem::path& file, journal& steps);
};

}  // namespace jaild::host
