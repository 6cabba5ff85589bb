// The syscall layer of the FreeBSD adapter: system.h implemented with libjail
// (jail_set/jail_get through jailparam_*), jail_remove(2), jail_attach(2),
// rctl(2), cpuset_setaffinity(2) with CPU_WHICH_JAIL, kqueue(2) for crash
// detection, sysctl(3), getfsstat(2), getifaddrs(3), modfind(2), and
// fork/exec for every command (an argv, never a shell). It also provides
// make_platform_host() for the FreeBSD build.
//
// Compiled on FreeBSD only. It is kept thin on purpose: every decision is in
// adapter.cpp and plan.cpp, which the unit tests cover on Linux; this file is
// syntax-checked against a FreeBSD include tree by tests/freebsd-syntax-check.
// APIs newer than FreeBSD 9.2 (the oldest tree it is checked against) are
// behind #ifdef: EVFILT_JAIL (FreeBSD 15), O_RESOLVE_BENEATH.
//
// Thread safety: every method may be called from several threads; the
// watcher's state is under its own mutex and runs on its own thread.
#include <sys/param.h>
#include <sys/cpuset.h>
#include <sys/event.h>
#include <sys/jail.h>
#include <sys/module.h>
#include <sys/mount.h>
#include <sys/rctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <jail.h>
#include <net/if.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "lib/host/freebsd/adapter.h"
#include "lib/host/freebsd/parse.h"
#include "lib/host/freebsd/system.h"
#include "lib/host/platform.h"

extern char** environ;

namespace jaild::host::freebsd {
namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t output_limit = 1024 * 1024;

// libjail reports errors in one global buffer (jail_errmsg): its calls are
// serialised so that an error message belongs to the call that made it.
std::mutex libjail_mutex;

std::chrono::microseconds since(clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start);
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Everything the child of fork(2) needs, prepared before the fork: in a
// threaded process the child may only make async-signal-safe calls, so no
// allocation, no getpwnam(), no PATH lookup happens after the fork.
struct child_plan {
  std::vector<std::string> candidates;   // argv[0], or PATH entries + argv[0]
  std::vector<std::string> args;
  std::vector<std::string> envs;
  std::vector<char*> argv;
  std::vector<char*> envp;
  int host_binary_fd = -1;               // fexecve() this after jail_attach
  int output_fd = -1;                    // exec.consolelog
  int jid = -1;
  std::string cwd = "/";
  bool set_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;

