// The Linux adapter: jails on namespaces, cgroups, veth pairs and bridges
// (DESIGN.md section 4). This file grows with issue 4; today it answers info()
// and check() for real and refuses the lifecycle with a clear error.
#pragma once

#include <memory>

#include "lib/host/platform.h"

namespace jaild::host::linux_host {

std::unique_ptr<host> make(const platform_options& options);

}  // namespace jaild::host::linux_host
