// Confinement of Linux jails, tried as jail root would (issue 12), through a
// real jaild's API: the ptrace attack on what jaild runs into a jail, the
// confinement profile read from inside, and every host-side access through a
// path that jail root controls (mount targets, the console log, the jail's
// passwd). Each attack succeeded on 22093b2 (the tests were run there).
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "lib/model/error.h"
#include "tests/support/temp_dir.h"
#include "tests/system/scenario.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace jaild::systest;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string random_text() {
  std::random_device rd;
  return "secret-" + std::to_string(rd()) + "-" + std::to_string(rd());
}

// A host file outside every jail, and its path relative to the file system's
// root (what the attack opens through the injected descriptor).
struct host_secret {
  test::temp_dir dir{"jaild-secret"};
  std::string text = random_text();
  host_secret() { std::ofstream(dir / "secret") << text << "\n"; }
  std::string relative() const { return (dir / "secret").string().substr(1); }
};

// The attack's log, after it has said "done".
std::string attack_log(scenario& s, const std::string& jail) {
  const auto log = s.root(jail) / "attack.log";
  REQUIRE(s.eventually([&] { return read_file(log).find("done\n") != std::string::npos; }, 60s));
  return read_file(log);
}

// What every attack must show: it saw jaild's processes, and it never got
// out or into anything holding more than the jail's own capabilities.
void check_attack_failed(const std::string& log, const std::string& secret,
                         std::uint64_t jail_caps) {
  INFO(log);
  CHECK(log.find("ready") != std::string::npos);
  CHECK(log.find("ESCAPED") == std::string::npos);
  CHECK(log.find(secret) == std::string::npos);
  int stopped = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("stopped ", 0) != 0) continue;
    ++stopped;
    const auto at = line.find("capeff=");
    const auto caps = line.substr(at + 7);
    if (caps == "?") continue;  // gone before it was read
    INFO(line);
    CHECK((hex_value(caps) & ~jail_caps) == 0);
  }
  // The attack must have caught processes to prove anything.
  CHECK(stopped >= 3);
}

template <typename F>
bool eventually_true(F cond, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

// Whether the host (this process's mount namespace) has a mount at `dir`.
bool host_mount_at(const fs::path& dir) {
  std::istringstream in(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);)
    if (line.find(" " + dir.string() + " ") != std::string::npos) return true;
  return false;
}

// Docker's default capability set without MKNOD and NET_RAW: CHOWN,
// DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
// NET_BIND_SERVICE, SYS_CHROOT, AUDIT_WRITE, SETFCAP (written out, not taken
// from the code under test).
std::uint64_t default_caps() {
  std::uint64_t caps = 0;
  for (int c : {0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 29, 31}) caps |= std::uint64_t{1} << c;
  return caps;
}

// An exec through the API; the answer's JSON.
json api_exec(scenario& s, const std::string& jail, const json& request) {
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name(jail) + "/exec", request.dump());
  auto j = r.body.empty() ? json::object() : r.json();
  j["http_status"] = r.status;
  return j;
}

}  // namespace

TEST_CASE("confinement: jail root's ptrace attack on execs does not reach the host", "[system]") {
  host_secret secret;
  scenario s;
  s.define("atk", {{"command", {"/bin/ptrace_attack", "/attack.log", "8", secret.relative()}}});
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("atk") + "/start");
  REQUIRE(r.status == 200);
  // Execs while the attack runs: each is a process that appears in the
  // jail's PID namespace, which the attack stops, attaches to and injects.
  const auto until = std::chrono::steady_clock::now() + 7s;
  int execs = 0;
  while (std::chrono::steady_clock::now() < until) {
    api_exec(s, "atk", {{"argv", {"/bin/true"}}, {"timeout", "5s"}});
    ++execs;
  }
  CHECK(execs >= 5);
  check_attack_failed(attack_log(s, "atk"), secret.text, default_caps());
}

