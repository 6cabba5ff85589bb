// Releases end to end: a real jaild, driven by jailctl release add|list|show|rm
// and by curl; every bad request is refused with its problem code and leaves
// the database exactly as it was. The release is a busybox-static root the
// test makes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// bin/busybox and bin/sh -> busybox: the smallest busybox-static root.
void make_busybox_root(const fs::path& root) {
  fs::create_directories(root / "bin");
  fs::create_directories(root / "etc");
  fs::copy_file("/bin/busybox", root / "bin/busybox");
  fs::create_symlink("busybox", root / "bin/sh");
}

// The database as SQL, without the counter of operation ids (an id drawn
// for a request that was then refused is not state anyone sees).
std::string dump_without_counters(daemon_fixture& d) {
  std::string out, line;
  std::istringstream in(d.dump_database());
  while (std::getline(in, line))
    if (line.rfind("INSERT INTO counters", 0) != 0) out += line + "\n";
  return out;
}

// A request that must be refused with `status`, `code` and (when not empty)
// `field`.
struct refusal {
  std::string method, path, body;
  int status;
  std::string code, field;
};

void check_refusals(daemon_fixture& d, const std::vector<refusal>& cases) {
  for (const auto& c : cases) {
    auto r = d.curl(c.method, c.path, c.body);
    INFO(c.method << " " << c.path << " " << c.body << " -> " << r.body);
    CHECK(r.status == c.status);
    CHECK(r.json()["code"] == c.code);
    if (!c.field.empty()) CHECK(r.json()["field"] == c.field);
  }
}

}  // namespace

TEST_CASE("releases: jailctl adds, lists, shows and removes one", "[integration]") {
  daemon_fixture d;
  d.start();
  temp_dir src{"jaild-it-release"};
  make_busybox_root(src / "bb");

  auto add = d.jailctl({"release", "add", "it-bb", (src / "bb").string(), "--description", "busybox"});
  INFO(add.err);
  REQUIRE(add.status == 0);
  CHECK(add.out.find("added release it-bb: 4 files") != std::string::npos);
  CHECK(fs::is_regular_file(d.state_dir() / "releases/it-bb/bin/busybox"));
  CHECK(fs::read_symlink(d.state_dir() / "releases/it-bb/bin/sh") == "busybox");

  auto list = d.jailctl({"release", "list"});
  REQUIRE(list.status == 0);
  CHECK(list.out.find("it-bb") != std::string::npos);
  CHECK(list.out.find("directory") != std::string::npos);
  auto shown = json::parse(d.jailctl({"--json", "release", "show", "it-bb"}).out);
  CHECK(shown["description"] == "busybox");
  CHECK(shown["path"] == (d.state_dir() / "releases/it-bb").string());

  // Kept across a restart.
  d.stop();
  d.start();
  CHECK(d.curl("GET", "/v1/releases/it-bb").status == 200);

  // Adding it was a provision operation, with its steps.
  auto ops = d.curl("GET", "/v1/operations?limit=5").json();
  bool seen = false;
  for (const auto& op : ops["operations"])
    if (op["kind"] == "provision" && op["state"] == "succeeded") seen = true;
  CHECK(seen);

  auto rm = d.jailctl({"release", "rm", "it-bb"});
  INFO(rm.err);
  REQUIRE(rm.status == 0);
  CHECK_FALSE(fs::exists(d.state_dir() / "releases/it-bb"));
  CHECK(d.curl("GET", "/v1/releases/it-bb").json()["code"] == "release_not_found");
}

