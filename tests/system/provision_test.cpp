// Provisioning on Linux for real (issue 16): a busybox-static root made by
// the test is the release, added from a tarball and from a directory; jails
// get thick (copied, reflinked on btrfs), thin (overlayfs over the release,
// mounted at each start) and cloned (btrfs snapshot) roots that jaild makes
// on create and removes on delete, immutable files, jail root's symbolic
// links and all; a failed create leaves nothing behind. The jails directory
// is a btrfs file system on a loop device that the test makes and always
// removes.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "tests/system/scenario.h"
#include "tests/system/system_support.h"

using namespace jaild;
using nlohmann::json;
using systest::scenario;
namespace fs = std::filesystem;

namespace {

// A file removed when the test ends.
struct temp_file {
  fs::path path;
  ~temp_file() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string sha256_of(const fs::path& file) {
  auto r = systest::run({"sha256sum", file.string()});
  REQUIRE(r.status == 0);
  return r.output.substr(0, 64);
}

bool mounted_at(const fs::path& point) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);)
    if (line.find(" " + point.string() + " ") != std::string::npos) return true;
  return false;
}

std::string exec_out(scenario& s, const std::string& jail, std::vector<std::string> argv) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + jail + "/exec", json{{"argv", argv}}.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json()["stdout"].get<std::string>();
}

void start(scenario& s, const std::string& jail) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + jail + "/start");
  INFO(r.body);
  REQUIRE(r.status == 200);
}

void stop(scenario& s, const std::string& jail) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + jail + "/stop");
  INFO(r.body);
  REQUIRE(r.status == 200);
}

json create(scenario& s, const std::string& jail, const std::string& release,
            const std::string& mode) {
  auto r = s.daemon().curl(
      "POST", "/v1/jails",
      json{{"name", jail}, {"root", {{"release", release}, {"mode", mode}}}}.dump());
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json();
}

// Makes sure the jails a test created are deleted (their roots with them)
// before the scenario stops jaild.
struct deleter {
  scenario& s;
  std::vector<std::string> jails;
  ~deleter() {
    for (const auto& j : jails) s.daemon().curl("DELETE", "/v1/jails/" + j + "?force=true");
  }
};

}  // namespace

