// A FreeBSD `system` for the end-to-end tests of the FreeBSD pipeline on Linux:
// the jail system calls, RCTL, cpuset and the host's network tools are the
// recording fake's (fake_system.h), but every hook and `command` is a real
// child forked by the POSIX runner (lib/host/posix/process.h), the code that
// freebsd_system.cpp runs them with on FreeBSD. Commands "inside" a jail run on
// this host, as no jail_attach(2) is there to enter one. The children's ends
// are seen by a reaper thread each, with their real exit statuses, as the
// kqueue watcher sees them on FreeBSD. Thread-safe for one jail at a time.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "lib/host/posix/open_below.h"
#include "lib/host/posix/process.h"
#include "tests/unit/host_freebsd/fake_system.h"

namespace jaild::test {

class forking_system final : public fake_system {
 public:
  using fake_system::fake_system;
  ~forking_system() override {
    for (auto& [pid, st] : children_)
      if (!st.ended) ::kill(static_cast<pid_t>(pid), SIGKILL);
    for (auto& t : threads_) t.join();
  }

  run_result run(const command& cmd, const run_options& o) override {
    // The host's tools (ifconfig, mount, sysctl...) stay modelled.
    if (cmd.argv.empty() || cmd.argv[0].starts_with("/sbin/"))
      return fake_system::run(cmd, o);
    {
      std::lock_guard lock(mutex_);
      log.push_back("fork " + joined(cmd.argv));
    }
    host::posix::program p = program_of(cmd, o);
    int out_fd = -1;
    if (!o.output_file.empty()) {
      out_fd = host::posix::open_below(o.output_root, o.output_file,
                                       O_WRONLY | O_APPEND | O_CREAT, 0640);
      p.output_fd = out_fd;
    }
    auto got = host::posix::run(p, o.input, o.timeout);

    if (out_fd >= 0) ::close(out_fd);
    run_result r;
    r.status = got.status;
    r.output = got.output;
    r.error = got.error;
    r.timed_out = got.timed_out;
    r.duration = got.duration;
    return r;
  }

  std::int64_t spawn(const command& cmd, const run_options& o, std::string* why) override {
    auto p = program_of(cmd, o);
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const pid_t pid = host::posix::start(p, null_fd, null_fd, null_fd);
    ::close(null_fd);
    if (pid < 0) {
      *why = "fork failed";
      return -1;
    }
    std::lock_guard lock(mutex_);
    log.push_back("spawn[jail " + std::to_string(cmd.jail) + "] " + joined(cmd.argv));
    children_[pid] = {cmd.jail, false, 0};
    threads_.emplace_back([this, pid] { reap(pid); });
    return pid;
  }

  std::vector<std::int64_t> jail_processes(std::int64_t jid) override {
    std::lock_guard lock(mutex_);
    std::vector<std::int64_t> out;
    for (const auto& [pid, st] : children_)
      if (st.jid == jid && !st.ended) out.push_back(pid);
    return out;
  }

  void kill_process(std::int64_t pid, int signal) override {
    {
      std::lock_guard lock(mutex_);
      log.push_back("kill " + std::to_string(signal) + " " + std::to_string(pid));
    }
    ::kill(static_cast<pid_t>(pid), signal);
  }

  bool wait_exited(const std::vector<std::int64_t>& pids,
                   std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    return ended_cv_.wait_for(lock, timeout, [&] {
      for (auto p : pids)
        if (auto it = children_.find(p); it != children_.end() && !it->second.ended) return false;
      return true;
    });
  }

  sys_result jail_remove(std::int64_t jid) override {
    // Removing a jail kills what runs in it.
    for (auto pid : jail_processes(jid)) ::kill(static_cast<pid_t>(pid), SIGKILL);
    std::lock_guard lock(mutex_);
    return fake_system::jail_remove(jid);
  }

  bool watch(std::int64_t jid, const std::string& name, std::int64_t main_pid,
             std::function<void(host::exit_info)> on_exit) override {
    std::lock_guard lock(mutex_);
    log.push_back("watch " + std::to_string(jid) + " " + name);
    auto it = children_.find(main_pid);
    if (it != children_.end() && it->second.ended) {
      // Ended before it was watched: called back at once, with its status.
      const int status = it->second.status;
      threads_.emplace_back([on_exit, status] { on_exit({status, true}); });
      return true;
    }
    watches_[main_pid] = std::move(on_exit);
    return true;
  }
  void unwatch(std::int64_t jid) override {
    std::lock_guard lock(mutex_);
    for (auto it = watches_.begin(); it != watches_.end();)
      if (auto c = children_.find(it->first); c != children_.end() && c->second.jid == jid)
        it = watches_.erase(it);
      else
        ++it;
  }

 private:
  struct child {
    std::int64_t jid = -1;
    bool ended = false;
    int status = 0;
  };

  static host::posix::program program_of(const command& cmd, const run_options& o) {
    host::posix::program p;
    p.argv = cmd.argv;
    for (const auto& [k, v] : o.env) p.env.push_back(k + "=" + v);
    p.candidates = host::posix::search_path(cmd.argv[0], p.env);
    return p;
  }

  void reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::function<void(host::exit_info)> callback;
    const int decoded = host::posix::decode_status(status);
    {
      std::lock_guard lock(mutex_);
      children_[pid].ended = true;
      children_[pid].status = decoded;
      if (auto it = watches_.find(pid); it != watches_.end()) {
        callback = std::move(it->second);
        watches_.erase(it);
      }
    }
    ended_cv_.notify_all();
    if (callback) callback({decoded, true});
  }

  std::mutex mutex_;
  std::condition_variable ended_cv_;
  std::map<std::int64_t, child> children_;
  std::map<std::int64_t, std::function<void(host::exit_info)>> watches_;  // main pid -> callback
  std::vector<std::thread> threads_;
};

}  // namespace jaild::test
