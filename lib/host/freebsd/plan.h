// What the FreeBSD adapter does for a jail, as pure functions of the jail's
// context: the name it has in the kernel, the jail_set(2) parameters, the argv
// of every ifconfig(8), route(8), mount(8) and umount(8) it runs, the RCTL
// rules it adds and the CPUs it pins. Nothing here touches the host, so the
// unit tests check all of it on any platform, against golden files.
//
// The argv follow what jail(8) itself runs (usr.sbin/jail/command.c) where
// jail(8) has a step of its own (aliases, mounts, vnet.interface), and the
// book's and jib's plumbing for VNET (epair create, rename, bridge addm).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/host/freebsd/system.h"
#include "lib/host/host.h"
#include "lib/model/jail_spec.h"

namespace jaild::host::freebsd {

inline constexpr const char* ifconfig_path = "/sbin/ifconfig";
inline constexpr const char* mount_path = "/sbin/mount";
inline constexpr const char* umount_path = "/sbin/umount";
// Static host binaries for the commands that run inside a VNET jail.
inline constexpr const char* rescue_ifconfig_path = "/rescue/ifconfig";
inline constexpr const char* rescue_route_path = "/rescue/route";

// ---------------------------------------------------------------------------
// Names.

// jaild's jails carry its mark in their kernel name: "jaild-" + the spec's
// name. list_jails() adopts only jails with the prefix, so jaild never touches
// a jail that rc.d/jail, iocage ("ioc-") or an admin made; and a foreign jail
// cannot collide with one of jaild's by name. The prefix is what jls(8),
// jexec(8) and rctl(8) show.
inline constexpr std::string_view kernel_name_prefix = "jaild-";
std::string kernel_name(std::string_view spec_name);
// The spec name of a kernel name with jaild's mark; nullopt for other jails.
std::optional<std::string> spec_name_of(std::string_view kernel_name);

// The description set on the host end of every epair ("jail:jaild-web"), so
// that an epair left behind by a crash can be found and removed.
std::string epair_description(std::string_view spec_name);

struct epair_names {
  std::string host_end;   // "e0a_<instance>": stays on the host, joins the bridge
  std::string jail_end;   // "e0b_<instance>": moves into the jail
};
// Names derive from the instance jaild allocated (never from the JID, which is
// known only after creation and changes at every start). Throws invalid_value
// when they would exceed 15 characters (IFNAMSIZ - 1).
epair_names epair_names_for(std::string_view instance, std::size_t index);
// Throws invalid_value unless both ends of a resolved interface have names
// ifconfig accepts (1-15 letters, digits or '_') that differ, and a bridge.
void check_interface_names(const resolved_interface& itf);
// A stable, locally administered unicast MAC for a jail end with no MAC.
std::string derived_mac(std::string_view instance, std::size_t index);

// ---------------------------------------------------------------------------
// jail_set(2).

// The parameters jail_set(JAIL_CREATE) gets, in jail(8)'s order: name, path,
// host.hostname, addresses, vnet, devfs_ruleset, the verbatim params, with
// `with_meta` (a kernel with the `meta` parameter) jaild's mark in `meta`
// (jaild_meta()), and persist (always: jail(8) creates every jail persistent
// and clears it after the start, see nopersist_params()).
std::vector<jail_param> create_params(const jail_context& ctx, bool with_meta = false);
// The key jaild writes into a jail's `meta` (kern_jailmeta.c: key=value lines,
// at most 4096 bytes, not visible inside the jail): its instance, so that a
// jail of jaild's is recognised, and which start made it, without the database.
inline constexpr std::string_view meta_key = "jaild.id";
// The admin's own `meta` text (params.meta, "" when none) with jaild.id=ID in
// place of any jaild.id line it had.
std::string jaild_meta(std::string_view admin_meta, std::string_view id);
// The value of `key` in `meta` text; nullopt when the key is not there.
std::optional<std::string> meta_value(std::string_view meta, std::string_view key);
// jail_set(JAIL_UPDATE) that lets a jail with spec.persist == false end with
// its last process; empty when the jail stays persistent.
std::vector<jail_param> nopersist_params(const jail_context& ctx, std::int64_t jid);
// The jail_set step as journal text: {"jail_set", "JAIL_CREATE", "name=...", ...}.
std::vector<std::string> jail_set_journal(const std::vector<jail_param>& params,
                                          jail_set_mode mode);

// ---------------------------------------------------------------------------
// Shared-IP aliases (jail(8)'s ip4.addr / ip6.addr with an interface).

struct alias {
  std::string iface;
  bool v6 = false;
  std::string addr;         // canonical text
  int prefix_len = -1;      // -1 when not written

  bool operator==(const alias&) const = default;
};
// Only addresses that name an interface get an alias, as in jail(8).
std::vector<alias> shared_ip_aliases(const model::jail_spec& spec);
// "/sbin/ifconfig em0 inet 192.0.2.5 netmask 255.255.255.255 alias" (or -alias).
std::vector<std::string> alias_argv(const alias& a, bool add);
// The ledger key: unique per host ("em0 inet 192.0.2.5").
std::string alias_key(const alias& a);
nlohmann::json alias_attrs(const alias& a);
std::optional<alias> alias_from_attrs(const nlohmann::json& attrs);

// ---------------------------------------------------------------------------
// Mounts, in jail(8)'s order: mount lines, mount.fstab lines, devfs, fdescfs,
// procfs. Unmounting is the reverse.

struct mount_step {
  std::string step;                 // "mount.entry", "mount.fstab", "mount.devfs", ...
  std::string point;                // the host path mounted on (the ledger key)
  std::string fstype;
  std::vector<std::string> argv;

