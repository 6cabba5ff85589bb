// jaild-enter: the process that enters a running jail for an exec, an in-jail
// hook or a health check. jaild starts it as a fresh exec from a sealed memfd
// (as it starts jaild-init), so nothing of jaild's memory (its tokens, its
// keys) is in it, and it gives up everything the jail does not have before
// any process of it becomes visible inside the jail:
//
//   1. non-dumpable (no ptrace, no /proc/PID/mem or fd access without
//      CAP_SYS_PTRACE, which jail root lacks);
//   2. setns into every namespace of the jail's init (the PID namespace
//      applies to children, so this process itself stays invisible there),
//      chroot to the jail's root, a session keyring of its own;
//   3. the user resolved from the jail's own /etc/passwd and /etc/group,
//      read inside the jail, from regular files only, at most 4 MiB each;
//   4. the jail's rlimits and CPU affinity;
//   5. the capability bounding set cut to the jail's, the jail's seccomp
//      filter, no_new_privs (unless the spec turns it off), then permitted
//      and effective cut to the jail's set;
//   6. only then a fork: the child joins the jail's cgroups, becomes the
//      user, changes to the directory and execs the command. Until the exec
//      it holds no capability and no memory that jail root lacks.
//
// This process waits for the child and exits with its status (128 + N for
// signal N), and passes on to the child's process group every signal it is
// sent that can be caught (jaild's signal message of a streaming exec). A
// failure before the exec is reported on fd 6 as one line, "KIND: message",
// KIND being user, cwd, process or enter, and the exit status is 126.
//
//   jaild-enter [cgroups=N] [caps=HEX] [seccomp=0|1] [nnp=0|1] [user=NAME]
//               [cwd=DIR] [user_env=0|1] [nofile=N] [as=N] [cpus=0,1,...]
//               [tty=0|1] [group=0|1] [login=0|1] [kill=SIG target=PID]
//               -- COMMAND [ARG...]
//
// tty=1: fds 0-2 are the slave of a PTY whose master jaild keeps; the child
// starts a session and makes it its controlling terminal. group=1: the
// child leads a process group of its own (a streaming exec without a TTY).
// login=1: the command is the user's login shell from the jail's passwd,
// as a login shell ("-sh"), in the user's home, with HOME, SHELL, USER and
// LOGNAME set: jexec -l. kill=SIG target=PID: no command runs; the child,
// a process of the jail's PID namespace with jail root's capabilities,
// calls kill(PID, SIG) there (PID -1: every process of the jail but its
// init), so that no number can name a process outside the jail.
//
// fds: 0-2 the command's standard streams, 3 the init's pidfd, 4 the jail's
// root (O_PATH), 5 the seccomp program (a memfd of sock_filter), 6 the report
// pipe, 7 and up the jail's cgroup files to join, open for writing.
//
// Linked statically: it runs after the chroot, where the host's libraries
// are out of reach.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "lib/host/linux/passwd.h"

namespace {

constexpr int init_pidfd = 3;
constexpr int root_fd = 4;
constexpr int seccomp_fd = 5;
constexpr int report_fd = 6;
constexpr int first_cgroup_fd = 7;
constexpr std::size_t file_limit = std::size_t{4} << 20;

struct options {
  int cgroups = 0;
  unsigned long long caps = ~0ull;
  bool seccomp = false;
  bool nnp = true;
  std::string user;
  std::string cwd = "/";
  bool user_env = false;
  long long nofile = -1, address_space = -1;
  std::string cpus;
  bool tty = false, group = false, login = false;
  int kill_signal = 0;
  long kill_target = 0;
  char** command = nullptr;
};

// The child, once forked: what the signal handler passes signals on to.
volatile sig_atomic_t child_pid = 0;
volatile sig_atomic_t pending[65];

void pass_on(int sig) {
  const pid_t child = static_cast<pid_t>(child_pid);
  if (child > 0)
    kill(-child, sig);
  else if (sig > 0 && sig < 65)
    pending[sig] = 1;
}

// Every signal that can be caught and that means something to a command.
constexpr int passed_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                  SIGALRM, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH};

void set_pass_on(bool on) {
  struct sigaction sa {};
  sa.sa_handler = on ? pass_on : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int sig : passed_signals) sigaction(sig, &sa, nullptr);
}

[[noreturn]] void fail(const char* kind, const std::string& message) {
  const std::string line = std::string(kind) + ": " + message + "\n";
  ssize_t ignored = write(report_fd, line.data(), line.size());
  (void)ignored;
  _exit(126);
}

