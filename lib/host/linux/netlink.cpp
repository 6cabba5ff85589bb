#include "lib/host/linux/netlink.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {
namespace {

[[noreturn]] void raise(int err, const std::string& what) {
  const int code = err < 0 ? -err : err;
  throw netlink_error(code, what + ": " + nl_geterror(code));
}

void check(int err, const std::string& what) {
  if (err < 0) raise(err, what);
}

template <typename T, void (*Free)(T*)>
struct owned {
  T* p = nullptr;
  owned() = default;
  explicit owned(T* x) : p(x) {}
  ~owned() {
    if (p) Free(p);
  }
  owned(owned&& o) noexcept : p(o.p) { o.p = nullptr; }
  owned(const owned&) = delete;
  owned& operator=(const owned&) = delete;
  owned& operator=(owned&&) = delete;
  T* get() const { return p; }
  T** out() { return &p; }
};

void free_link(rtnl_link* l) {
  rtnl_link_put(l);
}
void free_addr(nl_addr* a) {
  nl_addr_put(a);
}
void free_raddr(rtnl_addr* a) {
  rtnl_addr_put(a);
}
void free_route(rtnl_route* r) {
  rtnl_route_put(r);
}
void free_veth(rtnl_link* l) {
  rtnl_link_veth_release(l);
}
void free_cache(nl_cache* c) {
  nl_cache_free(c);
}

using link_ptr = owned<rtnl_link, free_link>;
using addr_ptr = owned<nl_addr, free_addr>;
using raddr_ptr = owned<rtnl_addr, free_raddr>;
using route_ptr = owned<rtnl_route, free_route>;
using veth_ptr = owned<rtnl_link, free_veth>;
using cache_ptr = owned<nl_cache, free_cache>;

addr_ptr parse_address(const std::string& text, int family, const std::string& what) {
  addr_ptr a;
  check(nl_addr_parse(text.c_str(), family, a.out()), what + " " + text);
  return a;
}

nl_sock* open_socket() {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) throw netlink_error(NLE_NOMEM, "netlink: cannot allocate a socket");
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    raise(err, "netlink: connect");
  }
  return sock;
}

// A change request for an existing link: libnl needs the ifindex on both the
// original and the change (a name alone gives ENODEV).
void change_link(nl_sock* sock, int ifindex, rtnl_link* change, const std::string& what) {
  link_ptr orig(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), ifindex);
  rtnl_link_set_ifindex(change, ifindex);
  check(rtnl_link_change(sock, orig.get(), change, 0), what);
}

}  // namespace

bool netlink_error::not_found() const {
  return code_ == NLE_OBJ_NOTFOUND || code_ == NLE_NODEV || code_ == NLE_NOADDR;
}

bool netlink_error::exists() const {
  return code_ == NLE_EXIST;
}

rtnl::rtnl() : sock_(open_socket()) {}

rtnl rtnl::in_netns_of(pid_t pid) {
  unique_fd target(
      ::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!target)
    throw netlink_error(NLE_OBJ_NOTFOUND, "no network namespace of process " + std::to_string(pid) +
                                              ": " + errno_text(errno));
  unique_fd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) throw netlink_error(NLE_FAILURE, "cannot open this thread's network namespace");
  if (::setns(target.get(), CLONE_NEWNET) != 0)
    throw netlink_error(NLE_PERM, "setns into the jail's network namespace: " + errno_text(errno));
  nl_sock* sock = nullptr;
  std::string failure;
  try {
    sock = open_socket();
  } catch (const netlink_error& e) {
    failure = e.what();
  }
  // A pool thread left inside a jail's namespace would poison every later
  // call made on it; there is no sane way on from there.
  if (::setns(home.get(), CLONE_NEWNET) != 0) std::terminate();
  if (!sock) throw netlink_error(NLE_FAILURE, failure);
  return rtnl(sock);
}

rtnl::~rtnl() {
  if (sock_) nl_socket_free(sock_);
}

rtnl::rtnl(rtnl&& o) noexcept : sock_(o.sock_) {
  o.sock_ = nullptr;
}

int rtnl::ifindex(const std::string& name) {
  link_ptr link;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), link.out());
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return 0;
  check(err, "netlink: get link " + name);
  return rtnl_link_get_ifindex(link.get());
}

std::string rtnl::ifalias(const std::string& name) {
  link_ptr link;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), link.out());
  if (err < 0) return {};
  const char* alias = rtnl_link_get_ifalias(link.get());
  return alias ? alias : "";
}

void rtnl::create_veth(const std::string& host_end, const std::string& jail_end,
                       const std::string& mac, int master, pid_t peer_netns_pid, bool host_up,
                       std::uint32_t group) {
  veth_ptr link(rtnl_link_veth_alloc());
  if (!link.get()) throw netlink_error(NLE_NOMEM, "netlink: cannot allocate a veth");
  rtnl_link_set_name(link.get(), host_end.c_str());
  if (master) rtnl_link_set_master(link.get(), master);
  if (group) rtnl_link_set_group(link.get(), group);
  if (host_up) rtnl_link_set_flags(link.get(), IFF_UP);
  rtnl_link* peer = rtnl_link_veth_get_peer(link.get());
  rtnl_link_set_name(peer, jail_end.c_str());
  // (libnl 3.7 sends the peer's flags in a way the kernel refuses, so the
  // jail end is brought up from inside the jail.)
  if (peer_netns_pid > 0) rtnl_link_set_ns_pid(peer, peer_netns_pid);
  if (!mac.empty()) {
    addr_ptr a = parse_address(mac, AF_LLC, "netlink: MAC");
    rtnl_link_set_addr(peer, a.get());
  }
  rtnl_link_put(peer);
  check(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL),
        "netlink: create veth " + host_end + "/" + jail_end);
}

