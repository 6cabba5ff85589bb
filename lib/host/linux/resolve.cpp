#include "lib/host/linux/resolve.h"

#include <fcntl.h>

namespace jaild::host::linux_host {

unique_fd open_below(const std::string& root, const std::string& relative, int flags, mode_t mode,
                     bool in_root) {
  unique_fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return dir;
  const std::uint64_t resolve =
      in_root ? (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
              : (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  return unique_fd(openat2_raw(dir.get(), relative.c_str(),
                               static_cast<std::uint64_t>(flags | O_CLOEXEC), mode, resolve));
}

std::string below_error(const std::string& relative, int err) {
  if (err == ELOOP)
    return relative + ": a symbolic link below the jail's path (refused, as jail(8) does)";
  if (err == EXDEV) return relative + ": leads out of the jail's path";
  return relative + ": " + errno_text(err);
}

}  // namespace jaild::host::linux_host
