#include "lib/model/port.h"

#include <sys/socket.h>  // AF_INET, AF_INET6: FreeBSD's arpa/inet.h does not define them
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/model/jail_spec.h"

namespace jaild::model {
namespace {

// A decimal port 1..65535; 0 when `text` is not one.
int port_number(const std::string& text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos ||
      text[0] == '0')
    return 0;
  const int n = std::stoi(text);
  return n <= 65535 ? n : 0;
}

}  // namespace

std::string_view port_proto_name(port_proto p) { return p == port_proto::udp ? "udp" : "tcp"; }

bool published_port::any_address() const {
  return host_address == "0.0.0.0" || host_address == "::";
}

std::optional<published_port> parse_port(const std::string& text, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<published_port> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  const std::string form = "PROTO/[HOSTADDR:]HOSTPORT:JAILPORT, e.g. tcp/8080:80";
  published_port p;
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    return fail(fmt::format("port '{}' is not {}", text, form));
  const std::string proto = text.substr(0, slash);
  if (proto == "tcp")
    p.proto = port_proto::tcp;
  else if (proto == "udp")
    p.proto = port_proto::udp;
  else
    return fail(fmt::format("port '{}': the protocol is tcp or udp, not '{}'", text, proto));
  std::string rest = text.substr(slash + 1);
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return fail(fmt::format("port '{}': an IPv6 host address is written [ADDR]:HOSTPORT", text));
    const std::string addr = rest.substr(1, close - 1);
    unsigned char buf[16];
    if (inet_pton(AF_INET6, addr.c_str(), buf) != 1)
      return fail(fmt::format("port '{}': '{}' is not an IPv6 address", text, addr));
    char canon[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, buf, canon, sizeof canon);
    p.host_address = canon;
    p.v6 = true;
    rest = rest.substr(close + 2);
  } else if (std::count(rest.begin(), rest.end(), ':') > 2) {
    return fail(fmt::format("port '{}': an IPv6 host address goes in brackets, not an IPv4 "
                            "address: [ADDR]:HOSTPORT:JAILPORT",
                            text));
  } else if (std::count(rest.begin(), rest.end(), ':') == 2) {
    const auto colon = rest.find(':');
    const std::string addr = rest.substr(0, colon);
    unsigned char buf[4];
    if (inet_pton(AF_INET, addr.c_str(), buf) != 1)
      return fail(fmt::format("port '{}': '{}' is not an IPv4 address (IPv6 goes in brackets)",
                              text, addr));
    char canon[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, buf, canon, sizeof canon);
    p.host_address = canon;
    rest = rest.substr(colon + 1);
  }
  const auto colon = rest.find(':');
  const std::string host = rest.substr(0, colon);
  const std::string jail = colon == std::string::npos ? host : rest.substr(colon + 1);
  if (colon == std::string::npos && !p.host_address.empty())
    return fail(fmt::format("port '{}' is not {}", text, form));
  p.host_port = port_number(host);
  p.jail_port = port_number(jail);
  if (!p.host_port || !p.jail_port)
    return fail(fmt::format("port '{}': ports are numbers from 1 to 65535 ({})", text, form));
  return p;
}

std::string port_text(const published_port& p) {
  std::string addr;
  if (!p.host_address.empty()) addr = p.v6 ? "[" + p.host_address + "]:" : p.host_address + ":";
  return fmt::format("{}/{}{}:{}", port_proto_name(p.proto), addr, p.host_port, p.jail_port);
}

bool ports_overlap(const published_port& a, const published_port& b) {
  if (a.proto != b.proto || a.host_port != b.host_port) return false;
  if (a.host_address.empty() || b.host_address.empty()) return true;
  if (a.v6 != b.v6) return false;
  return a.any_address() || b.any_address() || a.host_address == b.host_address;
}

void check_port_families(const std::vector<published_port>& ports, bool has_v4, bool has_v6) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto& p = ports[i];
    if ((p.on_v4() && has_v4) || (p.on_v6() && has_v6)) continue;
    const int family = p.host_address.empty() ? (has_v4 ? 6 : 4) : (p.v6 ? 6 : 4);
    throw error(errc::invalid_value,
                fmt::format("port {} is published on IPv{}, and the jail has no IPv{} address to "
                            "forward it to",
                            port_text(p), family, family),
                fmt::format("/ports/{}", i));
  }
}

void check_published_ports(const std::vector<jail_spec>& all, const jail_spec& changed) {
  for (std::size_t i = 0; i < changed.ports.size(); ++i) {
    const auto mine = parse_port(changed.ports[i], nullptr);
    if (!mine) continue;
    for (const auto& other : all) {
      if (other.name == changed.name) continue;
      for (const auto& text : other.ports) {
        const auto theirs = parse_port(text, nullptr);
        if (theirs && ports_overlap(*mine, *theirs))
          throw error(errc::port_conflict,
                      fmt::format("port {} is already published by jail '{}' ({}); a host port "
                                  "is published once",
                                  changed.ports[i], other.name, text),
                      fmt::format("/ports/{}", i));
      }
    }
  }
}

}  // namespace jaild::model
