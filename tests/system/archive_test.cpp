// Snapshots and archives on Linux for real (issue 16, points 4 and 5): a
// cloned root snapshotted with btrfs while it runs and rolled back with
// ?restart=true, a thick root copied and a thin root's layer, every refusal
// changing nothing; a jail moved between two jailds with curl (the trees
// compared, the jail started on the second one); and hostile archives
// (absolute names, "..", writes through symbolic links, hard links out, a
// truncated stream, device nodes, setuid files) refused with nothing left.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/system/scenario.h"
#include "tests/system/system_support.h"

using namespace jaild;
using nlohmann::json;
using systest::scenario;
namespace fs = std::filesystem;

namespace {

struct temp_tree {
  fs::path path;
  explicit temp_tree(fs::path p) : path(std::move(p)) {
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::create_directories(path);
  }
  ~temp_tree() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// Every entry of a tree as a line: type, mode, owner, size, link target or
// content, inode group for hard links. Two trees compare equal entry by entry.
std::map<std::string, std::string> describe(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::map<ino_t, std::string> first_of;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const auto rel = fs::relative(it->path(), root).string();
    struct stat st {};
    REQUIRE(::lstat(it->path().c_str(), &st) == 0);
    std::string line = fmt::format("{:o} {}:{}", st.st_mode, st.st_uid, st.st_gid);
    if (!S_ISDIR(st.st_mode)) line += " mtime=" + std::to_string(st.st_mtime);
    if (S_ISLNK(st.st_mode)) line += " -> " + fs::read_symlink(it->path()).string();
    if (S_ISREG(st.st_mode)) {
      line += " " + std::to_string(st.st_size) + " " + std::to_string(std::hash<std::string>{}(read_file(it->path())));
      char value[64] = {};
      const auto n = ::lgetxattr(it->path().c_str(), "user.jaild-test", value, sizeof value - 1);
      if (n > 0) line += " xattr=" + std::string(value, static_cast<std::size_t>(n));
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      // Named by the group's first path in order (readdir's order differs
      // between two trees), filled in below.
      auto [f, fresh] = first_of.emplace(st.st_ino, rel);
      if (!fresh && rel < f->second) f->second = rel;
      line += " link-group=#" + std::to_string(st.st_ino);
    }
    if (S_ISDIR(st.st_mode) && it->is_symlink()) it.disable_recursion_pending();
    out[rel] = line;
  }
  for (auto& [rel, line] : out)
    for (const auto& [ino, first] : first_of) {
      const auto tag = "#" + std::to_string(ino);
      const auto at = line.find(" link-group=#");
      if (at != std::string::npos && line.substr(at) == " link-group=" + tag)
        line = line.substr(0, at) + " link-group=" + first;
    }
  return out;
}

std::string exec_out(scenario& s, const std::string& jail, std::vector<std::string> argv) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + jail + "/exec", json{{"argv", argv}}.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json()["stdout"].get<std::string>();
}

void lifecycle(scenario& s, const std::string& jail, const std::string& verb) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + jail + "/" + verb);
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

void add_release(scenario& s, const std::string& name, const fs::path& dir) {
  auto r = s.daemon().curl("POST", "/v1/releases",
                           json{{"name", name}, {"source", dir.string()}}.dump());
  INFO(r.body);
  REQUIRE(r.status == 201);
}

struct deleter {
  scenario& s;
  std::vector<std::string> jails;
  ~deleter() {
    for (const auto& j : jails) s.daemon().curl("DELETE", "/v1/jails/" + j + "?force=true");
  }
};

json snapshot(scenario& s, const std::string& jail, const std::string& name, int want) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + jail + "/snapshots", json{{"name", name}}.dump());
  INFO(r.body);
  REQUIRE(r.status == want);
  return r.json();
}

std::vector<std::string> snapshot_names(scenario& s, const std::string& jail) {
  auto r = s.daemon().curl("GET", "/v1/jails/" + jail + "/snapshots");
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::vector<std::string> names;
  const auto body = r.json();
  for (const auto& x : body["snapshots"]) names.push_back(x["name"]);
  return names;
}

