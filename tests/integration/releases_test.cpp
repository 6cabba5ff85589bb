// Releases end to end: a real jaild, driven by jailctl release add|list|show|rm
// and by curl; every bad request is refused with its problem code and leaves
// the database exactly as it was. The release is a busybox-static root the
// test makes.
#include <catch2/catch.hpp>

#include <filesystem>
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
  struct refusal {
    std::string method, path, body;
    int status;
    std::string code, field;
  };
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
  for (const auto& c : cases) {
    auto r = d.curl(c.method, c.path, c.body);
    INFO(c.method << " " << c.path << " " << c.body << " -> " << r.body);
    CHECK(r.status == c.status);
    CHECK(r.json()["code"] == c.code);
    if (!c.field.empty()) CHECK(r.json()["field"] == c.field);
  }
  // Refused before any host step: not even an operation is recorded.
  CHECK(dump_without_counters(d) == before);
  CHECK(d.curl("GET", "/v1/releases").json()["releases"].empty());
  CHECK((!fs::exists(d.state_dir() / "releases") || fs::is_empty(d.state_dir() / "releases")));
}