  ~child_plan() {
    if (host_binary_fd >= 0) ::close(host_binary_fd);
    if (output_fd >= 0) ::close(output_fd);
  }
};

std::optional<std::string> jail_path_of(int jid) {
  std::lock_guard lock(libjail_mutex);
  struct jailparam p[2];
  if (jailparam_init(&p[0], "jid") < 0) return std::nullopt;
  if (jailparam_import_raw(&p[0], &jid, sizeof jid) < 0 || jailparam_init(&p[1], "path") < 0) {
    jailparam_free(p, 1);
    return std::nullopt;
  }
  std::optional<std::string> out;
  if (jailparam_get(p, 2, 0) >= 0 && p[1].jp_value)
    out = std::string(static_cast<const char*>(p[1].jp_value));
  // p[0]'s value is ours (raw); jailparam_free skips raw values.
  jailparam_free(p, 2);
  return out;
}

bool prepare(const command& cmd, const run_options& o, child_plan& plan, std::string* why) {
  if (cmd.argv.empty()) {
    *why = "empty argv";
    return false;
  }
  plan.jid = static_cast<int>(cmd.jail);
  plan.args = cmd.argv;
  for (const auto& [k, v] : o.env) plan.envs.push_back(k + "=" + v);
  std::string root = "/";
  if (cmd.jail >= 0) {
    auto path = jail_path_of(plan.jid);
    if (!path) {
      *why = "no jail with JID " + std::to_string(cmd.jail);
      return false;
    }
    root = *path;
  }
  if (!o.user.empty() && o.user != "root") {
    const std::string etc = (root == "/" ? std::string() : root) + "/etc/";
    auto passwd = slurp(etc + "passwd");
    auto entry = passwd ? find_passwd(*passwd, o.user) : std::nullopt;
    if (!entry) {
      *why = "no user '" + o.user + "' in " + etc + "passwd";
      return false;
    }
    plan.set_user = true;
    plan.uid = entry->uid;
    plan.gid = entry->gid;
    for (auto g : groups_of(slurp(etc + "group").value_or(""), o.user, entry->gid))
      plan.groups.push_back(static_cast<gid_t>(g));
    for (auto& e : plan.envs)
      if (e.starts_with("HOME=")) e = "HOME=" + entry->home;
  }
  if (!o.cwd.empty()) plan.cwd = o.cwd;
  if (cmd.host_binary) {
    plan.host_binary_fd = ::open(cmd.argv[0].c_str(), O_RDONLY | O_CLOEXEC);
    if (plan.host_binary_fd < 0) {
      *why = cmd.argv[0] + ": " + std::strerror(errno);
      return false;
    }
  } else if (cmd.argv[0].find('/') == std::string::npos) {
    std::string path = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";
    if (auto it = o.env.find("PATH"); it != o.env.end()) path = it->second;
    std::istringstream dirs(path);
    for (std::string d; std::getline(dirs, d, ':');)
      if (!d.empty()) plan.candidates.push_back(d + "/" + cmd.argv[0]);
  } else {
    plan.candidates.push_back(cmd.argv[0]);
  }
  if (!o.output_file.empty()) {
    plan.output_fd =
        ::open(o.output_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (plan.output_fd < 0) {
      *why = o.output_file + ": " + std::strerror(errno);
      return false;
    }
  }
  for (auto& a : plan.args) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.envs) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  return true;
}

[[noreturn]] void fail(const char* what) {
  (void)!::write(2, what, std::strlen(what));
  (void)!::write(2, " failed\n", 8);
  ::_exit(127);
}

// In the child of fork(2): async-signal-safe calls only.
[[noreturn]] void child_main(const child_plan& plan, int in_fd, int out_fd, int err_fd) {
  ::setpgid(0, 0);
  if (in_fd >= 0) ::dup2(in_fd, 0);
  if (plan.output_fd >= 0) {
    ::dup2(plan.output_fd, 1);
    ::dup2(plan.output_fd, 2);
  } else {
    if (out_fd >= 0) ::dup2(out_fd, 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
  }
  // The host binary stays open as descriptor 3 for fexecve(2); dup2() clears
  // its close-on-exec flag. Everything else of jaild's is closed.
  if (plan.host_binary_fd >= 0) {
    if (::dup2(plan.host_binary_fd, 3) < 0) fail("dup2");
    ::closefrom(4);
  } else {
    ::closefrom(3);
  }
  // jail_attach(2) changes the root but not the working directory: the
  // chdir() after it is what keeps the child from holding a directory of
  // the host.
  if (plan.jid >= 0 && ::jail_attach(plan.jid) < 0) fail("jail_attach");
  if (::chdir(plan.cwd.c_str()) < 0) fail("chdir");
  if (plan.set_user) {
    if (::setgroups(static_cast<int>(plan.groups.size()), plan.groups.data()) < 0)
      fail("setgroups");
    if (::setgid(plan.gid) < 0) fail("setgid");
    if (::setuid(plan.uid) < 0) fail("setuid");
  }
  if (plan.host_binary_fd >= 0) {
    ::fexecve(3, plan.argv.data(), plan.envp.data());
    fail("fexecve");
  }
  for (const auto& c : plan.candidates) ::execve(c.c_str(), plan.argv.data(), plan.envp.data());
  fail("exec");
}

pid_t start_child(const child_plan& plan, int in_fd, int out_fd, int err_fd) {
  const pid_t pid = ::fork();
  if (pid == 0) child_main(plan, in_fd, out_fd, err_fd);
  return pid;
}

bool make_pipe(int fds[2]) {
  // pipe2(2) is newer than FreeBSD 9.2; children close what they inherit anyway.
  if (::pipe(fds) < 0) return false;
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

class freebsd_system final : public system {
 public:
  freebsd_system();
  ~freebsd_system() override;

  run_result run(const command& cmd, const run_options& options) override;
  std::int64_t spawn(const command& cmd, const run_options& options, std::string* why) override;
  std::vector<std::int64_t> jail_processes(std::int64_t jid) override;
  void kill_process(std::int64_t pid, int signal) override {
    ::kill(static_cast<pid_t>(pid), signal);
  }
  bool wait_exited(const std::vector<std::int64_t>& pids,
                   std::chrono::milliseconds timeout) override;
  std::int64_t jail_set(const std::vector<jail_param>& params, jail_set_mode mode,
                        sys_result* result) override;
  std::optional<kernel_jail> jail_find(const std::string& name) override;
  std::vector<kernel_jail> jail_list() override;
  sys_result jail_remove(std::int64_t jid) override;
  sys_result rctl_add_rule(const std::string& rule) override;
  sys_result rctl_remove_rule(const std::string& filter) override;
  sys_result rctl_get_racct(const std::string& filter, std::string* out) override;
  sys_result rctl_get_rules(const std::string& filter, std::string* out) override;
  sys_result cpuset_set_jail(std::int64_t jid, const std::vector<int>& cpus) override;
  bool interface_exists(const std::string& name) override {
    return ::if_nametoindex(name.c_str()) != 0;
  }
  std::vector<std::string> interface_addresses(const std::string& name) override {
    return addresses(&name);
  }
  std::vector<std::string> host_addresses() override { return addresses(nullptr); }
  std::vector<mounted> mounts() override;
  std::optional<std::string> real_path(const std::string& path) override;
  std::optional<std::string> read_file(const std::string& path) override { return slurp(path); }
  bool path_exists(const std::string& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  sys_result remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return {};
    return {errno, std::strerror(errno)};
  }
  bool module_loaded(const std::string& name) override { return ::modfind(name.c_str()) >= 0; }
  std::string kernel() override {
    struct utsname u;
    if (::uname(&u) != 0) return "FreeBSD";
    return std::string(u.sysname) + " " + u.release;
  }
  std::string hostname() override {
    char buf[MAXHOSTNAMELEN + 1] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
  }
  int cpus() override { return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)); }
  bool watch(std::int64_t jid, std::int64_t main_pid,
             std::function<void(exit_info)> on_exit) override;
  void unwatch(std::int64_t jid) override;

 private:
  std::vector<std::string> addresses(const std::string* only);
  void watcher_loop();
  bool arm_process(std::int64_t jid, std::int64_t pid);
  void drop_process_knote(std::int64_t pid);
  void fire(std::int64_t jid, exit_info info);

  // Children started by spawn(); the watcher reaps them.
  std::mutex spawned_mutex_;
  std::set<pid_t> spawned_;

  // Crash detection.
  struct watch_entry {
    std::int64_t main_pid = -1;
    std::int64_t watched_pid = -1;   // the process whose exit we wait for
    std::function<void(exit_info)> on_exit;
  };
  int kq_ = -1;
  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  std::map<std::int64_t, watch_entry> watches_;   // JID -> entry
  std::int64_t firing_ = -1;                       // JID whose callback runs now
  std::thread::id firing_thread_;
  bool stopping_ = false;
  std::thread watcher_;
};

freebsd_system::freebsd_system() {
  kq_ = ::kqueue();
  if (kq_ >= 0) {
    struct kevent ev;
    EV_SET(&ev, 1, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, nullptr);
    ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
    watcher_ = std::thread([this] { watcher_loop(); });
  }
}

freebsd_system::~freebsd_system() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  if (kq_ >= 0) {
    struct kevent ev;
    EV_SET(&ev, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, nullptr);
    ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
  }
  if (watcher_.joinable()) watcher_.join();
  if (kq_ >= 0) ::close(kq_);
}

