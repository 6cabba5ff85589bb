// A real jaild for integration tests: its own temporary state directory,
// started from the build tree, talked to with curl and jailctl, and ended by
// its PID when the test ends.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jaild::test {

// Paths of the programs under test, set by CMake.
std::string jaild_binary();
std::string jailctl_binary();

struct http_answer {
  int status = 0;        // HTTP status (0 when curl failed)
  std::string body;
  nlohmann::json json() const;
};

class daemon_fixture {
 public:
  daemon_fixture();
  ~daemon_fixture();

  // Starts jaild with the fixture's state directory and `extra` flags; waits for the socket.
  void start(const std::vector<std::string>& extra = {});
  // SIGTERM and wait; returns the exit status.
  int stop(int sig = 15);
  background& process() { return *daemon_; }

  const std::filesystem::path& state_dir() const { return dir_.path(); }
  std::filesystem::path socket() const { return dir_ / "jaild.sock"; }
  std::filesystem::path database() const { return dir_ / "jaild.db"; }

  // curl --unix-socket; `body` as JSON unless content_type says otherwise.
  http_answer curl(const std::string& method, const std::string& path,
                   const std::string& body = {},
                   const std::string& content_type = "application/json");
  // jailctl --socket SOCKET ARGS...
  run_result jailctl(const std::vector<std::string>& args, const std::string& input = {});
  // `text` with every "/jails/NAME" turned into a directory of the fixture's
  // own (made here, NAME being a jail name), since jaild refuses a jail whose
  // path does not exist. "$name" stays as it is, for jail.conf; what it
  // names is made by root().
  std::string rooted(std::string text);
  // The fixture's directory for the jail root NAME, made if missing.
  std::string root(const std::string& name);
  // The database's full content as SQL text (sqlite3 .dump), for "nothing changed" checks.
  std::string dump_database();

 private:
  temp_dir dir_{"jaild-it"};
  temp_dir roots_{"jaild-roots"};
  std::unique_ptr<background> daemon_;
};

}  // namespace jaild::test
