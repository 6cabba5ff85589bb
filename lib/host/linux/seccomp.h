// The confinement profile's seccomp rules compiled into the classic BPF
// program the kernel takes (libseccomp), once per distinct rule set, for the
// jail's init (launcher.cpp installs it just before exec) and for the helper
// that enters a running jail (which gets it as a sealed memfd). Thread-safe.
#pragma once

#include <linux/filter.h>

#include <memory>
#include <vector>

#include "lib/host/linux/confinement.h"
#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {

class seccomp_program {
 public:
  explicit seccomp_program(std::vector<sock_filter> code);
  const std::vector<sock_filter>& code() const { return code_; }
  sock_fprog fprog() const;
  // A sealed memfd holding the instructions; owned by the program (never close it).
  int memfd() const { return memfd_.get(); }

 private:
  std::vector<sock_filter> code_;
  unique_fd memfd_;
};

// The program for these rules (every call not named is allowed); the same
// object for the same rules. Throws std::system_error when libseccomp cannot
// build it. The program covers the native architecture and its 32-bit
// companions (i386 and x32 on x86_64, arm on aarch64).
std::shared_ptr<const seccomp_program> compile_seccomp(const std::vector<seccomp_rule>& rules);

}  // namespace jaild::host::linux_host