// ---------------------------------------------------------------------------
// Processes.

run_result freebsd_system::run(const command& cmd, const run_options& o) {
  run_result r;
  const auto start = clock::now();
  child_plan plan;
  if (!prepare(cmd, o, plan, &r.error)) {
    r.status = -1;
    return r;
  }
  int in[2], out[2], err[2];
  if (!make_pipe(in) || !make_pipe(out) || !make_pipe(err)) {
    r.status = -1;
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  const pid_t pid = start_child(plan, in[0], out[1], err[1]);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    r.status = -1;
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  std::size_t written = 0;
  if (o.input.empty()) {
    ::close(in[1]);
    in[1] = -1;
  } else {
    ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  }
  const auto deadline = start + o.timeout;
  bool out_open = true, err_open = true;
  char buf[8192];
  while (out_open || err_open || in[1] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    struct pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out[0], POLLIN, 0};
    if (err_open) fds[n++] = {err[0], POLLIN, 0};
    if (in[1] >= 0) fds[n++] = {in[1], POLLOUT, 0};
    int ready = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in[1]) {
        auto w = ::write(in[1], o.input.data() + written, o.input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == o.input.size()) {
          ::close(in[1]);
          in[1] = -1;
        }
        continue;
      }
      auto got = ::read(fds[i].fd, buf, sizeof buf);
      std::string& sink = fds[i].fd == out[0] ? r.output : r.error;
      if (got > 0) {
        if (sink.size() < output_limit)
          sink.append(buf, std::min(static_cast<std::size_t>(got), output_limit - sink.size()));
      } else {
        (fds[i].fd == out[0] ? out_open : err_open) = false;
      }
    }
  }
  if (in[1] >= 0) ::close(in[1]);
  ::close(out[0]);
  ::close(err[0]);
  if (r.timed_out) ::killpg(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = r.timed_out ? 128 + SIGKILL : decode_status(status);
  r.duration = since(start);
  return r;
}

