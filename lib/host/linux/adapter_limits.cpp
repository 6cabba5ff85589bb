// RCTL rules and cpusets on a jail: cgroup limit files, rlimits of every
// process, CPU affinity of every thread; and usage read back in RCTL names.
#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/limits.h"
#include "lib/model/error.h"
#include "lib/model/validate.h"

namespace jaild::host::linux_host {
namespace {

std::vector<pid_t> threads_of(pid_t pid) {
  std::vector<pid_t> out;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
      out.push_back(static_cast<pid_t>(std::stol(e->d_name)));
  ::closedir(d);
  return out;
}

std::size_t count_fds(pid_t pid) {
  std::size_t n = 0;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

std::uint64_t own_hard_limit(__rlimit_resource resource) {
  rlimit r{};
  ::getrlimit(resource, &r);
  return r.rlim_max;
}

}  // namespace

void linux_adapter::apply_limits(const jail_context& ctx, const running_jail& jail,
                                 step_sinks sinks) {
  apply_all_limits(ctx, jail, sinks, "limits.apply");
}

void linux_adapter::update_limits(const jail_context& ctx, const running_jail& jail,
                                  step_sinks sinks) {
  // A jail adopted after a restart of jaild: its console log is watched
  // for size again (its init writes to the file it was given at start).
  if (!ctx.spec.exec.consolelog.empty()) {
    try {
      console_logs_.open(ctx.spec.name, ctx.spec.exec.consolelog, ctx.spec.path);
    } catch (const std::exception&) {
      // The next hook says what is wrong with it; limits apply regardless.
    }
  }
  apply_all_limits(ctx, jail, sinks, "limits.update");
}

void linux_adapter::apply_all_limits(const jail_context& ctx, const running_jail& jail,
                                     step_sinks sinks, const char* step_name) {
  const limit_plan plan = plan_limits(ctx.spec.limits);
  std::vector<int> cpus;
  if (!ctx.spec.cpuset.empty()) {
    std::string why;
    auto parsed = model::check::parse_cpu_list(ctx.spec.cpuset, &why);
    if (!parsed) throw error(errc::invalid_value, why, "/cpuset");
    cpus = *parsed;
  }
  cgroups& cg = require_cgroups();
  if (!alive(jail)) throw error(errc::host_failure, "the jail " + jail.name + " is not running");
  const auto leaf = cg.leaf_of(static_cast<pid_t>(jail.pid));
  if (!leaf) throw error(errc::host_failure, "the jail " + jail.name + " has no cgroup of jaild's");

  const auto writes = cgroup_writes(plan, cg.version());
  std::vector<std::string> argv;
  for (const auto& w : writes) argv.push_back(w.file + "=" + w.value);
  argv.push_back("cpuset.cpus=" +
                 (ctx.spec.cpuset.empty() ? std::string("(all)") : ctx.spec.cpuset));
  if (plan.open_files) argv.push_back("RLIMIT_NOFILE=" + std::to_string(*plan.open_files));
  if (plan.address_space) argv.push_back("RLIMIT_AS=" + std::to_string(*plan.address_space));
  step_timer step(sinks.steps, step_name, argv);

  std::string what;
  // A wider cpuset first, so that a process's new affinity is inside it.
  if (int err = cg.set_cpus(*leaf, ctx.spec.cpuset, &what))
    step.fail(err, what + ": " + errno_text(err));
  if (int err = cg.apply(*leaf, writes, &what)) step.fail(err, what + ": " + errno_text(err));

  // rlimits and affinity are per process (and affinity per thread).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpus.empty()) {
    const long n = ::sysconf(_SC_NPROCESSORS_CONF);
    for (long c = 0; c < n && c < CPU_SETSIZE; ++c) CPU_SET(static_cast<std::size_t>(c), &set);
  }
  for (int c : cpus) CPU_SET(static_cast<std::size_t>(c), &set);
  std::string problems;
  for (pid_t pid : cg.procs(*leaf)) {
    auto limit = [&](__rlimit_resource resource, const char* name,
                     std::optional<std::uint64_t> amount) {
      rlimit r{RLIM_INFINITY, RLIM_INFINITY};
      if (amount) {
        const auto v = static_cast<rlim_t>(rlimit_value(*amount, own_hard_limit(resource)));
        r = {v, v};
      } else {
        r = {static_cast<rlim_t>(own_hard_limit(resource)),
             static_cast<rlim_t>(own_hard_limit(resource))};
        rlimit current{};
        // Without a rule, leave what the process has unless it is above jaild's.
        if (::prlimit(pid, resource, nullptr, &current) == 0 && current.rlim_max <= r.rlim_max)
          return;
      }
      if (::prlimit(pid, resource, &r, nullptr) != 0 && errno != ESRCH)
        problems += std::string(problems.empty() ? "" : "; ") + name + " of pid " +
                    std::to_string(pid) + ": " + errno_text(errno) +
                    (errno == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
    };
    limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", plan.open_files);
    limit(RLIMIT_AS, "RLIMIT_AS", plan.address_space);
    for (pid_t tid : threads_of(pid))
      if (::sched_setaffinity(tid, sizeof set, &set) != 0 && errno != ESRCH)
        problems += std::string(problems.empty() ? "" : "; ") + "affinity of " +
                    std::to_string(tid) + ": " + errno_text(errno);
  }
  if (!problems.empty()) step.fail(EPERM, problems);
  step.ok();
}

std::map<std::string, double> linux_adapter::usage(const running_jail& jail) {
  std::map<std::string, double> out;
  if (!cgroups_ || !alive(jail)) return out;
  const auto pid = static_cast<pid_t>(jail.pid);
  const auto leaf = cgroups_->leaf_of(pid);
  if (!leaf) return out;
  const cgroup_usage u = cgroups_->usage(*leaf);
  if (u.memory_bytes) out["memoryuse"] = static_cast<double>(*u.memory_bytes);
  if (u.procs) out["maxproc"] = static_cast<double>(*u.procs);
  if (u.cpu_ns) {
    out["cputime"] = static_cast<double>(*u.cpu_ns) / 1e9;
    // pcpu over the time since the last call (since the jail started, the first time).
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(samples_mutex_);
    auto& s = samples_[pid];
    double elapsed_ns = 0;
    std::uint64_t before = 0;
    if (s.token == jail.token) {
      elapsed_ns = static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.at).count());
      before = s.cpu_ns;
    } else {
      // The init's start time, in clock ticks since boot, against uptime.
      const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const auto uptime = read_text("/proc/uptime").value_or("0");
      elapsed_ns =
          (std::stod(uptime) - std::stod(jail.token.empty() ? "0" : jail.token) / hz) * 1e9;
    }
    if (elapsed_ns > 0)
      out["pcpu"] =
          100.0 * static_cast<double>(*u.cpu_ns - std::min(before, *u.cpu_ns)) / elapsed_ns;
    s = {jail.token, *u.cpu_ns, now};
  }
  double fds = 0, vmem = 0;
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  for (pid_t p : cgroups_->procs(*leaf)) {
    fds += static_cast<double>(count_fds(p));
    auto statm = read_text("/proc/" + std::to_string(p) + "/statm");
    if (statm) vmem += std::stod(*statm) * page;
  }
  out["openfiles"] = fds;
  out["vmemoryuse"] = vmem;
  return out;
}

}  // namespace jaild::host::linux_host