TEST_CASE("confinement: jail root's ptrace attack on health checks does not reach the host",
          "[system]") {
  host_secret secret;
  scenario s;
  s.define("hatk",
           {{"command", {"/bin/ptrace_attack", "/attack.log", "8", secret.relative()}},
            {"health", {{"exec", {"/bin/true"}}, {"interval", "200ms"}, {"retries", 100}}}});
  auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("hatk") + "/start");
  REQUIRE(r.status == 200);
  check_attack_failed(attack_log(s, "hatk"), secret.text, default_caps());
}

TEST_CASE("confinement: what jail root holds, read from inside by an exec, a hook and init",
          "[system]") {
  scenario s;
  s.define("prof", {{"exec", {{"start", {"/bin/probe > /hook.txt"}}}},
                    {"command", {"/bin/sh", "-c", "/bin/probe > /init.txt; sleep 600"}}});
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("prof") + "/start").status == 200);
  const auto root = s.root("prof");
  auto by_exec = key_value_lines(api_exec(s, "prof", {{"argv", {"/bin/probe"}}})["stdout"]);
  REQUIRE(by_exec.size() > 20);
  REQUIRE(
      eventually_true([&] { return key_value_lines(read_file(root / "init.txt")).size() > 20; }));
  auto by_hook = key_value_lines(read_file(root / "hook.txt"));
  auto by_init = key_value_lines(read_file(root / "init.txt"));
  REQUIRE(by_hook.size() > 20);
  const auto caps = default_caps();
  // A file this kernel does not have is missing inside the jail too.
  auto masked = [](const char* path) {
    return fs::exists(path) ? std::string("empty") : std::string("errno:2");
  };
  auto read_only = [](const char* path) {
    return fs::exists(path) ? std::string("errno:30") : std::string("errno:2");  // EROFS
  };
  for (auto* p : {&by_exec, &by_hook, &by_init}) {
    auto& v = *p;
    INFO(json(v).dump());
    // Docker's set without MKNOD; nothing inheritable or ambient.
    CHECK(hex_value(v["capeff"]) == caps);
    CHECK(hex_value(v["capprm"]) == caps);
    CHECK(hex_value(v["capbnd"]) == caps);
    CHECK(hex_value(v["capinh"]) == 0);
    CHECK(hex_value(v["capamb"]) == 0);
    CHECK(v["seccomp"] == "2");  // filter mode
    // The kernel keyring is not namespaced: a key in @u would be host root's.
    CHECK(v["add_key_user"] == "errno:1");
    CHECK(v["session_keyring"] == "errno:1");
    CHECK(v["open_by_handle"] == "errno:1");
    CHECK(v["unshare_user"] == "errno:1");
    CHECK(v["unshare_ns"] == "errno:1");
    CHECK(v["mount_tmpfs"] == "errno:1");
    CHECK(v["mknod_null"] == "errno:1");
    CHECK(v["af_packet"] == "errno:1");
    CHECK(v["raw_icmp"] == "errno:1");
    CHECK(v["io_uring"] == "errno:1");
    CHECK(v["bpf"] == "errno:1");
    CHECK(v["clone3"] == "errno:38");  // ENOSYS: the C library falls back to clone
    // runc's /proc masks and read-only paths.
    CHECK(v["proc_keys"] == masked("/proc/keys"));
    CHECK(v["proc_timer_list"] == masked("/proc/timer_list"));
    CHECK(v["proc_kcore"] == masked("/proc/kcore"));
    CHECK(v["proc_sched_debug"] == masked("/proc/sched_debug"));
    CHECK(v["write_irq_affinity"] == read_only("/proc/irq/default_smp_affinity"));
    CHECK(v["write_sysrq"] == read_only("/proc/sysrq-trigger"));
    CHECK(v["write_sys"] == "errno:30");
    // Jail root cannot take over its init.
    CHECK(v["ptrace_init"] == "errno:1");
  }
  // What jaild runs into the jail cannot gain privileges; init's own tree can.
  CHECK(by_exec["nonewprivs"] == "1");
  CHECK(by_hook["nonewprivs"] == "1");
  CHECK(by_init["nonewprivs"] == "0");
}

