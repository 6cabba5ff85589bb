// A real jaild with the Linux adapter for system tests, driven through its
// API: jails defined on root file systems of their own, named with the test's
// prefix, and all stopped (and jaild with them) when the scenario ends, even
// when the test fails; a failing test prints the end of jaild's log.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/daemon_fixture.h"
#include "tests/system/system_support.h"

namespace jaild::systest {

// A jail spec on its own root file system, named with the test's prefix.
struct jail_def {
  std::string name;
  std::unique_ptr<rootfs> root;
};

class scenario {
 public:
  explicit scenario(const std::string& extra_config = "");
  ~scenario();
  scenario(const scenario&) = delete;
  scenario& operator=(const scenario&) = delete;

  std::string name(const std::string& short_name) const { return prefix() + "-" + short_name; }

  // Defines a jail from a JSON spec (without name and path).
  void define(const std::string& short_name, nlohmann::json spec);
  // A root file system for a jail that the test defines some other way
  // (jailctl apply); its path. The jail is stopped at the end like the others.
  std::string root_for(const std::string& short_name);
  // The root of a jail defined with define() or root_for().
  const fs::path& root(const std::string& short_name) const;

  nlohmann::json jail(const std::string& short_name);
  std::string state(const std::string& short_name);
  nlohmann::json operations(const std::string& short_name);
  // The newest start operation of a jail.
  nlohmann::json last_start(const std::string& short_name);

  template <typename F>
  bool eventually(F cond, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cond();
  }

  void restart_daemon(int sig);
  // The jaild's tag (store::instance_tag), read from its database beside it;
  // "" (and a failed check) for a database without an instance id.
  std::string tag();

  test::daemon_fixture& daemon() { return daemon_; }
  const host_counts& baseline() const { return baseline_; }
  const std::vector<jail_def>& jails() const { return jails_; }

 private:
  test::temp_dir conf_dir_{"jaild-sys-conf"};
  host_counts baseline_;
  std::vector<std::string> flags_;
  test::daemon_fixture daemon_;
  std::vector<jail_def> jails_;
};

}  // namespace jaild::systest