void rtnl::create_bridge(const std::string& name, const std::string& alias) {
  link_ptr link(rtnl_link_alloc());
  check(rtnl_link_set_type(link.get(), "bridge"), "netlink: bridge type");
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_flags(link.get(), IFF_UP);
  check(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL),
        "netlink: create bridge " + name);
  // IFLA_IFALIAS is applied by a change, not by RTM_NEWLINK's create path.
  if (!alias.empty()) {
    int index = ifindex(name);
    link_ptr change(rtnl_link_alloc());
    rtnl_link_set_ifalias(change.get(), alias.c_str());
    change_link(sock_, index, change.get(), "netlink: set alias of bridge " + name);
  }
}

void rtnl::set_up(int index) {
  link_ptr change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  change_link(sock_, index, change.get(), "netlink: set link " + std::to_string(index) + " up");
}

void rtnl::move_to_netns_of(int index, pid_t pid) {
  link_ptr change(rtnl_link_alloc());
  rtnl_link_set_ns_pid(change.get(), pid);
  change_link(sock_, index, change.get(),
              "netlink: move link " + std::to_string(index) + " into the jail");
}

namespace {

raddr_ptr make_address(int index, const std::string& cidr, bool v6) {
  const int family = v6 ? AF_INET6 : AF_INET;
  addr_ptr local = parse_address(cidr, family, "netlink: address");
  if (cidr.find('/') == std::string::npos) nl_addr_set_prefixlen(local.get(), v6 ? 128 : 32);
  raddr_ptr a(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(a.get(), index);
  rtnl_addr_set_family(a.get(), family);
  check(rtnl_addr_set_local(a.get(), local.get()), "netlink: address " + cidr);
  rtnl_addr_set_prefixlen(a.get(), static_cast<int>(nl_addr_get_prefixlen(local.get())));
  return a;
}

}  // namespace

void rtnl::add_address(int index, const std::string& cidr, bool v6) {
  raddr_ptr a = make_address(index, cidr, v6);
  check(rtnl_addr_add(sock_, a.get(), NLM_F_CREATE | NLM_F_EXCL), "netlink: add address " + cidr);
}

void rtnl::delete_address(int index, const std::string& cidr, bool v6) {
  raddr_ptr a = make_address(index, cidr, v6);
  int err = rtnl_addr_delete(sock_, a.get(), 0);
  if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return;
  check(err, "netlink: delete address " + cidr);
}

std::size_t rtnl::address_count(int index, bool v6) {
  cache_ptr cache;
  check(rtnl_addr_alloc_cache(sock_, cache.out()), "netlink: list addresses");
  std::size_t n = 0;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) == index && rtnl_addr_get_family(a) == (v6 ? AF_INET6 : AF_INET))
      ++n;
  }
  return n;
}

std::vector<std::string> rtnl::global_addresses(int index, bool v6) {
  cache_ptr cache;
  check(rtnl_addr_alloc_cache(sock_, cache.out()), "netlink: list addresses");
  std::vector<std::string> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != index || rtnl_addr_get_family(a) != (v6 ? AF_INET6 : AF_INET) ||
        rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
      continue;
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local) continue;
    char text[INET6_ADDRSTRLEN + 8];
    // nl_addr2str writes "ADDR/LEN" when the prefix is shorter than the address.
    nl_addr_set_prefixlen(local, rtnl_addr_get_prefixlen(a));
    std::string t = nl_addr2str(local, text, sizeof text);
    if (t.find('/') == std::string::npos) t += "/" + std::to_string(rtnl_addr_get_prefixlen(a));
    out.push_back(std::move(t));
  }
  return out;
}

bool rtnl::has_address(int index, const std::string& cidr, bool v6) {
  cache_ptr cache;
  check(rtnl_addr_alloc_cache(sock_, cache.out()), "netlink: list addresses");
  raddr_ptr wanted = make_address(index, cidr, v6);
  bool found = false;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != index || rtnl_addr_get_family(a) != (v6 ? AF_INET6 : AF_INET))
      continue;
    if (nl_addr_cmp(rtnl_addr_get_local(a), rtnl_addr_get_local(wanted.get())) == 0) found = true;
  }
  return found;
}

void rtnl::add_default_route(const std::string& gateway, bool v6) {
  const int family = v6 ? AF_INET6 : AF_INET;
  route_ptr route(rtnl_route_alloc());
  rtnl_route_set_family(route.get(), static_cast<std::uint8_t>(family));
  addr_ptr dst = parse_address("default", family, "netlink: route destination");
  check(rtnl_route_set_dst(route.get(), dst.get()), "netlink: route destination");
  addr_ptr gw = parse_address(gateway, family, "netlink: gateway");
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  check(rtnl_route_add(sock_, route.get(), NLM_F_CREATE | NLM_F_EXCL),
        "netlink: default route via " + gateway);
}

bool rtnl::delete_link(const std::string& name) {
  link_ptr link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock_, link.get());
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  check(err, "netlink: delete link " + name);
  return true;
}

std::vector<std::string> bridge_ports(const std::string& bridge) {
  std::vector<std::string> out;
  DIR* d = ::opendir(("/sys/class/net/" + bridge + "/brif").c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  ::closedir(d);
  return out;
}

}  // namespace jaild::host::linux_host
