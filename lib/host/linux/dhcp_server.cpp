#include "lib/host/linux/dhcp_server.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include <spdlog/spdlog.h>

namespace jaild::host::linux_host {
namespace {

constexpr std::uint16_t server_port = 67, client_port = 68;

posix::unique_fd bridge_socket(const std::string& bridge) {
  posix::unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw std::system_error(errno, std::generic_category(), "dhcp: socket");
  const int on = 1;
  auto set = [&](int level, int name, const void* value, socklen_t size, const char* what) {
    if (::setsockopt(fd.get(), level, name, value, size) != 0)
      throw std::system_error(errno, std::generic_category(),
                              std::string("dhcp: ") + what + " on " + bridge);
  };
  set(SOL_SOCKET, SO_REUSEADDR, &on, sizeof on, "SO_REUSEADDR");
  set(SOL_SOCKET, SO_BROADCAST, &on, sizeof on, "SO_BROADCAST");
  // Bound to the bridge before the bind: port 67 of this bridge only, so
  // that one socket per bridge (and a server on other interfaces) can be.
  set(SOL_SOCKET, SO_BINDTODEVICE, bridge.c_str(), static_cast<socklen_t>(bridge.size()),
      "SO_BINDTODEVICE");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw std::system_error(errno, std::generic_category(),
                            "dhcp: bind to port 67 on " + bridge);
  return fd;
}

std::string mac_text(const dhcp::mac_address& m) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return text;
}

}  // namespace

dhcp_server::dhcp_server() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw std::system_error(errno, std::generic_category(), "dhcp: eventfd");
  thread_ = std::thread([this] { run(); });
}

dhcp_server::~dhcp_server() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  thread_.join();
}

void dhcp_server::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void dhcp_server::offer(const std::string& key, const std::string& bridge,
                        const dhcp::mac_address& mac, dhcp::ipv4 server,
                        const dhcp::lease& lease) {
  std::lock_guard lock(mutex_);
  if (!sockets_.count(bridge)) sockets_.emplace(bridge, bridge_socket(bridge));
  bindings_[key] = {bridge, mac, server, lease};
  spdlog::info("dhcp: {} on {} leases {}/{} to {}", key, bridge, dhcp::format_ipv4(lease.address),
               lease.prefix, mac_text(mac));
  wake();
}

void dhcp_server::withdraw(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = bindings_.find(key);
  if (it == bindings_.end()) return;
  const std::string bridge = it->second.bridge;
  bindings_.erase(it);
  for (const auto& [k, b] : bindings_)
    if (b.bridge == bridge) return;
  // The thread may be polling it: it closes it when its poll returns.
  if (auto s = sockets_.find(bridge); s != sockets_.end()) {
    closing_.push_back(std::move(s->second));
    sockets_.erase(s);
    spdlog::info("dhcp: no lease left on {}; its server stops", bridge);
  }
  wake();
}

std::vector<std::string> dhcp_server::bridges() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [bridge, fd] : sockets_) out.push_back(bridge);
  return out;
}

void dhcp_server::run() {
  for (;;) {
    std::vector<pollfd> fds{{wake_.get(), POLLIN, 0}};
    std::vector<std::string> names{""};
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      for (const auto& [bridge, fd] : sockets_) {
        fds.push_back({fd.get(), POLLIN, 0});
        names.push_back(bridge);
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      spdlog::error("dhcp: poll: {}", std::system_category().message(errno));
      return;
    }
    std::lock_guard lock(mutex_);
    closing_.clear();
    if (stopping_) return;
    std::uint64_t count;
    while (::read(wake_.get(), &count, sizeof count) > 0) {
    }
    for (std::size_t k = 1; k < fds.size(); ++k) {
      if (!(fds[k].revents & POLLIN)) continue;
      auto s = sockets_.find(names[k]);
      if (s == sockets_.end() || s->second.get() != fds[k].fd) continue;  // withdrawn meanwhile
      serve(names[k], fds[k].fd);
    }
  }
}

void dhcp_server::serve(const std::string& bridge, int fd) {
  // Caller holds mutex_. At most a bounded batch per wake-up, so that one
  // bridge flooded by a jail does not starve the others.
  for (int n = 0; n < 64; ++n) {
    std::uint8_t buf[1500];
    const auto got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (got < 0) return;
    const auto req = dhcp::parse_request(buf, static_cast<std::size_t>(got));
    if (!req) continue;
    const binding* mine = nullptr;
    for (const auto& [key, b] : bindings_)
      if (b.bridge == bridge && b.mac == req->chaddr) mine = &b;
    if (!mine) continue;  // not one of this network's DHCP interfaces
    const auto reply = dhcp::answer(*req, mine->server, mine->lease);
    if (!reply) continue;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(client_port);
    to.sin_addr.s_addr = htonl(reply->destination);
    if (::sendto(fd, reply->packet.data(), reply->packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
      spdlog::warn("dhcp: answer to {} on {}: {}", mac_text(req->chaddr), bridge,
                   std::system_category().message(errno));
    else
      spdlog::debug("dhcp: answered message {} from {} on {}", static_cast<int>(req->type),
                    mac_text(req->chaddr), bridge);
  }
}

}  // namespace jaild::host::linux_host
