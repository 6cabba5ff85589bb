// jaild-attach's stand-in (attach_stand_in.cpp: JID 42 "exists") as the
// unit tests start it: its binary open, and the program that runs it for a
// request, as freebsd_system.cpp's prepare() makes it.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "lib/host/freebsd/attach.h"
#include "lib/host/posix/process.h"

namespace jaild::test {

struct attach_stand_in {
  int fd = ::open(JAILD_ATTACH_STAND_IN, O_RDONLY | O_CLOEXEC);
  attach_stand_in() = default;
  attach_stand_in(const attach_stand_in&) = delete;
  attach_stand_in& operator=(const attach_stand_in&) = delete;
  ~attach_stand_in() { ::close(fd); }

  host::posix::program program(const host::freebsd::attach_request& r,
                               std::vector<std::string> env = {}) const {
    REQUIRE(fd >= 0);
    host::posix::program p;
    p.argv = host::freebsd::attach_argv(r);
    env.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    env.push_back("HOME=/");
    p.env = env;
    p.exec_fd = fd;
    return p;
  }
};

}  // namespace jaild::test
