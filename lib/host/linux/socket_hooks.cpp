#include "lib/host/linux/socket_hooks.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {
namespace {

constexpr const char* license = "Dual BSD/GPL";

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

// The program's fd; throws with the verifier's words when it is refused.
unique_fd load(const socket_hook& h) {
  auto attempt = [&](char* log, std::uint32_t log_size) {
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
    attr.expected_attach_type = h.attach;
    attr.insns = reinterpret_cast<std::uint64_t>(h.code.data());
    attr.insn_cnt = static_cast<std::uint32_t>(h.code.size());
    attr.license = reinterpret_cast<std::uint64_t>(license);
    const std::string name = "jaild_" + h.name;
    std::strncpy(attr.prog_name, name.c_str(), sizeof attr.prog_name - 1);
    if (log) {
      attr.log_buf = reinterpret_cast<std::uint64_t>(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return static_cast<int>(bpf(BPF_PROG_LOAD, attr));
  };
  int fd = attempt(nullptr, 0);
  if (fd >= 0) return unique_fd(fd);
  const int err = errno;
  std::string log(1 << 16, '\0');
  if (attempt(log.data(), static_cast<std::uint32_t>(log.size())) >= 0) return unique_fd(-1);
  log.resize(std::strlen(log.c_str()));
  throw std::system_error(err, std::generic_category(),
                          "loading the " + h.name + " socket hook" +
                              (log.empty() ? std::string() : ": " + log));
}

}  // namespace

void attach_socket_hooks(int cgroup_fd, const std::vector<socket_hook>& hooks) {
  for (const auto& h : hooks) {
    unique_fd prog = load(h);
    if (!prog) throw std::system_error(EIO, std::generic_category(), "loading " + h.name);
    bpf_attr attr{};
    attr.target_fd = static_cast<std::uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
    attr.attach_type = h.attach;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, attr) != 0)
      throw std::system_error(errno, std::generic_category(), "attaching the " + h.name +
                                                                  " socket hook");
  }
}

bool socket_hooks_supported(std::string* why) {
  static std::once_flag once;
  static bool ok = false;
  static std::string reason;
  std::call_once(once, [] {
    jail_addresses a;
    a.v4.push_back({10, 0, 0, 1});
    try {
      for (const auto& h : socket_hooks_for(a)) (void)load(h);
      ok = true;
    } catch (const std::system_error& e) {
      reason = e.what();
    }
  });
  if (!ok && why) *why = reason;
  return ok;
}

}  // namespace jaild::host::linux_host
