// The jail spec: what the admin asked for (DESIGN.md sections 2 and 7). It is
// stored, compared, planned and turned into host steps; the kernel's view of a
// jail is its status (jail_status.h).
//
// Field names follow jail.conf(5) where one exists. Parameters that jaild does
// not interpret are kept verbatim in `params` and survive every round trip
// (JSON, SQLite, jail.conf).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace jaild::model {

using duration = std::chrono::milliseconds;

// exec.* in jail(8)'s order. Each hook is a list of commands, run one after
// another with /bin/sh -c as jail(8) does; the first that fails stops the list.
struct exec_hooks {
  std::vector<std::string> prepare, prestart, created, start, poststart, prestop, stop,
      poststop, release;
  bool clean = true;           // exec.clean: start in-jail commands with a clean environment
  std::string jail_user;       // exec.jail_user
  std::string system_user;     // exec.system_user
  std::string consolelog;      // exec.consolelog: host file for hook output
  duration timeout{60'000};    // exec.timeout: every command, never infinite

  bool operator==(const exec_hooks&) const = default;
};

// mount.* and devfs.
struct mount_spec {
  bool devfs = false;                  // mount.devfs
  std::optional<int> devfs_ruleset;    // devfs_ruleset (jail(8) applies 4 when unset)
  bool fdescfs = false;                // mount.fdescfs
  bool procfs = false;                 // mount.procfs
  std::string fstab;                   // mount.fstab: a file of fstab(5) lines
  std::vector<std::string> entries;    // mount: fstab(5) lines, host paths

  bool operator==(const mount_spec&) const = default;
};

// The 802.1Q VLAN ids an interface may carry (0 and 4095 are reserved).
inline constexpr int min_vlan = 1;
inline constexpr int max_vlan = 4094;

// One VNET interface: an epair (a veth pair on Linux) whose host end joins a
// bridge and whose jail end gets the addresses.
struct vnet_interface {
  std::string bridge;                  // host bridge for the a-end
  std::string network;                 // a managed network to lease addresses from
  std::vector<std::string> ip4;        // "10.0.0.10/24"
  std::vector<std::string> ip6;
  std::string defaultrouter;           // IPv4 gateway inside the jail
  std::string defaultrouter6;
  std::string mac;                     // stable MAC of the jail end, generated when empty
  // The 802.1Q VLAN (1..4094) of the host end on its bridge: the jail's
  // frames are untagged, and only interfaces on the same VLAN of that bridge
  // see them. None: the bridge's default (untagged, every port alike).
  std::optional<int> vlan;

  bool operator==(const vnet_interface&) const = default;
};

struct vnet_spec {
  std::vector<vnet_interface> interfaces;
  bool operator==(const vnet_spec&) const = default;
};

enum class restart_policy { no, on_failure, always, unless_stopped };

struct restart_spec {
  restart_policy policy = restart_policy::no;
  int max_retries = 0;                 // on-failure:N; 0 = no limit
  duration backoff_max{60'000};        // cap of the doubling backoff

  bool operator==(const restart_spec&) const = default;
};

struct health_spec {
  std::vector<std::string> exec;       // argv run inside the jail; exit 0 = healthy
  std::string tcp;                     // "PORT" or "HOST:PORT" (HOST defaults to the jail's address)
  std::string http;                    // "http://HOST:PORT/PATH", 2xx/3xx = healthy
  duration interval{10'000};
  duration timeout{2'000};
  int retries = 3;
  duration start_period{0};

  bool operator==(const health_spec&) const = default;
};

// What jail root may do beyond the platform's default confinement profile
// (docs/security.md). jail(8)'s allow.* parameters in `params` widen it where
// FreeBSD has a name for the privilege (allow.raw_sockets, allow.mount,
// allow.chflags, allow.mlock); these fields widen it where FreeBSD has none.
struct confinement_spec {
  std::vector<std::string> capabilities;  // Linux capabilities added ("SYS_PTRACE"), canonical
  bool seccomp = true;        // the default seccomp filter ("default"); false = "unconfined"
  // What jaild runs into the jail (exec, exec.start/stop, health checks)
  // cannot gain privileges through setuid programs or file capabilities.
  bool no_new_privs = true;

  bool operator==(const confinement_spec&) const = default;
};

// How jaild makes `path` when the jail is created (issue 16): from a
// release, as a copy of its own (thick), as a writable layer over the
// release (thin: overlayfs on Linux, nullfs on FreeBSD) or as a
// copy-on-write clone (btrfs / ZFS). The root is made once; it is not
// changed by later writes of the spec.
enum class root_mode { thick, thin, clone };

struct root_spec {
  std::string release;         // a release of GET /v1/releases
  root_mode mode = root_mode::thick;
  std::string template_name;   // "template": the template the root is made from (its release then)

  // The directory of RELEASES_DIR the root is made from: the template's
  // when there is one, else the release's.
  const std::string& source() const { return template_name.empty() ? release : template_name; }
  bool operator==(const root_spec&) const = default;
};

std::string_view root_mode_name(root_mode m);

struct jail_spec {
  std::string name;
  std::string path;
  std::string hostname;
  nlohmann::json params = nlohmann::json::object();  // verbatim jail(8) parameters
  exec_hooks exec;
  std::vector<std::string> command;    // jail(8)'s `command`: argv of a single-process jail
  mount_spec mount;
  std::vector<std::string> ip4;        // shared-IP: "em0|192.0.2.5/24"
  std::vector<std::string> ip6;
  std::optional<vnet_spec> vnet;
  // Published ports (port.h): "tcp/8080:80", "udp/5353:53", "tcp/[::]:8443:443".
  std::vector<std::string> ports;
  std::vector<std::string> depend;
  int priority = 99;
  bool boot = false;
  bool persist = true;                 // keep the jail with no processes (jail(8)'s persist)
  std::vector<std::string> limits;     // RCTL rules without subject
  std::string cpuset;                  // "0-1,4"
  restart_spec restart;
  std::optional<health_spec> health;
  duration stop_timeout{10'000};       // stop.timeout
  confinement_spec confinement;
  // Free key/value metadata for whoever drives jaild (a scheduler finds its
  // own jails by them); jaild itself never acts on them.
  std::map<std::string, std::string> labels;
  // Set: jaild makes `path` (which may then be left out: JAILS_DIR/NAME).
  std::optional<root_spec> root;

  bool operator==(const jail_spec&) const = default;
};

// Decodes a spec from JSON, strictly: unknown fields, wrong types and bad
// values throw jaild::error with a JSON pointer to the field. Every field is
// checked with its validator (validate.h). Absent fields take their defaults.
// A spec with a `root` may leave `path` out: it stays empty until the engine
// gives it JAILS_DIR/NAME.
jail_spec spec_from_json(const nlohmann::json& j);

// Encodes a spec; spec_from_json(spec_to_json(s)) == s for every valid s.
// Defaults are written too, so a GET shows what jaild will do.
nlohmann::json spec_to_json(const jail_spec& s);

// Validates a whole spec (every field and the rules between fields, e.g. a
// VNET jail cannot also have shared-IP addresses). Throws jaild::error.
void validate_spec(const jail_spec& s);

// Field names of the spec (for error messages and for jailctl set).
const std::vector<std::string>& spec_field_names();

std::string_view restart_policy_name(restart_policy p);

}  // namespace jaild::model
