// The FreeBSD kernel and tools as the FreeBSD adapter sees them: one small
// interface with one method per syscall or tool the adapter uses. The adapter
// (adapter.h) decides what to do and in which order, journals and ledgers it;
// this interface only does it. freebsd_system.cpp implements it with libjail,
// rctl(2), cpuset(2), kqueue(2) and fork/exec; the unit tests implement it with
// a recorder, which is how the exact order of every step is tested on Linux.
//
// Nothing here is FreeBSD-specific C++: the file compiles on every platform.
// Implementations are called from the engine's blocking pool and must be
// safe to call for different jails from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/host/exec_session.h"
#include "lib/host/host.h"
#include "lib/host/jail_path.h"

namespace jaild::host::freebsd {

// A program to run: always an argv, never a shell line.
struct command {
  std::vector<std::string> argv;
  // >= 0: run inside the jail with this JID (jail_attach(2) in the child).
  std::int64_t jail = -1;
  // With jail >= 0: argv[0] is a host binary, opened before entering the jail
  // and run with fexecve(2). Used for the static /rescue tools that configure a
  // VNET jail's network, so that it works in jails with no userland of their
  // own (a single-process jail) and never runs the jail's binaries as the host.
  bool host_binary = false;
  // With jail >= 0: the user's login shell from the jail's passwd runs, as
  // jexec -l runs it; argv is not used.
  bool login = false;

  bool operator==(const command&) const = default;
};

struct run_options {
  std::chrono::milliseconds timeout{60'000};
  // The whole environment of the child: nothing of jaild's leaks in.
  std::map<std::string, std::string> env;
  std::string user;          // "" = root; in a jail, looked up in the jail's passwd
  std::string cwd;           // "" = "/" (of the jail, inside one)
  std::string input;         // written to standard input, then closed
  std::string output_file;   // not "": append stdout and stderr here (exec.consolelog)
  // The jail's path: an output_file below it is opened with no symbolic link
  // followed below the root (posix/open_below.h, jail(8)'s check_path rule).
  std::string output_root;
  std::size_t output_limit = std::size_t{1} << 20;  // of stdout and of stderr each
};

struct run_result {
  int status = 0;            // exit status; 128+N when killed by signal N; -1: not started
  std::string output;        // standard output (bounded)
  std::string error;         // standard error, or why it did not start
  bool timed_out = false;
  std::chrono::microseconds duration{0};
  std::uint64_t output_cut = 0, error_cut = 0;  // bytes beyond output_limit, dropped
};

// A syscall's outcome: errno (0 = success) and the kernel's or libjail's text.
struct sys_result {
  int error = 0;
  std::string message;
  bool ok() const { return error == 0; }
};

// One jail_set(2) parameter as jail(8) writes it: "persist" = "true",
// "ip4.addr" = "192.0.2.5,192.0.2.6". libjail's jailparam_import() reads it.
struct jail_param {
  std::string name;
  std::string value;

  bool operator==(const jail_param&) const = default;
};

enum class jail_set_mode { create, update };

// A jail in the kernel (jail_get(2)).
struct kernel_jail {
  std::int64_t jid = -1;
  std::string name;
  std::string path;
  bool dying = false;
  std::string meta;          // the `meta` parameter where the kernel has it

  bool operator==(const kernel_jail&) const = default;
};

// What this kernel offers beyond FreeBSD 13 and 14. freebsd_system.cpp
// decides from the headers it was built with (#ifdef) and the running kernel;
// the tests set it, so both paths run on Linux.
struct kernel_features {
  // The `meta` jail parameter: key=value lines hidden from the jail
  // (sys/kern/kern_jailmeta.c, FreeBSD 15.0).
  bool meta = false;
  // Jail descriptors (JAIL_GET_DESC, sys/kern/kern_jaildesc.c) watched with
  // EVFILT_JAILDESC NOTE_JAIL_REMOVE: the watcher follows the jail itself, not a
  // JID the kernel may give to another jail.
  bool jail_descriptors = false;
};

struct mounted {
  std::string point;         // f_mntonname
  std::string fstype;        // f_fstypename
};

class system {
 public:
  virtual ~system() = default;

