#include "lib/model/address.h"

#include <sys/socket.h>  // AF_INET, AF_INET6: FreeBSD's arpa/inet.h does not define them
#include <arpa/inet.h>

#include <charconv>

#include "lib/model/validate.h"

namespace jaild::model {

std::string jail_address::to_string() const {
  std::string out;
  if (!iface.empty()) out += iface + "|";
  out += addr;
  if (prefix_len >= 0) out += "/" + std::to_string(prefix_len);
  return out;
}

std::optional<jail_address> parse_jail_address(std::string_view text, bool v6,
                                               std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<jail_address> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  jail_address out;
  out.v6 = v6;
  std::string_view rest = text;
  if (auto bar = rest.find('|'); bar != std::string_view::npos) {
    out.iface = std::string(rest.substr(0, bar));
    if (auto why = check::interface_name(out.iface); !why.empty())
      return fail("interface before '|': " + why);
    rest.remove_prefix(bar + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view len = rest.substr(slash + 1);
    int value = -1;
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
    const int max = v6 ? 128 : 32;
    if (len.empty() || ec != std::errc{} || ptr != len.data() + len.size() || value < 0 ||
        value > max)
      return fail("prefix length '" + std::string(len) + "' is not a number from 0 to " +
                  std::to_string(max));
    out.prefix_len = value;
    rest = rest.substr(0, slash);
  }
  std::string addr(rest);
  unsigned char buf[16];
  if (addr.empty() || inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), buf) != 1)
    return fail("'" + addr + "' is not an IPv" + (v6 ? "6" : "4") + " address");
  char canon[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, buf, canon, sizeof canon);
  out.addr = canon;
  return out;
}

}  // namespace jaild::model
