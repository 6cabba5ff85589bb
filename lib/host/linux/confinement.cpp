#include "lib/host/linux/confinement.h"

#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "lib/host/linux/isolation.h"
#include "lib/model/capability.h"

namespace jaild::host::linux_host {
namespace {

constexpr std::uint64_t bit(int cap) {
  return std::uint64_t{1} << cap;
}

// Docker's default set (moby's oci/caps/defaults.go) without MKNOD and NET_RAW.
constexpr std::uint64_t base_capabilities =
    bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FOWNER) | bit(CAP_FSETID) | bit(CAP_KILL) |
    bit(CAP_SETGID) | bit(CAP_SETUID) | bit(CAP_SETPCAP) | bit(CAP_NET_BIND_SERVICE) |
    bit(CAP_SYS_CHROOT) | bit(CAP_AUDIT_WRITE) | bit(CAP_SETFCAP);

// System calls refused unless jail root holds one of `unless` (the
// capability that the call needs anyway, as Docker's profile gates them);
// `unless` = 0: refused whatever jail root holds.
struct gated_call {
  const char* name;
  std::uint64_t unless;
};

constexpr std::uint64_t sys_admin = bit(CAP_SYS_ADMIN);

const gated_call gated_calls[] = {
    // Not namespaced: one kernel-wide keyring per uid, shared with the host's root.
    {"add_key", 0},
    {"keyctl", 0},
    {"request_key", 0},
    // A large kernel surface that no jail needs; Docker refuses it too.
    {"io_uring_setup", 0},
    {"io_uring_enter", 0},
    {"io_uring_register", 0},
    // Obsolete or never namespaced.
    {"nfsservctl", 0},
    {"uselib", 0},
    {"ustat", 0},
    {"sysfs", 0},
    {"_sysctl", 0},
    {"vm86", 0},
    {"vm86old", 0},
    {"kexec_load", 0},
    {"kexec_file_load", 0},
    // Modules.
    {"init_module", bit(CAP_SYS_MODULE)},
    {"finit_module", bit(CAP_SYS_MODULE)},
    {"delete_module", bit(CAP_SYS_MODULE)},
    {"create_module", bit(CAP_SYS_MODULE)},
    {"query_module", bit(CAP_SYS_MODULE)},
    {"get_kernel_syms", bit(CAP_SYS_MODULE)},
    // Mounts and namespaces (allow.mount gives CAP_SYS_ADMIN).
    {"mount", sys_admin},
    {"umount", sys_admin},
    {"umount2", sys_admin},
    {"pivot_root", sys_admin},
    {"fsopen", sys_admin},
    {"fsconfig", sys_admin},
    {"fsmount", sys_admin},
    {"fspick", sys_admin},
    {"move_mount", sys_admin},
    {"open_tree", sys_admin},
    {"mount_setattr", sys_admin},
    {"setns", sys_admin},
    {"swapon", sys_admin},
    {"swapoff", sys_admin},
    {"quotactl", sys_admin},
    {"quotactl_fd", sys_admin},
    {"lookup_dcookie", sys_admin},
    {"fanotify_init", sys_admin},
    // The file system's own root, whatever the jail's root is: the escape
    // that issue 12 found.
    {"open_by_handle_at", bit(CAP_DAC_READ_SEARCH)},
    {"bpf", bit(CAP_BPF) | sys_admin},
    {"perf_event_open", bit(CAP_PERFMON) | sys_admin},
    {"syslog", bit(CAP_SYSLOG) | sys_admin},
    {"acct", bit(CAP_SYS_PACCT)},
    {"reboot", bit(CAP_SYS_BOOT)},
    {"iopl", bit(CAP_SYS_RAWIO)},
    {"ioperm", bit(CAP_SYS_RAWIO)},
    {"settimeofday", bit(CAP_SYS_TIME)},
    {"stime", bit(CAP_SYS_TIME)},
    {"clock_settime", bit(CAP_SYS_TIME)},
    {"clock_adjtime", bit(CAP_SYS_TIME)},
    {"vhangup", bit(CAP_SYS_TTY_CONFIG)},
    {"kcmp", bit(CAP_SYS_PTRACE)},
    {"userfaultfd", bit(CAP_SYS_PTRACE)},
    {"mbind", bit(CAP_SYS_NICE)},
    {"set_mempolicy", bit(CAP_SYS_NICE)},
    {"move_pages", bit(CAP_SYS_NICE)},
    {"migrate_pages", bit(CAP_SYS_NICE)},
};

// Capabilities that let jail root reach the host, and how.
struct dangerous_capability {
  int cap;
  const char* why;
};
const dangerous_capability dangerous[] = {
    {CAP_SYS_ADMIN, "mounts, namespaces and most of what host root can do"},
    {CAP_SYS_MODULE, "loading kernel modules"},
    {CAP_SYS_RAWIO, "raw access to devices and I/O ports"},
    {CAP_DAC_READ_SEARCH, "open_by_handle_at, which opens any file of the host's file systems"},
    {CAP_MKNOD, "device nodes of the host's disks and memory"},
    {CAP_SYS_TIME, "setting the host's clock"},
    {CAP_BPF, "loading BPF programs into the host's kernel"},
    {CAP_PERFMON, "tracing the host's processes and kernel"},
    {CAP_SYSLOG, "the host kernel's log and its addresses"},
    {CAP_MAC_ADMIN, "the host's MAC policy"},
    {CAP_MAC_OVERRIDE, "the host's MAC policy"},
    {CAP_AUDIT_CONTROL, "the host's audit rules"},
    {CAP_BLOCK_SUSPEND, "keeping the host from suspending"},
    {CAP_WAKE_ALARM, "waking the host"},
};

std::uint64_t added_capabilities(const model::jail_spec& spec) {
  std::uint64_t added = 0;
  for (const auto& name : spec.confinement.capabilities)
    if (auto n = model::capability_number(name); n && *n < 64) added |= bit(*n);
  return added;
}

}  // namespace

