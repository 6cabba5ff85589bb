#include "lib/model/capability.h"

#include <cctype>

namespace jaild::model {

const std::vector<std::string_view>& capability_names() {
  static const std::vector<std::string_view> names{"CHOWN",
                                                   "DAC_OVERRIDE",
                                                   "DAC_READ_SEARCH",
                                                   "FOWNER",
                                                   "FSETID",
                                                   "KILL",
                                                   "SETGID",
                                                   "SETUID",
                                                   "SETPCAP",
                                                   "LINUX_IMMUTABLE",
                                                   "NET_BIND_SERVICE",
                                                   "NET_BROADCAST",
                                                   "NET_ADMIN",
                                                   "NET_RAW",
                                                   "IPC_LOCK",
                                                   "IPC_OWNER",
                                                   "SYS_MODULE",
                                                   "SYS_RAWIO",
                                                   "SYS_CHROOT",
                                                   "SYS_PTRACE",
                                                   "SYS_PACCT",
                                                   "SYS_ADMIN",
                                                   "SYS_BOOT",
                                                   "SYS_NICE",
                                                   "SYS_RESOURCE",
                                                   "SYS_TIME",
                                                   "SYS_TTY_CONFIG",
                                                   "MKNOD",
                                                   "LEASE",
                                                   "AUDIT_WRITE",
                                                   "AUDIT_CONTROL",
                                                   "SETFCAP",
                                                   "MAC_OVERRIDE",
                                                   "MAC_ADMIN",
                                                   "SYSLOG",
                                                   "WAKE_ALARM",
                                                   "BLOCK_SUSPEND",
                                                   "AUDIT_READ",
                                                   "PERFMON",
                                                   "BPF",
                                                   "CHECKPOINT_RESTORE"};
  return names;
}

std::optional<int> capability_number(std::string_view name) {
  std::string upper;
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  std::string_view n = upper;
  if (n.starts_with("CAP_")) n.remove_prefix(4);
  const auto& names = capability_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == n) return static_cast<int>(i);
  return std::nullopt;
}

std::string canonical_capability(std::string_view name) {
  auto n = capability_number(name);
  return n ? std::string(capability_names()[static_cast<std::size_t>(*n)]) : std::string();
}

}  // namespace jaild::model