// curl(1) itself, as an admin would type it: the download to a file.
systest::command_result curl_download(scenario& s, const std::string& path, const fs::path& to) {
  return systest::run({"curl", "-sS", "--unix-socket", s.daemon().socket().string(), "-o",
                       to.string(), "-w", "%{http_code}", "http://jaild" + path});
}

systest::command_result curl_upload(scenario& s, const std::string& path, const fs::path& from) {
  return systest::run({"curl", "-sS", "--unix-socket", s.daemon().socket().string(),
                       "--data-binary", "@" + from.string(), "-H",
                       "Content-Type: application/zstd", "-w", "\n%{http_code}",
                       "http://jaild" + path});
}

// The body and the status of curl_upload's output.
std::pair<json, int> answer_of(const systest::command_result& r) {
  const auto nl = r.output.rfind('\n');
  REQUIRE(nl != std::string::npos);
  const int status = std::stoi(r.output.substr(nl + 1));
  auto body = json::parse(r.output.substr(0, nl), nullptr, false);
  return {body, status};
}

}  // namespace

TEST_CASE("snapshots on Linux: btrfs for clones, copies for thick roots, the layer of thin ones",
          "[system][provision][snapshot]") {
  systest::require_prerequisites();
  systest::btrfs_volume volume("snap-btrfs");
  const auto jails_dir = volume.path() / "jails";
  scenario s("[provision]\njails_dir = \"" + jails_dir.string() + "\"\n");
  const auto p = systest::prefix();
  systest::rootfs base(p + "-snaprel");
  const std::string rel = p + "-snap";
  add_release(s, rel, base.path());
  const std::string clone = p + "-sc", thick = p + "-st", thin = p + "-sn";
  deleter cleanup{s, {clone, thick, thin}};
  create(s, clone, rel, "clone");
  create(s, thick, rel, "thick");
  create(s, thin, rel, "thin");

  // /v1/info says each backend and its limits.
  auto info = s.daemon().curl("GET", "/v1/info").json()["provisioning"]["storage"]["snapshots"];
  REQUIRE(info.size() == 3);
  std::map<std::string, json> by_mode;
  for (const auto& b : info) by_mode[b["mode"]] = b;
  CHECK(by_mode["clone"]["backend"] == "btrfs");
  CHECK(by_mode["clone"]["while_running"] == true);
  CHECK(by_mode["thick"]["backend"] == "copy");
  CHECK(by_mode["thick"]["while_running"] == false);
  CHECK(by_mode["thin"]["backend"] == "layer");

  SECTION("a cloned root: btrfs snapshots of a running jail, rolled back around a restart") {
    lifecycle(s, clone, "start");
    exec_out(s, clone, {"/bin/sh", "-c", "echo one > /www/state"});
    auto s1 = snapshot(s, clone, "s1", 201);
    CHECK(s1["backend"] == "btrfs");
    exec_out(s, clone, {"/bin/sh", "-c", "echo two > /www/state; echo new > /www/new"});
    snapshot(s, clone, "s2", 201);
    CHECK(snapshot(s, clone, "s2", 409)["code"] == "snapshot_exists");
    CHECK(snapshot(s, clone, "../x", 400)["code"] == "invalid_value");
    CHECK(snapshot_names(s, clone) == std::vector<std::string>{"s1", "s2"});

    // Running, no restart asked: refused, nothing changed.
    auto refused = s.daemon().curl("POST", "/v1/jails/" + clone + "/snapshots/s1/rollback");
    CHECK(refused.status == 409);
    CHECK(refused.json()["code"] == "jail_running");
    CHECK(exec_out(s, clone, {"/bin/cat", "/www/state"}) == "two\n");
    CHECK(s.daemon().curl("POST", "/v1/jails/" + clone + "/snapshots/nope/rollback?restart=true")
              .json()["code"] == "snapshot_not_found");
    CHECK(s.state(clone.substr(p.size() + 1)) == "running");

    auto back = s.daemon().curl("POST", "/v1/jails/" + clone + "/snapshots/s1/rollback?restart=true");
    INFO(back.body);
    REQUIRE(back.status == 200);
    CHECK(back.json()["jail"]["status"]["state"] == "running");
    CHECK(exec_out(s, clone, {"/bin/cat", "/www/state"}) == "one\n");
    CHECK(exec_out(s, clone, {"/bin/sh", "-c", "test -e /www/new && echo there || echo gone"}) ==
          "gone\n");
    // The later snapshot stays, and is a rollback away.
    CHECK(snapshot_names(s, clone) == std::vector<std::string>{"s1", "s2"});
    REQUIRE(s.daemon().curl("POST", "/v1/jails/" + clone + "/snapshots/s2/rollback?restart=true")
                .status == 200);
    CHECK(exec_out(s, clone, {"/bin/cat", "/www/state"}) == "two\n");
    CHECK(exec_out(s, clone, {"/bin/cat", "/www/new"}) == "new\n");

    CHECK(s.daemon().curl("DELETE", "/v1/jails/" + clone + "/snapshots/s1").status == 204);
    CHECK(snapshot_names(s, clone) == std::vector<std::string>{"s2"});
    CHECK(s.daemon().curl("GET", "/v1/jails/" + clone + "/snapshots/s1").json()["code"] ==
          "snapshot_not_found");
    lifecycle(s, clone, "stop");
  }

  SECTION("a thick root: copies of a stopped jail; jail root's links stay links") {
    lifecycle(s, thick, "start");
    CHECK(snapshot(s, thick, "s1", 409)["code"] == "jail_running");
    CHECK(snapshot_names(s, thick).empty());
    exec_out(s, thick, {"/bin/sh", "-c", "echo one > /www/state; ln -s /etc /www/host-etc"});
    lifecycle(s, thick, "stop");
    CHECK(snapshot(s, thick, "s1", 201)["backend"] == "copy");
    const auto root = jails_dir / thick;
    write_file(root / "www/state", "changed\n");
    fs::remove(root / "www/host-etc");
    fs::create_directory(root / "www/host-etc");
    REQUIRE(s.daemon().curl("POST", "/v1/jails/" + thick + "/snapshots/s1/rollback").status == 200);
    CHECK(read_file(root / "www/state") == "one\n");
    CHECK(fs::is_symlink(root / "www/host-etc"));
    CHECK(fs::read_symlink(root / "www/host-etc") == "/etc");
    lifecycle(s, thick, "start");
    CHECK(exec_out(s, thick, {"/bin/cat", "/www/state"}) == "one\n");
    lifecycle(s, thick, "stop");
  }

  SECTION("a thin root: its own layer, the release untouched") {
    lifecycle(s, thin, "start");
    exec_out(s, thin, {"/bin/sh", "-c", "echo one > /www/state"});
    lifecycle(s, thin, "stop");
    CHECK(snapshot(s, thin, "s1", 201)["backend"] == "layer");
    lifecycle(s, thin, "start");
    exec_out(s, thin, {"/bin/sh", "-c", "echo two > /www/state; rm /www/index.html"});
    lifecycle(s, thin, "stop");
    REQUIRE(s.daemon().curl("POST", "/v1/jails/" + thin + "/snapshots/s1/rollback").status == 200);
    lifecycle(s, thin, "start");
    CHECK(exec_out(s, thin, {"/bin/cat", "/www/state"}) == "one\n");
    CHECK(exec_out(s, thin, {"/bin/cat", "/www/index.html"}).starts_with("hello from"));
    lifecycle(s, thin, "stop");
    const auto release_dir = s.daemon().state_dir() / "releases" / rel;
    CHECK(!fs::exists(release_dir / "www/state"));
  }

  SECTION("a root jaild did not make has no snapshots") {
    s.define("own", json::object());
    const auto name = s.name("own");
    auto r = s.daemon().curl("POST", "/v1/jails/" + name + "/snapshots", json{{"name", "a"}}.dump());
    CHECK(r.status == 409);
    CHECK(r.json()["code"] == "root_not_made");
    CHECK(s.daemon().curl("GET", "/v1/jails/" + name + "/snapshots").json()["code"] ==
          "root_not_made");
  }
}

