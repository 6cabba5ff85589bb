// Running a command on the host or inside a running jail, with an argv (never
// a shell of jaild's making), a timeout that kills the command's process
// group, stdin text, and bounded stdout/stderr. Used by the exec.* hooks and
// by host::exec. Thread-safe: every call is independent.
//
// Inside a jail the command enters the jail through jaild-enter (images.h), a
// fresh exec of a sealed memfd that holds none of jaild's memory: it takes
// the init's namespaces (one setns on a pidfd), its root (chroot), the
// jail's cgroups, rlimits, CPU affinity, capability set and seccomp filter,
// resolves the user inside the jail, and gives all of that up before any
// process of it is visible in the jail (enter/jaild_enter.cpp says how), so
// that an exec'd process is held to everything the jail is held to.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

class seccomp_program;

struct jail_entry {
  unique_fd pidfd;                      // the jail's init
  unique_fd root;                       // its root directory (O_PATH)
  std::vector<unique_fd> cgroup_procs;  // cgroups::join_files of the jail, open for writing
  std::uint64_t capabilities = 0;       // jail root's (confinement_for)
  std::shared_ptr<const seccomp_program> seccomp;  // null: none
  bool no_new_privs = true;
  std::optional<std::uint64_t> nofile, address_space;
  std::vector<int> cpus;                // affinity; empty = the helper's
  std::string user;                     // resolved inside the jail: "" = root, a name or a uid
  std::string cwd = "/";
  bool user_env = true;                 // HOME, USER, LOGNAME of the user unless given
  std::vector<std::string> options;     // more of jaild-enter's KEY=VALUE (tty=1, kill=N ...)
};

struct spawn_request {
  std::vector<std::string> argv;  // argv[0] is searched in PATH of `env` when it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string input;
  std::chrono::milliseconds timeout{60'000};
  std::size_t output_limit = 1 << 20;
  const jail_entry* jail = nullptr;  // null: on the host
  // Each chunk of output as it comes (the console log); called on the
  // calling thread.
  std::function<void(std::string_view)> on_output;
  // On the host only: run as this user (exec.system_user) instead of jaild's.
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

struct spawn_result {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string output;
  std::string error;
  bool timed_out = false;
  std::chrono::microseconds duration{0};
  // Inside a jail: why the command never started ("" when it did), and
  // what was wrong: "user" (no such user in the jail), "cwd" (no such
  // directory there) or "enter".
  std::string entry_kind, entry_error;
  std::uint64_t output_dropped = 0, error_dropped = 0;  // bytes beyond output_limit
};

// Throws std::system_error when the command cannot be started at all; a
// command that cannot be executed ends with exit code 127 and says why on
// stderr, as a shell would. Output beyond output_limit is read and dropped
// (jaild's memory stays bounded) and counted.
spawn_result run_process(const spawn_request& request);

// The child as run_process starts it, for a caller that keeps its streams
// (exec_stream.h): the command's fds 0, 1 and 2 become `in`, `out` and
// `err`; `report` is jaild-enter's report pipe (inside a jail only). On the
// host, `terminal` makes `in` the controlling terminal of a new session.
// Throws std::system_error.
struct started_child {
  pid_t pid = -1;
  unique_fd pidfd;
};
started_child start_child(const spawn_request& request, int in, int out, int err, int report,
                          bool terminal = false);

}  // namespace jaild::host::linux_host
