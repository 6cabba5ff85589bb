// The syscall layer of the FreeBSD adapter: system.h implemented with libjail
// (jail_set/jail_get through jailparam_*), jail_remove(2), jail_attach(2),
// rctl(2), cpuset_setaffinity(2) with CPU_WHICH_JAIL, kqueue(2) for crash
// detection, sysctl(3), getfsstat(2), getifaddrs(3), modfind(2), and
// posix/process.h's fork/exec for every command (an argv, never a shell;
// into a jail through jaild-attach, attach.h). It also provides
// make_platform_host() and platform_helper_main() for the FreeBSD build.
//
// Compiled on FreeBSD only. It is kept thin on purpose: every decision is in
// adapter.cpp and plan.cpp, which the unit tests cover on Linux; this file is
// syntax-checked against a FreeBSD include tree by tests/freebsd-syntax-check.
// APIs newer than FreeBSD 9.2 (the oldest tree it is checked against) are
// behind #ifdef, with their constants taken from the system's own headers:
// jail descriptors with EVFILT_JAILDESC and EVFILT_JAIL (FreeBSD 15 and main),
// procctl(2)'s PROC_TRACE_CTL (attach.cpp). The `meta` parameter is asked of
// the running kernel instead (kernel_has_meta()).
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
#include <login_cap.h>
#include <pwd.h>
#include <net/if.h>
#include <netinet/in.h>

#include <fcntl.h>
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
#include "lib/host/freebsd/attach.h"
#include "lib/host/freebsd/parse.h"
#include "lib/host/freebsd/system.h"
#include "lib/host/platform.h"
#include "lib/host/posix/exec_stream.h"
#include "lib/host/posix/open_below.h"
#include "lib/host/posix/process.h"

extern char** environ;

// Jail descriptors (sys/kern/kern_jaildesc.c, FreeBSD 15): a descriptor from
// jail_get(2) with JAIL_GET_DESC refers to the prison itself, so that
// EVFILT_JAILDESC NOTE_JAIL_REMOVE on it is about this jail and never about
// another that later gets its JID. It is got without JAIL_OWN_DESC: an owning
// descriptor removes its jail when its last copy is closed (jaildesc_close(),
// for the S_ISTXT mode that jaildesc_alloc() gives an owning one), and jails
// must outlive jaild.
#if defined(JAIL_GET_DESC) && defined(EVFILT_JAILDESC) && defined(NOTE_JAIL_REMOVE)
#define JAILD_JAIL_DESCRIPTORS 1
#endif

namespace jaild::host::freebsd {
namespace {

using clock = std::chrono::steady_clock;

// libjail reports errors in one global buffer (jail_errmsg): its calls are
// serialised so that an error message belongs to the call that made it.
std::mutex libjail_mutex;

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Opened at start-up: jaild's own binary, which every command that enters a
// jail (or changes user or directory) is a fresh exec of, as jaild-attach
// (attach.h). Held open, it keeps working after the file is replaced by an
// upgrade.
int open_own_binary() {
  int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PATHNAME, -1};
  char path[PATH_MAX];
  std::size_t len = sizeof path;
  if (::sysctl(mib, 4, path, &len, nullptr, 0) != 0) return -1;
  return ::open(path, O_RDONLY | O_CLOEXEC);
}

// A command as the POSIX runner takes it, with the descriptors it owns.
struct prepared_command {
  posix::program program;
  int image_fd = -1;    // the host binary run inside the jail (host_binary)
  int output_fd = -1;   // exec.consolelog

