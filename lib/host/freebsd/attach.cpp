#include "lib/host/freebsd/attach.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__FreeBSD__) && __has_include(<sys/procctl.h>)
#include <sys/param.h>
#include <sys/procctl.h>  // FreeBSD 10+
#endif

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>

#include "lib/host/freebsd/parse.h"
#include "lib/host/posix/process.h"

namespace jaild::host::freebsd {
namespace {

[[noreturn]] void die(int status, const std::string& message) {
  const std::string line = "jaild: " + message + "\n";
  (void)!::write(2, line.data(), line.size());
  ::_exit(status);
}

// A regular file of at most the limit; a FIFO, a device or a directory in its
// place is refused without blocking.
std::optional<std::string> read_account_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::size_t>(st.st_size) <= attach_account_file_limit) {
    std::string text;
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      if (n == 0) {
        out = std::move(text);
        break;
      }
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > attach_account_file_limit) break;
    }
  }
  ::close(fd);
  return out;
}

long long number(const std::string& text, const char* what) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno || text.empty() || *end) die(126, std::string("jaild-attach: bad ") + what + " " + text);
  return v;
}

std::optional<std::string> value_of(std::string_view arg, std::string_view key) {
  if (arg.size() <= key.size() || arg.substr(0, key.size()) != key || arg[key.size()] != '=')
    return std::nullopt;
  return std::string(arg.substr(key.size() + 1));
}

}  // namespace

std::vector<std::string> attach_argv(const attach_request& r) {
  std::vector<std::string> a{attach_program, "jid=" + std::to_string(r.jid), "user=" + r.user,
                             "cwd=" + (r.cwd.empty() ? std::string("/") : r.cwd),
                             std::string("image=") + (r.image ? "1" : "0")};
  if (r.login) a.emplace_back("login=1");
  if (r.kill_signal) {
    a.push_back("kill=" + std::to_string(r.kill_signal));
    a.push_back("target=" + std::to_string(r.kill_target));
  }
  a.emplace_back("--");
  a.insert(a.end(), r.argv.begin(), r.argv.end());
  return a;
}

int attach_kill(int attach_fd, std::int64_t jid, std::int64_t pid, int sig, std::string* why) {
  attach_request a;
  a.jid = jid;
  a.kill_signal = sig;
  a.kill_target = pid;
  posix::program p;
  p.argv = attach_argv(a);
  p.env = {"PATH=/sbin:/bin:/usr/sbin:/usr/bin"};
  p.exec_fd = attach_fd;
  const auto out = posix::run(p, "", std::chrono::seconds(10), 4096);
  if (out.status == 0) return 0;
  *why = out.error;
  while (!why->empty() && why->back() == '\n') why->pop_back();
  if (why->starts_with("jaild: ")) why->erase(0, 7);
  if (out.status == attach_no_such_process) return ESRCH;
  if (out.timed_out) *why = "jaild-attach kill= took longer than 10 s";
  return out.status < 0 ? ENOEXEC : EIO;
}

int attach_main(int argc, char** argv, char** envp, int (*attach)(int jid), const char* etc,
                login_class_fn login_class) {
  attach_request r;
  int i = 1;
  bool have_jid = false;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    const std::string_view arg = argv[i];
    if (auto v = value_of(arg, "jid")) {
      r.jid = number(*v, "jid");
      have_jid = true;
    } else if (auto u = value_of(arg, "user")) {
      r.user = *u;
    } else if (auto c = value_of(arg, "cwd")) {
      r.cwd = *c;
    } else if (auto m = value_of(arg, "image")) {
      r.image = *m == "1";
    } else if (auto l = value_of(arg, "login")) {
      r.login = *l == "1";
    } else if (auto k = value_of(arg, "kill")) {
      r.kill_signal = static_cast<int>(number(*k, "kill"));
    } else if (auto t = value_of(arg, "target")) {
      r.kill_target = number(*t, "target");
    } else {
      die(126, "jaild-attach: unknown argument " + std::string(arg));
    }
  }
  // Only kill= and login= run no ARGV of their own.
  const bool needs_argv = !r.kill_signal && !r.login;
  if (!have_jid || i >= argc || (needs_argv && i >= argc - 1))
    die(126, "jaild-attach: usage: jid=N ... -- ARGV");
  for (++i; i < argc; ++i) r.argv.emplace_back(argv[i]);

