// A streaming exec's child with POSIX calls only: the FreeBSD adapter's
// (the program is jaild-attach, attach.h), and the same code run on Linux by
// the unit tests with a stand-in for jail_attach(2).
//
// Without a TTY the child gets three pipes and leads a process group of its
// own; with one, jaild opens the pseudo-terminal (the master never leaves
// jaild), and the child starts a new session whose controlling terminal is
// the slave, before it execs (so before jail_attach: the terminal is the
// session's across the attach and the switch to the jail's user).
//
// The child's end is seen by a waiter thread that waits without reaping
// (waitid WNOWAIT) and then makes `exit` readable; only reap() reaps, so a
// signal() before it always reaches the child's own process group, never a
// process that was given the PID later.
#pragma once

#include <memory>

#include "lib/host/exec_session.h"
#include "lib/host/posix/process.h"

namespace jaild::host::posix {

// TIOCSWINSZ on a terminal's master: the size the slave's side sees (its
// foreground job gets SIGWINCH). 0, or -1 with errno set.
int set_terminal_size(int master, unsigned rows, unsigned cols);

// Starts `p` (its output_fd is not used). Throws std::system_error when the
// pipes, the terminal or the fork fail.
std::unique_ptr<exec_session> start_exec_stream(program p, const stream_options& options);

}  // namespace jaild::host::posix
