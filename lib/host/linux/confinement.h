// The confinement profile of a Linux jail, decided from its spec (pure
// functions): the capabilities jail root keeps, the system calls the seccomp
// filter refuses, and whether what jaild runs into the jail may gain
// privileges. docs/security.md explains each choice and its FreeBSD
// counterpart.
//
// The default is Docker's capability set without MKNOD (a FreeBSD jail cannot
// make device nodes either), NET_ADMIN and NET_RAW for VNET jails (FreeBSD
// gives a VNET jail the network privileges of its own stack), NET_RAW
// elsewhere only with allow.raw_sockets, and a seccomp filter modelled on
// Docker's and Podman's: what is not namespaced (the kernel keyring, modules,
// the clock, kexec, swap, accounting), what jail root needs a capability for
// anyway (mount, setns, bpf, perf), what has no business in a jail (user
// namespaces, io_uring, terminal injection) and, in a jail that shares the
// host's network stack, packet sockets (they would see the host's traffic).
// jail(8)'s allow.* parameters and the spec's confinement field widen it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/model/jail_spec.h"

namespace jaild::host::linux_host {

// One system call the filter refuses, optionally only for some arguments:
// when `mask` is non-zero, only calls whose argument `arg` has every bit of
// `mask` set ((arg & mask) == mask), or, with `equal`, whose argument equals
// `value`.
struct seccomp_rule {
  std::string syscall;
  int error = 1;  // errno returned (EPERM); ENOSYS for clone3
  int arg = -1;   // -1: every call
  std::uint64_t mask = 0;
  bool equal = false;
  std::uint64_t value = 0;

  bool operator==(const seccomp_rule&) const = default;
};

struct confinement_profile {
  std::uint64_t capabilities = 0;   // kept by jail root (bit N = capability N)
  bool seccomp = true;              // the filter applies
  std::vector<seccomp_rule> rules;  // what the filter refuses (empty without seccomp)
  bool no_new_privs = true;         // for what jaild runs into the jail

  bool operator==(const confinement_profile&) const = default;
};

confinement_profile confinement_for(const model::jail_spec& spec);

// What the spec widens in a way that lets jail root reach the host (a
// capability that breaks the jail open, seccomp off), one sentence each.
std::vector<std::string> confinement_warnings(const model::jail_spec& spec);

// The capability numbers set in a mask, up to `last` (cap_last_cap).
std::vector<int> capability_list(std::uint64_t mask, int last);

// "CHOWN DAC_OVERRIDE ..." for the journal.
std::string capability_text(std::uint64_t mask);

}  // namespace jaild::host::linux_host
