#include "lib/model/network.h"

#include <sys/socket.h>  // AF_INET, AF_INET6: FreeBSD's arpa/inet.h does not define them
#include <arpa/inet.h>

#include <cstring>

#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/model/json_reader.h"
#include "lib/model/validate.h"

namespace jaild::model {

std::optional<subnet> parse_subnet(const std::string& text, bool v6, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<subnet> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  auto slash = text.find('/');
  if (slash == std::string::npos)
    return fail(fmt::format("'{}' is not a subnet ADDR/LEN", text));
  subnet s;
  s.v6 = v6;
  const std::string addr = text.substr(0, slash);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), s.base) != 1)
    return fail(fmt::format("'{}' is not an IPv{} address", addr, v6 ? 6 : 4));
  const std::string len = text.substr(slash + 1);
  const unsigned max = v6 ? 128 : 32;
  if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(len) > max)
    return fail(fmt::format("'{}' has no prefix length from 0 to {}", text, max));
  s.prefix = static_cast<unsigned>(std::stoul(len));
  const unsigned bytes = v6 ? 16 : 4;
  if ((v6 && s.prefix > 126) || (!v6 && s.prefix > 30))
    return fail(fmt::format("'{}' is too small for a gateway and jails", text));
  for (unsigned bit = s.prefix; bit < bytes * 8; ++bit)
    if (s.base[bit / 8] & (0x80 >> (bit % 8)))
      return fail(fmt::format("'{}' has host bits set; the subnet is written with them zero", text));
  return s;
}

std::string subnet_of(const std::string& addr, int prefix, bool v6) {
  unsigned char a[16] = {};
  const int bits = v6 ? 128 : 32;
  if (prefix < 0 || prefix > bits || inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), a) != 1)
    return {};
  for (int bit = prefix; bit < bits; ++bit)
    a[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  char text[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, a, text, sizeof text);
  return fmt::format("{}/{}", text, prefix);
}

std::uint64_t subnet::size() const {
  const unsigned host_bits = (v6 ? 128u : 32u) - prefix;
  return host_bits >= 32 ? (1ull << 32) : (1ull << host_bits);
}

std::optional<std::string> subnet::address(std::uint64_t n) const {
  if (n >= size()) return std::nullopt;
  unsigned char out[16];
  std::memcpy(out, base, sizeof out);
  const unsigned bytes = v6 ? 16 : 4;
  // Add n to the low 32 bits (the subnet's host part is at least that small,
  // or size() capped it).
  std::uint64_t carry = n;
  for (int i = static_cast<int>(bytes) - 1; i >= 0 && carry; --i) {
    const auto idx = static_cast<std::size_t>(i);
    const std::uint64_t sum = out[idx] + (carry & 0xff);
    out[idx] = static_cast<unsigned char>(sum & 0xff);
    carry = (carry >> 8) + (sum >> 8);
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, out, text, sizeof text);
  return std::string(text);
}

bool subnet::contains(const std::string& addr) const {
  unsigned char a[16] = {};
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), a) != 1) return false;
  for (unsigned bit = 0; bit < prefix; ++bit) {
    const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
    if ((a[bit / 8] & mask) != (base[bit / 8] & mask)) return false;
  }
  return true;
}

bool subnet::overlaps(const subnet& other) const {
  if (v6 != other.v6) return false;
  // Two prefixes overlap exactly when they agree on the shorter one's bits.
  const unsigned shorter = prefix < other.prefix ? prefix : other.prefix;
  for (unsigned bit = 0; bit < shorter; ++bit) {
    const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
    if ((base[bit / 8] & mask) != (other.base[bit / 8] & mask)) return false;
  }
  return true;
}

namespace {

// The gateway of a subnet: given, or its first host address.
std::string checked_gateway(json_reader& r, const char* field, const subnet& s,
                            const std::optional<std::string>& given) {
  if (!given || given->empty()) return *s.address(1);
  const std::string& g = *given;
  if (auto why = check::ip_address(s.v6 ? check::ip_family::v6 : check::ip_family::v4, g);
      !why.empty())
    r.fail(errc::invalid_value, field, why);
  if (!s.contains(g))
    r.fail(errc::invalid_value, field, fmt::format("gateway {} is outside the subnet", g));
  if (g == *s.address(0) || (!s.v6 && g == *s.address(s.size() - 1)))
    r.fail(errc::invalid_value, field,
           fmt::format("gateway {} is the subnet's network or broadcast address", g));
  return g;
}

}  // namespace

