// The socket hooks that confine a shared-IP jail on Linux, in the kernel: a
// process in a cgroup (unified hierarchy) with the hooks attached, in a
// network namespace the test makes with loopback and two addresses of
// "the host" (10.66.0.9, fd00:66::9) besides the jail's (10.66.0.5,
// fd00:66::5), binds, connects and sends, and a server outside the cgroup
// says from where the traffic came.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "lib/host/linux/socket_hooks.h"
#include "tests/system/system_support.h"

using namespace jaild;
using namespace jaild::host::linux_host;
namespace fs = std::filesystem;

namespace {

constexpr const char* unified = "/sys/fs/cgroup/unified";

std::string text_of(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  else
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  return buf;
}

sockaddr_storage address(const char* ip, int port) {
  sockaddr_storage ss{};
  if (std::strchr(ip, ':')) {
    auto& s6 = reinterpret_cast<sockaddr_in6&>(ss);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET6, ip, &s6.sin6_addr);
  } else {
    auto& s4 = reinterpret_cast<sockaddr_in&>(ss);
    s4.sin_family = AF_INET;
    s4.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip, &s4.sin_addr);
  }
  return ss;
}

socklen_t length(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

// bind(ADDR:0) and the address the socket got, or "errno:N".
std::string bound(int family, int type, const char* ip) {
  const int s = ::socket(family, type, 0);
  auto a = address(ip, 0);
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), length(a)) != 0) {
    const int e = errno;
    ::close(s);
    return "errno:" + std::to_string(e);
  }
  sockaddr_storage got{};
  socklen_t len = sizeof got;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&got), &len);
  ::close(s);
  return text_of(got);
}

// TCP connect to a listener; the local address it left from, or "errno:N".
std::string connected_from(const char* ip, int port) {
  auto a = address(ip, port);
  const int s = ::socket(a.ss_family, SOCK_STREAM, 0);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), length(a)) != 0) {
    const int e = errno;
    ::close(s);
    return "errno:" + std::to_string(e);
  }
  sockaddr_storage local{}, peer{};
  socklen_t len = sizeof local;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&local), &len);
  len = sizeof peer;
  ::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len);
  ::close(s);
  return text_of(local) + "->" + text_of(peer);
}

// A UDP datagram to the echo server; the source it saw, or "errno:N".
std::string sent_from(const char* ip, int port) {
  auto a = address(ip, port);
  const int s = ::socket(a.ss_family, SOCK_DGRAM, 0);
  timeval tv{2, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), length(a)) != 1) {
    const int e = errno;
    ::close(s);
    return "errno:" + std::to_string(e);
  }
  char buf[128] = {};
  const ssize_t n = ::recv(s, buf, sizeof buf - 1, 0);
  ::close(s);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "no answer";
}

