// The adapter for the platform jaild was built for. The daemon calls this and
// never names an adapter; CMake compiles exactly one implementation
// (linux/ or freebsd/).
#pragma once

#include <filesystem>
#include <memory>

#include "lib/host/host.h"

namespace jaild::host {

struct platform_options {
  std::filesystem::path state_dir;   // runtime files go under STATE_DIR/run
};

std::unique_ptr<host> make_platform_host(const platform_options& options);

}  // namespace jaild::host