network_spec network_from_json(const nlohmann::json& j) {
  json_reader r(j, "", "a network");
  network_spec n;
  if (auto v = r.string("name")) {
    n.name = *v;
    if (auto why = check::jail_name(*v); !why.empty())
      r.fail(errc::invalid_name, "name", "network " + why.substr(std::string("jail ").size()));
  } else {
    throw error(errc::missing_field, "a network needs a 'name'", "/name");
  }
  if (auto v = r.string("bridge")) {
    n.bridge = *v;
    if (auto why = check::interface_name(*v); !why.empty()) r.fail(errc::invalid_value, "bridge", why);
  } else {
    throw error(errc::missing_field, "a network needs a 'bridge' (its host bridge interface)",
                "/bridge");
  }
  auto gw4 = r.string("gateway4");
  auto gw6 = r.string("gateway6");
  if (auto v = r.string("ip4"); v && !v->empty()) {
    std::string why;
    auto s = parse_subnet(*v, false, &why);
    if (!s) r.fail(errc::invalid_value, "ip4", why);
    n.ip4 = *v;
    n.gateway4 = checked_gateway(r, "gateway4", *s, gw4);
  } else if (gw4 && !gw4->empty()) {
    r.fail(errc::invalid_value, "gateway4", "gateway4 needs an ip4 subnet");
  }
  if (auto v = r.string("ip6"); v && !v->empty()) {
    std::string why;
    auto s = parse_subnet(*v, true, &why);
    if (!s) r.fail(errc::invalid_value, "ip6", why);
    n.ip6 = *v;
    n.gateway6 = checked_gateway(r, "gateway6", *s, gw6);
  } else if (gw6 && !gw6->empty()) {
    r.fail(errc::invalid_value, "gateway6", "gateway6 needs an ip6 subnet");
  }
  if (auto v = r.string("description")) n.description = *v;
  if (const auto* v = r.raw("nat")) {
    const std::string field = r.pointer("nat");
    auto uplink = [&](const std::string& name, const std::string& at) {
      if (auto why = check::interface_name(name); !why.empty())
        throw error(errc::invalid_value, why, at);
      n.nat = name;
    };
    if (v->is_boolean()) {
      if (v->get<bool>()) n.nat = "";
    } else if (v->is_string()) {
      uplink(v->get<std::string>(), field);
    } else if (v->is_object()) {
      json_reader nr(*v, field, "'nat'");
      if (auto u = nr.string("uplink"))
        uplink(*u, nr.pointer("uplink"));
      else
        n.nat = "";
      nr.finish("nat takes uplink");
    } else {
      throw error(errc::invalid_type,
                  "nat is true (through the default route's interface), false, an uplink "
                  "interface name or {\"uplink\": \"IF\"}",
                  field);
    }
  }
  if (auto v = r.boolean("dhcp")) n.dhcp = *v;
  r.finish("a network takes name, bridge, ip4, gateway4, ip6, gateway6, description, nat, dhcp");
  if (n.ip4.empty() && n.ip6.empty())
    throw error(errc::missing_field, "a network needs an ip4 or an ip6 subnet", "/ip4");
  if (n.nat && n.ip4.empty())
    throw error(errc::invalid_value,
                "nat masquerades IPv4: a network with nat needs an ip4 subnet (NAT66 is not "
                "offered)",
                "/nat");
  if (n.dhcp && n.ip4.empty())
    throw error(errc::invalid_value,
                "dhcp hands out IPv4 leases: a network with dhcp needs an ip4 subnet (IPv6 "
                "jails use their static or leased addresses, or slaac)",
                "/dhcp");
  return n;
}

nlohmann::json network_to_json(const network_spec& n) {
  nlohmann::json nat = false;
  if (n.nat) nat = n.nat->empty() ? nlohmann::json(true) : nlohmann::json{{"uplink", *n.nat}};
  return {{"name", n.name},         {"bridge", n.bridge}, {"ip4", n.ip4},
          {"gateway4", n.gateway4}, {"ip6", n.ip6},       {"gateway6", n.gateway6},
          {"description", n.description}, {"nat", nat}, {"dhcp", n.dhcp}};
}

}  // namespace jaild::model
