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
//   jaild-attach jid=N user=NAME cwd=DIR image=0|1 -- ARGV...
// jid=-1: stay on the host (a host command run as a user). image=1: the
// program is the host binary open as descriptor 4 (the /rescue tools of a
// VNET jail), run with fexecve(2) and close-on-exec, so that the program
// holds no descriptor of the host.
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
  std::vector<std::string> argv;
};

std::vector<std::string> attach_argv(const attach_request& r);

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
