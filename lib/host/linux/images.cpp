#include "lib/host/linux/images.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <mutex>

// From images.S (.incbin of the two binaries).
extern "C" const unsigned char jaild_init_image_start[];
extern "C" const unsigned char jaild_init_image_end[];
extern "C" const unsigned char jaild_enter_image_start[];
extern "C" const unsigned char jaild_enter_image_end[];

namespace jaild::host::linux_host {
namespace {

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

int make_image(const char* name, const unsigned char* start, const unsigned char* end) {
  // MFD_EXEC keeps it executable where vm.memfd_noexec asks for an explicit
  // choice; older kernels refuse the flag, and every memfd is executable there.
  int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  const unsigned char* p = start;
  std::size_t left = static_cast<std::size_t>(end - start);
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
  // Nothing may change an image that runs inside every jail.
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// One image made on first use; its errno kept for later callers.
class image {
 public:
  image(const char* name, const unsigned char* start, const unsigned char* end)
      : name_(name), start_(start), end_(end) {}
  int fd() {
    std::lock_guard lock(mutex_);
    if (fd_ < 0) {
      fd_ = make_image(name_, start_, end_);
      if (fd_ < 0) err_ = errno;
    }
    if (fd_ < 0) errno = err_;
    return fd_;
  }

 private:
  const char* name_;
  const unsigned char* start_;
  const unsigned char* end_;
  std::mutex mutex_;
  int fd_ = -1;
  int err_ = 0;
};

}  // namespace

int init_image_fd() {
  static image i("jaild-init", jaild_init_image_start, jaild_init_image_end);
  return i.fd();
}

int enter_image_fd() {
  static image i("jaild-enter", jaild_enter_image_start, jaild_enter_image_end);
  return i.fd();
}

}  // namespace jaild::host::linux_host