std::string err_text(int err) {
  return strerror(err);
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      if (i + 1 >= argc) return false;
      o.command = argv + i + 1;
      return true;
    }
    auto eq = a.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = a.substr(0, eq), value = a.substr(eq + 1);
    if (key == "cgroups")
      o.cgroups = atoi(value.c_str());
    else if (key == "caps")
      o.caps = strtoull(value.c_str(), nullptr, 16);
    else if (key == "seccomp")
      o.seccomp = value == "1";
    else if (key == "nnp")
      o.nnp = value == "1";
    else if (key == "user")
      o.user = value;
    else if (key == "cwd")
      o.cwd = value.empty() ? "/" : value;
    else if (key == "user_env")
      o.user_env = value == "1";
    else if (key == "nofile")
      o.nofile = atoll(value.c_str());
    else if (key == "as")
      o.address_space = atoll(value.c_str());
    else if (key == "cpus")
      o.cpus = value;
    else if (key == "tty")
      o.tty = value == "1";
    else if (key == "group")
      o.group = value == "1";
    else if (key == "login")
      o.login = value == "1";
    else if (key == "kill")
      o.kill_signal = atoi(value.c_str());
    else if (key == "target")
      o.kill_target = atol(value.c_str());
    else
      return false;
  }
  return false;
}

