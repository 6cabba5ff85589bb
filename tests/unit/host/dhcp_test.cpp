// jaild's DHCP server logic (lib/host/dhcp.h): requests from a jail's client
// in, answers out, checked byte by byte where the client reads them.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "lib/host/dhcp.h"

using namespace jaild::host::dhcp;

namespace {

const mac_address client_mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
const ipv4 server = *parse_ipv4("10.20.0.1");
const ipv4 leased = *parse_ipv4("10.20.0.5");

// A client's message as busybox udhcpc sends it (RFC 2131 figure 1).
std::vector<std::uint8_t> client_message(std::uint8_t type, std::vector<std::uint8_t> options = {},
                                         ipv4 ciaddr = 0) {
  std::vector<std::uint8_t> p(240, 0);
  p[0] = 1;  // BOOTREQUEST
  p[1] = 1;
  p[2] = 6;
  p[4] = 0xde, p[5] = 0xad, p[6] = 0xbe, p[7] = 0xef;  // xid
  p[12] = static_cast<std::uint8_t>(ciaddr >> 24), p[13] = static_cast<std::uint8_t>(ciaddr >> 16);
  p[14] = static_cast<std::uint8_t>(ciaddr >> 8), p[15] = static_cast<std::uint8_t>(ciaddr);
  for (int k = 0; k < 6; ++k) p[28 + k] = client_mac[k];
  p[236] = 99, p[237] = 130, p[238] = 83, p[239] = 99;
  p.insert(p.end(), {53, 1, type});
  p.insert(p.end(), options.begin(), options.end());
  p.push_back(255);
  return p;
}

std::vector<std::uint8_t> ip_option(std::uint8_t code, ipv4 a) {
  return {code, 4, static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
          static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};
}

std::optional<reply> answer_to(const std::vector<std::uint8_t>& packet,
                               std::optional<lease> l = lease{leased, 24, server, 3600}) {
  auto req = parse_request(packet.data(), packet.size());
  REQUIRE(req);
  return answer(*req, server, l);
}

std::uint32_t word(const std::vector<std::uint8_t>& p, std::size_t at) {
  return (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) |
         (std::uint32_t{p[at + 2]} << 8) | p[at + 3];
}

}  // namespace

TEST_CASE("dhcp: a DISCOVER from a leased MAC is offered its lease, broadcast", "[host][dhcp]") {
  auto r = answer_to(client_message(1));
  REQUIRE(r);
  const auto& p = r->packet;
  CHECK(r->destination == 0xffffffffu);
  REQUIRE(p.size() == 300);
  CHECK(p[0] == 2);                        // BOOTREPLY
  CHECK(word(p, 4) == 0xdeadbeefu);        // the client's xid
  CHECK(word(p, 16) == leased);            // yiaddr
  CHECK(std::vector<std::uint8_t>(p.begin() + 28, p.begin() + 34) ==
        std::vector<std::uint8_t>(client_mac.begin(), client_mac.end()));
  // The options, byte for byte: OFFER, server id, lease time, T1, T2, mask, router, end.
  const std::vector<std::uint8_t> options(p.begin() + 236, p.begin() + 236 + 4 + 3 + 6 * 6 + 1);
  CHECK(options == std::vector<std::uint8_t>{
                       99, 130, 83, 99,                      // magic cookie
                       53, 1, 2,                             // DHCPOFFER
                       54, 4, 10, 20, 0, 1,                  // server identifier
                       51, 4, 0, 0, 0x0e, 0x10,              // lease 3600 s
                       58, 4, 0, 0, 0x07, 0x08,              // T1 1800 s
                       59, 4, 0, 0, 0x0c, 0x4e,              // T2 3150 s
                       1, 4, 255, 255, 255, 0,               // /24
                       3, 4, 10, 20, 0, 1,                   // router
                       255});
}

TEST_CASE("dhcp: a REQUEST for the lease is acknowledged, another address refused",
          "[host][dhcp]") {
  SECTION("selecting this server") {
    auto r = answer_to(client_message(3, [] {
      auto o = ip_option(50, leased);
      auto s = ip_option(54, server);
      o.insert(o.end(), s.begin(), s.end());
      return o;
    }()));
    REQUIRE(r);
    CHECK(r->packet[242] == 5);  // DHCPACK
    CHECK(word(r->packet, 16) == leased);
    CHECK(r->destination == 0xffffffffu);
  }
  SECTION("another server's offer was chosen: silence") {
    auto o = ip_option(50, leased);
    auto s = ip_option(54, *parse_ipv4("10.20.0.9"));
    o.insert(o.end(), s.begin(), s.end());
    CHECK_FALSE(answer_to(client_message(3, o)));
  }
  SECTION("an address that is not the jail's: NAK, without an address") {
    auto r = answer_to(client_message(3, ip_option(50, *parse_ipv4("10.20.0.77"))));
    REQUIRE(r);
    CHECK(r->packet[242] == 6);  // DHCPNAK
    CHECK(word(r->packet, 16) == 0);
    CHECK(r->destination == 0xffffffffu);
  }
  SECTION("renewing: ciaddr is the lease, the answer goes there") {
    auto r = answer_to(client_message(3, {}, leased));
    REQUIRE(r);
    CHECK(r->packet[242] == 5);
    CHECK(r->destination == leased);
    CHECK(word(r->packet, 12) == leased);
  }
}

TEST_CASE("dhcp: no answer for strangers, relays, releases and broken packets", "[host][dhcp]") {
  CHECK_FALSE(answer_to(client_message(1), std::nullopt));  // not one of the network's MACs
  CHECK_FALSE(answer_to(client_message(7)));                // RELEASE: the lease is IPAM's
  CHECK_FALSE(answer_to(client_message(4)));                // DECLINE
  auto relayed = client_message(1);
  relayed[24] = 10;  // giaddr
  CHECK_FALSE(answer_to(relayed));

  auto p = client_message(1);
  CHECK_FALSE(parse_request(p.data(), 239));                // shorter than the cookie
  auto reply_op = p;
  reply_op[0] = 2;
  CHECK_FALSE(parse_request(reply_op.data(), reply_op.size()));
  auto bad_cookie = p;
  bad_cookie[236] = 0;
  CHECK_FALSE(parse_request(bad_cookie.data(), bad_cookie.size()));
  // An option whose length runs past the end.
  std::vector<std::uint8_t> overrun(p.begin(), p.begin() + 240);
  overrun.insert(overrun.end(), {53, 1, 1, 50, 200, 1, 2});
  CHECK_FALSE(parse_request(overrun.data(), overrun.size()));
  // No message type: BOOTP, not DHCP.
  std::vector<std::uint8_t> bootp(p.begin(), p.begin() + 240);
  bootp.push_back(255);
  CHECK_FALSE(parse_request(bootp.data(), bootp.size()));
  CHECK_FALSE(parse_request(nullptr, 0));
}

TEST_CASE("dhcp: addresses and MACs as text", "[host][dhcp]") {
  CHECK(parse_ipv4("10.20.0.5") == 0x0a140005u);
  CHECK(format_ipv4(0x0a140005u) == "10.20.0.5");
  CHECK_FALSE(parse_ipv4("10.20.0"));
  CHECK(parse_mac("02:11:22:33:44:55") == client_mac);
  CHECK(parse_mac("02:AB:cd:33:44:55").has_value());
  CHECK_FALSE(parse_mac("02:11:22:33:44"));
  CHECK_FALSE(parse_mac("02-11-22-33-44-55"));
  CHECK_FALSE(parse_mac("0g:11:22:33:44:55"));
}
