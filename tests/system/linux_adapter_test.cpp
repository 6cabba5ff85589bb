// The Linux adapter against the real kernel: a jail is an isolated process
// tree with jaild-init as PID 1; command jails; exec and the exec.* hooks;
// crash detection through pidfds; adoption after a jaild restart; and every
// host object gone afterwards.
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "lib/host/interface_names.h"
#include "lib/model/error.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace jaild::systest;

namespace {

// The waiting side of a watch() callback.
struct exit_latch {
  std::mutex m;
  std::condition_variable cv;
  std::optional<host::exit_info> info;
  void set(host::exit_info i) {
    std::lock_guard lock(m);
    info = i;
    cv.notify_all();
  }
  bool wait(std::chrono::milliseconds d) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, d, [&] { return info.has_value(); });
  }
};

}  // namespace

TEST_CASE("linux adapter: a persistent jail is an isolated process tree", "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("iso");
    harness h;
    auto ctx = make_context("iso", root.path());
    ctx.spec.hostname = "iso.example.org";
    auto& a = h.adapter();
    auto j = start(h, ctx);
    REQUIRE(j.pid > 1);
    CHECK(j.jid == j.pid);
    CHECK_FALSE(j.token.empty());
    CHECK(a.alive(j));
    INFO(host::step_to_json(h.journal().last("jail.create")).dump());
    CHECK(h.journal().last("jail.create").ok());
    // Keyed by the leaf: "<parent>/<name>.<instance>" (this adapter has no
    // instance tag, so its parent is the legacy "jaild").
    CHECK(h.ledger().has(host::object_kind::jail, "jaild/" + ctx.spec.name + "." + ctx.instance));
    CHECK(h.ledger().has(host::object_kind::cgroup, "jaild/" + ctx.spec.name + "." + ctx.instance));

    // ps sees the init as PID 1 and nothing of the host.
    auto ps = exec_in(a, ctx, j, {"ps", "-o", "pid,args"});
    INFO(ps.output << ps.error);
    REQUIRE(ps.exit_code == 0);
    CHECK(ps.output.find("\n    1 ") != std::string::npos);
    CHECK(ps.output.find("jaild-init persist jail=" + ctx.spec.name + " --\n") !=
          std::string::npos);
    int lines = 0;
    for (char c : ps.output) lines += c == '\n';
    CHECK(lines == 3);  // header, init, ps itself

    CHECK(exec_in(a, ctx, j, {"hostname"}).output == "iso.example.org\n");
    auto dev = exec_in(a, ctx, j, {"ls", "/dev"});
    for (const char* d : {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm"})
      CHECK(dev.output.find(d) != std::string::npos);
    CHECK(exec_in(a, ctx, j, {"sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c"})
              .output == "4\n");
    // The host's root is gone: only the jail's own mounts are there.
    auto mounts = exec_in(a, ctx, j, {"cat", "/proc/self/mounts"});
    CHECK(mounts.output.find("/sys/fs/cgroup") == std::string::npos);
    // Kernel parameters are read-only for jail root.
    CHECK(exec_in(a, ctx, j, {"sh", "-c", "echo 1 > /proc/sys/kernel/panic"}).exit_code != 0);
    // No network but loopback (no VNET, no address: an empty stack).
    auto links = exec_in(a, ctx, j, {"ip", "-o", "link"});
    CHECK(links.output.find("lo:") != std::string::npos);
    CHECK(links.output.find("eth0") == std::string::npos);

    // Users come from the jail's passwd; stdin, environment and cwd are passed.
    auto id = exec_in(a, ctx, j, {"id"}, "www");
    CHECK(id.output.find("uid=80(www) gid=80(www)") != std::string::npos);
    CHECK(id.output.find("20(staff)") != std::string::npos);
    CHECK(exec_in(a, ctx, j, {"cat"}, "", "to stdin").output == "to stdin");
    host::exec_request r;
    r.argv = {"sh", "-c", "echo $GREETING; pwd"};
    r.env = {{"GREETING", "hi"}};
    r.cwd = "/www";
    CHECK(a.exec(ctx, j, r).output == "hi\n/www\n");
    CHECK(exec_in(a, ctx, j, {"sh", "-c", "echo out; echo err >&2; exit 3"}).exit_code == 3);
    CHECK(exec_in(a, ctx, j, {"sh", "-c", "echo err >&2"}).error == "err\n");
    CHECK(exec_in(a, ctx, j, {"no-such-command"}).exit_code == 127);
    CHECK_THROWS_AS(exec_in(a, ctx, j, {"id"}, "nobody-here"), error);
    // Jail root lost what FreeBSD's jail root does not have.
    CHECK(exec_in(a, ctx, j, {"mknod", "/tmp/sda", "b", "8", "0"}).exit_code != 0);
    CHECK(exec_in(a, ctx, j, {"mount", "-t", "tmpfs", "t", "/mnt"}).exit_code != 0);

    // An exec is held to the jail's cgroups: usage sees its processes.
    auto u = a.usage(j);
    CHECK(u.count("memoryuse"));
    CHECK(u["maxproc"] >= 1);
    CHECK(u.count("cputime"));
    CHECK(u.count("pcpu"));
    CHECK(u["openfiles"] >= 3);

    auto listed = a.list_jails();
    CHECK(std::find(listed.begin(), listed.end(), j) != listed.end());

    a.stop_jail(ctx, j, h.sinks());
    CHECK(h.journal().last("jail.stop").ok());
    CHECK_FALSE(a.alive(j));
    h.destroy_all();
    CHECK(h.ledger().live().empty());
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}

TEST_CASE("linux adapter: a command jail ends with its command and keeps its status", "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("cmd");
    harness h;
    auto ctx = make_context("cmd", root.path());
    ctx.spec.persist = false;
    ctx.spec.command = {"/bin/sh", "-c", "read x < /tmp/go; echo $x > /tmp/seen; exit 7"};
    ::mkfifo((root.path() / "tmp/go").c_str(), 0600);
    auto& a = h.adapter();
    // Until start_main (after exec.start, as jail(8) runs `command`), init
    // holds the jail and the command has not run.
    auto j = start(h, ctx, false);
    exit_latch latch;
    REQUIRE(a.watch(j, [&](host::exit_info i) { latch.set(i); }));
    a.run_jail_hook(ctx, j, "start", "echo started > /tmp/hooked", h.sinks());
    // (init's own argv carries the command, so look for a line that starts with it)
    CHECK(exec_in(a, ctx, j, {"ps", "-o", "args"}).output.find("\n/bin/sh -c read x") ==
          std::string::npos);
    a.start_main(ctx, j, h.sinks());
    // init starts it when it takes the signal: a moment later.
    bool running = false;
    for (int i = 0; i < 100 && !running; ++i) {
      running = exec_in(a, ctx, j, {"ps", "-o", "args"}).output.find("\n/bin/sh -c read x") !=
                std::string::npos;
      if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(running);
    CHECK(h.journal().last("jail.start_main").ok());
    CHECK(a.alive(j));
    // The command runs inside: it reads what the host writes into the fifo.
    std::ofstream(root.path() / "tmp/go") << "go\n";
    REQUIRE(latch.wait(std::chrono::seconds(10)));
    CHECK(latch.info->known);
    CHECK(latch.info->status == 7);
    CHECK_FALSE(a.alive(j));
    std::string seen;
    std::ifstream(root.path() / "tmp/seen") >> seen;
    CHECK(seen == "go");
    h.destroy_all();
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}

TEST_CASE("linux adapter: exec hooks run on the host and inside, with timeouts", "[system]") {
  require_prerequisites();
  rootfs root("hook");
  harness h;
  auto ctx = make_context("hook", root.path());
  const fs::path log = root.path() / "console.log";
  ctx.spec.exec.consolelog = log.string();
  ctx.spec.exec.timeout = std::chrono::milliseconds(500);
  auto& a = h.adapter();

  // On the host: /bin/sh -c with the jail's name and path, output journaled.
  a.run_host_hook(ctx, "prestart", "echo \"$JAIL_NAME at $JAIL_PATH\"; echo warn >&2", h.sinks());
  auto step = h.journal().last("exec.prestart");
  CHECK(step.ok());
  CHECK(step.argv == std::vector<std::string>{"/bin/sh", "-c",
                                              "echo \"$JAIL_NAME at $JAIL_PATH\"; echo warn >&2"});
  CHECK(step.output.find(ctx.spec.name + " at " + ctx.spec.path) == 0);
  CHECK(step.output.find("stderr: warn") != std::string::npos);
  // A clean environment: nothing of the test process leaks in.
  ::setenv("JAILD_TEST_SECRET", "leak", 1);
  a.run_host_hook(ctx, "prepare", "echo \"[$JAILD_TEST_SECRET]\"", h.sinks());
  CHECK(h.journal().last("exec.prepare").output == "[]\n");

  // exec.system_user: the host hook runs as that user.
  ctx.spec.exec.system_user = "nobody";
  a.run_host_hook(ctx, "prepare", "id -un", h.sinks());
  CHECK(h.journal().last("exec.prepare").output == "nobody\n");
  ctx.spec.exec.system_user.clear();

  // A failing hook: host_failure, exit status and stderr in the journal.
  try {
    a.run_host_hook(ctx, "poststart", "echo broken >&2; exit 4", h.sinks());
    FAIL("a failing hook must throw");
  } catch (const error& e) {
    CHECK(e.code() == errc::host_failure);
    CHECK(std::string(e.what()).find("status 4") != std::string::npos);
  }
  CHECK(h.journal().last("exec.poststart").status == 4);
  CHECK(h.journal().last("exec.poststart").error == "broken\n");

  // A hook past exec.timeout: its whole process group is killed. (A sleep
  // time unique to this test, so that pgrep sees only its own.)
  const std::string sleep_mark = "30." + prefix().substr(2);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    a.run_host_hook(ctx, "prestop", "sleep " + sleep_mark + " & sleep " + sleep_mark, h.sinks());
    FAIL("a hook past its timeout must throw");
  } catch (const error& e) {
    CHECK(e.code() == errc::timeout);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(run({"pgrep", "-f", "^sleep " + sleep_mark + "$"}).status != 0);

  // Inside the jail: start and stop hooks see the jail's root and hostname.
  ctx.spec.exec.timeout = std::chrono::seconds(20);
  auto j = start(h, ctx);
  a.run_jail_hook(ctx, j, "start", "hostname > /tmp/started; echo inside", h.sinks());
  CHECK(h.journal().last("exec.start").ok());
  std::string started;
  std::ifstream(root.path() / "tmp/started") >> started;
  CHECK(started == ctx.spec.name);  // the hostname defaults to the jail's name
  CHECK_THROWS_AS(a.run_jail_hook(ctx, j, "stop", "test -e /bin/busybox && exit 9", h.sinks()),
                  error);
  // A daemon started by a hook keeps running after the hook returns.
  a.run_jail_hook(ctx, j, "start", "httpd -p 127.0.0.1:8080 -h /www", h.sinks());
  CHECK(exec_in(a, ctx, j, {"wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html"}).output ==
        "hello from hook\n");

  std::ifstream in(log);
  std::string console((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(console.find(ctx.spec.name + " at ") != std::string::npos);
  CHECK(console.find("inside") != std::string::npos);
  a.stop_jail(ctx, j, h.sinks());
}

TEST_CASE("linux adapter: the death of a jail's init is seen at once and nothing stays",
          "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("kill");
    harness h;
    auto ctx = make_context("kill", root.path());
    ctx.spec.limits = {"memoryuse:deny=64M", "maxproc:deny=50"};
    ctx.spec.cpuset = "0";
    // A VNET interface on a bridge jaild makes: the kernel ends the veth with
    // the jail's network namespace, destroy() must still find the rest.
    ctx.spec.vnet = model::vnet_spec{};
    auto names = host::vnet_interface_names(ctx.instance, 0);
    host::resolved_interface itf;
    itf.host_end = names.host_end;
    itf.jail_end = names.jail_end;
    itf.bridge = prefix() + "kbr";
    itf.ip4 = {"10.254.253.2/24"};
    itf.mac = "02:00:00:aa:00:42";
    ctx.interfaces = {itf};
    auto& a = h.adapter();
    auto j = start(h, ctx);
    exec_in(a, ctx, j, {"sh", "-c", "sleep 1000 & sleep 1000 &"});
    exit_latch latch;
    REQUIRE(a.watch(j, [&](host::exit_info i) { latch.set(i); }));
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(::kill(static_cast<pid_t>(j.pid), SIGKILL) == 0);
    REQUIRE(latch.wait(std::chrono::seconds(5)));
    const auto seen = std::chrono::steady_clock::now() - t0;
    CHECK(seen < std::chrono::milliseconds(500));
    CHECK(latch.info->known);
    CHECK(latch.info->status == 128 + SIGKILL);
    CHECK_FALSE(a.alive(j));
    CHECK_FALSE(a.watch(j, [](host::exit_info) {}));
    CHECK(h.ledger().has(host::object_kind::bridge, itf.bridge));
    h.destroy_all();
    CHECK(h.ledger().live().empty());
    CHECK(run({"ip", "link", "show", itf.bridge}).status != 0);
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}

TEST_CASE("linux adapter: a jail survives its jaild and is adopted by the next one", "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("adopt");
    // Another process stands in for the jaild that started the jail and
    // exited: it prints the running jail and its ledger.
    auto tool = run({JAILD_ADAPTER_TOOL, prefix() + "-adopt", root.path().string()});
    INFO(tool.output);
    REQUIRE(tool.status == 0);
    const auto out = nlohmann::json::parse(tool.output);
    const auto j = host::running_jail_from_json(out["jail"]);
    harness h;
    for (const auto& o : out["objects"])
      h.ledger().record({*host::object_kind_from_name(o["kind"].get<std::string>()), o["owner"],
                         o["key"], o["attrs"]});
    auto& a = h.adapter();
    CHECK(a.alive(j));
    auto listed = a.list_jails();
    CHECK(std::find(listed.begin(), listed.end(), j) != listed.end());
    // A recycled PID with the wrong token is not the jail.
    auto forged = j;
    forged.token = "1";
    CHECK_FALSE(a.alive(forged));

    auto ctx = make_context("adopt", root.path());
    CHECK(exec_in(a, ctx, j, {"hostname"}).output == prefix() + "-adopt\n");
    exit_latch latch;
    REQUIRE(a.watch(j, [&](host::exit_info i) { latch.set(i); }));
    a.stop_jail(ctx, j, h.sinks());
    REQUIRE(latch.wait(std::chrono::seconds(5)));
    // Not jaild's child any more, yet the status is known (init wrote it).
    CHECK(latch.info->known);
    CHECK(latch.info->status == 0);
    h.destroy_all();
    CHECK(h.ledger().live().empty());
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}

TEST_CASE("linux adapter: a non-persistent jail ends when its last process does", "[system]") {
  require_prerequisites();
  const auto before = count_host_objects();
  {
    rootfs root("trans");
    harness h;
    auto ctx = make_context("trans", root.path());
    ctx.spec.persist = false;
    auto& a = h.adapter();
    auto j = start(h, ctx, false);
    exit_latch latch;
    REQUIRE(a.watch(j, [&](host::exit_info i) { latch.set(i); }));
    // A daemon left by exec.start is the jail's only process; once
    // start_main drops persist, init keeps the jail while it runs and ends
    // with it.
    a.run_jail_hook(ctx, j, "start", "sleep 1 > /dev/null 2>&1 &", h.sinks());
    a.start_main(ctx, j, h.sinks());
    CHECK(a.alive(j));
    REQUIRE(latch.wait(std::chrono::seconds(10)));
    CHECK(latch.info->known);
    CHECK(latch.info->status == 0);
    h.destroy_all();
  }
  CHECK(to_string(count_host_objects()) == to_string(before));
}
