#include "lib/host/posix/open_below.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "lib/host/jail_path.h"

namespace jaild::host::posix {

int open_below(const std::string& root, const std::string& path, int flags, mode_t mode) {
  flags |= O_CLOEXEC | O_NOFOLLOW;
  // A relative path, or one with "." or ".." in it, means something other
  // than it spells.
  if (!components_below("/", path)) {
    errno = EINVAL;
    return -1;
  }
  const auto parts = root.empty() ? std::nullopt : components_below(root, path);
  if (!parts || parts->empty()) return ::open(path.c_str(), flags, mode);
  int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (std::size_t i = 0; dir >= 0 && i + 1 < parts->size(); ++i) {
    const int next =
        ::openat(dir, (*parts)[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int saved = errno;
    ::close(dir);
    errno = saved;
    dir = next;
  }
  if (dir < 0) return -1;
  const int fd = ::openat(dir, parts->back().c_str(), flags, mode);
  const int saved = errno;
  ::close(dir);
  errno = saved;
  return fd;
}

}  // namespace jaild::host::posix
