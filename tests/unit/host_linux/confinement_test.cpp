#include "lib/host/linux/confinement.h"

#include <linux/capability.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <catch2/catch.hpp>

using namespace jaild;
using namespace jaild::host::linux_host;

namespace {

bool keeps(const model::jail_spec& s, int cap) {
  return (confinement_for(s).capabilities >> cap) & 1;
}

bool refuses(const confinement_profile& p, const std::string& call) {
  return std::any_of(p.rules.begin(), p.rules.end(),
                     [&](const seccomp_rule& r) { return r.syscall == call; });
}

}  // namespace

TEST_CASE("confinement: jail root keeps Docker's default set, without MKNOD", "[host_linux]") {
  model::jail_spec s;
  for (int cap :
       {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID,
        CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_AUDIT_WRITE, CAP_SETFCAP})
    CHECK(keeps(s, cap));
  // What issue 12 found jail root still had, and everything else outside the set.
  for (int cap : {CAP_LINUX_IMMUTABLE, CAP_NET_BROADCAST, CAP_IPC_LOCK, CAP_IPC_OWNER,
                  CAP_SYS_PTRACE, CAP_SYS_NICE, CAP_LEASE, CAP_MKNOD, CAP_SYS_ADMIN, CAP_NET_ADMIN,
                  CAP_NET_RAW, CAP_DAC_READ_SEARCH, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_TIME,
                  CAP_SYS_RESOURCE, CAP_BPF, CAP_PERFMON, CAP_SYSLOG})
    CHECK_FALSE(keeps(s, cap));
  CHECK(capability_text(confinement_for(s).capabilities) ==
        "CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT "
        "AUDIT_WRITE SETFCAP");
}

TEST_CASE("confinement: the network privileges follow FreeBSD's", "[host_linux]") {
  model::jail_spec vnet;
  vnet.vnet = model::vnet_spec{};
  CHECK(keeps(vnet, CAP_NET_ADMIN));  // its own stack to configure
  CHECK(keeps(vnet, CAP_NET_RAW));    // VIMAGE gives a VNET jail raw sockets
  model::jail_spec shared;
  shared.ip4 = {"em0|10.1.2.3/24"};
  CHECK_FALSE(keeps(shared, CAP_NET_RAW));
  CHECK_FALSE(refuses(confinement_for(shared), "socket"));
  shared.params["allow.raw_sockets"] = true;
  CHECK(keeps(shared, CAP_NET_RAW));
  CHECK_FALSE(keeps(shared, CAP_NET_ADMIN));
  // Raw IP sockets on the host's stack, but no packet sockets there.
  auto p = confinement_for(shared);
  auto it = std::find_if(p.rules.begin(), p.rules.end(),
                         [](const seccomp_rule& r) { return r.syscall == "socket"; });
  REQUIRE(it != p.rules.end());
  CHECK(it->arg == 0);
  CHECK(it->equal);
  CHECK(it->value == 17);  // AF_PACKET
  // An empty stack of its own (no address at all): nothing of the host to see.
  model::jail_spec empty;
  empty.params["allow.raw_sockets"] = true;
  CHECK_FALSE(refuses(confinement_for(empty), "socket"));
}

TEST_CASE("confinement: allow.* and confinement.capabilities widen it on purpose", "[host_linux]") {
  model::jail_spec s;
  s.params["allow.chflags"] = true;
  s.params["allow.mlock"] = "1";
  CHECK(keeps(s, CAP_LINUX_IMMUTABLE));
  CHECK(keeps(s, CAP_IPC_LOCK));
  CHECK(confinement_warnings(s).empty());
  s.confinement.capabilities = {"SYS_PTRACE", "SYS_NICE"};
  CHECK(keeps(s, CAP_SYS_PTRACE));
  CHECK(keeps(s, CAP_SYS_NICE));
  // The calls those capabilities are for are let through with them.
  auto p = confinement_for(s);
  CHECK_FALSE(refuses(p, "kcmp"));
  CHECK_FALSE(refuses(p, "mbind"));
  CHECK(refuses(p, "mount"));
  CHECK(confinement_warnings(s).empty());  // neither reaches the host
  s.params["allow.mount"] = true;
  CHECK(keeps(s, CAP_SYS_ADMIN));
  CHECK_FALSE(refuses(confinement_for(s), "mount"));
  CHECK(refuses(confinement_for(s), "keyctl"));  // not namespaced, whatever jail root holds
  REQUIRE(confinement_warnings(s).size() == 1);
  CHECK(confinement_warnings(s)[0].find("CAP_SYS_ADMIN") != std::string::npos);
  s.confinement.capabilities = {"DAC_READ_SEARCH"};
  auto w = confinement_warnings(s);
  CHECK(std::any_of(w.begin(), w.end(), [](const std::string& x) {
    return x.find("DAC_READ_SEARCH") != std::string::npos &&
           x.find("open_by_handle_at") != std::string::npos;
  }));
  CHECK_FALSE(refuses(confinement_for(s), "open_by_handle_at"));
}

TEST_CASE("confinement: the default filter refuses what is not namespaced", "[host_linux]") {
  model::jail_spec s;
  auto p = confinement_for(s);
  CHECK(p.seccomp);
  CHECK(p.no_new_privs);
  for (const char* call : {"add_key",
                           "keyctl",
                           "request_key",
                           "open_by_handle_at",
                           "init_module",
                           "finit_module",
                           "kexec_load",
                           "mount",
                           "umount2",
                           "fsopen",
                           "move_mount",
                           "open_tree",
                           "setns",
                           "pivot_root",
                           "swapon",
                           "bpf",
                           "perf_event_open",
                           "io_uring_setup",
                           "clock_settime",
                           "settimeofday",
                           "syslog",
                           "userfaultfd",
                           "reboot",
                           "acct",
                           "iopl"})
    CHECK(refuses(p, call));
  for (const char* call : {"ptrace", "process_vm_readv", "chroot", "execve", "personality"})
    CHECK_FALSE(refuses(p, call));
  // User namespaces: by the flag, on clone and unshare; clone3 gets ENOSYS.
  int user_rules = 0;
  for (const auto& r : p.rules) {
    if ((r.syscall == "clone" || r.syscall == "unshare") && r.mask == CLONE_NEWUSER) ++user_rules;
    if (r.syscall == "clone3") CHECK(r.error == ENOSYS);
    if (r.syscall == "ioctl") CHECK((r.value == TIOCSTI || r.value == TIOCLINUX));
  }
  CHECK(user_rules == 2);
  s.confinement.seccomp = false;
  s.confinement.no_new_privs = false;
  p = confinement_for(s);
  CHECK_FALSE(p.seccomp);
  CHECK(p.rules.empty());
  CHECK_FALSE(p.no_new_privs);
  CHECK_FALSE(confinement_warnings(s).empty());
}

TEST_CASE("confinement: capability lists", "[host_linux]") {
  CHECK(capability_list(0b1010, 40) == std::vector<int>{1, 3});
  CHECK(capability_list(1ull << 40, 39).empty());
  CHECK(capability_text(0b11) == "CHOWN DAC_OVERRIDE");
}
