#include "lib/host/linux/fstab.h"

#include <catch2/catch.hpp>

using namespace jaild::host::linux_host;

TEST_CASE("fstab: lines of mount and mount.fstab", "[host_linux]") {
  std::string problem;
  auto all = parse_fstab({"/usr/ports /jails/web/usr/ports nullfs ro 0 0"},
                         "# comment\n\ntmpfs /jails/web/tmp tmpfs rw,size=64m,mode=1777\n"
                         "devfs /jails/web/dev devfs rw\n",
                         &problem);
  CHECK(problem.empty());
  REQUIRE(all.size() == 3);
  CHECK(all[0].source == "/usr/ports");
  CHECK(all[0].target == "/jails/web/usr/ports");
  CHECK(all[0].read_only());
  CHECK(all[1].tmpfs_data() == "size=64m,mode=1777");
  CHECK_FALSE(all[1].read_only());
  CHECK(all[2].skipped());
  for (const auto& e : all) CHECK(e.supported());
  CHECK_FALSE(parse_fstab_line("a /b zfs rw", nullptr)->supported());
  CHECK_FALSE(parse_fstab_line("only two", &problem));
  CHECK(problem.find("at least") != std::string::npos);
}