TEST_CASE("releases: bad requests are refused and change nothing", "[integration]") {
  daemon_fixture d;
  d.start();
  temp_dir src{"jaild-it-release"};
  make_busybox_root(src / "bb");
  const auto before = dump_without_counters(d);
  const std::vector<refusal> cases{
      {"POST", "/v1/releases", R"({"source":"/x"})", 400, "missing_field", "/name"},
      {"POST", "/v1/releases", R"({"name":"../up","source":"/x"})", 400, "invalid_value", "/name"},
      {"POST", "/v1/releases", R"({"name":"bb","source":"rel/x"})", 400, "invalid_value", "/source"},
      {"POST", "/v1/releases", R"({"name":"bb","source":"/nonexistent/jaild-it"})", 400,
       "invalid_value", "/source"},
      {"POST", "/v1/releases",
       json{{"name", "bb"}, {"source", (src / "bb").string()}, {"sha256", std::string(64, 'a')}}
           .dump(),
       400, "invalid_value", "/sha256"},  // a directory has no digest to check
      {"POST", "/v1/releases", R"({"name":"bb","source":"/x","url":"http://x"})", 400,
       "unknown_field", "/url"},
      {"GET", "/v1/releases/nope", "", 404, "release_not_found", ""},
      {"DELETE", "/v1/releases/nope", "", 404, "release_not_found", ""},
      {"DELETE", "/v1/releases/-rf", "", 400, "invalid_value", ""},
      {"POST", "/v1/jails", R"({"name":"j","root":{"release":"nope"}})", 404, "release_not_found",
       "/root/release"},
      {"POST", "/v1/jails", R"({"name":"j","root":{"release":"bb","mode":"fat"}})", 400,
       "invalid_value", "/root/mode"},
  };
  check_refusals(d, cases);
  // Refused before any host step: not even an operation is recorded.
  CHECK(dump_without_counters(d) == before);
  CHECK(d.curl("GET", "/v1/releases").json()["releases"].empty());
  CHECK((!fs::exists(d.state_dir() / "releases") || fs::is_empty(d.state_dir() / "releases")));
}

TEST_CASE("templates: made from a stopped jail's root with links copied as links, and jails "
          "made from one inherit its profile",
          "[integration]") {
  daemon_fixture d;
  d.start();
  temp_dir src{"jaild-it-template"};
  make_busybox_root(src / "bb");
  REQUIRE(d.curl("POST", "/v1/releases",
                 json{{"name", "it-bb"}, {"source", (src / "bb").string()}}.dump())
              .status == 201);
  auto made = d.curl("POST", "/v1/jails",
                     R"({"name":"src","root":{"release":"it-bb"},"exec":{"start":["/bin/sh"]}})");
  INFO(made.body);
  REQUIRE(made.status == 201);
  // What jail root could have left in its root: a file, and links to the host.
  const fs::path root = made.json()["spec"]["path"].get<std::string>();
  std::ofstream(root / "etc/from-src") << "mine\n";
  fs::create_symlink("/etc", root / "escape-dir");
  fs::create_symlink("/etc/passwd", root / "escape-file");

  const auto before = dump_without_counters(d);
  const std::vector<refusal> cases{
      {"POST", "/v1/templates", R"({"jail":"src"})", 400, "missing_field", "/name"},
      {"POST", "/v1/templates", R"({"name":"t","jail":"nope"})", 404, "jail_not_found", ""},
      {"POST", "/v1/templates", R"({"name":"it-bb","jail":"src"})", 409, "release_exists", "/name"},
      {"POST", "/v1/templates", R"({"name":"t","jail":"src","profile":{"path":"/x"}})", 400,
       "invalid_value", "/profile/path"},
      {"POST", "/v1/templates", R"({"name":"t","jail":"src","profile":{"cpuset":"x"}})", 400,
       "invalid_value", "/profile/cpuset"},
      {"GET", "/v1/templates/it-bb", "", 404, "template_not_found", ""},  // a release, not one
      {"DELETE", "/v1/templates/nope", "", 404, "template_not_found", ""},
      {"POST", "/v1/jails", R"({"name":"j","root":{"template":"nope"}})", 404,
       "template_not_found", "/root/template"},
  };
  check_refusals(d, cases);
  CHECK(dump_without_counters(d) == before);

  auto t = d.curl("POST", "/v1/templates",
                  R"({"name":"it-tpl","jail":"src","profile":{"priority":7,"cpuset":"0"}})");
  INFO(t.body);
  REQUIRE(t.status == 201);
  CHECK(t.json()["kind"] == "template");
  CHECK(t.json()["base"] == "it-bb");
  CHECK(t.json()["jail"] == "src");
  const auto copy = d.state_dir() / "releases/it-tpl";
  CHECK(fs::is_regular_file(copy / "etc/from-src"));
  CHECK(fs::is_symlink(fs::symlink_status(copy / "escape-dir")));
  CHECK(fs::read_symlink(copy / "escape-dir") == "/etc");
  CHECK(fs::is_symlink(fs::symlink_status(copy / "escape-file")));
  REQUIRE(d.curl("GET", "/v1/templates").json()["templates"].size() == 1);
  CHECK(d.curl("GET", "/v1/templates/it-tpl").json()["profile"]["priority"] == 7);

  auto c1 = d.curl("POST", "/v1/jails", R"({"name":"c1","root":{"template":"it-tpl"}})");
  INFO(c1.body);
  REQUIRE(c1.status == 201);
  CHECK(c1.json()["spec"]["priority"] == 7);
  CHECK(c1.json()["spec"]["cpuset"] == "0");
  CHECK(c1.json()["spec"]["root"]["release"] == "it-bb");
  CHECK(c1.json()["spec"]["root"]["template"] == "it-tpl");
  const fs::path c1_root = c1.json()["spec"]["path"].get<std::string>();
  CHECK(fs::is_regular_file(c1_root / "etc/from-src"));
  CHECK(fs::is_symlink(fs::symlink_status(c1_root / "escape-dir")));
  auto c2 = d.curl("POST", "/v1/jails",
                   R"({"name":"c2","priority":3,"cpuset":null,"root":{"template":"it-tpl"}})");
  INFO(c2.body);
  REQUIRE(c2.status == 201);
  CHECK(c2.json()["spec"]["priority"] == 3);
  CHECK(c2.json()["spec"]["cpuset"] == "");

  // Kept while roots are made from it, and across a restart.
  auto in_use = d.curl("DELETE", "/v1/templates/it-tpl");
  CHECK(in_use.status == 409);
  CHECK(in_use.json()["code"] == "release_in_use");
  d.stop();
  d.start();
  CHECK(d.curl("GET", "/v1/templates/it-tpl").status == 200);
  for (const auto* j : {"c1", "c2", "src"})
    CHECK(d.curl("DELETE", std::string("/v1/jails/") + j).status == 204);
  CHECK_FALSE(fs::exists(c1_root));
  CHECK(fs::exists("/etc/passwd"));
  CHECK(d.curl("DELETE", "/v1/templates/it-tpl").status == 204);
  CHECK_FALSE(fs::exists(copy));
  CHECK(d.curl("GET", "/v1/templates").json()["templates"].empty());
}