TEST_CASE("archives: a jail moves between two jailds with curl", "[system][provision][archive]") {
  systest::require_prerequisites();
  const auto p = systest::prefix();
  temp_tree work("/tmp/" + p + "-arch");
  const auto jails_a = work.path / "a", jails_b = work.path / "b";
  fs::create_directories(jails_b);
  ::chmod(jails_b.c_str(), 0700);  // setuid files keep their bits only here
  scenario a("[provision]\njails_dir = \"" + jails_a.string() + "\"\n");
  scenario b("[provision]\njails_dir = \"" + jails_b.string() + "\"\n");
  systest::rootfs base(p + "-archrel");
  const std::string rel = p + "-arch";
  add_release(a, rel, base.path());
  const std::string web = p + "-aw", moved = p + "-am", thin = p + "-an";
  deleter cleanup_a{a, {web, thin}};
  deleter cleanup_b{b, {moved}};
  create(a, web, rel, "thick");
  create(a, thin, rel, "thin");

  // What jail root leaves behind: a link out, a hard link, a FIFO, a setuid
  // file, an extended attribute, a file with a space in its name.
  lifecycle(a, web, "start");
  exec_out(a, web, {"/bin/sh", "-c",
                    "echo data > /www/data; ln /www/data /www/data.link; ln -s /etc/shadow "
                    "/www/out; mkfifo /www/fifo; cp /bin/busybox /www/suid; chmod 4755 /www/suid; "
                    "chown 80:80 /www/data; echo x > '/www/with space'"});
  REQUIRE(::lsetxattr((jails_a / web / "www/data").c_str(), "user.jaild-test", "v1", 2, 0) == 0);

  const auto file = work.path / "web.jaild.tar.zst";
  // Running: refused before a byte, as a problem.
  auto running = curl_download(a, "/v1/jails/" + web + "/archive", file);
  CHECK(running.output == "409");
  CHECK(json::parse(read_file(file))["code"] == "jail_running");
  lifecycle(a, web, "stop");

  auto got = curl_download(a, "/v1/jails/" + web + "/archive", file);
  INFO(got.output);
  REQUIRE(got.output == "200");
  auto listing = systest::run({"tar", "--zstd", "-tf", file.string()});
  REQUIRE(listing.status == 0);
  CHECK(listing.output.starts_with("jaild-archive.json\nroot/\n"));
  CHECK(listing.output.find("root/www/data\n") != std::string::npos);

  // A thin jail is not archived; a jail that is not there neither.
  auto thin_refused = a.daemon().curl("GET", "/v1/jails/" + thin + "/archive");
  CHECK(thin_refused.status == 422);
  CHECK(a.daemon().curl("GET", "/v1/jails/nope-" + p + "/archive").status == 404);

  auto up = curl_upload(b, "/v1/jails/import-archive?name=" + moved, file);
  auto [body, status] = answer_of(up);
  INFO(up.output);
  REQUIRE(status == 201);
  CHECK(body["spec"]["name"] == moved);
  CHECK(body["spec"]["path"] == (jails_b / moved).string());
  CHECK(body["spec"]["root"]["mode"] == "thick");
  CHECK(body["archive"]["setid_kept"] == true);
  CHECK(body["archive"]["setid_files"].get<int>() >= 1);

  // The same tree on the other side, entry by entry.
  {
    const auto there = describe(jails_a / web), here = describe(jails_b / moved);
    std::string differ;
    for (const auto& [k, v] : there)
      if (!here.count(k) || here.at(k) != v)
        differ += k + ": " + v + " | " + (here.count(k) ? here.at(k) : "missing") + "\n";
    for (const auto& [k, v] : here)
      if (!there.count(k)) differ += k + ": only here\n";
    INFO(differ);
    CHECK(there.size() > 20);
    CHECK(differ.empty());
  }
  CHECK(fs::read_symlink(jails_b / moved / "www/out") == "/etc/shadow");
  CHECK((fs::status(jails_b / moved / "www/suid").permissions() & fs::perms::set_uid) ==
        fs::perms::set_uid);
  // Nothing of the upload stays.
  CHECK(fs::is_empty(b.daemon().state_dir() / "uploads"));

  // Twice: the name is taken, nothing changes.
  const auto before = b.daemon().dump_database();
  auto again = answer_of(curl_upload(b, "/v1/jails/import-archive?name=" + moved, file));
  CHECK(again.second == 409);
  CHECK(again.first["code"] == "jail_exists");
  CHECK(b.daemon().dump_database() == before);

  lifecycle(b, moved, "start");
  CHECK(exec_out(b, moved, {"/bin/cat", "/www/data"}) == "data\n");
  lifecycle(b, moved, "stop");
  // Its root is jaild's: snapshots work on it, and it goes with the jail.
  snapshot(b, moved, "after-move", 201);
  REQUIRE(b.daemon().curl("DELETE", "/v1/jails/" + moved).status == 204);
  CHECK(!fs::exists(jails_b / moved));
}

