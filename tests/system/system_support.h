// Support for the Linux adapter's system tests: busybox-static root file
// systems, journal and ledger sinks that remember what is live, a guard that
// destroys every ledgered object when a test ends (pass or fail), counts of
// host objects, and a few commands run with an argv.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/host/host.h"

namespace jaild::systest {

namespace fs = std::filesystem;

// Fails the test (with a message saying what to do) unless run as root with
// a static busybox at /bin/busybox.
void require_prerequisites();

// A short prefix unique to this test process, for names of host objects
// ("jt4821"); every name a test makes starts with it.
const std::string& prefix();

// A root file system: busybox and its applets, /etc/passwd and /etc/group with
// root and "www" (uid 80), /www/index.html, and the test helpers in /bin.
// Removed with everything in it when the object goes.
class rootfs {
 public:
  explicit rootfs(const std::string& name);
  ~rootfs();
  rootfs(const rootfs&) = delete;
  rootfs& operator=(const rootfs&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class test_journal : public host::journal {
 public:
  void record(const host::step_record& step) override;
  std::vector<host::step_record> steps() const;
  // The last step with this name, or a step named "" when there is none.
  host::step_record last(const std::string& name) const;

 private:
  mutable std::mutex mutex_;
  std::vector<host::step_record> steps_;
};

class test_ledger : public host::ledger {
 public:
  void record(const host::object& obj) override;
  void forget(const host::object& obj) override;
  // Live objects in the order they were recorded.
  std::vector<host::object> live() const;
  bool has(host::object_kind kind, const std::string& key) const;

 private:
  mutable std::mutex mutex_;
  std::vector<host::object> live_;
};

// One adapter with its sinks; on destruction, every live ledger object is
// destroyed in reverse order, so a failing test leaves nothing behind.
class harness {
 public:
  harness();
  ~harness();
  host::host& adapter() { return *adapter_; }
  host::step_sinks sinks() { return {journal_, ledger_}; }
  test_journal& journal() { return journal_; }
  test_ledger& ledger() { return ledger_; }
  // Destroys every live object (what the engine does after a stop).
  void destroy_all();

 private:
  std::unique_ptr<host::host> adapter_;
  test_journal journal_;
  test_ledger ledger_;
};

// A context for a jail named prefix()+"-"+short_name with its own rootfs path.
host::jail_context make_context(const std::string& short_name, const fs::path& root,
                                const std::string& instance = "");

// Everything a test must leave as it found it.
struct host_counts {
  int veths = 0;
  int bridges = 0;
  int jaild_cgroups = 0;  // directories named jaild* or below one, in every hierarchy
  int mounts = 0;         // lines of /proc/self/mountinfo
  bool operator==(const host_counts&) const = default;
};
host_counts count_host_objects();
std::string to_string(const host_counts& c);

// "key=value" lines (what tests/system/helpers/probe prints) as a map.
std::map<std::string, std::string> key_value_lines(const std::string& text);
// A hexadecimal number ("00000000a00405fb").
std::uint64_t hex_value(const std::string& text);

// Runs a command with an argv (no shell); returns exit status and stdout.
struct command_result {
  int status = -1;
  std::string output;
};
command_result run(const std::vector<std::string>& argv);

// A btrfs file system on a loop device, mounted at /tmp/PREFIX-NAME;
// unmounted, detached and deleted when the object goes, whatever happened.
// Throws std::runtime_error when it cannot be made.
class btrfs_volume {
 public:
  explicit btrfs_volume(const std::string& name);
  ~btrfs_volume();
  btrfs_volume(const btrfs_volume&) = delete;
  btrfs_volume& operator=(const btrfs_volume&) = delete;
  const std::filesystem::path& path() const { return mount_point_; }

 private:
  std::filesystem::path image_, mount_point_;
  std::string device_;
  bool mounted_ = false;
};

// The interface `ip route get ADDR` names ("" when there is no route).
std::string route_device(const std::string& addr);

// A file of the cgroup a process is in: v1 hierarchies mounted at
// /sys/fs/cgroup/<controller>, or the v2 hierarchy at /sys/fs/cgroup.
std::string read_cgroup_file(std::int64_t pid, const std::string& controller,
                             const std::string& file);

// exec into a jail with the confinement of ctx.spec; 20 s timeout.
host::exec_result exec_in(host::host& a, const host::jail_context& ctx, const host::running_jail& j,
                          std::vector<std::string> argv, std::string user = "",
                          std::string input = "");

// Starts the jail pipeline: interfaces, jail, limits, attach and, unless
// `main` is false (a test that runs exec.start first), start_main.
host::running_jail start(harness& h, const host::jail_context& ctx, bool main = true);

}  // namespace jaild::systest
