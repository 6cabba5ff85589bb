// The jail itself: its cgroups, the clone of its init, stop, adoption after a
// jaild restart, and crash detection through pidfds.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <thread>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/confinement.h"
#include "lib/host/linux/images.h"
#include "lib/host/linux/isolation.h"
#include "lib/host/linux/launcher.h"
#include "lib/host/linux/limits.h"
#include "lib/host/linux/seccomp.h"
#include "lib/host/linux/socket_hooks.h"
#include "lib/model/error.h"
#include "lib/model/validate.h"

namespace jaild::host::linux_host {
namespace {

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Waits until the process of a pidfd has ended; false at the deadline.
bool wait_ended(int pidfd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // a bad fd: nothing left to wait for
  }
}

std::string init_mode(const model::jail_spec& spec) {
  return spec.persist ? "persist" : "transient";
}

std::uint64_t own_hard_limit(__rlimit_resource resource) {
  rlimit r{};
  ::getrlimit(resource, &r);
  return r.rlim_max;
}

}  // namespace

std::string process_token(pid_t pid) {
  auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return {};
  auto t = stat_start_time(*stat);
  return t ? std::to_string(*t) : std::string();
}

cgroups& linux_adapter::require_cgroups() {
  if (!cgroups_)
    throw error(errc::prerequisite_missing,
                "no usable cgroup hierarchy: jaild needs cgroup v1 memory, pids, cpu, cpuacct "
                "and cpuset hierarchies, or cgroup v2 with the memory controller");
  return *cgroups_;
}

