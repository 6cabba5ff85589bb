#include "lib/host/linux/seccomp.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>

namespace jaild::host::linux_host {
namespace {

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err < 0 ? -err : err, std::generic_category(), "seccomp: " + what);
}

std::vector<sock_filter> build(const std::vector<seccomp_rule>& rules) {
  scmp_filter_ctx ctx = ::seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) fail(ENOMEM, "seccomp_init");
  struct releaser {
    scmp_filter_ctx c;
    ~releaser() { ::seccomp_release(c); }
  } release{ctx};
  // Exporting never installs; no_new_privs is the caller's decision.
  ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  const uint32_t native = ::seccomp_arch_native();
  std::vector<uint32_t> companions;
  if (native == SCMP_ARCH_X86_64) companions = {SCMP_ARCH_X86, SCMP_ARCH_X32};
  if (native == SCMP_ARCH_AARCH64) companions = {SCMP_ARCH_ARM};
  for (uint32_t arch : companions)
    if (int rc = ::seccomp_arch_add(ctx, arch); rc != 0 && rc != -EEXIST)
      fail(rc, "seccomp_arch_add");
  for (const auto& r : rules) {
    const int nr = ::seccomp_syscall_resolve_name(r.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not a call of this architecture
    scmp_arg_cmp cmp{};
    unsigned count = 0;
    if (r.arg >= 0) {
      cmp.arg = static_cast<unsigned>(r.arg);
      if (r.equal) {
        cmp.op = SCMP_CMP_EQ;
        cmp.datum_a = r.value;
      } else {
        cmp.op = SCMP_CMP_MASKED_EQ;
        cmp.datum_a = r.mask;
        cmp.datum_b = r.mask;
      }
      count = 1;
    }
    int rc = ::seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(static_cast<uint16_t>(r.error)), nr,
                                      count, count ? &cmp : nullptr);
    if (rc != 0) fail(rc, "rule for " + r.syscall);
  }
  unique_fd out(::memfd_create("jaild-seccomp-export", MFD_CLOEXEC));
  if (!out) fail(errno, "memfd");
  if (int rc = ::seccomp_export_bpf(ctx, out.get()); rc != 0) fail(rc, "export");
  const off_t size = ::lseek(out.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) fail(EIO, "export size");
  std::vector<sock_filter> code(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(out.get(), code.data(), static_cast<std::size_t>(size), 0) != size)
    fail(errno ? errno : EIO, "read back");
  return code;
}

}  // namespace

seccomp_program::seccomp_program(std::vector<sock_filter> code) : code_(std::move(code)) {
  memfd_.reset(::memfd_create("jaild-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd_) fail(errno, "memfd");
  const auto bytes = code_.size() * sizeof(sock_filter);
  if (::write(memfd_.get(), code_.data(), bytes) != static_cast<ssize_t>(bytes))
    fail(errno ? errno : EIO, "write memfd");
  // Nothing may change the filter that every exec into a jail installs.
  if (::fcntl(memfd_.get(), F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    fail(errno, "seal memfd");
}

sock_fprog seccomp_program::fprog() const {
  sock_fprog p{};
  p.len = static_cast<unsigned short>(code_.size());
  p.filter = const_cast<sock_filter*>(code_.data());
  return p;
}

std::shared_ptr<const seccomp_program> compile_seccomp(const std::vector<seccomp_rule>& rules) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const seccomp_program>> cache;
  std::string key;
  for (const auto& r : rules)
    key += r.syscall + ":" + std::to_string(r.error) + ":" + std::to_string(r.arg) + ":" +
           std::to_string(r.mask) + ":" + std::to_string(r.equal) + ":" + std::to_string(r.value) +
           ";";
  std::lock_guard lock(mutex);
  auto& slot = cache[key];
  if (!slot) slot = std::make_shared<seccomp_program>(build(rules));
  return slot;
}

}  // namespace jaild::host::linux_host
