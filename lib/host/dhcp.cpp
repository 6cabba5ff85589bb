#include "lib/host/dhcp.h"

#include <sys/socket.h>  // AF_INET: FreeBSD's arpa/inet.h does not define it
#include <arpa/inet.h>

#include <cstdio>

namespace jaild::host::dhcp {
namespace {

// The fixed part of a BOOTP message (RFC 2131 figure 1), then the cookie.
constexpr std::size_t op_at = 0, htype_at = 1, hlen_at = 2, xid_at = 4, flags_at = 10,
                      ciaddr_at = 12, yiaddr_at = 16, giaddr_at = 24, chaddr_at = 28,
                      cookie_at = 236, options_at = 240;
constexpr std::uint8_t bootrequest = 1, bootreply = 2, ethernet = 1;
constexpr std::uint8_t cookie[4] = {99, 130, 83, 99};
constexpr std::size_t min_reply = 300;  // BOOTP's minimum, which some clients expect
constexpr ipv4 broadcast = 0xffffffffu;

enum option : std::uint8_t {
  pad = 0,
  subnet_mask = 1,
  router = 3,
  requested_address = 50,
  lease_time = 51,
  msg_type = 53,
  server_identifier = 54,
  renewal_time = 58,
  rebinding_time = 59,
  end = 255,
};

std::uint32_t read32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void put32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 24);
  out[at + 1] = static_cast<std::uint8_t>(v >> 16);
  out[at + 2] = static_cast<std::uint8_t>(v >> 8);
  out[at + 3] = static_cast<std::uint8_t>(v);
}

void add_option(std::vector<std::uint8_t>& out, std::uint8_t code, std::uint32_t v) {
  out.insert(out.end(), {code, 4, static_cast<std::uint8_t>(v >> 24),
                         static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
                         static_cast<std::uint8_t>(v)});
}

ipv4 mask_of(unsigned prefix) {
  return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

}  // namespace

std::optional<request> parse_request(const std::uint8_t* data, std::size_t size) {
  if (!data || size < options_at) return std::nullopt;
  if (data[op_at] != bootrequest || data[htype_at] != ethernet || data[hlen_at] != 6)
    return std::nullopt;
  for (std::size_t k = 0; k < 4; ++k)
    if (data[cookie_at + k] != cookie[k]) return std::nullopt;
  request r;
  r.xid = read32(data + xid_at);
  r.flags = static_cast<std::uint16_t>((data[flags_at] << 8) | data[flags_at + 1]);
  r.ciaddr = read32(data + ciaddr_at);
  r.giaddr = read32(data + giaddr_at);
  for (std::size_t k = 0; k < 6; ++k) r.chaddr[k] = data[chaddr_at + k];
  std::optional<std::uint8_t> type;
  std::size_t at = options_at;
  while (at < size) {
    const std::uint8_t code = data[at];
    if (code == pad) {
      ++at;
      continue;
    }
    if (code == end) break;
    if (at + 1 >= size) return std::nullopt;
    const std::size_t len = data[at + 1];
    const std::size_t value = at + 2;
    if (value + len > size) return std::nullopt;
    if (code == msg_type && len == 1) type = data[value];
    if (code == requested_address && len == 4) r.requested = read32(data + value);
    if (code == server_identifier && len == 4) r.server_id = read32(data + value);
    at = value + len;
  }
  if (!type || *type < 1 || *type > 8) return std::nullopt;
  r.type = static_cast<message_type>(*type);
  return r;
}

std::optional<reply> answer(const request& req, ipv4 server, const std::optional<lease>& lease) {
  if (!lease || req.giaddr != 0) return std::nullopt;
  message_type type;
  switch (req.type) {
    case message_type::discover: type = message_type::offer; break;
    case message_type::request: {
      // SELECTING names the server it chose; another's choice is not ours.
      if (req.server_id && *req.server_id != server) return std::nullopt;
      // SELECTING and INIT-REBOOT ask in option 50; RENEWING and REBINDING
      // hold the address in ciaddr.
      const ipv4 asked = req.requested ? *req.requested : req.ciaddr;
      type = asked == lease->address ? message_type::ack : message_type::nak;
      break;
    }
    default: return std::nullopt;
  }
  std::vector<std::uint8_t> out(options_at, 0);
  out[op_at] = bootreply;
  out[htype_at] = ethernet;
  out[hlen_at] = 6;
  put32(out, xid_at, req.xid);
  out[flags_at] = static_cast<std::uint8_t>(req.flags >> 8);
  out[flags_at + 1] = static_cast<std::uint8_t>(req.flags);
  if (type != message_type::nak) {
    put32(out, ciaddr_at, req.type == message_type::request ? req.ciaddr : 0);
    put32(out, yiaddr_at, lease->address);
  }
  for (std::size_t k = 0; k < 6; ++k) out[chaddr_at + k] = req.chaddr[k];
  for (std::size_t k = 0; k < 4; ++k) out[cookie_at + k] = cookie[k];
  out.insert(out.end(), {msg_type, 1, static_cast<std::uint8_t>(type)});
  add_option(out, server_identifier, server);
  if (type != message_type::nak) {
    add_option(out, lease_time, lease->seconds);
    add_option(out, renewal_time, lease->seconds / 2);
    add_option(out, rebinding_time, static_cast<std::uint32_t>(lease->seconds / 8ull * 7));
    add_option(out, subnet_mask, mask_of(lease->prefix));
    if (lease->router) add_option(out, router, lease->router);
  }
  out.push_back(end);
  if (out.size() < min_reply) out.resize(min_reply, 0);
  // A client in RENEWING has its address and gets the answer there; every
  // other answer is broadcast on the bridge (RFC 2131 4.1 lets a server
  // broadcast when it cannot unicast to an address the client lacks).
  const bool unicast =
      type != message_type::nak && req.type == message_type::request && req.ciaddr != 0;
  return reply{std::move(out), unicast ? req.ciaddr : broadcast};
}

std::optional<ipv4> parse_ipv4(const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string format_ipv4(ipv4 a) {
  in_addr n{};
  n.s_addr = htonl(a);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &n, text, sizeof text);
  return text;
}

std::optional<mac_address> parse_mac(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  mac_address m{};
  for (std::size_t k = 0; k < 6; ++k) {
    if (k > 0 && text[k * 3 - 1] != ':') return std::nullopt;
    unsigned v = 0;
    for (std::size_t d = 0; d < 2; ++d) {
      const char c = text[k * 3 + d];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return std::nullopt;
      v = v * 16 + static_cast<unsigned>(digit);
    }
    m[k] = static_cast<std::uint8_t>(v);
  }
  return m;
}

}  // namespace jaild::host::dhcp
