// A published port: a host port that the host forwards to a port of a jail
// (Docker's -p, pot's export-ports, Bastille's rdr). Written in the spec as
// "PROTO/[HOSTADDR:]HOSTPORT:JAILPORT" or "PROTO/PORT" (the same port on both
// sides): "tcp/8080:80", "udp/5353:53", "tcp/[::]:8443:443",
// "tcp/127.0.0.1:8080:80". Pure functions, no host access.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace jaild::model {

struct jail_spec;

enum class port_proto { tcp, udp };

struct published_port {
  port_proto proto = port_proto::tcp;
  // The host address the port is published on, canonical (inet_ntop); "" =
  // every address of both families.
  std::string host_address;
  bool v6 = false;              // the family of host_address (meaningless when it is "")
  int host_port = 0;            // 1..65535
  int jail_port = 0;            // 1..65535

  bool operator==(const published_port&) const = default;
  // Whether the port is published on IPv4 / IPv6 addresses.
  bool on_v4() const { return host_address.empty() || !v6; }
  bool on_v6() const { return host_address.empty() || v6; }
  // The unspecified address of its family (0.0.0.0 or ::): every address of it.
  bool any_address() const;
};

std::string_view port_proto_name(port_proto p);

// Parses one port; nullopt and *problem (one sentence) when it is not one.
std::optional<published_port> parse_port(const std::string& text, std::string* problem);

// The canonical text: parse_port(port_text(p)) == p.
std::string port_text(const published_port& p);

// Whether two ports claim the same host socket: the same protocol and host
// port, on host addresses that overlap (an unspecified address overlaps every
// address of its family; no address overlaps everything).
bool ports_overlap(const published_port& a, const published_port& b);

// Refuses (errc::invalid_value, field "/ports/I") a port published only on a
// family the jail has no address of (there is nowhere to forward it to).
void check_port_families(const std::vector<published_port>& ports, bool has_v4, bool has_v6);

// Refuses (errc::port_conflict, field "/ports/I" of `changed`) a port of
// `changed` that overlaps a port of another jail in `all` (a jail of the same
// name in `all` is `changed` itself and skipped). Unparseable ports are
// validate_spec's to refuse and are skipped here.
void check_published_ports(const std::vector<jail_spec>& all, const jail_spec& changed);

}  // namespace jaild::model
