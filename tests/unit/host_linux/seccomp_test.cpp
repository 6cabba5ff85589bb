#include "lib/host/linux/seccomp.h"

#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

using namespace jaild;
using namespace jaild::host::linux_host;

namespace {

// Runs `body` in a child under the program; the child's exit status is
// body's result (0 = every expectation held), 100+ = a setup failure.
template <typename F>
int under_filter(const seccomp_program& p, F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(100);
    auto prog = p.fprog();
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) ::_exit(101);
    ::_exit(body());
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

int errno_of(long r) {
  return r < 0 ? errno : 0;
}

}  // namespace

TEST_CASE("seccomp: the default filter refuses in the kernel what the profile says",
          "[host_linux]") {
  model::jail_spec s;
  auto program = compile_seccomp(confinement_for(s).rules);
  REQUIRE(program);
  CHECK(program->code().size() > 20);
  CHECK(program->memfd() >= 0);
  CHECK(compile_seccomp(confinement_for(s).rules) == program);  // built once

  CHECK(under_filter(*program, [] {
          if (errno_of(::syscall(SYS_add_key, "user", "jaild-test", "x", 1,
                                 KEY_SPEC_PROCESS_KEYRING)) != EPERM)
            return 1;
          if (errno_of(::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)) !=
              EPERM)
            return 2;
          if (errno_of(::syscall(435 /* clone3 */, nullptr, 0)) != ENOSYS) return 3;
          if (errno_of(::unshare(CLONE_NEWUSER)) != EPERM) return 4;
          char c = 'x';
          if (errno_of(::ioctl(0, TIOCSTI, &c)) != EPERM) return 5;
          if (errno_of(::syscall(425 /* io_uring_setup */, 1, nullptr)) != EPERM) return 6;
          // What a jail needs still works: processes, files, user switches.
          if (::getpid() <= 0) return 7;
          pid_t child = ::fork();
          if (child == 0) ::_exit(0);
          int st = 0;
          if (child < 0 || ::waitpid(child, &st, 0) != child) return 8;
          if (::access("/", R_OK) != 0) return 9;
          return 0;
        }) == 0);
}

TEST_CASE("seccomp: a widened profile lets the capability's calls through", "[host_linux]") {
  model::jail_spec s;
  s.confinement.capabilities = {"SYS_PTRACE"};
  auto program = compile_seccomp(confinement_for(s).rules);
  CHECK(under_filter(*program, [] {
          // kcmp of a process with itself: allowed through the filter now.
          const long r = ::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0 /* KCMP_FILE */, 0, 0);
          return r >= 0 || errno != EPERM ? 0 : 1;
        }) == 0);
  model::jail_spec d;
  CHECK(under_filter(*compile_seccomp(confinement_for(d).rules), [] {
          return errno_of(::syscall(SYS_kcmp, ::getpid(), ::getpid(), 0, 0, 0)) == EPERM ? 0 : 1;
        }) == 0);
}
