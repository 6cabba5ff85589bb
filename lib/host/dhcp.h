// The DHCP server of a managed network with "dhcp": true, as pure functions:
// a request from a jail's client in, jaild's answer out (RFC 2131, RFC 2132).
// The server knows only the leases IPAM keeps: a client whose hardware
// address is not one of the network's DHCP interfaces gets no answer (another
// server may be meant), and a client that asks for an address other than its
// lease is refused (DHCPNAK), so that each jail gets exactly the address the
// store records for it. Everything here reads bytes a jail sent: every length
// is checked before it is used. The sockets are the adapter's
// (linux/dhcp_server.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jaild::host::dhcp {

using mac_address = std::array<std::uint8_t, 6>;
using ipv4 = std::uint32_t;  // host byte order

enum class message_type : std::uint8_t {
  discover = 1,
  offer = 2,
  request = 3,
  decline = 4,
  ack = 5,
  nak = 6,
  release = 7,
  inform = 8,
};

// A client's message, as far as the server needs it.
struct request {
  message_type type = message_type::discover;
  std::uint32_t xid = 0;
  std::uint16_t flags = 0;
  ipv4 ciaddr = 0;
  ipv4 giaddr = 0;
  mac_address chaddr{};
  std::optional<ipv4> requested;   // option 50
  std::optional<ipv4> server_id;   // option 54
};

// A BOOTREQUEST with Ethernet hardware addresses, the magic cookie and a
// message type; nullopt for anything else (a reply, a truncated packet, an
// option that runs past the end).
std::optional<request> parse_request(const std::uint8_t* data, std::size_t size);

// What the server hands one client.
struct lease {
  ipv4 address = 0;
  unsigned prefix = 24;
  ipv4 router = 0;                 // 0: no router option
  std::uint32_t seconds = 3600;    // lease time (T1 is half, T2 seven eighths)
};

struct reply {
  std::vector<std::uint8_t> packet;  // the BOOTREPLY, at least 300 bytes
  ipv4 destination = 0;              // 0xffffffff: broadcast on the bridge
};

// The answer to `req` from server `server` (its address on the bridge, also
// its identifier), for a client whose lease is `lease` (nullopt: not one of
// ours). DISCOVER -> OFFER; REQUEST -> ACK for the lease, NAK for another
// address; a REQUEST that names another server, DECLINE, RELEASE, INFORM, a
// relayed request (giaddr) and an unknown client -> nothing.
std::optional<reply> answer(const request& req, ipv4 server, const std::optional<lease>& lease);

// "10.0.0.5" <-> ipv4; nullopt when the text is not a dotted quad.
std::optional<ipv4> parse_ipv4(const std::string& text);
std::string format_ipv4(ipv4 a);
// "02:ab:..." -> bytes; nullopt when it is not six hexadecimal pairs.
std::optional<mac_address> parse_mac(const std::string& text);

}  // namespace jaild::host::dhcp