  prepared_command() = default;
  prepared_command(const prepared_command&) = delete;
  prepared_command& operator=(const prepared_command&) = delete;
  ~prepared_command() {
    if (image_fd >= 0) ::close(image_fd);
    if (output_fd >= 0) ::close(output_fd);
  }
};

// On the host a command is exec'd as it is. Inside a jail, as a user or in a
// directory it goes through jaild-attach, so that the process that calls
// jail_attach(2) and reads the jail's passwd is never a copy of jaild.
bool prepare(const command& cmd, const run_options& o, int self_fd, prepared_command& c,
             std::string* why) {
  if (cmd.argv.empty() && !(cmd.login && cmd.jail >= 0)) {
    *why = "empty argv";
    return false;
  }
  auto& p = c.program;
  for (const auto& [k, v] : o.env) p.env.push_back(k + "=" + v);
  const bool as_user = !o.user.empty() && o.user != "root";
  if (cmd.jail >= 0 || as_user || !o.cwd.empty() || cmd.login) {
    if (self_fd < 0) {
      *why = "jaild could not open its own binary at start-up, so it cannot enter jails";
      return false;
    }
    attach_request a;
    a.jid = cmd.jail;
    a.user = as_user ? o.user : "";
    a.cwd = o.cwd.empty() ? "/" : o.cwd;
    a.image = cmd.host_binary;
    a.login = cmd.login;
    if (!cmd.login) a.argv = cmd.argv;
    p.argv = attach_argv(a);
    p.exec_fd = self_fd;
    if (cmd.host_binary) {
      c.image_fd = ::open(cmd.argv[0].c_str(), O_RDONLY | O_CLOEXEC);
      if (c.image_fd < 0) {
        *why = cmd.argv[0] + ": " + std::strerror(errno);
        return false;
      }
      p.pass_fd = c.image_fd;
    }
  } else {
    p.argv = cmd.argv;
    p.candidates = posix::search_path(cmd.argv[0], p.env);
  }
  if (!o.output_file.empty()) {
    c.output_fd = posix::open_below(o.output_root, o.output_file, O_WRONLY | O_APPEND | O_CREAT,
                                    0640);
    if (c.output_fd < 0) {
      *why = o.output_file + ": " + std::strerror(errno);
      return false;
    }
    p.output_fd = c.output_fd;
  }
  return true;
}

class freebsd_system final : public system {
 public:
  freebsd_system();
  ~freebsd_system() override;

  run_result run(const command& cmd, const run_options& options) override;
  std::int64_t spawn(const command& cmd, const run_options& options, std::string* why) override;
  std::unique_ptr<exec_session> open_stream(const command& cmd, const run_options& options,
                                            const stream_options& stream,
                                            std::string* why) override;
  sys_result kill_in_jail(std::int64_t jid, std::int64_t pid, int sig) override;
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
  path_kind lstat_kind(const std::string& path) override;
  std::optional<std::string> read_file(const std::string& path) override { return slurp(path); }
  bool path_exists(const std::string& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  sys_result remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return {};
    return {errno, std::strerror(errno)};
  }
  kernel_features features() override;
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
  bool watch(std::int64_t jid, const std::string& name, std::int64_t main_pid,
             std::function<void(exit_info)> on_exit) override;
  void unwatch(std::int64_t jid) override;

 private:
  std::vector<std::string> addresses(const std::string* only);
  void watcher_loop();
  bool arm_process(std::int64_t jid, std::int64_t pid);
  void drop_process_knote(std::int64_t pid);
  void fire(std::int64_t jid, exit_info info);

  const int self_fd_;   // open_own_binary()

  // Children started by spawn(); the watcher reaps them.
  std::mutex spawned_mutex_;
  std::set<pid_t> spawned_;

