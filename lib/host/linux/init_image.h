// The jaild-init executable (init/jaild_init.cpp), linked statically and
// embedded into jaild at build time, so that jaild never depends on finding
// a file at run time and the jail never needs the host's libraries.
#pragma once

namespace jaild::host::linux_host {

// A sealed, executable memfd holding jaild-init, made once (thread-safe).
// Returns the fd (owned by the process; never close it) or -1 with errno.
int init_image_fd();

}  // namespace jaild::host::linux_host
