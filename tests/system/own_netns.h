// The test process in a network namespace of its own for the test's length:
// jaild (its child) makes its bridges, nftables tables and DHCP sockets there,
// nobody else's listing of the host's sees them, and nothing it sends reaches
// the machine's network. The namespace goes when the test returns to its own.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/process.h"

namespace jaild::systest {

class own_netns {
 public:
  own_netns() {
    original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    REQUIRE(original_ >= 0);
    REQUIRE(::unshare(CLONE_NEWNET) == 0);
    REQUIRE(test::run({"ip", "link", "set", "lo", "up"}).status == 0);
  }
  ~own_netns() {
    ::setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
  own_netns(const own_netns&) = delete;
  own_netns& operator=(const own_netns&) = delete;

 private:
  int original_ = -1;
};

}  // namespace jaild::systest