confinement_profile confinement_for(const model::jail_spec& spec) {
  confinement_profile p;
  std::uint64_t caps = base_capabilities;
  const bool vnet = spec.vnet.has_value();
  const bool shared_stack = !needs_own_netns(spec);
  if (vnet) caps |= bit(CAP_NET_ADMIN) | bit(CAP_NET_RAW);
  if (jail_param_true(spec.params, "allow.raw_sockets")) caps |= bit(CAP_NET_RAW);
  if (jail_param_true(spec.params, "allow.mount")) caps |= sys_admin;
  if (jail_param_true(spec.params, "allow.chflags")) caps |= bit(CAP_LINUX_IMMUTABLE);
  if (jail_param_true(spec.params, "allow.mlock")) caps |= bit(CAP_IPC_LOCK);
  caps |= added_capabilities(spec);
  p.capabilities = caps;
  p.no_new_privs = spec.confinement.no_new_privs;
  p.seccomp = spec.confinement.seccomp;
  if (!p.seccomp) return p;

  for (const auto& g : gated_calls)
    if (g.unless == 0 || (caps & g.unless) == 0) p.rules.push_back({g.name, EPERM});
  // New user namespaces would give jail root every capability inside them,
  // and with them the kernel's whole namespaced surface.
  p.rules.push_back({"unshare", EPERM, 0, CLONE_NEWUSER});
  p.rules.push_back({"clone", EPERM, 0, CLONE_NEWUSER});
  // clone3 passes its flags in memory, which a filter cannot read: ENOSYS
  // makes the C library fall back to clone, whose flags it can.
  p.rules.push_back({"clone3", ENOSYS});
  // Typing into the terminal of whoever reads the jail's console.
  p.rules.push_back({"ioctl", EPERM, 1, 0, true, TIOCSTI});
  p.rules.push_back({"ioctl", EPERM, 1, 0, true, TIOCLINUX});
  // On the host's network stack, a packet socket sees the host's traffic;
  // allow.raw_sockets there means IP raw sockets, as on FreeBSD.
  if (shared_stack && (caps & bit(CAP_NET_RAW)))
    p.rules.push_back({"socket", EPERM, 0, 0, true, 17 /* AF_PACKET */});
  return p;
}

std::vector<std::string> confinement_warnings(const model::jail_spec& spec) {
  std::vector<std::string> out;
  const auto added = added_capabilities(spec);
  for (const auto& d : dangerous)
    if (added & bit(d.cap))
      out.push_back("confinement.capabilities " +
                    std::string(model::capability_names()[static_cast<std::size_t>(d.cap)]) +
                    " lets jail root reach the host: " + d.why);
  if (jail_param_true(spec.params, "allow.mount"))
    out.push_back(
        "allow.mount gives jail root CAP_SYS_ADMIN on Linux, which lets it reach the host "
        "(mounts, namespaces); FreeBSD's allow.mount is narrower");
  if ((added & bit(CAP_NET_ADMIN)) && !spec.vnet)
    out.push_back(
        "confinement.capabilities NET_ADMIN on a jail that shares the host's network stack "
        "lets jail root reconfigure the host's network");
  if (!spec.confinement.seccomp)
    out.push_back(
        "confinement.seccomp \"unconfined\": jail root can use the kernel keyring (shared with "
        "the host's root), user namespaces and io_uring");
  return out;
}

std::vector<int> capability_list(std::uint64_t mask, int last) {
  std::vector<int> out;
  for (int c = 0; c <= last && c < 64; ++c)
    if (mask & bit(c)) out.push_back(c);
  return out;
}

std::string capability_text(std::uint64_t mask) {
  std::string out;
  const auto& names = model::capability_names();
  for (std::size_t c = 0; c < names.size(); ++c)
    if (mask & bit(static_cast<int>(c))) {
      if (!out.empty()) out += ' ';
      out += names[c];
    }
  return out;
}

}  // namespace jaild::host::linux_host
