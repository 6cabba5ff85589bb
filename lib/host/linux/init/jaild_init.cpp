// jaild-init: PID 1 of every Linux jail. It keeps the jail alive while it has
// no processes (jail(8)'s persist), reaps orphans, and stops the jail on
// SIGTERM the way jail(8) does (SIGTERM to every process, then it ends when
// they have gone; jaild sends SIGKILL after stop.timeout). In a command jail
// (jail(8)'s `command`) it runs the command and the jail ends with it, with the
// command's exit status.
//
// It runs after pivot_root, where the host's shared libraries are out of
// reach, so it is linked statically and uses nothing but libc. jaild starts it
// from a memfd opened before pivot_root.
//
//   jaild-init persist|command|transient jail=NAME -- [COMMAND ARGS...]
//
// fd 3 is a status file shared with jaild: "exit N\n" is written there before
// init ends, so that a jaild that is not init's parent (after a restart) can
// still learn how the jail ended.
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int status_fd = 3;

enum class mode { persist, command, transient };

void write_status(int code) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "exit %d\n", code);
  if (n > 0) {
    ssize_t ignored = pwrite(status_fd, buf, static_cast<size_t>(n), 0);
    (void)ignored;
  }
}

[[noreturn]] void finish(int code) {
  write_status(code);
  _exit(code);
}

int exit_code(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 255;
}

// Other processes in the jail's PID namespace (setns'd execs are not init's
// children, so /proc is the only complete list).
int other_processes() {
  DIR* d = opendir("/proc");
  if (!d) return 1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    if (strcmp(e->d_name, "1") != 0) ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: jaild-init persist|command|transient jail=NAME -- [COMMAND...]\n");
    return 2;
  }
  // Everything below assumes a PID namespace of the jail's own: kill(-1)
  // from anywhere else would signal every process of the host.
  if (getpid() != 1) {
    fprintf(stderr, "jaild-init: must be PID 1 of a jail's PID namespace\n");
    return 2;
  }
  mode m = mode::persist;
  if (strcmp(argv[1], "command") == 0)
    m = mode::command;
  else if (strcmp(argv[1], "transient") == 0)
    m = mode::transient;
  else if (strcmp(argv[1], "persist") != 0)
    return 2;
  if (m == mode::command && argc < 5) return 2;

  // Every signal is taken synchronously with sigwaitinfo. As PID 1 of a PID
  // namespace, init receives only the signals it has handlers for from inside
  // the jail, and SIGKILL from the host always works.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);

  pid_t command = -1;
  if (m == mode::command) {
    command = fork();
    if (command < 0) {
      perror("jaild-init: fork");
      finish(127);
    }
    if (command == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      close(status_fd);
      setsid();
      execvp(argv[4], argv + 4);
      fprintf(stderr, "jaild-init: cannot run %s: %s\n", argv[4], strerror(errno));
      _exit(127);
    }
  }

  bool stopping = false;
  while (true) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGPWR) {
      stopping = true;
      kill(-1, SIGTERM);
    } else if (sig != SIGCHLD) {
      continue;
    }
    // Reap everything that has ended.
    bool children_left = true;
    while (true) {
      int wstatus = 0;
      pid_t pid = waitpid(-1, &wstatus, WNOHANG);
      if (pid == 0) break;
      if (pid < 0) {
        if (errno == EINTR) continue;
        children_left = false;  // ECHILD
        break;
      }
      if (pid == command) finish(exit_code(wstatus));
    }
    if (stopping && !children_left) finish(0);
    if (m == mode::transient && !children_left && other_processes() == 0) finish(0);
  }
}