// A file of the jail, read inside it: "" when it does not exist.
std::string jail_file(const char* relative) {
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const int fd = static_cast<int>(syscall(SYS_openat2, root_fd, relative, &how, sizeof how));
  if (fd < 0) {
    if (errno == ENOENT) return {};
    fail("user", std::string("the jail's /") + relative + ": " + err_text(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    fail("user", std::string("the jail's /") + relative + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > file_limit)
    fail("user", std::string("the jail's /") + relative + " is larger than 4 MiB");
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > file_limit)
      fail("user", std::string("the jail's /") + relative + " is larger than 4 MiB");
  }
  close(fd);
  return text;
}

bool has_env(char** env, const char* key) {
  const std::size_t len = strlen(key);
  for (char** e = env; *e; ++e)
    if (strncmp(*e, key, len) == 0 && (*e)[len] == '=') return true;
  return false;
}

void install_seccomp() {
  struct stat st {};
  if (fstat(seccomp_fd, &st) != 0 || st.st_size <= 0 ||
      st.st_size % static_cast<off_t>(sizeof(sock_filter)) != 0)
    fail("enter", "no seccomp program");
  std::vector<sock_filter> code(static_cast<std::size_t>(st.st_size) / sizeof(sock_filter));
  if (pread(seccomp_fd, code.data(), static_cast<std::size_t>(st.st_size), 0) != st.st_size)
    fail("enter", "reading the seccomp program: " + err_text(errno));
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(code.size());
  prog.filter = code.data();
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
    fail("enter", "seccomp: " + err_text(errno));
}

void cut_capabilities(unsigned long long keep) {
  const int last = [] {
    FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    int n = CAP_LAST_CAP;
    if (f) {
      if (fscanf(f, "%d", &n) != 1) n = CAP_LAST_CAP;
      fclose(f);
    }
    return n;
  }();
  for (int c = 0; c <= last && c < 64; ++c)
    if (!(keep & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      fail("enter", "PR_CAPBSET_DROP: " + err_text(errno));
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    fail("enter", "PR_CAP_AMBIENT: " + err_text(errno));
}

void set_capabilities(unsigned long long keep) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    const auto word = static_cast<__u32>(keep >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &header, data) != 0) fail("enter", "capset: " + err_text(errno));
}

// execvpe with the command's own PATH, saying why it cannot run as a shell would.
[[noreturn]] void exec_command(char** command, char** env) {
  const char* file = command[0];
  if (strchr(file, '/')) {
    execve(file, command, env);
  } else {
    std::string path = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin";
    for (char** e = env; *e; ++e)
      if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    int saved = ENOENT;
    std::size_t i = 0;
    while (i <= path.size()) {
      auto colon = path.find(':', i);
      if (colon == std::string::npos) colon = path.size();
      const std::string candidate = path.substr(i, colon - i) + "/" + file;
      execve(candidate.c_str(), command, env);
      if (errno != ENOENT && errno != ENOTDIR) saved = errno;
      i = colon + 1;
    }
    errno = saved;
  }
  dprintf(2, "jaild: cannot run %s: %s\n", file, errno == ENOENT ? "not found" : "cannot execute");
  _exit(127);
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  options o;
  if (!parse(argc, argv, o)) fail("enter", "usage: jaild-enter [KEY=VALUE...] -- COMMAND");

  if (setns(init_pidfd, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                            CLONE_NEWCGROUP) != 0)
    fail("enter", "setns: " + err_text(errno));
  if (fchdir(root_fd) != 0 || chroot(".") != 0 || chdir("/") != 0)
    fail("enter", "chroot: " + err_text(errno));
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0)
    fail("enter", "session keyring: " + err_text(errno));

  const auto user = jaild::host::linux_host::resolve_user(o.user, jail_file("etc/passwd"),
                                                          jail_file("etc/group"));
  if (!user) fail("user", "no user " + o.user + " in the jail's /etc/passwd");
  std::vector<std::string> extra;
  // jexec -l: the environment of a login, whatever the caller's has.
  std::string login_argv0, login_shell;
  std::vector<char*> login_command;
  if (o.login) {
    const std::string name = user->name.empty() ? std::to_string(user->uid) : user->name;
    login_shell = user->shell.empty() ? "/bin/sh" : user->shell;
    const auto slash = login_shell.rfind('/');
    login_argv0 = "-" + (slash == std::string::npos ? login_shell : login_shell.substr(slash + 1));
    login_command = {login_argv0.data(), nullptr};
    o.cwd = user->home.empty() ? "/" : user->home;
    for (const char* key : {"HOME=", "SHELL=", "USER=", "LOGNAME="})
      for (char** e = envp; *e; ++e)
        if (strncmp(*e, key, strlen(key)) == 0) (*e)[0] = '\0';  // dropped below
    extra.push_back("HOME=" + (user->home.empty() ? std::string("/") : user->home));
    extra.push_back("SHELL=" + login_shell);
    extra.push_back("USER=" + name);
    extra.push_back("LOGNAME=" + name);
  }
  if (o.user_env && !o.login) {
    const std::string name = user->name.empty() ? std::to_string(user->uid) : user->name;
    if (!has_env(envp, "HOME")) extra.push_back("HOME=" + user->home);
    if (!has_env(envp, "USER")) extra.push_back("USER=" + name);
    if (!has_env(envp, "LOGNAME")) extra.push_back("LOGNAME=" + name);
  }
  std::vector<char*> env;
  for (char** e = envp; *e; ++e)
    if (**e) env.push_back(*e);
  for (auto& e : extra) env.push_back(e.data());
  env.push_back(nullptr);

  if (o.nofile >= 0) {
    rlimit r{static_cast<rlim_t>(o.nofile), static_cast<rlim_t>(o.nofile)};
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) fail("enter", "RLIMIT_NOFILE: " + err_text(errno));
  }
  if (o.address_space >= 0) {
    rlimit r{static_cast<rlim_t>(o.address_space), static_cast<rlim_t>(o.address_space)};
    if (setrlimit(RLIMIT_AS, &r) != 0) fail("enter", "RLIMIT_AS: " + err_text(errno));
  }
  if (!o.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (const char* p = o.cpus.c_str(); *p;) {
      const long c = strtol(p, const_cast<char**>(&p), 10);
      if (c >= 0 && c < CPU_SETSIZE) CPU_SET(static_cast<std::size_t>(c), &set);
      if (*p == ',')
        ++p;
      else if (*p)
        break;
    }
    if (sched_setaffinity(0, sizeof set, &set) != 0) fail("enter", "affinity: " + err_text(errno));
  }

  cut_capabilities(o.caps);
  if (o.seccomp) install_seccomp();
  if (o.nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    fail("enter", "no_new_privs: " + err_text(errno));
  set_capabilities(o.caps);
  close(seccomp_fd);
  close(root_fd);
  close(init_pidfd);

  set_pass_on(true);
  const pid_t child = fork();
  if (child < 0) fail("enter", "fork: " + err_text(errno));
  if (child == 0) {
    set_pass_on(false);
    for (int i = 0; i < o.cgroups; ++i)
      if (write(first_cgroup_fd + i, "0", 1) != 1)
        fail("enter", "joining the jail's cgroups: " + err_text(errno));
    for (int i = 0; i < o.cgroups; ++i) close(first_cgroup_fd + i);
    if (setgroups(user->groups.size(), user->groups.data()) != 0 ||
        setresgid(user->gid, user->gid, user->gid) != 0 ||
        setresuid(user->uid, user->uid, user->uid) != 0)
      fail("enter", "switching to uid " + std::to_string(user->uid) + ": " + err_text(errno));
    if (o.kill_signal) {
      // As jail root would send it, from inside the jail's PID namespace.
      if (kill(static_cast<pid_t>(o.kill_target), o.kill_signal) == 0) _exit(0);
      if (errno == ESRCH)
        fail("process", o.kill_target == -1
                            ? std::string("no process in the jail but its init")
                            : "no process " + std::to_string(o.kill_target) + " in the jail");
      fail("enter", "kill: " + err_text(errno));
    }
    if (chdir(o.cwd.c_str()) != 0) {
      if (!o.login) fail("cwd", "cannot change to " + o.cwd + " in the jail: " + err_text(errno));
      if (chdir("/") != 0) fail("cwd", "cannot change to / in the jail: " + err_text(errno));
    }
    if (o.tty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) != 0))
      fail("enter", "making the PTY the controlling terminal: " + err_text(errno));
    if (o.group && !o.tty && setpgid(0, 0) != 0) fail("enter", "setpgid: " + err_text(errno));
    // The command dies with this process (jaild's deadline kills it); what
    // the command starts in the background is the jail's own.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (o.login) {
      // The shell by its path, as "-sh": a login shell.
      execve(login_shell.c_str(), login_command.data(), env.data());
      dprintf(2, "jaild: cannot run the login shell %s: %s\n", login_shell.c_str(),
              strerror(errno));
      _exit(127);
    }
    exec_command(o.command, env.data());
  }
  child_pid = child;
  for (int sig = 1; sig < 65; ++sig)
    if (pending[sig]) {
      pending[sig] = 0;
      kill(-child, sig);
    }
  close(report_fd);
  for (int i = 0; i < o.cgroups; ++i) close(first_cgroup_fd + i);
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return 126;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