  // Processes.
  virtual run_result run(const command& cmd, const run_options& options) = 0;
  // Starts argv inside the jail without waiting (jail(8)'s `command`). Returns
  // the pid, or -1 with *why set.
  virtual std::int64_t spawn(const command& cmd, const run_options& options, std::string* why) = 0;
  // Starts the command with its standard streams (or a pseudo-terminal) open
  // to the caller (a streaming exec, exec_session.h); options.input,
  // output_file and timeout are not used. nullptr with *why set when it
  // cannot start.
  virtual std::unique_ptr<exec_session> open_stream(const command& cmd, const run_options& options,
                                                    const stream_options& stream,
                                                    std::string* why) = 0;
  // kill(pid, sig) from inside the jail, as jail root (jaild-attach kill=):
  // pid -1 is every process of the jail; no pid reaches a host process.
  // ESRCH when the jail has no such process.
  virtual sys_result kill_in_jail(std::int64_t jid, std::int64_t pid, int sig) = 0;
  virtual std::vector<std::int64_t> jail_processes(std::int64_t jid) = 0;
  virtual void kill_process(std::int64_t pid, int signal) = 0;
  // Waits (kqueue, no polling) until none of pids runs; false on timeout.
  virtual bool wait_exited(const std::vector<std::int64_t>& pids,
                           std::chrono::milliseconds timeout) = 0;

  // Jails (libjail).
  virtual std::int64_t jail_set(const std::vector<jail_param>& params, jail_set_mode mode,
                                sys_result* result) = 0;
  virtual std::optional<kernel_jail> jail_find(const std::string& name) = 0;
  virtual std::vector<kernel_jail> jail_list() = 0;
  virtual sys_result jail_remove(std::int64_t jid) = 0;

  // RCTL and cpuset.
  virtual sys_result rctl_add_rule(const std::string& rule) = 0;
  virtual sys_result rctl_remove_rule(const std::string& filter) = 0;
  virtual sys_result rctl_get_racct(const std::string& filter, std::string* out) = 0;
  virtual sys_result rctl_get_rules(const std::string& filter, std::string* out) = 0;
  virtual sys_result cpuset_set_jail(std::int64_t jid, const std::vector<int>& cpus) = 0;

  // Network interfaces (read only: changes go through ifconfig(8)).
  virtual bool interface_exists(const std::string& name) = 0;
  virtual std::vector<std::string> interface_addresses(const std::string& name) = 0;
  virtual std::vector<std::string> host_addresses() = 0;

  // Files and mounts.
  virtual std::vector<mounted> mounts() = 0;
  // lstat(2) of one path: what jail(8)'s check_path asks of each component
  // (lib/host/jail_path.h). Never follows a link in the last component.
  virtual path_kind lstat_kind(const std::string& path) = 0;
  virtual std::optional<std::string> read_file(const std::string& path) = 0;
  virtual bool path_exists(const std::string& path) = 0;
  virtual sys_result remove_file(const std::string& path) = 0;

  // The host.
  virtual kernel_features features() = 0;
  virtual bool module_loaded(const std::string& name) = 0;   // modfind(2)
  virtual std::string kernel() = 0;                           // "FreeBSD 14.1-RELEASE"
  virtual std::string hostname() = 0;
  virtual int cpus() = 0;

  // Crash detection: calls on_exit once, from the watcher's own thread, when
  // the jail is removed (EVFILT_JAIL where the kernel has it) or its main
  // process ends (EVFILT_PROC NOTE_EXIT; with its status when it is our child,
  // even when it ended before watch() was called). main_pid may be -1: then one
  // process of the jail is followed after another. `name` is the kernel name:
  // whether the jail lives is asked by name, with the JID compared.
  virtual bool watch(std::int64_t jid, const std::string& name, std::int64_t main_pid,
                     std::function<void(exit_info)> on_exit) = 0;
  virtual void unwatch(std::int64_t jid) = 0;
};

}  // namespace jaild::host::freebsd
