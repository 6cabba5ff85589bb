// Paths below a jail's root, resolved inside it: jail root owns every file
// there and may replace any directory with a symbolic link between one start
// and the next, so the host side never walks such a path with the host's
// view. openat2(2) does the walk in the kernel: RESOLVE_BENEATH refuses to
// leave the root, RESOLVE_NO_SYMLINKS refuses any link (jail(8)'s check_path
// rule, lib/host/jail_path.h: no symbolic link below the jail's path), RESOLVE_IN_ROOT resolves
// links as the jail would see them (for files the jail may name itself, such
// as a console log inside its root). Thread-safe; openat2_raw may be called in
// the child of a clone (a system call, nothing else).
#pragma once

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "lib/host/jail_path.h"  // path_below(): the part of a path below the root
#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

inline int openat2_raw(int dirfd, const char* path, std::uint64_t flags, std::uint64_t mode,
                       std::uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// Opens `relative` below the directory `root` (an admin's path, opened as it
// is), never leaving it and never following a symbolic link below it
// (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or, with
// `in_root`, following links as if `root` were "/" (RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS). Returns the fd, or an empty one with errno set
// (ELOOP for a link that was refused, EXDEV for a path leaving the root).
unique_fd open_below(const std::string& root, const std::string& relative, int flags,
                     mode_t mode = 0, bool in_root = false);

// "srv/data: a symbolic link below the jail's path (refused, as jail(8) does)"
// and the like: the sentence for an errno of open_below.
std::string below_error(const std::string& relative, int err);

}  // namespace jaild::host::linux_host
