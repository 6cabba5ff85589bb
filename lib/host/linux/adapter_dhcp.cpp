// DHCP and SLAAC interfaces (model/dynamic_address.h) on Linux. jaild runs
// nothing inside the jail for them: a VNET jail has NET_RAW and NET_ADMIN in
// its own network namespace (confinement.cpp), which is what its DHCP client
// needs for its raw socket and its address. jaild's part is on the host side:
// the DHCP server on the bridge of a network with dhcp (dhcp_server.h), the
// jail end's accept_ra in the jail's namespace, and looking up what the
// jail's clients obtained for its status.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <exception>
#include <system_error>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/netlink.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

// Writes sysctls of the network namespace of `pid`: the calling thread enters
// it only for the writes (the host's /proc/sys/net shows the namespace of the
// thread that opens it). The names are jaild's own interface names. Returns
// the first errno, 0 when all were written.
int write_netns_sysctls(pid_t pid, const std::vector<std::pair<std::string, std::string>>& values) {
  unique_fd target(::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return errno;
  unique_fd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return errno;
  if (::setns(target.get(), CLONE_NEWNET) != 0) return errno;
  int first = 0;
  for (const auto& [path, value] : values)
    if (int err = write_text(path, value); err && !first) first = err;
  // A pool thread left in a jail's namespace would poison every later call.
  if (::setns(home.get(), CLONE_NEWNET) != 0) std::terminate();
  return first;
}

std::string strip_prefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

int linux_adapter::set_router_advertisements(pid_t pid, const resolved_interface& i) {
  const std::string conf = "/proc/sys/net/ipv6/conf/" + i.jail_end + "/";
  if (!i.slaac6) {
    // A new network namespace accepts router advertisements by default on
    // Linux; an interface whose IPv6 addresses jaild sets does not, as on
    // FreeBSD. (A kernel without IPv6 has nothing to turn off.)
    write_netns_sysctls(pid, {{conf + "accept_ra", "0"}});
    return 0;
  }
  // The jail does not forward (forwarding is its namespace's, off), so 1
  // is enough; autoconf forms the addresses from the prefixes.
  return write_netns_sysctls(pid, {{conf + "accept_ra", "1"}, {conf + "autoconf", "1"}});
}

void linux_adapter::serve_lease(const resolved_interface& i) {
  if (i.lease4.empty()) return;
  const std::string server_cidr = i.bridge_ip4.empty() ? "" : i.bridge_ip4.front();
  const auto address = dhcp::parse_ipv4(strip_prefix(i.lease4));
  const auto server = dhcp::parse_ipv4(strip_prefix(server_cidr));
  const auto mac = dhcp::parse_mac(i.mac);
  const auto slash = i.lease4.find('/');
  if (!address || !server || !mac || slash == std::string::npos)
    throw error(errc::host_failure, "dhcp: " + i.host_end +
                                        " has no lease, server address or MAC to serve (" +
                                        i.lease4 + ", " + server_cidr + ", " + i.mac + ")");
  dhcp::lease lease;
  lease.address = *address;
  lease.prefix = static_cast<unsigned>(std::stoul(i.lease4.substr(slash + 1)));
  lease.router = *server;
  std::lock_guard lock(dhcp_mutex_);
  if (!dhcp_) dhcp_ = std::make_unique<dhcp_server>();
  dhcp_->offer(i.host_end, i.bridge, *mac, *server, lease);
}

void linux_adapter::withdraw_lease(const std::string& host_end) {
  std::lock_guard lock(dhcp_mutex_);
  if (dhcp_) dhcp_->withdraw(host_end);
}

void linux_adapter::resume_services(const jail_context& ctx, const running_jail& jail) {
  (void)jail;
  for (const auto& i : ctx.interfaces) serve_lease(i);
}

std::vector<std::string> linux_adapter::dynamic_addresses(const jail_context& ctx,
                                                          const running_jail& jail) {
  bool any = false;
  for (const auto& i : ctx.interfaces) any = any || i.dhcp4 || i.slaac6;
  if (!any || !alive(jail)) return {};
  auto nl = rtnl::in_netns_of(static_cast<pid_t>(jail.pid));
  std::vector<std::string> out;
  for (const auto& i : ctx.interfaces) {
    if (!i.dhcp4 && !i.slaac6) continue;
    // By the name jaild gave it; a jail that renamed it has it under a name
    // jaild does not follow.
    const int index = nl.ifindex(i.jail_end);
    if (!index) continue;
    if (i.dhcp4)
      for (auto& a : nl.global_addresses(index, false)) out.push_back(std::move(a));
    if (i.slaac6)
      for (auto& a : nl.global_addresses(index, true)) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace jaild::host::linux_host