  // Crash detection.
  struct watch_entry {
    std::string name;                // the kernel name: checked with the JID
    std::int64_t main_pid = -1;
    std::int64_t watched_pid = -1;   // the process whose exit we wait for
    int desc = -1;                   // a jail descriptor, where there are some
    std::function<void(exit_info)> on_exit;
  };
  int kq_ = -1;
  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  std::map<std::int64_t, watch_entry> watches_;   // JID -> entry
  // Exit statuses of our children that ended before anyone watched them (a
  // `command` that exits during exec.poststart), kept for watch(); bounded.
  std::map<std::int64_t, int> early_exits_;       // pid -> decoded status
  // Callbacks that watch() found due at once, run by the watcher thread.
  std::vector<std::pair<std::int64_t, exit_info>> due_;
  std::int64_t firing_ = -1;                       // JID whose callback runs now
  std::thread::id firing_thread_;
  bool stopping_ = false;
  std::thread watcher_;
};

freebsd_system::freebsd_system() : self_fd_(open_own_binary()) {
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
  if (self_fd_ >= 0) ::close(self_fd_);
}

// ---------------------------------------------------------------------------
// Processes.

run_result freebsd_system::run(const command& cmd, const run_options& o) {
  run_result r;
  prepared_command c;
  if (!prepare(cmd, o, self_fd_, c, &r.error)) {
    r.status = -1;
    return r;
  }
  auto out = posix::run(c.program, o.input, o.timeout, o.output_limit);
  r.status = out.status;
  r.output_cut = out.output_cut;
  r.error_cut = out.error_cut;
  r.output = std::move(out.output);
  r.error = std::move(out.error);
  r.timed_out = out.timed_out;
  r.duration = out.duration;
  return r;
}

std::int64_t freebsd_system::spawn(const command& cmd, const run_options& o, std::string* why) {
  prepared_command c;
  if (!prepare(cmd, o, self_fd_, c, why)) return -1;
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  std::lock_guard lock(spawned_mutex_);
  const pid_t pid = posix::start(c.program, null_fd, null_fd, null_fd);
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

std::unique_ptr<exec_session> freebsd_system::open_stream(const command& cmd,
                                                          const run_options& o,
                                                          const stream_options& stream,
                                                          std::string* why) {
  prepared_command c;
  if (!prepare(cmd, o, self_fd_, c, why)) return nullptr;
  try {
    // The child is forked before c's descriptors close.
    return posix::start_exec_stream(std::move(c.program), stream);
  } catch (const std::system_error& e) {
    *why = e.what();
    return nullptr;
  }
}

sys_result freebsd_system::kill_in_jail(std::int64_t jid, std::int64_t pid, int sig) {
  if (self_fd_ < 0)
    return {ENOEXEC, "jaild could not open its own binary at start-up, so it cannot enter jails"};
  sys_result r;
  r.error = attach_kill(self_fd_, jid, pid, sig, &r.message);
  return r;
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
// Whether the running kernel has the `meta` jail parameter: every parameter
// is announced as a security.jail.param.NAME sysctl (kern_jailmeta.c
// announces meta and env; FreeBSD 15.0). A run-time question, so that one
// binary is right on 14 and 15.
bool kernel_has_meta() {
  static const bool has = [] {
    std::size_t len = 0;
    return ::sysctlbyname("security.jail.param.meta", nullptr, &len, nullptr, 0) == 0;
  }();
  return has;
}

// jid, name, path, dying (and meta, where the kernel has it) of the jail
// that the key parameter (name, jid or lastjid) selects, dying jails included.
std::optional<kernel_jail> get_jail(const char* key, const void* value, std::size_t len,
                                    bool raw_key) {
  std::lock_guard lock(libjail_mutex);
  struct jailparam p[5];
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
  unsigned meta_at = 0;
  if (ok && kernel_has_meta() && jailparam_init(&p[made], "meta") == 0) meta_at = made++;
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
      if (meta_at > 0 && p[meta_at].jp_value) kj.meta = static_cast<const char*>(p[meta_at].jp_value);
      out = kj;
    }
  }
  jailparam_free(p, made);
  return out;
}
}  // namespace

namespace {
// The jail with this name still has this JID and is not dying. JIDs are
// reused (an admin's jid=N, or the counter wrapping at JAIL_MAX), so the name
// is what is looked up and the JID what is compared.
bool jail_alive(std::int64_t jid, const std::string& name) {
  auto kj = get_jail("name", name.c_str(), 0, false);
  return kj && !kj->dying && kj->jid == jid;
}

#if defined(JAILD_JAIL_DESCRIPTORS)
// A non-owning descriptor of the jail with this JID, if it is still the jail
// of this name; -1 otherwise. jail_get(2) takes the JID as the key and writes
// the name back, and the descriptor holds the very prison whose name is
// compared.
int jail_descriptor(std::int64_t jid, const std::string& name) {
  int key = static_cast<int>(jid);
  int desc = -1;
  char found[MAXHOSTNAMELEN] = {};
  char k_jid[] = "jid", k_name[] = "name", k_desc[] = "desc";
  struct iovec iov[6];
  iov[0].iov_base = k_jid;
  iov[0].iov_len = sizeof k_jid;
  iov[1].iov_base = &key;
  iov[1].iov_len = sizeof key;
  iov[2].iov_base = k_name;
  iov[2].iov_len = sizeof k_name;
  iov[3].iov_base = found;
  iov[3].iov_len = sizeof found;
  iov[4].iov_base = k_desc;
  iov[4].iov_len = sizeof k_desc;
  iov[5].iov_base = &desc;
  iov[5].iov_len = sizeof desc;
  if (::jail_get(iov, 6, JAIL_GET_DESC) < 0) return -1;
  found[sizeof found - 1] = '\0';
  if (name != found) {
    ::close(desc);
    return -1;
  }
  return desc;
}
#endif
}  // namespace