  bool operator==(const mount_step&) const = default;
};
// fstab_text is the content of spec.mount.fstab ("" when there is none).
// Throws invalid_value for an fstab line with fewer than 3 fields or a mount
// point that is not below the jail's path (components_below(), jail_path.h:
// jail(8) would mount anywhere; jaild mounts only inside the jail). Whether a
// point is reached through a symbolic link is for the adapter to check on the
// host, with jail(8)'s check_path (jail_path.h), just before it mounts.
std::vector<mount_step> mount_plan(const model::jail_spec& spec, const std::string& fstab_text);
std::vector<std::string> umount_argv(const std::string& point);
// The devfs ruleset a jail gets: its own, else with mount.devfs 5
// (devfsrules_jail_vnet) for a VNET jail and 4 (devfsrules_jail) for others.
std::optional<int> devfs_ruleset(const model::jail_spec& spec);
// ---------------------------------------------------------------------------
// VNET: epairs and bridges on the host, addresses and routes inside.

// The VNET interfaces of a jail with names, addresses and MACs: the ones the
// engine resolved (ctx.interfaces), else the spec's, named from the instance.
std::vector<resolved_interface> resolved_interfaces(const jail_context& ctx);

// "ifconfig epair create descr jail:NAME up": the kernel picks the unit; the
// command prints the a end's name ("epair3a").
std::vector<std::string> epair_create_argv(std::string_view spec_name);
// The a end's name printed by epair_create_argv(); nullopt if not an epair.
std::optional<std::string> created_epair(std::string_view output);
// The b end of an epair a end ("epair3a" -> "epair3b").
std::string epair_peer(std::string_view a_end);
std::vector<std::string> rename_argv(const std::string& from, const std::string& to);
std::vector<std::string> jail_end_argv(const std::string& from, const std::string& to,
                                       const std::string& mac);
// A bridge named bridgeN is created with its unit; any other name is created
// and renamed (ifconfig's "bridge create name X").
std::vector<std::string> bridge_create_argv(const std::string& bridge);
std::vector<std::string> bridge_address_argv(const std::string& bridge, const std::string& cidr);
std::vector<std::string> bridge_addm_argv(const std::string& bridge, const std::string& member);
// VLANs (model::vnet_interface::vlan) with the bridge's per-member VLAN
// filtering of FreeBSD 15.0 (if_bridge(4)): the member's untagged VLAN,
// which turns filtering on for it, so that it reaches only members of that
// VLAN: "ifconfig BRIDGE ifuntagged MEMBER N".
std::vector<std::string> bridge_untagged_argv(const std::string& bridge, const std::string& member,
                                              int vlan);
// "ifconfig BRIDGE": what bridge_vlan_filtering() reads.
std::vector<std::string> bridge_show_argv(const std::string& bridge);
// Whether `ifconfig BRIDGE` output comes from a kernel and ifconfig with
// per-member VLAN filtering: they print the bridge's "bridge flags" line,
// which older ones do not have.
bool bridge_vlan_filtering(std::string_view ifconfig_output);
std::vector<std::string> destroy_interface_argv(const std::string& name);
// "ifconfig e0b_x vnet JID", as jail(8) does for vnet.interface.
std::vector<std::string> vnet_move_argv(const std::string& jail_end, std::int64_t jid);
// lo0, the addresses and the default routes inside the jail, in that order.
std::vector<command> vnet_inside(const resolved_interface& itf, const std::string& jail_end,
                                 std::int64_t jid, bool first_interface);

// ---------------------------------------------------------------------------
// RCTL and cpuset.

// "jail:jaild-web"
std::string rctl_subject(std::string_view spec_name);
// The rules as rctl_add_rule(2) takes them: the kernel does not read rctl(8)'s
// unit suffixes, so amounts are expanded ("jail:jaild-web:memoryuse:deny=2147483648").
std::vector<std::string> rctl_kernel_rules(const model::jail_spec& spec);
// The same rules as an admin writes them ("jail:jaild-web:memoryuse:deny=2G").
std::vector<std::string> rctl_human_rules(const model::jail_spec& spec);
// The filter that removes every rule of the jail ("jail:jaild-web:").
std::string rctl_remove_filter(std::string_view spec_name);

// What update_limits changes: rules to remove (as filters) and to add.
struct rctl_change {
  std::vector<std::string> remove;
  std::vector<std::string> add;
};
// current: the jail's rules as rctl_get_rules(2) returns them (parse.h).
rctl_change rctl_diff(const std::vector<std::string>& current,
                      const std::vector<std::string>& wanted);

// The CPUs of spec.cpuset (empty: no pinning).
std::vector<int> cpuset_cpus(const model::jail_spec& spec);
std::vector<std::string> cpuset_journal(std::int64_t jid, const std::vector<int>& cpus);

// ---------------------------------------------------------------------------
// Hooks and exec.

// The environment of a hook on the host: PATH, and the jail's names and path.
std::map<std::string, std::string> host_hook_env(const jail_context& ctx);
// The clean environment of a command inside a jail (jail(8)'s exec.clean).
std::map<std::string, std::string> jail_env(const std::string& user);

}  // namespace jaild::host::freebsd
