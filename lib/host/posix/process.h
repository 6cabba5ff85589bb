// Running a program with fork(2) and exec, the POSIX way, for the FreeBSD
// adapter (and anything else that is not Linux's clone3 path): an argv, never
// a shell; an empty signal mask and default dispositions in the child (jaild
// blocks SIGTERM, SIGINT and SIGHUP and ignores SIGPIPE, and exec keeps
// both); its own process group, killed whole at the deadline; stdin text;
// bounded stdout and stderr; and an end that is the child's exit, not the
// close of its pipes (a daemon that a command starts may keep them open for
// ever).
//
// Built and tested on Linux against real processes (tests/unit/host_posix),
// compiled on FreeBSD by tests/freebsd-syntax-check. The only platform code
// is how the parent learns of the exit without reaping: pidfd_open(2) on
// Linux, a kqueue(2) with EVFILT_PROC NOTE_EXIT on FreeBSD (as jail(8)'s
// command.c waits for its commands).
//
// Thread safety: every call is independent. Everything the child needs is
// prepared before fork(2): in the child of a threaded process only
// async-signal-safe calls are made.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <string>
#include <vector>

namespace jaild::host::posix {

// What the child of fork(2) execs.
struct program {
  std::vector<std::string> argv;
  std::vector<std::string> env;          // "K=V": the whole environment
  // Tried in order with execve(2); empty: fexecve(exec_fd).
  std::vector<std::string> candidates;
  int exec_fd = -1;                      // not owned; placed as fd 3, close-on-exec
  // Not owned; with exec_fd, placed as fd 4 and left open for the program
  // (the binary that jaild-attach runs inside a jail, attach.h).
  int pass_fd = -1;
  int output_fd = -1;                    // not owned; not -1: stdout and stderr go here
  // stdin is a terminal's slave: the child starts a new session (setsid(2))
  // with it as the controlling terminal, instead of a process group.
  bool terminal = false;
};

// A vector of strings as the NULL-terminated char* array that exec takes.
struct c_strings {
  std::vector<std::string> own;
  std::vector<char*> ptrs;
  explicit c_strings(const std::vector<std::string>& v) : own(v) {
    for (auto& s : own) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
};

// The paths to try for argv0: itself when it has a '/', else each entry of
// PATH (of `env`, or the default one) joined with it.
std::vector<std::string> search_path(const std::string& argv0,
                                     const std::vector<std::string>& env);

struct outcome {
  int status = 0;        // exit status; 128+N when killed by signal N; -1: not started
  std::string output;    // standard output (bounded)
  std::string error;     // standard error (bounded), or why it did not start
  bool timed_out = false;
  std::chrono::microseconds duration{0};
  std::uint64_t output_cut = 0, error_cut = 0;  // bytes beyond output_limit, read and dropped
};

// Runs `p` to its exit or the deadline (then its process group is killed
// with SIGKILL and status is 128+SIGKILL). What is left in the pipes when the
// child has exited is read once; descendants holding them are not waited for.
outcome run(const program& p, const std::string& input, std::chrono::milliseconds timeout,
            std::size_t output_limit = 1 << 20);

// Starts `p` with stdin, stdout and stderr on the given descriptors and
// returns its pid (the caller reaps it), or -1 with errno set.
pid_t start(const program& p, int in_fd, int out_fd, int err_fd);

// Decodes a wait(2) status: the exit status, or 128+N for signal N.
int decode_status(int status);

}  // namespace jaild::host::posix