std::int64_t freebsd_system::spawn(const command& cmd, const run_options& o, std::string* why) {
  child_plan plan;
  if (!prepare(cmd, o, plan, why)) return -1;
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  std::lock_guard lock(spawned_mutex_);
  const pid_t pid = start_child(plan, null_fd, null_fd, null_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    *why = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  spawned_.insert(pid);
  // Always followed, watched or not, so that the child is reaped when it ends.
  if (kq_ >= 0) {
    struct kevent ev;
    EV_SET(&ev, static_cast<uintptr_t>(pid), EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0,
           reinterpret_cast<void*>(static_cast<intptr_t>(cmd.jail)));
    ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
  }
  return pid;
}

std::vector<std::int64_t> freebsd_system::jail_processes(std::int64_t jid) {
  int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PROC, 0};
  std::vector<char> buf;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::size_t len = 0;
    if (::sysctl(mib, 4, nullptr, &len, nullptr, 0) < 0) return {};
    buf.resize(len + len / 4 + sizeof(struct kinfo_proc) * 16);
    len = buf.size();
    if (::sysctl(mib, 4, buf.data(), &len, nullptr, 0) == 0) {
      buf.resize(len);
      break;
    }
    if (errno != ENOMEM) return {};
  }
  std::vector<std::int64_t> out;
  const std::size_t n = buf.size() / sizeof(struct kinfo_proc);
  for (std::size_t i = 0; i < n; ++i) {
    struct kinfo_proc kp;
    std::memcpy(&kp, buf.data() + i * sizeof kp, sizeof kp);
    if (kp.ki_jid == jid) out.push_back(kp.ki_pid);
  }
  return out;
}

bool freebsd_system::wait_exited(const std::vector<std::int64_t>& pids,
                                 std::chrono::milliseconds timeout) {
  int kq = ::kqueue();
  if (kq < 0) return false;
  std::size_t waiting = 0;
  for (auto pid : pids) {
    struct kevent ev;
    EV_SET(&ev, static_cast<uintptr_t>(pid), EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0,
           nullptr);
    if (::kevent(kq, &ev, 1, nullptr, 0, nullptr) == 0) ++waiting;  // ESRCH: already gone
  }
  const auto deadline = clock::now() + timeout;
  while (waiting > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
    struct kevent got[16];
    int n = ::kevent(kq, nullptr, 0, got, 16, &ts);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    waiting -= std::min(waiting, static_cast<std::size_t>(n));
  }
  ::close(kq);
  return waiting == 0;
}

// ---------------------------------------------------------------------------
// Jails.

std::int64_t freebsd_system::jail_set(const std::vector<jail_param>& params, jail_set_mode mode,
                                      sys_result* result) {
  std::lock_guard lock(libjail_mutex);
  std::vector<struct jailparam> jp(params.size());
  unsigned made = 0;
  auto finish = [&](int error, std::string message) -> std::int64_t {
    jailparam_free(jp.data(), made);
    *result = {error, std::move(message)};
    return -1;
  };
  for (const auto& p : params) {
    if (jailparam_init(&jp[made], p.name.c_str()) < 0) return finish(errno ? errno : EINVAL, jail_errmsg);
    ++made;
    if (jailparam_import(&jp[made - 1], p.value.c_str()) < 0)
      return finish(errno ? errno : EINVAL, jail_errmsg);
  }
  const int flags = mode == jail_set_mode::create ? JAIL_CREATE : JAIL_UPDATE;
  const int jid = jailparam_set(jp.data(), made, flags);
  if (jid < 0) return finish(errno ? errno : EINVAL, jail_errmsg);
  jailparam_free(jp.data(), made);
  *result = {};
  return jid;
}

