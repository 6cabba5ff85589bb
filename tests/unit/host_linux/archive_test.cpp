// Jails' archives: a root written and read back is the same tree (links as
// links, hard links, FIFOs, owners, modes, times), streamed in blocks; and an
// archive that is hostile input is refused without a write outside the root.
#include "lib/host/linux/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "lib/model/error.h"
#include "tests/support/temp_dir.h"

using namespace jaild::host::linux_host;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A hand-made archive: the manifest, then `members` as (name, type, link).
struct crafted {
  std::string name;
  unsigned type;
  std::string link;
  std::string data;
};

void craft(const fs::path& out, const std::vector<crafted>& members) {
  struct archive* a = ::archive_write_new();
  ::archive_write_add_filter_zstd(a);
  ::archive_write_set_format_pax_restricted(a);
  REQUIRE(::archive_write_open_filename(a, out.c_str()) == ARCHIVE_OK);
  std::vector<crafted> all{{"jaild-archive.json", AE_IFREG, "", "{}"}, {"root", AE_IFDIR, "", ""}};
  all.insert(all.end(), members.begin(), members.end());
  for (const auto& m : all) {
    archive_entry* e = ::archive_entry_new();
    ::archive_entry_set_pathname(e, m.name.c_str());
    ::archive_entry_set_filetype(e, m.type);
    ::archive_entry_set_perm(e, 0755);
    if (m.type == AE_IFLNK) ::archive_entry_set_symlink(e, m.link.c_str());
    if (m.type == AE_IFREG && !m.link.empty()) ::archive_entry_set_hardlink(e, m.link.c_str());
    if (m.type == AE_IFCHR) ::archive_entry_set_rdev(e, makedev(1, 3));
    ::archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    REQUIRE(::archive_write_header(a, e) == ARCHIVE_OK);
    if (!m.data.empty()) ::archive_write_data(a, m.data.data(), m.data.size());
    ::archive_entry_free(e);
  }
  ::archive_write_close(a);
  ::archive_write_free(a);
}

}  // namespace

TEST_CASE("archive: a root written and read back is the same tree", "[host_linux]") {
  jaild::test::temp_dir dir("jaild-archive");
  const auto root = dir.path() / "root";
  fs::create_directories(root / "etc/sub");
  write(root / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  ::link((root / "etc/passwd").c_str(), (root / "etc/passwd.hard").c_str());
  fs::create_symlink("/etc/shadow", root / "etc/out");  // jail root's link to the host
  ::mkfifo((root / "etc/fifo").c_str(), 0640);
  // Bytes zstd cannot shrink, so that the archive is megabytes too.
  std::string noise(3 << 20, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : noise) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  write(root / "etc/sub/big", noise);
  ::chmod((root / "etc/sub").c_str(), 0555);
  ::chown((root / "etc/passwd").c_str(), 80, 80);

  const auto file = dir.path() / "a.tar.zst";
  std::ofstream out(file, std::ios::binary);
  std::size_t blocks = 0, largest = 0;
  const auto t = write_root_archive(root, R"({"format":"jaild-archive"})",
                                    [&](const char* p, std::size_t n) {
                                      ++blocks;
                                      largest = std::max(largest, n);
                                      out.write(p, static_cast<std::streamsize>(n));
                                    });
  out.close();
  CHECK(t.entries == 7);
  CHECK(blocks > 1);              // streamed, not written once at the end
  CHECK(largest <= (1u << 20));   // in blocks, not the whole archive
  CHECK(read_archive_manifest(file) == R"({"format":"jaild-archive"})");
  // A plain zstd file: zstd(1) reads it to its end (no padding after the frame).
  CHECK(std::system(("zstd -q -t " + file.string()).c_str()) == 0);

  const auto into = dir.path() / "into";
  fs::create_directory(into);
  const auto back = extract_root_archive(file, into, true);
  CHECK(back.entries == 7);
  CHECK(read(into / "etc/passwd") == "root:x:0:0::/root:/bin/sh\n");
  struct stat a {}, b {};
  REQUIRE(::stat((into / "etc/passwd").c_str(), &a) == 0);
  REQUIRE(::stat((into / "etc/passwd.hard").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_uid == 80);
  CHECK(fs::read_symlink(into / "etc/out") == "/etc/shadow");
  CHECK(fs::is_fifo(fs::symlink_status(into / "etc/fifo")));
  CHECK((fs::status(into / "etc/sub").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
         fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec));
  CHECK(read(into / "etc/sub/big") == noise);
  ::chmod((root / "etc/sub").c_str(), 0755);
  ::chmod((into / "etc/sub").c_str(), 0755);
}

TEST_CASE("archive: hostile members are refused, nothing written outside", "[host_linux]") {
  jaild::test::temp_dir dir("jaild-archive-evil");
  const auto victim = dir.path() / "victim";
  fs::create_directory(victim);
  write(victim / "target", "host\n");
  const auto file = dir.path() / "evil.tar.zst";
  const std::vector<std::vector<crafted>> cases{
      {{"root/escape", AE_IFLNK, victim.string(), ""}, {"root/escape/pwned", AE_IFREG, "", "x"}},
      {{"root/../victim/pwned", AE_IFREG, "", "x"}},
      {{victim.string() + "/pwned", AE_IFREG, "", "x"}},
      {{"root/f", AE_IFLNK, (victim / "target").string(), ""}, {"root/f", AE_IFREG, "", "x"}},
      {{"root/h", AE_IFREG, victim.string() + "/target", ""}},
      {{"root/a//b", AE_IFREG, "", "x"}},
  };
  for (const auto& c : cases) {
    INFO(c.front().name);
    craft(file, c);
    const auto into = dir.path() / "into";
    fs::remove_all(into);
    fs::create_directory(into);
    try {
      extract_root_archive(file, into, true);
      FAIL("extracted");
    } catch (const jaild::error& e) {
      CHECK(e.code() == jaild::errc::archive_invalid);
    }
    CHECK(read(victim / "target") == "host\n");
    CHECK(!fs::exists(victim / "pwned"));
    CHECK(fs::hard_link_count(victim / "target") == 1);
  }

  // A device node is not made; the file beside it is.
  craft(file, {{"root/null", AE_IFCHR, "", ""}, {"root/suid", AE_IFREG, "", "#!"}});
  const auto into = dir.path() / "dev";
  fs::create_directory(into);
  const auto t = extract_root_archive(file, into, false);
  CHECK(t.devices_skipped == 1);
  CHECK(!fs::exists(fs::symlink_status(into / "null")));
  CHECK(fs::is_regular_file(into / "suid"));
}