#if defined(PROC_TRACE_CTL) && defined(PROC_TRACE_CTL_DISABLE_EXEC)
  // Not traceable until the exec (procctl(2), FreeBSD 10.2+, sys/sys/procctl.h):
  // jail root cannot attach to this process while it is still ours.
  int trace = PROC_TRACE_CTL_DISABLE_EXEC;
  if (::procctl(P_PID, ::getpid(), PROC_TRACE_CTL, &trace) != 0)
    die(126, std::string("procctl: ") + std::strerror(errno));
#endif
  if (r.jid >= 0 && attach(static_cast<int>(r.jid)) != 0)
    die(126, "jail_attach " + std::to_string(r.jid) + ": " + std::strerror(errno));
  // jail_attach(2) changes the root but not the working directory: this
  // chdir is what keeps the command from holding a directory of the host.
  if (::chdir(r.cwd.c_str()) != 0)
    die(126, "cwd " + r.cwd + ": " + std::strerror(errno));
  if (r.kill_signal) {
    if (::kill(static_cast<pid_t>(r.kill_target), r.kill_signal) == 0) ::_exit(0);
    if (errno == ESRCH)
      die(attach_no_such_process,
          r.kill_target == -1 ? std::string("no process in the jail")
                              : "no process " + std::to_string(r.kill_target) + " in the jail");
    die(126, std::string("kill: ") + std::strerror(errno));
  }

  std::vector<std::string> env;
  for (char** e = envp; e && *e; ++e) env.emplace_back(*e);
  const std::string dir = etc;
  const std::string user = r.user.empty() ? "root" : r.user;
  std::optional<passwd_entry> entry;
  if (user != "root" || r.login) {
    auto passwd = read_account_file(dir + "/passwd");
    entry = passwd ? find_passwd(*passwd, user) : std::nullopt;
    if (!entry) die(126, "user " + user + ": not in " + dir + "/passwd of the jail");
  }
  if (user != "root") {
    std::vector<gid_t> groups;
    for (auto g : groups_of(read_account_file(dir + "/group").value_or(""), r.user, entry->gid))
      groups.push_back(static_cast<gid_t>(g));
    // While still root: limits may be raised only now.
    if (login_class && login_class(r.user.c_str(), &env) != 0)
      die(126, "login class of " + r.user + ": " + std::strerror(errno));
    if (::setgroups(static_cast<int>(groups.size()), groups.data()) != 0 ||
        ::setgid(static_cast<gid_t>(entry->gid)) != 0 ||
        ::setuid(static_cast<uid_t>(entry->uid)) != 0)
      die(126, "user " + r.user + ": " + std::strerror(errno));
    for (auto& e : env)
      if (e.starts_with("HOME=")) e = "HOME=" + entry->home;
  }
  if (r.login) {
    // jexec -l: the login shell, in the home (or / when it is not there).
    const std::string shell = entry->shell.empty() ? "/bin/sh" : entry->shell;
    const std::string home = entry->home.empty() ? "/" : entry->home;
    if (::chdir(home.c_str()) != 0 && ::chdir("/") != 0)
      die(126, "cwd /: " + std::string(std::strerror(errno)));
    std::erase_if(env, [](const std::string& e) {
      for (const char* key : {"HOME=", "SHELL=", "USER=", "LOGNAME="})
        if (e.starts_with(key)) return true;
      return false;
    });
    env.insert(env.end(), {"HOME=" + home, "SHELL=" + shell, "USER=" + user, "LOGNAME=" + user});
    const auto slash = shell.rfind('/');
    const std::vector<std::string> login_argv{
        "-" + shell.substr(slash == std::string::npos ? 0 : slash + 1)};
    posix::c_strings args(login_argv), envs(env);
    ::execve(shell.c_str(), args.ptrs.data(), envs.ptrs.data());
    die(errno == ENOENT ? 127 : 126, "cannot run " + shell + ": " + std::strerror(errno));
  }

  posix::c_strings args(r.argv), envs(env);
  if (r.image) {
    if (::fcntl(attach_image_fd, F_SETFD, FD_CLOEXEC) != 0)
      die(126, "no program descriptor");
    ::fexecve(attach_image_fd, args.ptrs.data(), envs.ptrs.data());
    die(126, "cannot execute " + r.argv[0] + ": " + std::strerror(errno));
  }
  int saved = ENOENT;
  for (const auto& path : posix::search_path(r.argv[0], env)) {
    ::execve(path.c_str(), args.ptrs.data(), envs.ptrs.data());
    if (errno != ENOENT && errno != ENOTDIR) saved = errno;
  }
  die(saved == ENOENT ? 127 : 126, "cannot run " + r.argv[0] + ": " + std::strerror(saved));
}

}  // namespace jaild::host::freebsd