TEST_CASE("archives: hostile archives are refused and leave nothing behind",
          "[system][provision][archive]") {
  systest::require_prerequisites();
  const auto p = systest::prefix();
  temp_tree work("/tmp/" + p + "-evil");
  temp_tree victim("/tmp/" + p + "-victim");
  write_file(victim.path / "target", "the host's\n");
  const auto jails = work.path / "jails";
  scenario s("[provision]\njails_dir = \"" + jails.string() + "\"\n");
  const auto jail = p + "-ev";
  deleter cleanup{s, {jail}};
  const auto craft = [&](const std::string& c) {
    const auto out = work.path / (c + ".tar.zst");
    auto r = systest::run({"python3", JAILD_TEST_SOURCE_HELPERS "/craft_archive.py", c,
                           out.string(), victim.path.string(), jail});
    INFO(r.output);
    REQUIRE(r.status == 0);
    return out;
  };
  const auto victim_before = describe(victim.path);
  // What a refused archive must not change: the jails and the roots jaild
  // made. (A refusal after the first host step is journaled as a failed
  // provision operation, as a failed create is.)
  const auto rows = [&] {
    return systest::run({"sqlite3", s.daemon().database().string(),
                         "SELECT * FROM jails; SELECT * FROM roots;"})
        .output;
  };
  const auto db_before = rows();

  for (const char* c : {"absolute", "dotdot", "symlink-dir", "symlink-replace", "symlink-file",
                        "hardlink-out", "hardlink-dotdot", "outside-root", "truncated"}) {
    INFO(c);
    auto [body, status] = answer_of(curl_upload(s, "/v1/jails/import-archive", craft(c)));
    INFO(body.dump());
    CHECK(status == 400);
    CHECK(body["code"] == "archive_invalid");
    CHECK(describe(victim.path) == victim_before);
    CHECK(!fs::exists(jails / jail));
    CHECK(s.daemon().curl("GET", "/v1/jails/" + jail).status == 404);
    CHECK(fs::is_empty(s.daemon().state_dir() / "uploads"));
  }
  // Not an archive at all.
  write_file(work.path / "junk", "this is not zstd");
  auto junk = answer_of(curl_upload(s, "/v1/jails/import-archive", work.path / "junk"));
  CHECK(junk.second == 400);
  CHECK(junk.first["code"] == "archive_invalid");
  CHECK(rows() == db_before);

  // Device nodes are not made; a setuid file loses its bits where the host's
  // users could reach it (this jails directory is 0755).
  ::chmod(jails.c_str(), 0755);
  auto [made, status] = answer_of(curl_upload(s, "/v1/jails/import-archive", craft("device")));
  INFO(made.dump());
  REQUIRE(status == 201);
  CHECK(made["archive"]["devices_skipped"] == 2);
  CHECK(made["archive"]["setid_kept"] == false);
  CHECK(!fs::exists(fs::symlink_status(jails / jail / "dev/null")));
  CHECK(!fs::exists(fs::symlink_status(jails / jail / "dev/sda")));
  CHECK(fs::is_regular_file(jails / jail / "suid"));
  CHECK((fs::status(jails / jail / "suid").permissions() & fs::perms::set_uid) == fs::perms::none);
  CHECK(read_file(jails / jail / "etc/ok") == "fine\n");
}