namespace {
// jid, name, path and dying of the jail that the key parameter (name, jid
// or lastjid) selects, dying jails included.
std::optional<kernel_jail> get_jail(const char* key, const void* value, std::size_t len,
                                    bool raw_key) {
  std::lock_guard lock(libjail_mutex);
  struct jailparam p[4];
  unsigned made = 0;
  int name_at = 0;
  bool ok = jailparam_init(&p[0], key) == 0;
  if (ok) {
    ++made;
    ok = (raw_key ? jailparam_import_raw(&p[0], const_cast<void*>(value), len)
                  : jailparam_import(&p[0], static_cast<const char*>(value))) == 0;
  }
  // libjail takes the last "name" as the key: ask for it only when it is not one.
  if (ok && std::strcmp(key, "name") != 0) {
    ok = jailparam_init(&p[made], "name") == 0;
    if (ok) name_at = static_cast<int>(made++);
  }
  const unsigned path_at = made;
  if (ok) ok = jailparam_init(&p[made], "path") == 0;
  if (ok) ++made;
  const unsigned dying_at = made;
  if (ok) ok = jailparam_init(&p[made], "dying") == 0;
  if (ok) ++made;
  std::optional<kernel_jail> out;
  if (ok) {
    const int jid = jailparam_get(p, made, JAIL_DYING);
    if (jid >= 0) {
      kernel_jail kj;
      kj.jid = jid;
      const auto& n = p[name_at];
      kj.name = n.jp_value ? static_cast<const char*>(n.jp_value) : "";
      kj.path = p[path_at].jp_value ? static_cast<const char*>(p[path_at].jp_value) : "";
      kj.dying = p[dying_at].jp_value && *static_cast<int*>(p[dying_at].jp_value) != 0;
      out = kj;
    }
  }
  jailparam_free(p, made);
  return out;
}
}  // namespace

namespace {
bool jail_alive(std::int64_t jid) {
  auto kj = get_jail("jid", std::to_string(jid).c_str(), 0, false);
  return kj && !kj->dying;
}
}  // namespace

std::optional<kernel_jail> freebsd_system::jail_find(const std::string& name) {
  return get_jail("name", name.c_str(), 0, false);
}

std::vector<kernel_jail> freebsd_system::jail_list() {
  std::vector<kernel_jail> out;
  int lastjid = 0;
  for (;;) {
    int key = lastjid;
    auto kj = get_jail("lastjid", &key, sizeof key, true);
    if (!kj) break;
    out.push_back(*kj);
    lastjid = static_cast<int>(kj->jid);
  }
  return out;
}

sys_result freebsd_system::jail_remove(std::int64_t jid) {
  if (::jail_remove(static_cast<int>(jid)) == 0) return {};
  // EINVAL: no jail with that JID; the adapter treats it as already removed.
  if (errno == EINVAL) return {ESRCH, "no jail with JID " + std::to_string(jid)};
  return {errno, std::strerror(errno)};
}

// ---------------------------------------------------------------------------
// RCTL and cpuset.

namespace {
sys_result rctl_call(int (*fn)(const char*, size_t, char*, size_t), const std::string& in,
                     std::string* out) {
  std::vector<char> buf(out ? 64 * 1024 : 0);
  for (;;) {
    if (fn(in.c_str(), in.size() + 1, out ? buf.data() : nullptr, buf.size()) == 0) break;
    if (errno == ERANGE && out && buf.size() < 64 * 1024 * 1024) {
      buf.resize(buf.size() * 4);
      continue;
    }
    return {errno, std::strerror(errno)};
  }
  if (out) *out = std::string(buf.data());
  return {};
}
}  // namespace

sys_result freebsd_system::rctl_add_rule(const std::string& rule) {
  return rctl_call(::rctl_add_rule, rule, nullptr);
}
sys_result freebsd_system::rctl_remove_rule(const std::string& filter) {
  return rctl_call(::rctl_remove_rule, filter, nullptr);
}
sys_result freebsd_system::rctl_get_racct(const std::string& filter, std::string* out) {
  return rctl_call(::rctl_get_racct, filter, out);
}
sys_result freebsd_system::rctl_get_rules(const std::string& filter, std::string* out) {
  return rctl_call(::rctl_get_rules, filter, out);
}