TEST_CASE("confinement: a mount target that jail root made a symbolic link is refused",
          "[system]") {
  test::temp_dir host_dir{"jaild-host-dir"};
  std::ofstream(host_dir / "precious") << "host data\n";
  scenario s;
  s.define("msym", json::object());
  const auto root = s.root("msym");
  fs::create_directories(root / "srv");
  fs::create_symlink(host_dir.path(), root / "srv/data");
  for (const std::string type : {"nullfs", "tmpfs"}) {
    INFO(type);
    const std::string source = type == "nullfs" ? root.string() + "/www" : "tmpfs";
    json patch = {
        {"mount",
         {{"entries", {source + " " + (root / "srv/data").string() + " " + type + " rw 0 0"}}}}};
    REQUIRE(s.daemon().curl("PATCH", "/v1/jails/" + s.name("msym"), patch.dump()).status == 200);
    auto r = s.daemon().curl("POST", "/v1/jails/" + s.name("msym") + "/start");
    INFO(r.body);
    CHECK(r.status != 200);
    CHECK(r.body.find("symbolic link") != std::string::npos);
    CHECK_FALSE(host_mount_at(host_dir.path()));
    s.daemon().curl("POST", "/v1/jails/" + s.name("msym") + "/stop?force=true");
    CHECK_FALSE(host_mount_at(host_dir.path()));
    CHECK(read_file(host_dir / "precious") == "host data\n");
  }
  // A target outside the jail's path is refused when the spec is written.
  json patch = {
      {"mount",
       {{"entries", {root.string() + "/www " + host_dir.path().string() + " nullfs rw 0 0"}}}}};
  auto r = s.daemon().curl("PATCH", "/v1/jails/" + s.name("msym"), patch.dump());
  CHECK(r.status == 400);
  CHECK(r.body.find("is not below the jail's path") != std::string::npos);
}

TEST_CASE("confinement: jail root's own symlink and a restart never cover a host directory",
          "[system]") {
  test::temp_dir host_dir{"jaild-host-dir"};
  std::ofstream(host_dir / "precious") << "host data\n";
  scenario s;
  s.define("rsym", {{"restart", {{"policy", "always"}}}});
  const auto root = s.root("rsym");
  fs::create_directories(root / "srv/data");
  json patch = {
      {"mount",
       {{"entries", {"tmpfs " + (root / "srv/data").string() + " tmpfs rw,size=1m 0 0"}}}}};
  REQUIRE(s.daemon().curl("PATCH", "/v1/jails/" + s.name("rsym"), patch.dump()).status == 200);
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("rsym") + "/start").status == 200);
  // Jail root swaps the mount point's parent for one whose data is a link to
  // the host directory (as the host sees it), then makes its init end.
  api_exec(
      s, "rsym",
      {{"argv",
        {"sh", "-c",
         "mv /srv /srv.old 2>/dev/null || { umount /srv/data; rm -rf /srv; }; mkdir -p /srv && "
         "ln -s " +
             host_dir.path().string() + " /srv/data && kill -TERM 1"}}});
  // The restarts fail on the link; the host directory is never covered.
  bool covered = false;
  const bool refused = s.eventually(
      [&] {
        covered = covered || host_mount_at(host_dir.path());
        const auto st = s.jail("rsym")["status"];
        return st["last_error"].get<std::string>().find("symbolic link") != std::string::npos;
      },
      20s);
  covered = covered || host_mount_at(host_dir.path());
  CHECK_FALSE(covered);
  CHECK(refused);
  CHECK(read_file(host_dir / "precious") == "host data\n");
  s.daemon().curl("POST", "/v1/jails/" + s.name("rsym") + "/stop?force=true");
  CHECK_FALSE(host_mount_at(host_dir.path()));
}

