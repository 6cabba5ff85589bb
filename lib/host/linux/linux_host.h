// The Linux adapter: jails on namespaces, cgroups, veth pairs and bridges
// (DESIGN.md section 4; docs/linux.md). The implementation is linux_adapter
// (adapter.h); the daemon reaches it through make_platform_host().
#pragma once

#include <memory>

#include "lib/host/platform.h"

namespace jaild::host::linux_host {

std::unique_ptr<host> make(const platform_options& options);

}  // namespace jaild::host::linux_host