sys_result freebsd_system::cpuset_set_jail(std::int64_t jid, const std::vector<int>& cpus) {
  cpuset_t mask;
  CPU_ZERO(&mask);
  for (int c : cpus) {
    if (c < 0 || c >= CPU_SETSIZE) return {EINVAL, "CPU " + std::to_string(c) + " is out of range"};
    CPU_SET(static_cast<unsigned>(c), &mask);
  }
  if (::cpuset_setaffinity(CPU_LEVEL_CPUSET, CPU_WHICH_JAIL, static_cast<id_t>(jid), sizeof mask,
                           &mask) == 0)
    return {};
  return {errno, std::strerror(errno)};
}

// ---------------------------------------------------------------------------
// Interfaces, files, mounts.

std::vector<std::string> freebsd_system::addresses(const std::string* only) {
  std::vector<std::string> out;
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || (only && *only != a->ifa_name)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      struct sockaddr_in sin;
      std::memcpy(&sin, a->ifa_addr, sizeof sin);
      ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      struct sockaddr_in6 sin6;
      std::memcpy(&sin6, a->ifa_addr, sizeof sin6);
      ::inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    out.emplace_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

std::vector<mounted> freebsd_system::mounts() {
  // getfsstat(2) into our own buffer: getmntinfo(3) shares a static one.
  std::vector<struct statfs> buf;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const int n = ::getfsstat(nullptr, 0, MNT_NOWAIT);
    if (n < 0) return {};
    buf.resize(static_cast<std::size_t>(n) + 8);
    const int got = ::getfsstat(buf.data(), static_cast<long>(buf.size() * sizeof(struct statfs)),
                                MNT_NOWAIT);
    if (got < 0) return {};
    if (static_cast<std::size_t>(got) < buf.size()) {
      buf.resize(static_cast<std::size_t>(got));
      break;
    }
  }
  std::vector<mounted> out;
  for (const auto& s : buf) out.push_back({s.f_mntonname, s.f_fstypename});
  return out;
}

std::optional<std::string> freebsd_system::real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

// ---------------------------------------------------------------------------
// Crash detection.

// Stops following a process, unless it is a child of ours: that knote stays
// until it fires, or nothing would reap the child.
void freebsd_system::drop_process_knote(std::int64_t pid) {
  if (pid <= 0) return;
  {
    std::lock_guard lock(spawned_mutex_);
    if (spawned_.contains(static_cast<pid_t>(pid))) return;
  }
  struct kevent ev;
  EV_SET(&ev, static_cast<uintptr_t>(pid), EVFILT_PROC, EV_DELETE, 0, 0, nullptr);
  ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
}

bool freebsd_system::arm_process(std::int64_t jid, std::int64_t pid) {
  struct kevent ev;
  EV_SET(&ev, static_cast<uintptr_t>(pid), EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0,
         reinterpret_cast<void*>(static_cast<intptr_t>(jid)));
  if (::kevent(kq_, &ev, 1, nullptr, 0, nullptr) != 0) return false;
  watches_[jid].watched_pid = pid;
  return true;
}

bool freebsd_system::watch(std::int64_t jid, std::int64_t main_pid,
                           std::function<void(exit_info)> on_exit) {
  if (kq_ < 0) return false;
  std::lock_guard lock(watch_mutex_);
  watches_[jid] = {main_pid, -1, std::move(on_exit)};
  bool armed = false;
#if defined(EVFILT_JAIL) && defined(NOTE_JAIL_REMOVE)
  {
    struct kevent ev;
    EV_SET(&ev, static_cast<uintptr_t>(jid), EVFILT_JAIL, EV_ADD | EV_CLEAR, NOTE_JAIL_REMOVE, 0,
           reinterpret_cast<void*>(static_cast<intptr_t>(jid)));
    armed = ::kevent(kq_, &ev, 1, nullptr, 0, nullptr) == 0;
  }
#endif
  if (main_pid > 0) {
    armed = arm_process(jid, main_pid) || armed;
  } else if (!armed) {
    // No EVFILT_JAIL: follow one process of the jail, and another when it
    // ends, for as long as the jail lives. A persistent jail with no process
    // left can only be seen gone by the reconciler's periodic pass.
    for (auto pid : jail_processes(jid))
      if (arm_process(jid, pid)) {
        armed = true;
        break;
      }
    if (!armed) armed = jail_alive(jid);
  }
  if (!armed) watches_.erase(jid);
  return armed;
}