TEST_CASE("provision on Linux: releases, thick, thin and cloned roots made and removed",
          "[system][provision]") {
  systest::require_prerequisites();
  systest::btrfs_volume volume("btrfs");
  const auto jails_dir = volume.path() / "jails";
  scenario s("[provision]\njails_dir = \"" + jails_dir.string() + "\"\n");
  const auto p = systest::prefix();
  const std::string rel_tar = p + "-bb", rel_dir = p + "-bbdir";

  systest::rootfs base(p + "-release");
  temp_file tarball{"/tmp/" + p + "-release.tar.gz"};
  REQUIRE(systest::run({"tar", "-C", base.path().string(), "-czf", tarball.path.string(), "."})
              .status == 0);

  // A wrong digest adds nothing.
  auto bad = s.daemon().curl("POST", "/v1/releases",
                             json{{"name", rel_tar},
                                  {"source", tarball.path.string()},
                                  {"sha256", std::string(64, '0')}}
                                 .dump());
  CHECK(bad.status == 400);
  CHECK(bad.json()["code"] == "invalid_value");
  CHECK(bad.json()["field"] == "/sha256");
  CHECK(s.daemon().curl("GET", "/v1/releases").json()["releases"].empty());
  const auto releases_dir = s.daemon().state_dir() / "releases";
  CHECK((!fs::exists(releases_dir) || fs::is_empty(releases_dir)));

  auto added = s.daemon().curl("POST", "/v1/releases",
                               json{{"name", rel_tar},
                                    {"source", tarball.path.string()},
                                    {"sha256", sha256_of(tarball.path)}}
                                   .dump());
  INFO(added.body);
  REQUIRE(added.status == 201);
  CHECK(added.json()["kind"] == "archive");
  CHECK(added.json()["files"].get<int>() > 100);  // busybox's applets
  CHECK(fs::is_regular_file(releases_dir / rel_tar / "bin/busybox"));
  CHECK(fs::read_symlink(releases_dir / rel_tar / "bin/sh") == "busybox");
  CHECK(s.daemon().curl("POST", "/v1/releases",
                        json{{"name", rel_tar}, {"source", tarball.path.string()}}.dump())
            .json()["code"] == "release_exists");
  auto from_dir = s.daemon().curl(
      "POST", "/v1/releases", json{{"name", rel_dir}, {"source", base.path().string()}}.dump());
  INFO(from_dir.body);
  REQUIRE(from_dir.status == 201);
  CHECK(from_dir.json()["kind"] == "directory");
  CHECK(from_dir.json()["files"] == added.json()["files"]);

  auto info = s.daemon().curl("GET", "/v1/info").json()["provisioning"];
  CHECK(info["jails_dir"] == jails_dir.string());
  CHECK(info["storage"]["filesystem"] == "btrfs");
  CHECK(info["storage"]["clone"] == true);
  CHECK(info["storage"]["thin"] == true);
  const fs::path private_dir = info["private_dir"].get<std::string>();
  CHECK(private_dir.parent_path() == jails_dir);
  CHECK(private_dir.filename().string().starts_with(".jaild-"));

  const std::string thick = p + "-thick", thin = p + "-thin", clone = p + "-clone";
  deleter cleanup{s, {thick, thin, clone}};

  // thick: a copy of its own, at JAILS_DIR/NAME.
  auto t = create(s, thick, rel_tar, "thick");
  CHECK(t["spec"]["path"] == (jails_dir / thick).string());
  CHECK(t["spec"]["root"]["mode"] == "thick");
  CHECK(fs::is_regular_file(jails_dir / thick / "bin/busybox"));
  start(s, thick);
  CHECK(exec_out(s, thick, {"cat", "/www/index.html"}) == "hello from " + p + "-release\n");
  exec_out(s, thick, {"sh", "-c", "echo mine > /etc/thick-marker"});
  stop(s, thick);
  CHECK(fs::exists(jails_dir / thick / "etc/thick-marker"));
  CHECK_FALSE(fs::exists(releases_dir / rel_tar / "etc/thick-marker"));

  // A template of the stopped thick jail, with a link to the host its root
  // holds (copied as a link); a clone and a thin jail made from it.
  {
    const std::string tpl = p + "-tpl", tclone = p + "-tclone", tthin = p + "-tthin";
    deleter from_template{s, {tclone, tthin}};
    fs::create_symlink("/etc", jails_dir / thick / "host-etc");
    auto made = s.daemon().curl(
        "POST", "/v1/templates",
        json{{"name", tpl}, {"jail", thick}, {"profile", {{"priority", 4}}}}.dump());
    INFO(made.body);
    REQUIRE(made.status == 201);
    CHECK(made.json()["base"] == rel_tar);
    CHECK(fs::is_symlink(fs::symlink_status(releases_dir / tpl / "host-etc")));
    fs::remove(jails_dir / thick / "host-etc");
    for (const auto& [name, mode] : {std::pair{tclone, "clone"}, {tthin, "thin"}}) {
      auto r = s.daemon().curl(
          "POST", "/v1/jails", json{{"name", name}, {"root", {{"template", tpl}, {"mode", mode}}}}.dump());
      INFO(r.body);
      REQUIRE(r.status == 201);
      CHECK(r.json()["spec"]["priority"] == 4);
      start(s, name);
      CHECK(exec_out(s, name, {"cat", "/etc/thick-marker"}) == "mine\n");
      CHECK(exec_out(s, name, {"readlink", "/host-etc"}) == "/etc\n");
      stop(s, name);
    }
    CHECK(systest::run({"btrfs", "subvolume", "show", (jails_dir / tclone).string()}).status == 0);
    CHECK(s.daemon().curl("DELETE", "/v1/templates/" + tpl).json()["code"] == "release_in_use");
    for (const auto& name : {tclone, tthin})
      CHECK(s.daemon().curl("DELETE", "/v1/jails/" + name).status == 204);
    auto gone = s.daemon().curl("DELETE", "/v1/templates/" + tpl);
    INFO(gone.body);
    CHECK(gone.status == 204);
    CHECK_FALSE(fs::exists(releases_dir / tpl));
    CHECK_FALSE(fs::exists(private_dir / ".releases" / tpl));
  }

  // thin: an overlay over the release, there only while the jail runs.
  create(s, thin, rel_tar, "thin");
  CHECK(fs::is_empty(jails_dir / thin));
  start(s, thin);
  CHECK(mounted_at(jails_dir / thin));
  CHECK(exec_out(s, thin, {"cat", "/www/index.html"}) == "hello from " + p + "-release\n");
  exec_out(s, thin, {"sh", "-c", "echo mine > /etc/thin-marker"});
  stop(s, thin);
  CHECK_FALSE(mounted_at(jails_dir / thin));
  CHECK(fs::exists(private_dir / thin / "upper/etc/thin-marker"));
  CHECK_FALSE(fs::exists(releases_dir / rel_tar / "etc/thin-marker"));
  start(s, thin);  // the jail's own layer is there again
  CHECK(exec_out(s, thin, {"cat", "/etc/thin-marker"}) == "mine\n");
  stop(s, thin);

  // clone: a btrfs snapshot of the release's seed.
  create(s, clone, rel_dir, "clone");
  CHECK(fs::is_regular_file(jails_dir / clone / "bin/busybox"));
  auto subvol = systest::run({"btrfs", "subvolume", "show", (jails_dir / clone).string()});
  CHECK(subvol.status == 0);
  start(s, clone);
  CHECK(exec_out(s, clone, {"cat", "/www/index.html"}) == "hello from " + p + "-release\n");
  stop(s, clone);

  // A release that roots use stays.
  auto in_use = s.daemon().curl("DELETE", "/v1/releases/" + rel_tar);
  CHECK(in_use.status == 409);
  CHECK(in_use.json()["code"] == "release_in_use");
  CHECK(in_use.json()["detail"].get<std::string>().find(thick) != std::string::npos);
  CHECK(in_use.json()["detail"].get<std::string>().find(thin) != std::string::npos);

  // Delete removes what jaild made: an immutable file, and jail root's links
  // to the host, which removal must not follow.
  temp_file sentinel{"/tmp/" + p + "-sentinel"};
  fs::create_directories(sentinel.path);
  std::ofstream(sentinel.path / "keep") << "host data\n";
  REQUIRE(systest::run({"chattr", "+i", (jails_dir / thick / "etc/thick-marker").string()})
              .status == 0);
  start(s, thick);
  exec_out(s, thick,
           {"sh", "-c",
            "ln -s " + sentinel.path.string() + " /escape-dir && ln -s " +
                sentinel.path.string() + "/keep /escape-file && mkdir -p /deep/er && ln -s / "
                "/deep/er/root"});
  stop(s, thick);
  {
    // Something mounted below a stopped jail's root (an admin's bind mount,
    // a mount jaild did not make): the delete is refused before anything is
    // removed, and the jail stays as it was.
    const auto point = jails_dir / thick / "srv/mnt";
    fs::create_directories(point);
    REQUIRE(::mount("tmpfs", point.c_str(), "tmpfs", 0, "size=1m") == 0);
    struct unmount {
      fs::path p;
      ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount_it{point};
    std::ofstream(point / "in-the-mount") << "mounted\n";
    auto busy = s.daemon().curl("DELETE", "/v1/jails/" + thick);
    INFO(busy.body);
    CHECK(busy.status == 409);
    CHECK(busy.json()["code"] == "jail_running");
    CHECK(busy.json()["detail"].get<std::string>().find(point.string()) != std::string::npos);
    CHECK(fs::is_regular_file(jails_dir / thick / "bin/busybox"));
    CHECK(fs::exists(jails_dir / thick / "etc/thick-marker"));
    CHECK(fs::exists(point / "in-the-mount"));
    CHECK(s.daemon().curl("GET", "/v1/jails/" + thick).status == 200);
    REQUIRE(::umount2(point.c_str(), 0) == 0);
  }
  for (const auto& j : {thick, thin, clone}) {
    auto d = s.daemon().curl("DELETE", "/v1/jails/" + j);
    INFO(j << ": " << d.body);
    CHECK(d.status == 204);
    CHECK_FALSE(fs::exists(fs::symlink_status(jails_dir / j)));
    CHECK_FALSE(fs::exists(fs::symlink_status(private_dir / j)));
  }
  CHECK(fs::exists(sentinel.path / "keep"));
  CHECK(fs::exists("/etc/passwd"));
  auto ops = s.daemon().curl("GET", "/v1/operations?jail=" + thick).json();
  INFO(ops.dump());

  for (const auto& r : {rel_tar, rel_dir}) {
    auto d = s.daemon().curl("DELETE", "/v1/releases/" + r);
    INFO(d.body);
    CHECK(d.status == 204);
    CHECK_FALSE(fs::exists(releases_dir / r));
  }
  CHECK_FALSE(fs::exists(private_dir / ".releases" / rel_dir));
  CHECK(s.daemon().curl("GET", "/v1/releases").json()["releases"].empty());
}

TEST_CASE("provision on Linux: a create that fails leaves nothing, and never touches what it "
          "did not make",
          "[system][provision]") {
  systest::require_prerequisites();
  temp_file jails_dir{"/tmp/" + systest::prefix() + "-jails"};
  scenario s("[provision]\njails_dir = \"" + jails_dir.path.string() + "\"\n");
  const auto p = systest::prefix();
  systest::rootfs base(p + "-release2");
  const std::string rel = p + "-bb2";
  REQUIRE(s.daemon()
              .curl("POST", "/v1/releases",
                    json{{"name", rel}, {"source", base.path().string()}}.dump())
              .status == 201);
  deleter cleanup{s, {p + "-there", p + "-nocpu", p + "-clone2"}};

  // A path that exists is not jaild's to fill, nor to remove.
  fs::create_directories(jails_dir.path / (p + "-there"));
  std::ofstream(jails_dir.path / (p + "-there") / "keep") << "mine\n";
  auto there = s.daemon().curl(
      "POST", "/v1/jails",
      json{{"name", p + "-there"}, {"root", {{"release", rel}}}}.dump());
  CHECK(there.status == 409);
  CHECK(there.json()["code"] == "root_not_made");
  CHECK(fs::exists(jails_dir.path / (p + "-there") / "keep"));

  // A spec the host refuses after the root was made: the root goes again.
  auto nocpu = s.daemon().curl(
      "POST", "/v1/jails",
      json{{"name", p + "-nocpu"}, {"cpuset", "999"}, {"root", {{"release", rel}}}}.dump());
  CHECK(nocpu.status == 400);
  CHECK(nocpu.json()["field"] == "/cpuset");
  CHECK_FALSE(fs::exists(jails_dir.path / (p + "-nocpu")));

  // clone needs btrfs; /tmp is not.
  auto clone = s.daemon().curl(
      "POST", "/v1/jails",
      json{{"name", p + "-clone2"}, {"root", {{"release", rel}, {"mode", "clone"}}}}.dump());
  CHECK(clone.status == 409);
  CHECK(clone.json()["code"] == "root_not_made");
  CHECK(clone.json()["detail"].get<std::string>().find("btrfs") != std::string::npos);
  CHECK_FALSE(fs::exists(jails_dir.path / (p + "-clone2")));

  auto unknown = s.daemon().curl(
      "POST", "/v1/jails",
      json{{"name", p + "-clone2"}, {"root", {{"release", p + "-nope"}}}}.dump());
  CHECK(unknown.status == 404);
  CHECK(unknown.json()["code"] == "release_not_found");
  CHECK(unknown.json()["field"] == "/root/release");

  CHECK(s.daemon().curl("GET", "/v1/jails").json()["jails"].empty());
  const fs::path private_dir =
      s.daemon().curl("GET", "/v1/info").json()["provisioning"]["private_dir"].get<std::string>();
  // Only what the test put there is left.
  for (const auto& e : fs::directory_iterator(jails_dir.path)) {
    INFO(e.path());
    CHECK((e.path().filename() == p + "-there" || e.path() == private_dir));
  }
  if (fs::exists(private_dir))
    for (const auto& e : fs::directory_iterator(private_dir)) {
      INFO(e.path());
      CHECK(false);
    }
  REQUIRE(s.daemon().curl("DELETE", "/v1/releases/" + rel).status == 204);
}