TEST_CASE("confinement: a console log that jail root replaced with a link stays in the jail",
          "[system]") {
  test::temp_dir host_dir{"jaild-host-dir"};
  const auto target = host_dir / "written-by-jaild";
  scenario s;
  s.define("clog", {{"exec", {{"start", {"echo from the hook"}}}}});
  const auto root = s.root("clog");
  fs::create_directories(root / "var/log");
  const auto log = (root / "var/log/console.log").string();
  auto set_log = [&](const std::string& path) {
    json patch = {{"exec", {{"consolelog", path}}}};
    REQUIRE(s.daemon().curl("PATCH", "/v1/jails/" + s.name("clog"), patch.dump()).status == 200);
  };
  auto start = [&] { return s.daemon().curl("POST", "/v1/jails/" + s.name("clog") + "/start"); };
  auto stop = [&] { s.daemon().curl("POST", "/v1/jails/" + s.name("clog") + "/stop?force=true"); };
  set_log(log);
  REQUIRE(start().status == 200);
  CHECK(read_file(log) == "from the hook\n");
  // Jail root replaces the log with a link to a host path (the host's view).
  api_exec(s, "clog",
           {{"argv",
             {"sh", "-c",
              "rm /var/log/console.log && ln -s " + target.string() + " /var/log/console.log"}}});
  stop();
  auto r = start();
  INFO(r.body);
  CHECK(r.body.find("symbolic link") != std::string::npos);
  CHECK_FALSE(fs::exists(target));
  stop();
  // A parent directory that is a link resolves inside the jail's root.
  fs::remove(log);
  fs::remove_all(root / "var/log");
  fs::create_symlink(host_dir.path(), root / "var/log");
  const auto inside = root / host_dir.path().relative_path();
  fs::create_directories(inside);
  set_log((root / "var/log/written-by-jaild").string());
  r = start();
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK_FALSE(fs::exists(target));
  CHECK(read_file(inside / "written-by-jaild") == "from the hook\n");
  stop();
  // A FIFO there is refused at once, never waited on.
  fs::remove(inside / "written-by-jaild");
  REQUIRE(::mkfifo((inside / "written-by-jaild").c_str(), 0600) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  r = start();
  CHECK(r.body.find("not a regular file") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("confinement: users come from the jail's passwd, read inside it and bounded",
          "[system]") {
  test::temp_dir host_dir{"jaild-host-dir"};
  // A host passwd with a user that the jail does not have.
  std::ofstream(host_dir / "passwd") << "bob:x:4242:4242::/hostbob:/bin/sh\n";
  scenario s;
  s.define("pw", json::object());
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("pw") + "/start").status == 200);
  const auto passwd = s.root("pw") / "etc/passwd";
  auto as_bob = [&] {
    return api_exec(
        s, "pw", {{"argv", {"sh", "-c", "id -u; echo $HOME"}}, {"user", "bob"}, {"timeout", "5s"}});
  };
  // A link to the host's file: inside the jail it names the jail's own path.
  fs::remove(passwd);
  fs::create_symlink(host_dir / "passwd", passwd);
  auto r = as_bob();
  INFO(r.dump());
  CHECK(r["http_status"] == 400);
  CHECK(r.dump().find("no user bob") != std::string::npos);
  CHECK(r.dump().find("4242") == std::string::npos);
  // A FIFO: refused at once, not waited on past the timeout.
  fs::remove(passwd);
  REQUIRE(::mkfifo(passwd.c_str(), 0644) == 0);
  auto t0 = std::chrono::steady_clock::now();
  r = as_bob();
  CHECK(r.dump().find("not a regular file") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  // /dev/zero and a file larger than 4 MiB: refused, jaild's memory stays put.
  fs::remove(passwd);
  fs::create_symlink("/dev/zero", passwd);
  r = as_bob();
  CHECK(r.dump().find("not a regular file") != std::string::npos);
  fs::remove(passwd);
  {
    std::ofstream big(passwd);
    const std::string line(1023, 'x');
    for (int i = 0; i < 5 * 1024; ++i) big << line << "\n";
  }
  r = as_bob();
  CHECK(r.dump().find("larger than 4 MiB") != std::string::npos);
  // The jail's own regular passwd: bob is the jail's bob.
  fs::remove(passwd);
  std::ofstream(passwd) << "root:x:0:0::/root:/bin/sh\nbob:x:1234:1234::/home/bob:/bin/sh\n";
  r = as_bob();
  CHECK(r["stdout"] == "1234\n/home/bob\n");
}

TEST_CASE("confinement: a jail's console log stays within its size, rotated", "[system]") {
  scenario s("[logs]\nconsole_max_bytes = 65536\nconsole_keep = 2\n");
  // A hook that prints 390 KB, then a command that prints as fast as it can.
  s.define("spam", {{"exec",
                     {{"start",
                       {"i=0; while [ $i -lt 6000 ]; do echo hook-line-$i-padding-padding-padding-"
                        "padding; i=$((i+1)); done"}}}},
                    {"command",
                     {"/bin/sh", "-c", "while true; do echo command-line-padding-padding; done"}}});
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("spam") + "/start").status == 200);
  std::this_thread::sleep_for(3s);
  const auto log = s.daemon().state_dir() / "log" / (s.name("spam") + ".log");
  std::uintmax_t biggest = 0;
  for (int i = 0; i < 20; ++i) {
    std::error_code ec;
    biggest = std::max(biggest, fs::file_size(log, ec));
    std::this_thread::sleep_for(50ms);
  }
  INFO("largest size seen " << biggest);
  // The cap is 64 KiB and a check follows each change (68,904 bytes was the
  // largest seen here); unbounded, the command writes megabytes a second.
  CHECK(biggest < 512 * 1024);
  CHECK(fs::exists(log.string() + ".1"));
  CHECK(fs::exists(log.string() + ".2"));
  CHECK_FALSE(fs::exists(log.string() + ".3"));
  CHECK(fs::file_size(log.string() + ".1") < 512 * 1024);
}

