#include "lib/host/linux/passwd.h"

#include <catch2/catch.hpp>

using namespace jaild::host::linux_host;

namespace {
const char* passwd =
    "# comment\nroot:x:0:0:root:/root:/bin/sh\nwww:x:80:80:web:/usr/local/www:/usr/sbin/nologin\n"
    "broken:x:abc:1::/:\n";
const char* group = "wheel:x:0:root\nwww:x:80:\nstaff:x:20:www,other\nvideo:x:44:wwwx\n";
}  // namespace

TEST_CASE("passwd: users resolve from the jail's own files", "[host_linux]") {
  auto root = resolve_user("", passwd, group);
  REQUIRE(root);
  CHECK(root->uid == 0);
  CHECK(root->home == "/root");
  CHECK(root->shell == "/bin/sh");
  CHECK(root->groups == std::vector<gid_t>{0});

  auto www = resolve_user("www", passwd, group);
  REQUIRE(www);
  CHECK(www->uid == 80);
  CHECK(www->gid == 80);
  CHECK(www->home == "/usr/local/www");
  CHECK(www->shell == "/usr/sbin/nologin");
  CHECK(www->groups == std::vector<gid_t>{80, 20});  // not 44: "wwwx" is another user

  auto by_number = resolve_user("80", passwd, group);
  REQUIRE(by_number);
  CHECK(by_number->name == "www");
  auto unknown_number = resolve_user("1234", passwd, group);
  REQUIRE(unknown_number);
  CHECK(unknown_number->uid == 1234);
  CHECK(unknown_number->gid == 1234);
  CHECK(unknown_number->shell == "/bin/sh");

  CHECK_FALSE(resolve_user("nobody", passwd, group));
  CHECK_FALSE(resolve_user("broken", passwd, group));
}
