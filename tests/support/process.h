// Running programs from tests: a command with its output captured, or a
// background process (a jaild under test) that is ended by its PID when the
// test ends, pass or fail.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace jaild::test {

struct run_result {
  int status = -1;       // exit status, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv to completion (no shell), feeding `input` on stdin.
run_result run(const std::vector<std::string>& argv, const std::string& input = {},
               const std::map<std::string, std::string>& env = {},
               std::chrono::seconds timeout = std::chrono::seconds(60));

// A background process whose stdout and stderr go to a file.
class background {
 public:
  background(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~background();  // SIGKILL if still running, then reaped
  background(const background&) = delete;
  background& operator=(const background&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `sig` and waits up to `timeout` for the exit; returns the status (-1 on timeout).
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for exit; returns the status (-1 on timeout).
  int wait(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::filesystem::path log_;
};

// Waits until a UNIX socket at `path` accepts a connection.
bool wait_for_socket(const std::filesystem::path& path,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace jaild::test
