// jail(8)'s check_path rule, shared by both adapters (lib/host/jail_path.h).
#include "lib/host/jail_path.h"

#include <catch2/catch.hpp>

#include <map>

using namespace jaild::host;
using strings = std::vector<std::string>;

namespace {

// An lstat(2) over a made-up tree: every path is a directory unless named.
struct tree {
  std::map<std::string, path_kind> kinds;
  std::vector<std::string> asked;
  std::function<path_kind(const std::string&)> lstat() {
    return [this](const std::string& p) {
      asked.push_back(p);
      auto it = kinds.find(p);
      return it == kinds.end() ? path_kind::directory : it->second;
    };
  }
};

}  // namespace

TEST_CASE("jail path: the components below the root, compared as text", "[host]") {
  CHECK(components_below("/jails/web", "/jails/web/dev/fd") == strings{"dev", "fd"});
  CHECK(components_below("/jails/web/", "//jails//web/dev/") == strings{"dev"});
  CHECK(components_below("/jails/web", "/jails/web") == strings{});
  CHECK(components_below("/", "/dev") == strings{"dev"});
  CHECK_FALSE(components_below("/jails/web", "/jails/webx/dev"));
  CHECK_FALSE(components_below("/jails/web", "/jails"));
  CHECK_FALSE(components_below("/jails/web", "/jails/web/../other"));
  CHECK_FALSE(components_below("/jails/web", "/jails/web/./dev"));
  CHECK_FALSE(components_below("/jails/web", "jails/web/dev"));
  CHECK_FALSE(components_below("jails/web", "/jails/web/dev"));
  CHECK(path_below("/jails/web", "/jails/web/srv//data") == "srv/data");
  CHECK_FALSE(path_below("/jails/web", "/jails/web"));
}

TEST_CASE("jail path: check_path looks at every component below the root, none above",
          "[host]") {
  tree t;
  // /jails is a link (to usr/jails), and so is /usr/home: above the root, fine.
  t.kinds = {{"/jails", path_kind::symlink}, {"/jails/web", path_kind::symlink}};
  CHECK(check_path("/jails/web", "/jails/web/usr/local/www", false, t.lstat()) == "");
  CHECK(t.asked == strings{"/jails/web/usr", "/jails/web/usr/local", "/jails/web/usr/local/www"});
  // Nothing below the root to look at.
  t.asked.clear();
  CHECK(check_path("/jails/web", "/jails/web", false, t.lstat()) == "");
  CHECK(t.asked.empty());
}

TEST_CASE("jail path: check_path refuses a link, a hole or a file on the way", "[host]") {
  tree t;
  t.kinds = {{"/j/w/usr", path_kind::symlink}};
  CHECK(check_path("/j/w", "/j/w/usr/local", false, t.lstat()) ==
        "/j/w/usr is a symbolic link (jail(8) refuses one below the jail's path, and so does "
        "jaild)");
  t.kinds = {{"/j/w/dev", path_kind::symlink}};  // the last component too
  CHECK(check_path("/j/w", "/j/w/dev", false, t.lstat()).starts_with("/j/w/dev is a symbolic"));
  t.kinds = {{"/j/w/var", path_kind::missing}};
  CHECK(check_path("/j/w", "/j/w/var/log", false, t.lstat()) == "/j/w/var does not exist");
  t.kinds = {{"/j/w/var", path_kind::other}};
  CHECK(check_path("/j/w", "/j/w/var/log", false, t.lstat()) == "/j/w/var is not a directory");
  CHECK(check_path("/j/w", "/etc", false, t.lstat()) ==
        "/etc is not a path below the jail's path /j/w");
}

TEST_CASE("jail path: a file jaild creates may be missing, its directories may not", "[host]") {
  tree t;
  t.kinds = {{"/j/w/var/log/console.log", path_kind::missing}};
  CHECK(check_path("/j/w", "/j/w/var/log/console.log", true, t.lstat()) == "");
  CHECK(check_path("/j/w", "/j/w/var/log/console.log", false, t.lstat()) ==
        "/j/w/var/log/console.log does not exist");
  t.kinds = {{"/j/w/var/log", path_kind::missing}};
  CHECK(check_path("/j/w", "/j/w/var/log/console.log", true, t.lstat()) ==
        "/j/w/var/log does not exist");
  t.kinds = {{"/j/w/var/log/console.log", path_kind::other}};  // a regular file
  CHECK(check_path("/j/w", "/j/w/var/log/console.log", true, t.lstat()) == "");
}
