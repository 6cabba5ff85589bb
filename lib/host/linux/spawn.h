// Running a command on the host or inside a running jail, with an argv (never
// a shell of jaild's making), a timeout that kills the command's process
// group, stdin text, and bounded stdout/stderr. Used by the exec.* hooks and
// by host::exec. Thread-safe: every call is independent.
//
// Inside a jail the command enters the jail through its init: the init's
// namespaces (one setns on a pidfd), its root (chroot), the jail's cgroups,
// and the init's rlimits, CPU affinity and capability bounding set, so that
// an exec'd process is held to everything the jail is held to.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

struct jail_entry {
  unique_fd pidfd;                      // the jail's init
  unique_fd root;                       // its root directory (O_PATH)
  std::vector<unique_fd> cgroup_procs;  // cgroups::join_files of the jail, open for writing
  std::vector<int> drop_capabilities;   // not in the init's bounding set
  std::optional<std::uint64_t> nofile, address_space;
  bool set_affinity = false;
  cpu_set_t cpus{};
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string cwd = "/";
};

struct spawn_request {
  std::vector<std::string> argv;  // argv[0] is searched in PATH of `env` when it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string input;
  std::chrono::milliseconds timeout{60'000};
  std::size_t output_limit = 1 << 20;
  const jail_entry* jail = nullptr;  // null: on the host
  int tee_fd = -1;                   // output is also appended here (exec.consolelog)
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
};

// Throws std::system_error when the command cannot be started at all; a
// command that cannot be executed ends with exit code 127 and says why on
// stderr, as a shell would.
spawn_result run_process(const spawn_request& request);

}  // namespace jaild::host::linux_host
