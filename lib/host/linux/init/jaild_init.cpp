// jaild-init: PID 1 of every Linux jail. It keeps the jail alive while it has
// no processes (jail(8)'s persist), reaps orphans, and stops the jail on
// SIGTERM the way jail(8) does (SIGTERM to every process, then it ends when
// they have gone; jaild sends SIGKILL after stop.timeout).
//
// jail(8) creates every jail persistent, and only after exec.start starts its
// `command` and drops persist. jaild does the same with SIGUSR1 (the Host
// port's start_main): until then init holds the jail; on it, init runs the
// command, if there is one, and in a non-persistent jail lets the jail end:
// with the command and its exit status when there is one (a command jail),
// else when the last process that init can see has ended. While the command
// runs, every signal init is sent but TERM and PWR (and CHLD) goes to the
// command's process group: the command is the jail's main process, which
// POST /v1/jails/{name}/signal with target "init" means.
//
// It runs after pivot_root, where the host's shared libraries are out of
// reach, so it is linked statically and uses nothing but libc. jaild starts it
// from a memfd opened before pivot_root.
//
//   jaild-init persist|transient jail=NAME -- [COMMAND ARGS...]
//
// fd 3 is a status file shared with jaild: "exit N\n" is written there before
// init ends, so that a jaild that is not init's parent (after a restart) can
// still learn how the jail ended.
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int status_fd = 3;


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

// Runs the command with every signal unblocked, in a session of its own.
pid_t start_command(char** command) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("jaild-init: fork");
    return -1;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    close(status_fd);
    setsid();
    execvp(command[0], command);
    fprintf(stderr, "jaild-init: cannot run %s: %s\n", command[0], strerror(errno));
    _exit(127);
  }
  return pid;
}

int main(int argc, char** argv) {
  // Jail root may not ptrace its init (it lacks CAP_SYS_PTRACE): init holds
  // the status file that jaild trusts for how the jail ended.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (argc < 4 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: jaild-init persist|transient jail=NAME -- [COMMAND...]\n");
    return 2;
  }
  // Everything below assumes a PID namespace of the jail's own: kill(-1)
  // from anywhere else would signal every process of the host.
  if (getpid() != 1) {
    fprintf(stderr, "jaild-init: must be PID 1 of a jail's PID namespace\n");
    return 2;
  }
  bool persist = true;
  if (strcmp(argv[1], "transient") == 0)
    persist = false;
  else if (strcmp(argv[1], "persist") != 0)
    return 2;
  char** command_argv = argc > 4 ? argv + 4 : nullptr;

  // Every signal is taken synchronously with sigwaitinfo (jaild blocked them
  // before the exec already, so none sent early is lost). As PID 1 of a PID
  // namespace, init gets a signal from outside only while it is blocked or
  // handled; SIGKILL from the host always works.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);

  bool started = false;   // SIGUSR1 (start_main) came
  bool stopping = false;  // SIGTERM came
  pid_t command = -1;
  while (true) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    // TERM and PWR stop the jail; so do INT and HUP when no command runs.
    // Any other signal (INT and HUP included while the command runs) is
    // meant for the jail's main process (POST .../signal, target init): the
    // command's process group gets it.
    if (sig == SIGTERM || sig == SIGPWR || ((sig == SIGINT || sig == SIGHUP) && command <= 0)) {
      stopping = true;
      kill(-1, SIGTERM);
    } else if (sig == SIGUSR1 && !started && !stopping) {
      started = true;
      if (command_argv) {
        command = start_command(command_argv);
        if (command < 0 && !persist) finish(127);
      }
    } else if (sig != SIGCHLD) {
      if (command > 0) kill(-command, sig);
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
      // A command jail that is not persistent ends with its command.
      if (pid == command && !persist) finish(exit_code(wstatus));
      if (pid == command) command = -1;  // its number may be another process's now
    }
    if (stopping && !children_left) finish(0);
    if (started && !persist && !command_argv && !children_left && other_processes() == 0)
      finish(0);
  }
}
