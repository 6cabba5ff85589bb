// jaild's DHCP server for managed networks with "dhcp": true, on the host side
// of their bridges (never inside a jail): one UDP socket on port 67 per
// bridge, bound to that bridge (SO_BINDTODEVICE), answered from one thread
// with the pure logic of lib/host/dhcp.h. It hands out only the leases it is
// given (IPAM's, one per DHCP interface of a running jail, by the jail end's
// MAC) and is part of jaild's process: the sockets close when the last lease
// on a bridge is withdrawn, and with jaild, leaving nothing on the host.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/host/dhcp.h"
#include "lib/host/posix/unique_fd.h"

namespace jaild::host::linux_host {

class dhcp_server {
 public:
  dhcp_server();
  ~dhcp_server();
  dhcp_server(const dhcp_server&) = delete;
  dhcp_server& operator=(const dhcp_server&) = delete;

  // Answers `mac` on `bridge` with `lease`, as server `server` (the bridge's
  // own address), until withdraw(key); replaces what `key` had. Opens the
  // bridge's socket with its first lease; throws std::system_error when it
  // cannot (no such bridge, port 67 taken on it).
  void offer(const std::string& key, const std::string& bridge, const dhcp::mac_address& mac,
             dhcp::ipv4 server, const dhcp::lease& lease);
  // Harmless for a key that has nothing.
  void withdraw(const std::string& key);
  // The bridges with a socket now.
  std::vector<std::string> bridges() const;

 private:
  struct binding {
    std::string bridge;
    dhcp::mac_address mac;
    dhcp::ipv4 server;
    dhcp::lease lease;
  };
  void run();
  void serve(const std::string& bridge, int fd);
  void wake();

  mutable std::mutex mutex_;
  std::map<std::string, binding> bindings_;            // by key
  std::map<std::string, posix::unique_fd> sockets_;    // by bridge
  std::vector<posix::unique_fd> closing_;              // closed by the thread, after its poll
  posix::unique_fd wake_;                              // an eventfd
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace jaild::host::linux_host
