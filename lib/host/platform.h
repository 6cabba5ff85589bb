// The adapter for the platform jaild was built for. The daemon calls this and
// never names an adapter; CMake compiles exactly one implementation
// (linux/ or freebsd/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "lib/host/host.h"

namespace jaild::host {

struct platform_options {
  std::filesystem::path state_dir;   // runtime files go under STATE_DIR/run
  // A jail's console log is rotated at this size, keeping this many older files.
  std::uint64_t console_log_max_bytes = std::uint64_t{10} << 20;
  unsigned console_log_keep = 3;
  // This jaild's tag (store::instance_tag): the host objects it names carry
  // it (Linux: its cgroup parent "jaild-<tag>", its bridges' mark), so that
  // jailds sharing a host never take each other's. Empty: the names of
  // jailds before tags existed.
  std::string instance_tag = {};
};

std::unique_ptr<host> make_platform_host(const platform_options& options);

// The platform's helper modes of the jaild binary, picked at the very top of
// main() before anything of jaild runs: when argv[0] names one (FreeBSD:
// "jaild-attach", freebsd/attach.h) it runs and never returns to jaild;
// otherwise this returns -1 at once.
int platform_helper_main(int argc, char** argv);

}  // namespace jaild::host