namespace {
// The most memory jaild has held (VmHWM), in bytes.
std::uint64_t peak_rss(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}
}  // namespace

TEST_CASE("confinement: a hook that prints 200 MB is capped in the journal, the log and jaild",
          "[system]") {
  scenario s("[logs]\nconsole_max_bytes = 1048576\nconsole_keep = 1\n");
  // exec.start writes 200 MiB to its standard output in one go; the command
  // that follows is quiet, so what reaches the log is the hook's alone.
  constexpr std::uint64_t printed = std::uint64_t{200} << 20;
  s.define("flood", {{"exec",
                      {{"start",
                        {"yes hook-output-padding-padding-padding | head -c " +
                         std::to_string(printed)}}}},
                     {"command", {"/bin/sleep", "600"}}});
  const auto before = peak_rss(s.daemon().process().pid());
  REQUIRE(before > 0);
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("flood") + "/start").status == 200);
  CHECK(s.state("flood") == "running");

  // The journal keeps the first 64 KiB of the hook's output.
  std::size_t journaled = 0;
  bool found = false;
  const auto id = s.last_start("flood")["id"].get<std::string>();
  const auto op = s.daemon().curl("GET", "/v1/operations/" + id).json();
  for (const auto& step : op["steps"])
    if (step["step"].get<std::string>().find("exec.start") != std::string::npos) {
      found = true;
      journaled = step.value("output", std::string()).size();
    }
  REQUIRE(found);
  INFO("journaled " << journaled << " bytes");
  CHECK(journaled > 0);
  CHECK(journaled <= 64 * 1024 + 64);

  // The console log and its one older file stay near their 1 MiB cap.
  const auto log = s.daemon().state_dir() / "log" / (s.name("flood") + ".log");
  std::error_code ec;
  const auto current = fs::file_size(log, ec);
  const auto older = fs::file_size(log.string() + ".1", ec);
  INFO("log " << current << " bytes, log.1 " << older << " bytes");
  CHECK(current < 2 * (1u << 20));
  CHECK(older < 2 * (1u << 20));
  CHECK(older > 0);
  CHECK_FALSE(fs::exists(log.string() + ".2"));

  // jaild read the 200 MiB as it came and kept none of it.
  const auto after = peak_rss(s.daemon().process().pid());
  INFO("jaild's peak RSS " << before << " -> " << after << " bytes");
  CHECK(after < before + (std::uint64_t{32} << 20));
}
