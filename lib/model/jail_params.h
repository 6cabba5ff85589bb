// jail(8)'s own parameter names and the kind of value each takes (FreeBSD
// 14's jail(8) and sys/kern/kern_jail.c), for what a client can check before
// it sends a parameter that jaild keeps verbatim in `params`: a name that is
// none of these is most likely a typo. Header-only: jailctl uses it too.
#pragma once

#include <array>
#include <string_view>

namespace jaild::model {

enum class param_kind { boolean, integer, text };

struct known_param {
  std::string_view name;
  param_kind kind;
};

// The names jailctl maps to spec fields (path, host.hostname, exec.*, ...)
// are not here.
inline constexpr auto known_jail_params = std::to_array<known_param>({
    {"allow.adjtime", param_kind::boolean},
    {"allow.chflags", param_kind::boolean},
    {"allow.extattr", param_kind::boolean},
    {"allow.mlock", param_kind::boolean},
    {"allow.mount", param_kind::boolean},
    {"allow.mount.devfs", param_kind::boolean},
    {"allow.mount.fdescfs", param_kind::boolean},
    {"allow.mount.fusefs", param_kind::boolean},
    {"allow.mount.linprocfs", param_kind::boolean},
    {"allow.mount.linsysfs", param_kind::boolean},
    {"allow.mount.nullfs", param_kind::boolean},
    {"allow.mount.procfs", param_kind::boolean},
    {"allow.mount.tmpfs", param_kind::boolean},
    {"allow.mount.zfs", param_kind::boolean},
    {"allow.nfsd", param_kind::boolean},
    {"allow.quotas", param_kind::boolean},
    {"allow.raw_sockets", param_kind::boolean},
    {"allow.read_msgbuf", param_kind::boolean},
    {"allow.reserved_ports", param_kind::boolean},
    {"allow.routing", param_kind::boolean},
    {"allow.set_hostname", param_kind::boolean},
    {"allow.setaudit", param_kind::boolean},
    {"allow.settime", param_kind::boolean},
    {"allow.socket_af", param_kind::boolean},
    {"allow.suser", param_kind::boolean},
    {"allow.sysvipc", param_kind::boolean},
    {"allow.unprivileged_proc_debug", param_kind::boolean},
    {"allow.vmm", param_kind::boolean},
    {"allow.dying", param_kind::boolean},
    {"children.max", param_kind::integer},
    {"cpuset.id", param_kind::integer},
    {"devfs_ruleset", param_kind::integer},
    {"enforce_statfs", param_kind::integer},
    {"exec.fib", param_kind::integer},
    {"exec.system_jail_user", param_kind::boolean},
    {"host", param_kind::text},
    {"host.domainname", param_kind::text},
    {"host.hostid", param_kind::integer},
    {"host.hostuuid", param_kind::text},
    {"interface", param_kind::text},
    {"ip4", param_kind::text},
    {"ip4.saddrsel", param_kind::boolean},
    {"ip6", param_kind::text},
    {"ip6.saddrsel", param_kind::boolean},
    {"ip_hostname", param_kind::boolean},
    {"jid", param_kind::integer},
    {"linux", param_kind::text},
    {"linux.osname", param_kind::text},
    {"linux.osrelease", param_kind::text},
    {"linux.oss_version", param_kind::integer},
    {"mac.label", param_kind::text},
    {"meta", param_kind::text},
    {"env", param_kind::text},
    {"osreldate", param_kind::integer},
    {"osrelease", param_kind::text},
    {"securelevel", param_kind::integer},
    {"sysvmsg", param_kind::text},
    {"sysvsem", param_kind::text},
    {"sysvshm", param_kind::text},
    {"vnet.interface", param_kind::text},
    {"zfs.mount_snapshot", param_kind::boolean},
});

}  // namespace jaild::model
