// exec.* hooks (on the host, or inside the jail for start and stop) and exec
// into a running jail, all through run_process with an argv.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/confinement.h"
#include "lib/host/linux/exec_stream.h"
#include "lib/host/linux/seccomp.h"
#include "lib/model/error.h"

extern char** environ;

namespace jaild::host::linux_host {
namespace {

constexpr std::size_t hook_output_limit = std::size_t{64} * 1024;
constexpr const char* default_path = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";

std::vector<std::string> own_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = key + "=" + value;
      return;
    }
  env.push_back(key + "=" + value);
}

std::string first_line(const std::string& s) {
  auto end = s.find('\n');
  std::string line = s.substr(0, end);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

jail_entry linux_adapter::enter(const jail_context& ctx, const running_jail& jail,
                                const std::string& user, const std::string& cwd) {
  auto t = track(jail);
  if (!t || reap(*t)) throw error(errc::host_failure, "the jail " + jail.name + " is not running");
  const auto pid = static_cast<pid_t>(jail.pid);
  jail_entry e;
  e.pidfd.reset(::fcntl(t->pidfd.get(), F_DUPFD_CLOEXEC, 3));
  // The init is known by its pidfd, so /proc/PID is the jail's init and its
  // root the jail's, whatever jail root did to the path meanwhile.
  e.root.reset(
      ::open(("/proc/" + std::to_string(pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!e.pidfd || !e.root)
    throw error(errc::host_failure, "cannot open the jail's root: " + errno_text(errno));
  if (reap(*t)) throw error(errc::host_failure, "the jail " + jail.name + " is not running");
  if (cgroups_) {
    if (auto leaf = cgroups_->leaf_of(pid))
      for (const auto& f : cgroups_->join_files(*leaf)) {
        unique_fd fd(::open(f.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) throw error(errc::host_failure, "cannot open " + f.string());
        e.cgroup_procs.push_back(std::move(fd));
      }
  }
  // What jail root may do comes from the spec, never from a process of the
  // jail: an exec'd process is held to exactly the jail's profile.
  const auto profile = confinement_for(ctx.spec);
  e.capabilities = profile.capabilities;
  e.no_new_privs = profile.no_new_privs;
  if (profile.seccomp) {
    try {
      e.seccomp = compile_seccomp(profile.rules);
    } catch (const std::system_error& x) {
      throw error(errc::host_failure, x.what());
    }
  }
  rlimit r{};
  if (::prlimit(pid, RLIMIT_NOFILE, nullptr, &r) == 0) e.nofile = r.rlim_max;
  if (::prlimit(pid, RLIMIT_AS, nullptr, &r) == 0 && r.rlim_max != RLIM_INFINITY)
    e.address_space = r.rlim_max;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(pid, sizeof cpus, &cpus) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(static_cast<std::size_t>(c), &cpus)) e.cpus.push_back(c);
  // The user is the jail's own: jaild-enter reads the jail's passwd inside it.
  e.user = user;
  e.cwd = cwd.empty() ? "/" : cwd;
  return e;
}

namespace {

// An entry failure of jaild-enter as the error a caller gets.
[[noreturn]] void throw_entry_error(const spawn_result& res) {
  if (res.entry_kind == "user") throw error(errc::invalid_value, res.entry_error, "/user");
  if (res.entry_kind == "cwd") throw error(errc::invalid_value, res.entry_error, "/cwd");
  throw error(errc::host_failure, "cannot enter the jail: " + res.entry_error);
}

}  // namespace

void linux_adapter::run_hook(const jail_context& ctx, const running_jail* jail,
                             std::string_view stage, const std::string& command, step_sinks sinks) {
  const auto& spec = ctx.spec;
  spawn_request r;
  r.argv = {"/bin/sh", "-c", command};
  r.timeout = spec.exec.timeout;
  r.output_limit = hook_output_limit;
  jail_entry entry;
  if (jail) {
    entry = enter(ctx, *jail, spec.exec.jail_user, "/");
    r.jail = &entry;
    // jail(8)'s exec.clean: HOME, SHELL, TERM and USER of the target user
    // (HOME and USER filled in by jaild-enter from the jail's passwd).
    r.env = spec.exec.clean ? std::vector<std::string>{} : own_environment();
    if (!spec.exec.clean)
      std::erase_if(r.env, [](const std::string& e) {
        return e.starts_with("HOME=") || e.starts_with("USER=") || e.starts_with("LOGNAME=");
      });
    set_env(r.env, "PATH", default_path);
    set_env(r.env, "SHELL", "/bin/sh");
    set_env(r.env, "TERM", "dumb");
  } else {
    r.env = spec.exec.clean ? std::vector<std::string>{} : own_environment();
    set_env(r.env, "PATH", default_path);
    if (spec.exec.clean) {
      set_env(r.env, "HOME", "/");
      set_env(r.env, "SHELL", "/bin/sh");
      set_env(r.env, "TERM", "dumb");
    }
    if (!spec.exec.system_user.empty()) {
      passwd pw{};
      passwd* found = nullptr;
      std::vector<char> buf(16384);
      if (::getpwnam_r(spec.exec.system_user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
          !found)
        throw error(errc::invalid_value, "no host user " + spec.exec.system_user,
                    "/exec/system_user");
      r.switch_user = true;
      r.uid = found->pw_uid;
      r.gid = found->pw_gid;
      int count = 64;
      std::vector<gid_t> groups(static_cast<std::size_t>(count));
      if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) >= 0)
        groups.resize(static_cast<std::size_t>(count));
      else
        groups = {found->pw_gid};
      r.groups = groups;
      set_env(r.env, "USER", spec.exec.system_user);
      set_env(r.env, "HOME", found->pw_dir);
    }
  }
  set_env(r.env, "JAIL_NAME", spec.name);
  set_env(r.env, "JAIL_PATH", spec.path);
  if (jail) set_env(r.env, "JAIL_JID", std::to_string(jail->jid));

  std::shared_ptr<console_log> console;
  if (!spec.exec.consolelog.empty()) {
    console = console_logs_.open(spec.name, spec.exec.consolelog, spec.path);
    r.on_output = [&console](std::string_view data) { console->append(data); };
  }

  step_timer step(sinks.steps, "exec." + std::string(stage), r.argv);
  spawn_result res;
  try {
    res = run_process(r);
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), e.what());
  }
  const std::string name = "exec." + std::string(stage);
  step.record().output = res.output;
  if (!res.entry_error.empty()) step.fail(EPERM, "cannot enter the jail: " + res.entry_error);
  if (res.timed_out)
    step.fail_with(res.exit_code, res.error.empty() ? "killed at exec.timeout" : res.error,
                   errc::timeout,
                   name + ": '" + command + "' did not finish within exec.timeout (" +
                       std::to_string(spec.exec.timeout.count()) + " ms) and was killed");
  if (res.exit_code != 0) {
    std::string why = "'" + command + "' exited with status " + std::to_string(res.exit_code);
    if (!res.error.empty()) why += ": " + first_line(res.error);
    step.fail_with(res.exit_code, res.error.empty() ? why : res.error, errc::host_failure,
                   name + ": " + why);
  }
  // A step with an error reads as failed: the stderr of a hook that succeeded
  // goes with its output.
  std::string output = res.output;
  if (!res.error.empty())
    output += (output.empty() ? "" : "\n") + std::string("stderr: ") + res.error;
  step.ok(output);
}

void linux_adapter::run_host_hook(const jail_context& ctx, std::string_view stage,
                                  const std::string& command, step_sinks sinks) {
  run_hook(ctx, nullptr, stage, command, sinks);
}

void linux_adapter::run_jail_hook(const jail_context& ctx, const running_jail& jail,
                                  std::string_view stage, const std::string& command,
                                  step_sinks sinks) {
  run_hook(ctx, &jail, stage, command, sinks);
}

exec_result linux_adapter::exec(const jail_context& ctx, const running_jail& jail,
                                const exec_request& req) {
  if (req.argv.empty()) throw error(errc::invalid_value, "argv cannot be empty", "/argv");
  jail_entry entry = enter(ctx, jail, req.user, req.cwd);
  spawn_request r;
  r.argv = req.argv;
  r.env = {"PATH=" + std::string(default_path), "SHELL=/bin/sh", "TERM=dumb"};
  for (const auto& [k, v] : req.env) set_env(r.env, k, v);
  r.input = req.input;
  r.timeout = req.timeout;
  r.output_limit = req.output_limit;
  r.jail = &entry;
  spawn_result res;
  try {
    res = run_process(r);
  } catch (const std::system_error& e) {
    throw error(errc::host_failure, std::string("exec: ") + e.what());
  }
  if (!res.entry_error.empty()) throw_entry_error(res);
  return {res.exit_code,  std::move(res.output), std::move(res.error), res.timed_out,
          res.duration,   res.output_dropped,     res.error_dropped};
}

std::unique_ptr<exec_session> linux_adapter::open_exec(const jail_context& ctx,
                                                      const running_jail& jail,
                                                      const exec_stream_request& req) {
  if (req.argv.empty() && !req.login)
    throw error(errc::invalid_value, "argv cannot be empty", "/argv");
  jail_entry entry = enter(ctx, jail, req.user, req.cwd);
  entry.options.push_back(req.tty ? "tty=1" : "group=1");
  if (req.login) entry.options.push_back("login=1");
  spawn_request r;
  // With login=1 jaild-enter runs the user's shell instead of argv.
  r.argv = req.login ? std::vector<std::string>{"login"} : req.argv;
  r.env = {"PATH=" + std::string(default_path), "SHELL=/bin/sh",
           std::string("TERM=") + (req.tty ? "xterm" : "dumb")};
  for (const auto& [k, v] : req.env) set_env(r.env, k, v);
  r.jail = &entry;
  try {
    return start_exec_stream(std::move(r), {req.tty, req.rows, req.cols});
  } catch (const std::system_error& e) {
    throw error(errc::host_failure, std::string("exec: ") + e.what());
  }
}

void linux_adapter::signal(const jail_context& ctx, const running_jail& jail,
                           signal_target target, int sig) {
  auto t = track(jail);
  if (!t || reap(*t)) throw error(errc::jail_running, "the jail " + jail.name + " is not running");
  if (target.what == signal_target::kind::init ||
      (target.what == signal_target::kind::pid && target.pid == 1)) {
    // PID 1 by its pidfd: no number that could have been reused.
    if (::syscall(SYS_pidfd_send_signal, t->pidfd.get(), sig, nullptr, 0) != 0)
      throw error(errno == ESRCH ? errc::jail_running : errc::host_failure,
                  "signal to the jail's init: " + errno_text(errno));
    return;
  }
  // Any other process is found by jaild-enter's child inside the jail's PID
  // namespace, where a number cannot name a host process: kill(2) as jail
  // root would call it, with jail root's capabilities.
  jail_entry entry = enter(ctx, jail, "", "/");
  entry.options = {"kill=" + std::to_string(sig),
                   "target=" + std::to_string(target.what == signal_target::kind::all
                                                  ? std::int64_t{-1}
                                                  : target.pid)};
  spawn_request r;
  r.argv = {"kill"};
  r.env = {"PATH=" + std::string(default_path)};
  r.timeout = std::chrono::seconds(10);
  r.output_limit = 4096;
  r.jail = &entry;
  spawn_result res;
  try {
    res = run_process(r);
  } catch (const std::system_error& e) {
    throw error(errc::host_failure, std::string("signal: ") + e.what());
  }
  if (res.entry_kind == "process") throw error(errc::process_not_found, res.entry_error);
  if (!res.entry_error.empty()) throw error(errc::host_failure, "signal: " + res.entry_error);
  if (res.timed_out || res.exit_code != 0)
    throw error(errc::host_failure,
                "signal: jaild-enter ended with status " + std::to_string(res.exit_code));
}

}  // namespace jaild::host::linux_host