running_jail linux_adapter::create_jail(const jail_context& ctx, step_sinks sinks) {
  const auto& spec = ctx.spec;
  const limit_plan plan = plan_limits(spec.limits);
  std::vector<int> cpus;
  if (!spec.cpuset.empty()) {
    std::string why;
    auto parsed = model::check::parse_cpu_list(spec.cpuset, &why);
    if (!parsed) throw error(errc::invalid_value, why, "/cpuset");
    cpus = *parsed;
  }
  unique_fd root(::open(spec.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root)
    throw error(errc::host_failure, "the jail's path " + spec.path + " is not a directory");
  // pivot_root needs the mount points; a fresh root may lack them. mkdirat
  // never follows a link that is there already; the child refuses one.
  for (const char* d : {"proc", "dev"}) ::mkdirat(root.get(), d, 0755);
  const auto mounts = jail_mounts(spec);
  const auto profile = confinement_for(spec);
  std::shared_ptr<const seccomp_program> filter;
  if (profile.seccomp) {
    try {
      filter = compile_seccomp(profile.rules);
    } catch (const std::system_error& e) {
      throw error(errc::host_failure, e.what());
    }
  }

  cgroups& cg = require_cgroups();
  const std::string leaf = cg.leaf(spec.name, ctx.instance);
  const auto dirs = cg.jail_dirs(leaf);
  nlohmann::json dir_list = nlohmann::json::array();
  for (const auto& d : dirs) dir_list.push_back(d.string());
  // A shared-IP jail is held to its addresses by socket hooks on a cgroup of
  // the unified hierarchy (on v1 hosts an extra directory, removed with the rest).
  std::optional<fs::path> socket_dir;
  std::optional<jail_addresses> addresses;
  if (holds_to_addresses(spec) && shared_ip_restricted()) {
    std::string problem;
    addresses = jail_addresses_of(spec.ip4, spec.ip6, &problem);
    if (!addresses) throw error(errc::invalid_value, problem, spec.ip4.empty() ? "/ip6" : "/ip4");
    socket_dir = cg.socket_dir(leaf);
    if (socket_dir && cg.version() == cgroup_version::v1) dir_list.push_back(socket_dir->string());
  }

  {
    std::vector<std::string> argv{"mkdir"};
    for (const auto& d : dirs) argv.push_back(d.string());
    step_timer step(sinks.steps, "cgroup.create", argv);
    // A directory that is there already is not this jaild's (its instance
    // ids never repeat): refused before the ledger row, so that no rollback
    // kills its processes or removes it.
    if (const auto taken = cg.existing(leaf); !taken.empty())
      step.fail(EEXIST, taken.front().string() + " exists and is not this jaild's; refused");
    const object row{object_kind::cgroup, spec.name, leaf, {{"dirs", dir_list}}};
    sinks.objects.record(row);
    std::string what;
    if (int err = cg.create(leaf, spec.cpuset, &what)) {
      if (err == EEXIST && what == dirs.front().string()) sinks.objects.forget(row);
      step.fail(err, what + ": " + errno_text(err));
    }
    const auto writes = cgroup_writes(plan, cg.version());
    if (int err = cg.apply(leaf, writes, &what)) step.fail(err, what + ": " + errno_text(err));
    step.ok();
  }
  if (socket_dir) {
    std::vector<std::string> argv{"bpf", "attach", socket_dir->string()};
    for (const auto& a : spec.ip4) argv.push_back("ip4 " + a);
    for (const auto& a : spec.ip6) argv.push_back("ip6 " + a);
    step_timer step(sinks.steps, "socket.restrict", argv);
    std::string what;
    if (int err = cg.create_socket_dir(leaf, &what))
      step.fail(err, what + ": " + errno_text(err));
    unique_fd dir(::open(socket_dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) step.fail(errno, socket_dir->string() + ": " + errno_text(errno));
    const auto hooks = socket_hooks_for(*addresses);
    try {
      attach_socket_hooks(dir.get(), hooks);
    } catch (const std::system_error& e) {
      step.fail(e.code().value(), e.what());
    }
    step.ok(std::to_string(hooks.size()) + " hooks: bind, connect and sendmsg, IPv4 and IPv6");
  }

  const int image = init_image_fd();
  if (image < 0) throw error(errc::host_failure, "cannot prepare jaild-init: " + errno_text(errno));
  unique_fd status(::memfd_create("jaild-status", MFD_CLOEXEC));
  if (!status) throw error(errc::host_failure, "memfd: " + errno_text(errno));
  std::shared_ptr<console_log> console;
  if (!spec.exec.consolelog.empty())
    console = console_logs_.open(spec.name, spec.exec.consolelog, spec.path);

  launch_options o;
  o.root = spec.path;
  o.hostname = spec.hostname.empty() ? spec.name : spec.hostname;
  o.new_netns = needs_own_netns(spec);
  unique_fd netns;
  if (o.new_netns) {
    netns = netns_pool_.take();
    o.netns_fd = netns.get();
  }
  o.init_fd = image;
  o.status_fd = status.get();
  o.console_fd = console ? console->fd() : -1;
  o.argv = {"jaild-init", init_mode(spec), "jail=" + spec.name, "--"};
  for (const auto& a : spec.command) o.argv.push_back(a);
  o.env = {"PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin", "HOME=/",
           "TERM=dumb", "JAIL_NAME=" + spec.name};
  o.cpus = cpus;
  if (plan.open_files) o.nofile = rlimit_value(*plan.open_files, own_hard_limit(RLIMIT_NOFILE));
  if (plan.address_space)
    o.address_space = rlimit_value(*plan.address_space, own_hard_limit(RLIMIT_AS));
  o.drop_capabilities = capability_list(~profile.capabilities, capability_last());
  o.seccomp = filter.get();
  o.mounts = mounts;
  unique_fd cgroup_dir;
  std::vector<unique_fd> join;
  if (cg.version() == cgroup_version::v2) {
    cgroup_dir.reset(::open(dirs.front().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup_dir)
      throw error(errc::host_failure, dirs.front().string() + ": " + errno_text(errno));
    o.cgroup_fd = cgroup_dir.get();
  } else {
    for (const auto& f : cg.join_files(leaf)) {
      unique_fd fd(::open(f.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) throw error(errc::host_failure, f.string() + ": " + errno_text(errno));
      o.join_fds.push_back(fd.get());
      join.push_back(std::move(fd));
    }
  }

  std::vector<std::string> argv{
      "clone3",
      clone_flags_text(o.new_netns, o.netns_fd >= 0),
      "pivot_root",
      spec.path,
      "capabilities: " + capability_text(profile.capabilities),
      profile.seccomp
          ? "seccomp: default filter (" + std::to_string(profile.rules.size()) + " rules)"
          : "seccomp: unconfined"};
  for (const auto& m : mounts)
    argv.push_back("mount " + (m.bind ? m.source : std::string("tmpfs")) + " " + m.target +
                   (m.read_only ? " (ro)" : ""));
  argv.insert(argv.end(), o.argv.begin(), o.argv.end());
  step_timer step(sinks.steps, "jail.create", argv);
  sinks.objects.record({object_kind::jail, spec.name, leaf, {{"dirs", dir_list}}});
  launched l;
  try {
    l = launch_jail(o);
  } catch (const launch_error& e) {
    step.fail(e.err(), std::string(e.what()) + ": " + errno_text(e.err()));
  }

  auto t = std::make_shared<tracked_init>();
  t->pid = l.pid;
  t->token = process_token(l.pid);
  t->pidfd = std::move(l.pidfd);
  t->status = std::move(status);
  t->child = true;
  running_jail j{spec.name, l.pid, l.pid, t->token};
  {
    std::lock_guard lock(inits_mutex_);
    inits_[l.pid] = t;
  }
  step.ok("init pid " + std::to_string(l.pid));
  return j;
}

void linux_adapter::start_main(const jail_context& ctx, const running_jail& jail,
                               step_sinks sinks) {
  // A persistent jail without a command has nothing to start: init holds it.
  if (ctx.spec.command.empty() && ctx.spec.persist) return;
  std::vector<std::string> argv{"kill", "-USR1", std::to_string(jail.pid)};
  if (!ctx.spec.command.empty()) {
    argv.emplace_back("(command:");
    argv.insert(argv.end(), ctx.spec.command.begin(), ctx.spec.command.end());
    argv.back() += ")";
  }
  if (!ctx.spec.persist) argv.emplace_back("(persist off)");
  step_timer step(sinks.steps, "jail.start_main", argv);
  auto t = track(jail);
  if (!t || reap(*t)) step.fail(ESRCH, "the jail's init has ended");
  // init runs the command and, without persist, lets the jail end.
  if (pidfd_signal(t->pidfd.get(), SIGUSR1) != 0) step.fail(errno, "SIGUSR1: " + errno_text(errno));
  step.ok();
}

std::shared_ptr<tracked_init> linux_adapter::track(const running_jail& jail) {
  if (jail.pid <= 0) return nullptr;
  const auto pid = static_cast<pid_t>(jail.pid);
  {
    std::lock_guard lock(inits_mutex_);
    if (auto it = inits_.find(pid); it != inits_.end()) {
      if (it->second->token == jail.token) return it->second;
    }
  }
  // Adoption: a jail that this jaild did not start (it was restarted).
  unique_fd pidfd(pidfd_open(pid));
  if (!pidfd) return nullptr;
  // The token is checked after the pidfd exists, so the pidfd is the jail's
  // init and not a process that reused its PID.
  if (jail.token.empty() || process_token(pid) != jail.token) return nullptr;
  if (!cgroups_ || !cgroups_->leaf_of(pid)) return nullptr;
  auto t = std::make_shared<tracked_init>();
  t->pid = pid;
  t->token = jail.token;
  t->pidfd = std::move(pidfd);
  // init's fd 3 is the status memfd: open it now, read it after init ends.
  t->status.reset(::open(("/proc/" + std::to_string(pid) + "/fd/3").c_str(), O_RDONLY | O_CLOEXEC));
  std::lock_guard lock(inits_mutex_);
  auto& slot = inits_[pid];
  if (slot && slot->token == jail.token) return slot;
  slot = t;
  return t;
}

std::optional<exit_info> linux_adapter::reap(tracked_init& t) {
  std::lock_guard lock(t.mutex);
  if (t.ended) return t.ended;
  pollfd p{t.pidfd.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) == 0) return std::nullopt;  // still running
  if (t.child) {
    siginfo_t info{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(t.pidfd.get()), &info,
                 WEXITED | WNOHANG) == 0 &&
        info.si_pid != 0) {
      const int code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
      t.ended = exit_info{code, true};
      return t.ended;
    }
  }
  // Not jaild's child (or already reaped): what init wrote before it ended.
  t.ended = exit_info{-1, false};
  if (t.status) {
    char buf[64] = {};
    ssize_t n = ::pread(t.status.get(), buf, sizeof buf - 1, 0);
    int code = 0;
    if (n > 5 && std::string_view(buf, 5) == "exit ") {
      auto [end, ec] = std::from_chars(buf + 5, buf + n, code);
      if (ec == std::errc()) t.ended = exit_info{code, true};
    }
  }
  return t.ended;
}

void linux_adapter::forget_init(pid_t pid, const std::string& token) {
  {
    // Only this init: its PID may already belong to a newer jail.
    std::lock_guard lock(inits_mutex_);
    if (auto it = inits_.find(pid); it != inits_.end() && it->second->token == token)
      inits_.erase(it);
  }
  std::lock_guard lock(samples_mutex_);
  if (auto it = samples_.find(pid); it != samples_.end() && it->second.token == token)
    samples_.erase(it);
}

void linux_adapter::stop_jail(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  step_timer step(sinks.steps, "jail.stop", {"kill", "-TERM", std::to_string(jail.pid)});
  auto t = track(jail);
  if (!t) {
    step.ok("the jail's init had already ended");
    return;
  }
  if (pidfd_signal(t->pidfd.get(), SIGTERM) != 0 && errno != ESRCH)
    step.fail(errno, "SIGTERM: " + errno_text(errno));
  bool ended = wait_ended(t->pidfd.get(), ctx.spec.stop_timeout);
  std::string note = ended ? "ended after SIGTERM" : "";
  if (!ended) {
    // stop.timeout passed: SIGKILL to PID 1 of the namespace ends every process in it.
    pidfd_signal(t->pidfd.get(), SIGKILL);
    ended = wait_ended(t->pidfd.get(), std::chrono::seconds(10));
    note = "SIGKILL after stop.timeout";
  }
  if (!ended) step.fail(ETIMEDOUT, "the jail's init did not end after SIGKILL", errc::timeout);
  auto info = reap(*t);
  if (info && info->known) note += ", exit status " + std::to_string(info->status);
  {
    std::lock_guard lock(t->mutex);
    if (t->watch_key == 0) forget_init(t->pid, t->token);
  }
  console_logs_.close(ctx.spec.name);
  step.ok(note);
}

void linux_adapter::kill_members(const std::vector<fs::path>& dirs, step_timer& step) {
  std::vector<unique_fd> victims;
  for (const auto& d : dirs) {
    for (pid_t pid : cgroups::procs_of(d)) {
      unique_fd fd(pidfd_open(pid));
      if (!fd) continue;
      // Still a member now that the pidfd pins the process: not a reused PID.
      auto cg = read_text("/proc/" + std::to_string(pid) + "/cgroup").value_or("");
      if (cg.find("/" + d.filename().string()) == std::string::npos) continue;
      pidfd_signal(fd.get(), SIGKILL);
      victims.push_back(std::move(fd));
    }
  }
  for (auto& v : victims) wait_ended(v.get(), std::chrono::seconds(5));
  if (!victims.empty())
    step.record().output += "killed " + std::to_string(victims.size()) + " process(es); ";
}

void linux_adapter::destroy_jail(const object& obj, step_sinks sinks) {
  std::vector<fs::path> dirs;
  for (const auto& d : obj.attrs.value("dirs", nlohmann::json::array()))
    dirs.emplace_back(d.get<std::string>());
  std::vector<std::string> argv{"kill", "-KILL"};
  for (const auto& d : dirs) argv.push_back("cgroup:" + d.string());
  step_timer step(sinks.steps, "jail.remove", argv);
  kill_members(dirs, step);
  // Reap what is ours, so no zombie stays behind.
  std::vector<std::shared_ptr<tracked_init>> ours;
  {
    std::lock_guard lock(inits_mutex_);
    for (const auto& [pid, t] : inits_) ours.push_back(t);
  }
  for (const auto& t : ours) {
    if (!reap(*t)) continue;
    std::lock_guard lock(t->mutex);
    if (t->watch_key == 0) forget_init(t->pid, t->token);
  }
  console_logs_.close(obj.owner);
  step.ok(std::string(step.record().output));
  sinks.objects.forget(obj);
}

void linux_adapter::destroy_cgroup(const object& obj, step_sinks sinks) {
  std::vector<fs::path> dirs;
  std::vector<std::string> argv{"rmdir"};
  for (const auto& d : obj.attrs.value("dirs", nlohmann::json::array())) {
    dirs.emplace_back(d.get<std::string>());
    argv.push_back(dirs.back().string());
  }
  step_timer step(sinks.steps, "cgroup.remove", argv);
  kill_members(dirs, step);
  std::string what;
  int err = 0;
  // A task that has just died can keep a v1 cgroup busy for a moment.
  for (int attempt = 0; attempt < 100; ++attempt) {
    err = cgroups_ ? cgroups_->remove(dirs, &what) : 0;
    if (!cgroups_) {
      for (const auto& d : dirs)
        if (::rmdir(d.c_str()) != 0 && errno != ENOENT) err = errno;
    }
    if (err != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (err) step.fail(err, what + ": " + errno_text(err));
  step.ok(std::string(step.record().output));
  sinks.objects.forget(obj);
}

bool linux_adapter::alive(const running_jail& jail) {
  auto t = track(jail);
  if (!t) return false;
  return !reap(*t).has_value();
}

std::vector<running_jail> linux_adapter::list_jails() {
  std::vector<running_jail> out;
  if (!cgroups_) return out;
  for (const auto& leaf : cgroups_->leaves()) {
    for (pid_t pid : cgroups_->procs(leaf)) {
      auto status = read_text("/proc/" + std::to_string(pid) + "/status");
      if (!status || status_innermost_pid(*status) != 1) continue;
      const std::string token = process_token(pid);
      if (token.empty()) continue;
      out.push_back({jail_name_of_leaf(leaf), pid, pid, token});
      break;
    }
  }
  return out;
}

bool linux_adapter::watch(const running_jail& jail, std::function<void(exit_info)> on_exit) {
  auto t = track(jail);
  if (!t || reap(*t)) return false;
  std::call_once(watcher_once_, [this] { watcher_ = std::make_unique<pidfd_watcher>(); });
  std::uint64_t previous = 0;
  {
    std::lock_guard lock(t->mutex);
    previous = std::exchange(t->watch_key, 0);
  }
  // Outside t->mutex: remove() waits for a running callback, which takes it.
  if (previous) watcher_->remove(previous);
  std::weak_ptr<tracked_init> weak = t;
  std::lock_guard lock(t->mutex);
  t->watch_key = watcher_->add(t->pidfd.get(), [this, weak, cb = std::move(on_exit)] {
    auto self = weak.lock();
    if (!self) return;
    auto info = reap(*self).value_or(exit_info{-1, false});
    {
      std::lock_guard inner(self->mutex);
      self->watch_key = 0;
    }
    forget_init(self->pid, self->token);
    cb(info);
  });
  return true;
}

void linux_adapter::unwatch(const running_jail& jail) {
  std::shared_ptr<tracked_init> t;
  {
    std::lock_guard lock(inits_mutex_);
    auto it = inits_.find(static_cast<pid_t>(jail.pid));
    if (it == inits_.end() || it->second->token != jail.token) return;
    t = it->second;
  }
  std::uint64_t key = 0;
  {
    std::lock_guard lock(t->mutex);
    key = std::exchange(t->watch_key, 0);
  }
  if (key && watcher_) watcher_->remove(key);
}

}  // namespace jaild::host::linux_host
