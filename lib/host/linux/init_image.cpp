#include "lib/host/linux/init_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <mutex>

// From init_image.S (.incbin of the jaild-init binary).
extern "C" const unsigned char jaild_init_image_start[];
extern "C" const unsigned char jaild_init_image_end[];

namespace jaild::host::linux_host {
namespace {

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

int make_image() {
  // MFD_EXEC keeps it executable where vm.memfd_noexec asks for an explicit
  // choice; older kernels refuse the flag, and every memfd is executable there.
  int fd = ::memfd_create("jaild-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create("jaild-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  const unsigned char* p = jaild_init_image_start;
  std::size_t left = static_cast<std::size_t>(jaild_init_image_end - jaild_init_image_start);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      errno = err;
      return -1;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // Nothing may change the image that every jail's PID 1 runs.
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace

int init_image_fd() {
  static std::mutex m;
  static int fd = -1;
  static int err = 0;
  std::lock_guard lock(m);
  if (fd < 0) {
    fd = make_image();
    if (fd < 0) err = errno;
  }
  if (fd < 0) errno = err;
  return fd;
}

}  // namespace jaild::host::linux_host
