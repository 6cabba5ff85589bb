// A command running inside a jail with its standard streams open to jaild:
// the streaming exec (GET /v1/jails/{name}/exec, a WebSocket). The API pumps
// the descriptors; the session owns the process and ends it.
//
// With a TTY the command's stdin, stdout and stderr are the slave of a
// pseudo-terminal whose master stays in jaild (input and output are that
// master; there is no separate error stream). What enters the jail is the
// platform's sealed helper (jaild-enter, jaild-attach), held to the jail's
// confinement as any exec is.
//
// Thread-safety: one caller at a time (the API's strand of the session).
#pragma once

#include <optional>

namespace jaild::host {

// How a streaming exec's standard streams are made: three pipes, or one
// pseudo-terminal of this size.
struct stream_options {
  bool tty = false;
  unsigned rows = 24, cols = 80;
};

class exec_session {
 public:
  virtual ~exec_session() = default;  // kills the command if it still runs, and reaps it

  // The descriptors the caller reads and writes, handed over once
  // (non-blocking, close-on-exec). Closing `input` is the command's end of
  // input; closing the master (a TTY's input and output) hangs the terminal
  // up, and the kernel sends SIGHUP to the session. `exit` becomes readable
  // when the command has ended. The caller owns (closes) them; -1: none.
  struct streams {
    int input = -1, output = -1, error = -1, exit = -1;
  };
  virtual streams take_streams() = 0;

  // The terminal's size (a TTY session; ignored otherwise). The kernel
  // tells the foreground process group with SIGWINCH.
  virtual void resize(unsigned rows, unsigned cols) = 0;
  // Sends a signal to the command's process group.
  virtual void signal(int sig) = 0;
  // The exit status (128 + N for signal N) once the command has ended,
  // reaping it; nullopt while it runs.
  virtual std::optional<int> reap() = 0;
};

}  // namespace jaild::host
