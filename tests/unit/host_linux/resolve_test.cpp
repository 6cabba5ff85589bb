// The Linux side of jail(8)'s check_path rule (lib/host/jail_path.h): the
// kernel walks the part below the root with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS (resolve.h), so a link above the root is followed and
// one below it is refused, as on FreeBSD.
#include "lib/host/linux/resolve.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>

#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace jaild::host;
using namespace jaild::host::linux_host;

TEST_CASE("resolve: links above the jail's path are followed, none below it", "[host_linux]") {
  jaild::test::temp_dir t{"jaild-resolve"};
  fs::create_directories(t.path() / "real/web/srv/data");
  fs::create_directories(t.path() / "host");
  fs::create_directory_symlink(t.path() / "real", t.path() / "jails");  // above the root
  const std::string root = (t.path() / "jails/web").string();

  const auto below = path_below(root, root + "/srv/data");
  REQUIRE(below == "srv/data");
  CHECK(open_below(root, *below, O_PATH));

  fs::remove_all(t.path() / "real/web/srv/data");
  fs::create_directory_symlink(t.path() / "host", t.path() / "real/web/srv/data");
  errno = 0;
  CHECK_FALSE(open_below(root, *below, O_PATH));
  CHECK(errno == ELOOP);
  CHECK(below_error(*below, ELOOP) ==
        "srv/data: a symbolic link below the jail's path (refused, as jail(8) does)");

  // A link to a place inside the root is refused too: jail(8) refuses every link below.
  fs::remove(t.path() / "real/web/srv/data");
  fs::create_directories(t.path() / "real/web/other");
  fs::create_directory_symlink("../other", t.path() / "real/web/srv/data");
  CHECK_FALSE(open_below(root, *below, O_PATH));
}
