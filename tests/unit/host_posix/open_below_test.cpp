// Opening below a jail's root with no symbolic link followed below it
// (lib/host/posix/open_below.h), against a real directory tree.
#include "lib/host/posix/open_below.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using jaild::host::posix::open_below;

namespace {

struct scratch {
  fs::path dir;
  scratch() {
    std::string t = (fs::temp_directory_path() / "jaild-open-below.XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()));
    dir = t;
  }
  ~scratch() { fs::remove_all(dir); }
};

bool opens(const std::string& root, const std::string& path, int* err) {
  const int fd = open_below(root, path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  *err = errno;
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

TEST_CASE("open_below: links above the root are followed, none below it", "[host_posix]") {
  scratch s;
  fs::create_directories(s.dir / "real/web/var/log");
  fs::create_directories(s.dir / "host");
  fs::create_directory_symlink(s.dir / "real", s.dir / "jails");  // above the root
  const std::string root = (s.dir / "jails/web").string();
  int err = 0;

  CHECK(opens(root, root + "/var/log/console.log", &err));
  CHECK(fs::exists(s.dir / "real/web/var/log/console.log"));

  // Jail root makes var/log a link to a host directory: refused, nothing made there.
  fs::remove_all(s.dir / "real/web/var/log");
  fs::create_directory_symlink(s.dir / "host", s.dir / "real/web/var/log");
  CHECK_FALSE(opens(root, root + "/var/log/console.log", &err));
  // A link in the way is not a directory under O_NOFOLLOW (ENOTDIR on Linux).
  CHECK((err == ELOOP || err == EMLINK || err == ENOTDIR));
  CHECK_FALSE(fs::exists(s.dir / "host/console.log"));

  // The last component a link: refused too.
  fs::remove(s.dir / "real/web/var/log");
  fs::create_directory(s.dir / "real/web/var/log");
  fs::create_symlink(s.dir / "host/passwd", s.dir / "real/web/var/log/console.log");
  CHECK_FALSE(opens(root, root + "/var/log/console.log", &err));
  CHECK((err == ELOOP || err == EMLINK));
  CHECK_FALSE(fs::exists(s.dir / "host/passwd"));

  // ".." is refused rather than resolved.
  CHECK_FALSE(opens(root, root + "/var/../../../host/x", &err));
  CHECK(err == EINVAL);
}

TEST_CASE("open_below: a path outside the root is opened as it is, but not through a final link",
          "[host_posix]") {
  scratch s;
  fs::create_directories(s.dir / "jail");
  fs::create_directories(s.dir / "log");
  int err = 0;
  CHECK(opens((s.dir / "jail").string(), (s.dir / "log/console.log").string(), &err));
  fs::create_symlink(s.dir / "log/console.log", s.dir / "log/link.log");
  CHECK_FALSE(opens((s.dir / "jail").string(), (s.dir / "log/link.log").string(), &err));
  CHECK(opens("", (s.dir / "log/console.log").string(), &err));
}
