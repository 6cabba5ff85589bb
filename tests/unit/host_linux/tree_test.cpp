// Directory trees of roots and releases: a copy keeps what a root needs
// (links, modes, owners, hard links, device nodes), and a removal clears
// immutable flags but never follows a link out of the tree.
#include "lib/host/linux/tree.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/temp_dir.h"

using namespace jaild::host::linux_host;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool set_immutable(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags |= FS_IMMUTABLE_FL;
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

TEST_CASE("tree: a copy keeps links, modes, owners, hard links and device nodes", "[host_linux]") {
  jaild::test::temp_dir dir;
  const auto from = dir / "from", to = dir / "to";
  fs::create_directories(from / "bin");
  fs::create_directories(from / "tmp");
  write(from / "bin/tool", "#!/bin/sh\n");
  ::chmod((from / "bin/tool").c_str(), 04755);
  ::chmod((from / "tmp").c_str(), 01777);
  fs::create_symlink("tool", from / "bin/sh");
  fs::create_symlink("/etc/passwd", from / "bin/absolute");  // copied as a link, never followed
  fs::create_hard_link(from / "bin/tool", from / "bin/tool2");
  const bool root = ::geteuid() == 0;
  if (root) {
    REQUIRE(::chown((from / "bin").c_str(), 80, 80) == 0);
    REQUIRE(::mknod((from / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
  }
  const auto t = copy_tree(from, to, true);
  CHECK(read(to / "bin/tool") == "#!/bin/sh\n");
  struct stat st {};
  REQUIRE(::stat((to / "bin/tool").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 04755);
  CHECK(st.st_nlink == 2);  // bin/tool2 is the same file
  REQUIRE(::stat((to / "tmp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 01777);
  CHECK(fs::read_symlink(to / "bin/sh") == "tool");
  CHECK(fs::read_symlink(to / "bin/absolute") == "/etc/passwd");
  CHECK(t.bytes == 10);  // tool once (its hard link is not copied twice)
  if (root) {
    REQUIRE(::stat((to / "bin").c_str(), &st) == 0);
    CHECK(st.st_uid == 80);
    REQUIRE(::lstat((to / "null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
  }
  CHECK_THROWS_AS(copy_tree(from, to, true), std::system_error);  // the target exists
}

TEST_CASE("tree: a removal never follows a link and clears immutable flags", "[host_linux]") {
  jaild::test::temp_dir dir;
  const auto outside = dir / "outside", root = dir / "root";
  fs::create_directories(outside);
  write(outside / "keep", "host data\n");
  fs::create_directories(root / "etc/deep");
  write(root / "etc/file", "x");
  // What jail root could leave: links to the host's files and directories.
  fs::create_symlink(outside, root / "escape-dir");
  fs::create_symlink(outside / "keep", root / "etc/escape-file");
  fs::create_symlink("../../..", root / "etc/deep/up");
  const bool immutable = ::geteuid() == 0 && set_immutable(root / "etc/file");
  const auto t = remove_tree(root);
  CHECK_FALSE(fs::exists(fs::symlink_status(root)));
  CHECK(read(outside / "keep") == "host data\n");
  if (immutable) CHECK(t.flags_cleared == 1);
  CHECK(remove_tree(root).files == 0);  // already gone: success
  CHECK(remove_tree(dir / "no/such/parent").files == 0);
}

TEST_CASE("tree: measure counts without following links", "[host_linux]") {
  jaild::test::temp_dir dir;
  fs::create_directories(dir / "r/a");
  write(dir / "r/a/f", "12345");
  fs::create_symlink("/usr", dir / "r/usr");
  const auto t = measure_tree(dir / "r");
  CHECK(t.files == 3);
  CHECK(t.bytes == 5);
}
