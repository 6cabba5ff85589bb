// The Linux streaming exec: run_process's child (jaild-enter inside a jail,
// the command itself on the host) with its streams kept open instead of
// collected. With a TTY, jaild opens the pseudo-terminal (the master never
// leaves jaild) and hands only the slave to the child, where jaild-enter
// makes it the controlling terminal of a new session (tty=1); without one,
// three pipes, and the command leads a process group of its own (group=1).
// Signals go to jaild-enter, which passes them on to the command's process
// group; SIGKILL ends jaild-enter, and with it the command (PDEATHSIG).
#pragma once

#include <memory>

#include "lib/host/exec_session.h"
#include "lib/host/linux/spawn.h"

namespace jaild::host::linux_host {

// `request` as for run_process (its input, timeout and output_limit are not
// used). Inside a jail, waits for jaild-enter to have entered (a few
// milliseconds; at most 10 s) so that a bad user or directory is an error
// here, as with exec: invalid_value (/user, /cwd) or host_failure.
std::unique_ptr<exec_session> start_exec_stream(spawn_request request, stream_options options);

}  // namespace jaild::host::linux_host
