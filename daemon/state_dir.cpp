#include "daemon/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "lib/model/error.h"

namespace jaild::daemon {

mode_t state_dir_mode(bool socket_inside, mode_t socket_mode, bool socket_group) {
  mode_t mode = 0700;
  if (socket_inside && socket_group && (socket_mode & 0070)) mode |= 0010;
  if (socket_inside && (socket_mode & 0007)) mode |= 0001;
  return mode;
}

void prepare_state_dir(const std::filesystem::path& dir, const std::filesystem::path& socket,
                       mode_t socket_mode, std::optional<gid_t> group) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw error(errc::unavailable,
                fmt::format("the state directory {}: {}", dir.string(), std::strerror(errno)));
  const auto parent = socket.lexically_normal().parent_path();
  const bool inside =
      parent == dir.lexically_normal() || parent.string() + "/" == dir.lexically_normal().string();
  const mode_t mode = state_dir_mode(inside, socket_mode, group.has_value());
  int rc = ::fchmod(fd, mode);
  if (rc == 0 && inside && group && (mode & 0010))
    rc = ::fchown(fd, static_cast<uid_t>(-1), *group);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    throw error(errc::unavailable, fmt::format("cannot set the mode of the state directory {}: {}",
                                               dir.string(), std::strerror(err)));
}

}  // namespace jaild::daemon