kernel_features freebsd_system::features() {
  kernel_features k;
  k.meta = kernel_has_meta();
#if defined(JAILD_JAIL_DESCRIPTORS)
  k.jail_descriptors = true;
#endif
  return k;
}

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

path_kind freebsd_system::lstat_kind(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? path_kind::missing : path_kind::other;
  if (S_ISLNK(st.st_mode)) return path_kind::symlink;
  return S_ISDIR(st.st_mode) ? path_kind::directory : path_kind::other;
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

bool freebsd_system::watch(std::int64_t jid, const std::string& name, std::int64_t main_pid,
                           std::function<void(exit_info)> on_exit) {
  if (kq_ < 0) return false;
  std::lock_guard lock(watch_mutex_);
  watches_[jid] = {name, main_pid, -1, -1, std::move(on_exit)};
  if (auto early = early_exits_.find(main_pid); main_pid > 0 && early != early_exits_.end()) {
    // It ended already: the watcher thread calls back with its status.
    due_.push_back({jid, {early->second, true}});
    early_exits_.erase(early);
    struct kevent ev;
    EV_SET(&ev, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, nullptr);
    ::kevent(kq_, &ev, 1, nullptr, 0, nullptr);
    return true;
  }
  bool armed = false;
#if defined(JAILD_JAIL_DESCRIPTORS)
  if (const int desc = jail_descriptor(jid, name); desc >= 0) {
    struct kevent ev;
    EV_SET(&ev, static_cast<uintptr_t>(desc), EVFILT_JAILDESC, EV_ADD | EV_CLEAR,
           NOTE_JAIL_REMOVE, 0, reinterpret_cast<void*>(static_cast<intptr_t>(jid)));
    if (::kevent(kq_, &ev, 1, nullptr, 0, nullptr) == 0) {
      watches_[jid].desc = desc;
      armed = true;
    } else {
      ::close(desc);
    }
  }
#endif
#if defined(EVFILT_JAIL) && defined(NOTE_JAIL_REMOVE)
  if (!armed) {
    struct kevent ev;
    EV_SET(&ev, static_cast<uintptr_t>(jid), EVFILT_JAIL, EV_ADD | EV_CLEAR, NOTE_JAIL_REMOVE, 0,
           reinterpret_cast<void*>(static_cast<intptr_t>(jid)));
    armed = ::kevent(kq_, &ev, 1, nullptr, 0, nullptr) == 0;
  }
#endif
  if (main_pid > 0) {
    // Our own child is followed from its spawn on, so its end is seen even
    // when it exits between the check above and this knote (an exited child
    // cannot be added again).
    bool ours = false;
    {
      std::lock_guard spawned(spawned_mutex_);
      ours = spawned_.contains(static_cast<pid_t>(main_pid));
    }
    armed = arm_process(jid, main_pid) || ours || armed;
  } else if (!armed) {
    // No EVFILT_JAIL (13 and 14): follow one process of the jail, and another
    // when it ends, for as long as the jail lives. A persistent jail with no
    // process left raises no event when it is removed: the engine's periodic
    // liveness check (lib/engine/liveness.cpp) finds it gone.
    if (jail_alive(jid, name))
      for (auto pid : jail_processes(jid))
        if (arm_process(jid, pid)) {
          armed = true;
          break;
        }
    if (!armed) armed = jail_alive(jid, name);
  }
  if (!armed) watches_.erase(jid);
  return armed;
}

void freebsd_system::unwatch(std::int64_t jid) {
  std::unique_lock lock(watch_mutex_);
  auto it = watches_.find(jid);
  if (it != watches_.end()) {
    drop_process_knote(it->second.watched_pid);
    if (it->second.desc >= 0) ::close(it->second.desc);  // its knote goes with it
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
  if (it->second.desc >= 0) ::close(it->second.desc);
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
        std::vector<std::pair<std::int64_t, exit_info>> due;
        {
          std::lock_guard lock(watch_mutex_);
          if (stopping_) return;
          due.swap(due_);
        }
        for (const auto& [jid, info] : due) fire(jid, info);
        continue;
      }
      const auto jid = static_cast<std::int64_t>(reinterpret_cast<intptr_t>(ev.udata));
#if defined(JAILD_JAIL_DESCRIPTORS)
      if (ev.filter == EVFILT_JAILDESC) {
        if (ev.fflags & NOTE_JAIL_REMOVE) fire(jid, {-1, false});
        continue;
      }
#endif
#if defined(EVFILT_JAIL) && defined(NOTE_JAIL_REMOVE)
      if (ev.filter == EVFILT_JAIL) {
        if (ev.fflags & NOTE_JAIL_REMOVE) fire(jid, {-1, false});
        continue;
      }
#endif
      if (ev.filter != EVFILT_PROC || !(ev.fflags & NOTE_EXIT)) continue;
      const auto pid = static_cast<pid_t>(ev.ident);
      int status = static_cast<int>(ev.data);
      std::int64_t main_pid = -1;
      std::string name;
      bool ours = false;
      {
        // Under the watch lock, so that watch() sees the child either still
        // ours (and this event then finds its entry) or its status in
        // early_exits_; reaped after it is no longer ours, so that a new
        // child with its pid is never mistaken for it.
        std::lock_guard lock(watch_mutex_);
        {
          std::lock_guard spawned(spawned_mutex_);
          ours = spawned_.erase(pid) > 0;
        }
        if (ours)  // after NOTE_EXIT it is at most moments from a zombie
          while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
          }
        auto it = watches_.find(jid);
        if (it == watches_.end()) {
          if (ours) {
            if (early_exits_.size() >= 256) early_exits_.erase(early_exits_.begin());
            early_exits_[pid] = posix::decode_status(status);
          }
          continue;
        }
        main_pid = it->second.main_pid;
        name = it->second.name;
        it->second.watched_pid = -1;
      }
      if (pid == main_pid) {
        fire(jid, {posix::decode_status(status), ours});
        continue;
      }
      // A process we followed ended: the jail may live on in others.
      bool rearmed = false;
      if (jail_alive(jid, name)) {
        std::lock_guard lock(watch_mutex_);
        if (watches_.contains(jid))
          for (auto other : jail_processes(jid))
            if (arm_process(jid, other)) {
              rearmed = true;
              break;
            }
        // Persistent and empty: alive, with nothing to follow; the engine's
        // liveness check sees it removed.
        if (!rearmed && watches_.contains(jid)) continue;
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

namespace {
// The login class of a user inside the jail, as jail(8) applies it
// (setusercontext(3) in usr.sbin/jail/command.c): the jail's own pwd.db and
// login.conf, read after jail_attach. The user and groups themselves are
// jaild-attach's (attach.cpp), so this sets the rest: resource limits,
// priority, umask, and the class's environment and path.
int apply_login_class(const char* user, std::vector<std::string>* env) {
  struct passwd* pw = ::getpwnam(user);
  if (!pw) return 0;  // in passwd(5) but not in pwd.db: no class to apply
  login_cap_t* lc = ::login_getpwclass(pw);
  // setusercontext(3) sets variables in environ: give it the command's.
  posix::c_strings start(*env);
  char** saved = environ;
  environ = start.ptrs.data();
  const int r = ::setusercontext(lc, pw, pw->pw_uid,
                                 LOGIN_SETRESOURCES | LOGIN_SETPRIORITY | LOGIN_SETUMASK |
                                     LOGIN_SETENV | LOGIN_SETPATH);
  const int saved_errno = errno;
  if (r == 0) {
    env->clear();
    for (char** e = environ; e && *e; ++e) env->emplace_back(*e);
  }
  environ = saved;
  ::login_close(lc);
  errno = saved_errno;
  return r;
}
}  // namespace

int platform_helper_main(int argc, char** argv) {
  if (argc < 1 || std::strcmp(argv[0], freebsd::attach_program) != 0) return -1;
  return freebsd::attach_main(
      argc, argv, environ, [](int jid) { return ::jail_attach(jid); }, "/etc", apply_login_class);
}

}  // namespace jaild::host