void freebsd_system::unwatch(std::int64_t jid) {
  std::unique_lock lock(watch_mutex_);
  auto it = watches_.find(jid);
  if (it != watches_.end()) {
    drop_process_knote(it->second.watched_pid);
#if defined(EVFILT_JAIL) && defined(NOTE_JAIL_REMOVE)
    struct kevent ev;
    EV_SET(&ev, static_cast<uintptr_t>(jid), EVFILT_JAIL, EV_DELETE, 0, 0, nullptr);
    ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
#endif
    watches_.erase(it);
  }
  // on_exit is not called after unwatch returns: wait for one in flight,
  // unless it is this very callback calling unwatch.
  watch_cv_.wait(lock, [&] {
    return firing_ != jid || firing_thread_ == std::this_thread::get_id();
  });
}

void freebsd_system::fire(std::int64_t jid, exit_info info) {
  std::unique_lock lock(watch_mutex_);
  auto it = watches_.find(jid);
  if (it == watches_.end()) return;
  auto callback = std::move(it->second.on_exit);
  drop_process_knote(it->second.watched_pid);
#if defined(EVFILT_JAIL) && defined(NOTE_JAIL_REMOVE)
  struct kevent ev;
  EV_SET(&ev, static_cast<uintptr_t>(jid), EVFILT_JAIL, EV_DELETE, 0, 0, nullptr);
  ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
#endif
  watches_.erase(it);
  firing_ = jid;
  firing_thread_ = std::this_thread::get_id();
  lock.unlock();
  if (callback) callback(info);
  lock.lock();
  firing_ = -1;
  watch_cv_.notify_all();
}

void freebsd_system::watcher_loop() {
  for (;;) {
    struct kevent got[16];
    const int n = ::kevent(kq_, nullptr, 0, got, 16, nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    for (int i = 0; i < n; ++i) {
      const auto& ev = got[i];
      if (ev.filter == EVFILT_USER) {
        std::lock_guard lock(watch_mutex_);
        if (stopping_) return;
        continue;
      }
      const auto jid = static_cast<std::int64_t>(reinterpret_cast<intptr_t>(ev.udata));
#if defined(EVFILT_JAIL) && defined(NOTE_JAIL_REMOVE)
      if (ev.filter == EVFILT_JAIL) {
        if (ev.fflags & NOTE_JAIL_REMOVE) fire(jid, {-1, false});
        continue;
      }
#endif
      if (ev.filter != EVFILT_PROC || !(ev.fflags & NOTE_EXIT)) continue;
      const auto pid = static_cast<pid_t>(ev.ident);
      bool ours = false;
      {
        std::lock_guard lock(spawned_mutex_);
        ours = spawned_.erase(pid) > 0;
      }
      int status = static_cast<int>(ev.data);
      if (ours)  // reap our child: after NOTE_EXIT it is at most moments from a zombie
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
      std::int64_t main_pid = -1;
      {
        std::lock_guard lock(watch_mutex_);
        auto it = watches_.find(jid);
        if (it == watches_.end()) continue;
        main_pid = it->second.main_pid;
        it->second.watched_pid = -1;
      }
      if (pid == main_pid) {
        fire(jid, {decode_status(status), ours});
        continue;
      }
      // A process we followed ended: the jail may live on in others.
      bool rearmed = false;
      if (jail_alive(jid)) {
        std::lock_guard lock(watch_mutex_);
        if (watches_.contains(jid))
          for (auto other : jail_processes(jid))
            if (arm_process(jid, other)) {
              rearmed = true;
              break;
            }
        if (!rearmed && watches_.contains(jid)) continue;  // persistent and empty: reconciler
      }
      if (!rearmed) fire(jid, {-1, false});
    }
  }
}

}  // namespace

std::unique_ptr<host> make_platform_host(const platform_options& options) {
  return std::make_unique<adapter>(std::make_unique<freebsd_system>(), options);
}

}  // namespace jaild::host::freebsd

namespace jaild::host {

std::unique_ptr<host> make_platform_host(const platform_options& options) {
  return freebsd::make_platform_host(options);
}

}  // namespace jaild::host