// Listens on TCP and UDP at ip:port (and ip:port for UDP), answering each
// UDP datagram with its source address. Runs until killed.
[[noreturn]] void serve(const std::vector<std::pair<const char*, int>>& where) {
  std::vector<int> udp;
  for (const auto& [ip, port] : where) {
    auto a = address(ip, port);
    const int t = ::socket(a.ss_family, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(t, reinterpret_cast<sockaddr*>(&a), length(a)) != 0 || ::listen(t, 16) != 0)
      ::_exit(3);
    const int u = ::socket(a.ss_family, SOCK_DGRAM, 0);
    if (::bind(u, reinterpret_cast<sockaddr*>(&a), length(a)) != 0) ::_exit(4);
    udp.push_back(u);
  }
  while (true) {
    fd_set set;
    FD_ZERO(&set);
    int top = 0;
    for (int u : udp) {
      FD_SET(u, &set);
      top = std::max(top, u);
    }
    if (::select(top + 1, &set, nullptr, nullptr, nullptr) <= 0) continue;
    for (int u : udp) {
      if (!FD_ISSET(u, &set)) continue;
      char buf[16];
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      if (::recvfrom(u, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len) <= 0)
        continue;
      const auto text = text_of(from);
      ::sendto(u, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
}

int run_quietly(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// In the child: its own network namespace with the test's addresses, a
// server outside the cgroup, then the child joins the cgroup and tries.
[[noreturn]] void confined_child(int out, const fs::path& cgroup) {
  if (::unshare(CLONE_NEWNET) != 0) ::_exit(10);
  if (run_quietly({"ip", "link", "set", "lo", "up"}) != 0) ::_exit(11);
  for (const char* a : {"10.66.0.5/32", "10.66.0.9/32"})
    if (run_quietly({"ip", "addr", "add", a, "dev", "lo"}) != 0) ::_exit(12);
  for (const char* a : {"fd00:66::5/128", "fd00:66::9/128"})
    if (run_quietly({"ip", "addr", "add", a, "dev", "lo", "nodad"}) != 0) ::_exit(13);
  const pid_t server = ::fork();
  if (server == 0) serve({{"10.66.0.9", 7000}, {"fd00:66::9", 7000}, {"10.66.0.5", 7002}});
  ::usleep(200 * 1000);
  {
    std::ofstream procs(cgroup / "cgroup.procs");
    procs << ::getpid();
  }
  std::ostringstream r;
  r << "bind_any4=" << bound(AF_INET, SOCK_STREAM, "0.0.0.0") << "\n";
  r << "bind_own4=" << bound(AF_INET, SOCK_STREAM, "10.66.0.5") << "\n";
  r << "bind_host4=" << bound(AF_INET, SOCK_STREAM, "10.66.0.9") << "\n";
  r << "bind_lo4=" << bound(AF_INET, SOCK_DGRAM, "127.0.0.1") << "\n";
  r << "bind_any6=" << bound(AF_INET6, SOCK_STREAM, "::") << "\n";
  r << "bind_host6=" << bound(AF_INET6, SOCK_STREAM, "fd00:66::9") << "\n";
  r << "bind_mapped_host=" << bound(AF_INET6, SOCK_STREAM, "::ffff:10.66.0.9") << "\n";
  r << "connect4=" << connected_from("10.66.0.9", 7000) << "\n";
  r << "connect6=" << connected_from("fd00:66::9", 7000) << "\n";
  r << "connect_lo=" << connected_from("127.0.0.1", 7002) << "\n";
  r << "udp4=" << sent_from("10.66.0.9", 7000) << "\n";
  r << "udp6=" << sent_from("fd00:66::9", 7000) << "\n";
  const auto text = r.str();
  ssize_t ignored = ::write(out, text.data(), text.size());
  (void)ignored;
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  ::_exit(0);
}

}  // namespace

TEST_CASE("socket hooks: a process of the jail binds, connects and sends only as the jail",
          "[system]") {
  systest::require_prerequisites();
  std::string why;
  REQUIRE(fs::exists(fs::path(unified) / "cgroup.procs"));
  REQUIRE(socket_hooks_supported(&why));
  const fs::path cgroup = fs::path(unified) / (systest::prefix() + "-sockhooks");
  fs::create_directory(cgroup);
  struct remove_dir {
    fs::path p;
    ~remove_dir() { ::rmdir(p.c_str()); }
  } cleanup{cgroup};
  std::string problem;
  auto addresses = jail_addresses_of({"lo|10.66.0.5/32"}, {"fd00:66::5"}, &problem);
  REQUIRE(addresses);
  const int dir = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dir >= 0);
  attach_socket_hooks(dir, socket_hooks_for(*addresses));
  ::close(dir);

  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    confined_child(pipe_fds[1], cgroup);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int st = 0;
  ::waitpid(child, &st, 0);
  INFO(text);
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  auto v = systest::key_value_lines(text);
  // The wildcard and loopback become the jail's address; the host's are refused.
  CHECK(v["bind_any4"] == "10.66.0.5");
  CHECK(v["bind_own4"] == "10.66.0.5");
  CHECK(v["bind_host4"] == "errno:1");
  CHECK(v["bind_lo4"] == "10.66.0.5");
  CHECK(v["bind_any6"] == "fd00:66::5");
  CHECK(v["bind_host6"] == "errno:1");
  CHECK(v["bind_mapped_host"] == "errno:1");
  // Connections and datagrams leave from the jail's address.
  CHECK(v["connect4"] == "10.66.0.5->10.66.0.9");
  CHECK(v["connect6"] == "fd00:66::5->fd00:66::9");
  CHECK(v["connect_lo"] == "10.66.0.5->10.66.0.5");
  CHECK(v["udp4"] == "10.66.0.5");
  CHECK(v["udp6"] == "fd00:66::5");
}

TEST_CASE("socket hooks: the verifier takes them for every mix of address families",
          "[system]") {
  systest::require_prerequisites();
  REQUIRE(socket_hooks_supported(nullptr));
  std::string problem;
  for (const auto& [v4, v6] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{"10.66.0.5"}, {}}, {{}, {"fd00::5"}}, {{"10.0.0.1", "10.0.0.2"}, {"fd00::1", "fd00::2"}}}) {
    auto addrs = jail_addresses_of(v4, v6, &problem);
    REQUIRE(addrs);
    const fs::path cgroup = fs::path(unified) / (systest::prefix() + "-sockmix");
    fs::create_directory(cgroup);
    const int dir = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_NOTHROW(attach_socket_hooks(dir, socket_hooks_for(*addrs)));
    ::close(dir);
    ::rmdir(cgroup.c_str());
  }
}
