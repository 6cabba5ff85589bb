// The two programs jaild runs inside jails, linked statically and embedded
// into jaild at build time (images.S), so that jaild never depends on finding
// a file at run time and a jail never needs the host's libraries:
// jaild-init (init/jaild_init.cpp), PID 1 of every jail, and jaild-enter
// (enter/jaild_enter.cpp), which enters a running jail for exec, hooks and
// health checks.
#pragma once

namespace jaild::host::linux_host {

// A sealed, executable memfd holding the program, made once (thread-safe).
// Returns the fd (owned by the process; never close it) or -1 with errno.
int init_image_fd();
int enter_image_fd();

}  // namespace jaild::host::linux_host
