// jaild-attach: how a command enters a FreeBSD jail without any of jaild in
// it. The forked child of jaild never calls jail_attach(2): it resets its
// signals and descriptors and fexecve(2)s jaild's own binary (opened at
// start-up) as "jaild-attach", a mode that main() picks before anything
// else runs (platform.h's platform_helper_main). That fresh process holds
// only its arguments; it attaches to the jail, changes to the working
// directory, looks the user up in the jail's own passwd and group (regular
// files only, bounded, as the jail sees them), switches to it and execs the
// target, so between jail_attach and execve nothing of jaild's memory
// (tokens, specs, keys) is inside the jail for jail root to ptrace.
//
// The argv is jaild-attach's whole input:
//   jaild-attach jid=N user=NAME cwd=DIR image=0|1 [login=1] [kill=SIG target=PID]
//                -- ARGV...
// jid=-1: stay on the host (a host command run as a user). image=1: the
// program is the host binary open as descriptor 4 (the /rescue tools of a
// VNET jail), run with fexecve(2) and close-on-exec, so that the program
// holds no descriptor of the host. login=1: the user's login shell from the
// jail's passwd runs instead of ARGV (none is given), as "-sh", in the
// user's home, with HOME, SHELL, USER and LOGNAME set, as jexec -l runs it.
// kill=SIG target=PID: nothing runs; after the attach, as jail root,
// kill(PID, SIG) (PID -1: every process of the jail), which the kernel
// lets reach only processes of the jail (prison_check), so no number can
// name a host process; exit 3 when there is no such process in the jail.
// A streaming exec's terminal is made the controlling terminal of the
// process's session before it is exec'd (posix/exec_stream.h).
//
// Everything here but the jail_attach call (passed in) is portable, so it
// is built and tested on Linux with a stand-in for jail_attach.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jaild::host::freebsd {

inline constexpr const char* attach_program = "jaild-attach";
// Where the program is when image=1 (process.h places exec_fd at 3).
inline constexpr int attach_image_fd = 4;
// passwd(5) and group(5) larger than this are refused.
inline constexpr std::size_t attach_account_file_limit = 4 << 20;

struct attach_request {
  std::int64_t jid = -1;
  std::string user;        // "" or "root": stay root
  std::string cwd = "/";
  bool image = false;
  bool login = false;           // argv empty
  int kill_signal = 0;          // not 0: kill(kill_target, kill_signal); argv empty
  std::int64_t kill_target = 0;
  std::vector<std::string> argv;
};

// jaild-attach's exit status when kill= found no such process in the jail.
inline constexpr int attach_no_such_process = 3;

std::vector<std::string> attach_argv(const attach_request& r);

// Runs jaild-attach (the open binary `attach_fd`) with kill=SIG target=PID
// in the jail: 0 when sent, ESRCH when the jail has no such process, another
// errno with *why set when it could not be run or failed.
int attach_kill(int attach_fd, std::int64_t jid, std::int64_t pid, int sig, std::string* why);

// The user's login class inside the jail, as jail(8)'s setusercontext(3)
// call: resource limits, priority, umask and login.conf environment (which it
// may add to `env`, "K=V" each). Called after the attach and before the
// switch to the user, for a user other than root. Returns 0, or -1 with errno.
using login_class_fn = int (*)(const char* user, std::vector<std::string>* env);

// jaild-attach's main: never returns on success (the target runs); exit
// status 126 with one line on stderr when it cannot enter or switch user,
// 127 when the program is not there. `etc` is where passwd and group are
// read after the attach ("/etc" but in tests); `login_class` may be null.
int attach_main(int argc, char** argv, char** envp, int (*attach)(int jid),
                const char* etc = "/etc", login_class_fn login_class = nullptr);

}  // namespace jaild::host::freebsd