TEST_CASE("templates: jailctl makes, lists, shows and removes one, and create --template uses it",
          "[integration]") {
  daemon_fixture d;
  d.start();
  temp_dir src{"jaild-it-template"};
  make_busybox_root(src / "bb");
  REQUIRE(d.jailctl({"release", "add", "it-bb", (src / "bb").string()}).status == 0);
  REQUIRE(d.jailctl({"create", "src", "--release", "it-bb"}).status == 0);
  const auto profile = src / "profile.json";
  std::ofstream(profile) << R"({"priority": 6})";
  auto add = d.jailctl({"template", "add", "it-t", "src", "--profile", profile.string()});
  INFO(add.err);
  REQUIRE(add.status == 0);
  CHECK(add.out.find("made template it-t from src") != std::string::npos);
  auto list = d.jailctl({"template", "list"});
  REQUIRE(list.status == 0);
  CHECK(list.out.find("it-t") != std::string::npos);
  CHECK(list.out.find("it-bb") != std::string::npos);  // its base
  auto shown = json::parse(d.jailctl({"--json", "template", "show", "it-t"}).out);
  CHECK(shown["profile"] == json{{"priority", 6}});

  auto made = d.jailctl({"create", "c1", "--template", "it-t"});
  INFO(made.err);
  REQUIRE(made.status == 0);
  auto c1 = d.curl("GET", "/v1/jails/c1").json();
  CHECK(c1["spec"]["root"]["template"] == "it-t");
  CHECK(c1["spec"]["priority"] == 6);
  CHECK(d.jailctl({"create", "c2", "--template", "it-t", "--release", "it-bb"}).status != 0);
  auto in_use = d.jailctl({"template", "rm", "it-t"});
  CHECK(in_use.status != 0);
  CHECK(in_use.err.find("release_in_use") != std::string::npos);
  REQUIRE(d.jailctl({"destroy", "c1"}).status == 0);
  auto rm = d.jailctl({"template", "rm", "it-t"});
  INFO(rm.err);
  CHECK(rm.status == 0);
  CHECK_FALSE(fs::exists(d.state_dir() / "releases/it-t"));
}
