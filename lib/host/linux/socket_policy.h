// What keeps a shared-IP jail on Linux to its own addresses, as FreeBSD
// keeps such a jail (prison_local_ip4/6, prison_remote_ip4/6): cgroup socket
// hooks (BPF_PROG_TYPE_CGROUP_SOCK_ADDR) attached to the jail's cgroup in the
// unified hierarchy. Pure: the programs, built from the jail's addresses.
//
// - bind: an address of the jail is bound as asked; the wildcard and the
//   loopback address become the jail's first address (FreeBSD maps them the
//   same way); any other address is refused (EPERM).
// - connect (TCP, and UDP connect): a destination on loopback becomes the
//   jail's first address; an unbound socket is bound to the jail's first
//   address first, so the connection leaves from it.
// - sendmsg (unconnected UDP): the same for each datagram's destination and
//   source; a source the process names itself (IP_PKTINFO) must be the jail's.
// - A family the jail has no address of is refused altogether; on an IPv6
//   socket, IPv4-mapped addresses (::ffff:a.b.c.d) follow the IPv4 rules.
//
// The hooks see every inet socket of the jail's processes; what they do not
// cover is said in docs/security.md.
#pragma once

#include <linux/bpf.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/host/linux/bpf_program.h"

namespace jaild::host::linux_host {

struct socket_hook {
  bpf_attach_type attach;     // BPF_CGROUP_INET4_BIND, ...
  std::string name;           // "bind4", for messages and the journal
  std::vector<bpf_insn> code;
};

struct jail_addresses {
  std::vector<std::array<std::uint8_t, 4>> v4;   // network order, as in struct in_addr
  std::vector<std::array<std::uint8_t, 16>> v6;
};

// "10.0.0.5", "em0|10.0.0.5/24" or "2001:db8::5/64" lists (a spec's ip4 and
// ip6) to addresses; nullopt with *problem for a text that is not one.
std::optional<jail_addresses> jail_addresses_of(const std::vector<std::string>& ip4,
                                                const std::vector<std::string>& ip6,
                                                std::string* problem);

// The six hooks: bind4, bind6, connect4, connect6, sendmsg4, sendmsg6.
std::vector<socket_hook> socket_hooks_for(const jail_addresses& addresses);

}  // namespace jaild::host::linux_host
