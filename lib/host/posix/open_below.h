// Opening a file below a jail's root from the host without following any
// symbolic link below the root (jail(8)'s check_path rule, lib/host/jail_path.h)
// and without the race of checking first and opening after: the walk opens
// each directory relative to the one before with O_NOFOLLOW | O_DIRECTORY, so
// a link that jail root puts in the path at any moment makes the open fail
// rather than lead elsewhere. The root itself is opened as the admin wrote it
// (links above it are the admin's). POSIX only (openat(2), FreeBSD 8+, Linux
// 2.6.16+): used by the FreeBSD adapter for exec.consolelog, tested on Linux.
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <string>

namespace jaild::host::posix {

// Opens `path` with `flags` (O_CLOEXEC and O_NOFOLLOW added) and `mode`. When
// `path` is below `root` (jail_path.h's components_below), every component
// below the root is walked as above; otherwise `path` is opened as it is, with
// O_NOFOLLOW for its last component. Returns the descriptor, or -1 with errno
// set (ELOOP, or EMLINK on FreeBSD, for a refused link as the last component;
// ENOTDIR for one on the way, or a file there; ENOENT;
// EINVAL for a path that is not absolute or has a "." or ".." in it).
int open_below(const std::string& root, const std::string& path, int flags, mode_t mode);

}  // namespace jaild::host::posix
