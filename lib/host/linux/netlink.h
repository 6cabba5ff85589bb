// Links, addresses and routes over rtnetlink (libnl-route-3): veth pairs,
// bridges, moving a link into a jail's network namespace, addresses and the
// default route inside it. One `rtnl` is one netlink socket, bound to the
// network namespace it was opened in; it is used by one thread at a time.
// Netlink instead of ip(8): each `ip` process costs about 2.4 ms here.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct nl_sock;

namespace jaild::host::linux_host {

// A refused netlink request: the kernel's (or libnl's) message.
class netlink_error : public std::runtime_error {
 public:
  netlink_error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  // libnl's NLE_* code (positive).
  int code() const { return code_; }
  bool not_found() const;  // no such link or address: "already gone"
  bool exists() const;

 private:
  int code_;
};

class rtnl {
 public:
  // A socket in the calling thread's network namespace.
  rtnl();
  // A socket in the network namespace of process `pid` (a jail's init). The
  // calling thread enters that namespace only while it opens the socket.
  static rtnl in_netns_of(pid_t pid);
  ~rtnl();
  rtnl(rtnl&& o) noexcept;
  rtnl(const rtnl&) = delete;
  rtnl& operator=(const rtnl&) = delete;
  rtnl& operator=(rtnl&&) = delete;

  // 0 when there is no such link.
  int ifindex(const std::string& name);
  std::string ifalias(const std::string& name);

  // A veth pair; the host end joins `master` (ifindex, 0 for none), is in
  // interface group `group` and is up unless `host_up` is false; the jail
  // end gets `mac` ("" for a random one). With `peer_netns_pid`, the
  // jail end is made up and directly inside that process's network
  // namespace: moving an existing link costs an RCU grace period (about 20 ms
  // on a busy 2-CPU host), creating it there does not. One request.
  void create_veth(const std::string& host_end, const std::string& jail_end, const std::string& mac,
                   int master, pid_t peer_netns_pid = 0, bool host_up = true,
                   std::uint32_t group = 0);
  // A bridge, up, with `alias` as its ifalias (jaild's mark on what it made).
  void create_bridge(const std::string& name, const std::string& alias);
  void set_up(int ifindex);
  void move_to_netns_of(int ifindex, pid_t pid);
  // "10.0.0.2/24" (v4) or "2001:db8::2/64" (v6); a bare address is /32 or /128.
  void add_address(int ifindex, const std::string& cidr, bool v6);
  void delete_address(int ifindex, const std::string& cidr, bool v6);
  bool has_address(int ifindex, const std::string& cidr, bool v6);
  // How many addresses of the family the link has.
  std::size_t address_count(int ifindex, bool v6);
  // The link's addresses of the family with global scope ("10.0.0.5/24").
  std::vector<std::string> global_addresses(int ifindex, bool v6);
  void add_default_route(const std::string& gateway, bool v6);
  // Deletes a link by name; a missing link is success. Returns whether it existed.
  bool delete_link(const std::string& name);

 private:
  explicit rtnl(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_ = nullptr;
};

// The names of the links enslaved to a bridge (from /sys/class/net/BR/brif).
std::vector<std::string> bridge_ports(const std::string& bridge);

}  // namespace jaild::host::linux_host
