#include "lib/host/linux/resolve.h"

#include <fcntl.h>

#include <vector>

namespace jaild::host::linux_host {
namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const std::size_t start = i;
    while (i < path.size() && path[i] != '/') ++i;
    if (i > start) out.push_back(path.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::optional<std::string> path_below(const std::string& root, const std::string& path) {
  if (root.empty() || root[0] != '/' || path.empty() || path[0] != '/') return std::nullopt;
  const auto r = components(root);
  const auto p = components(path);
  if (p.size() <= r.size()) return std::nullopt;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r[i] != p[i]) return std::nullopt;
  std::string out;
  for (std::size_t i = r.size(); i < p.size(); ++i) {
    if (p[i] == "." || p[i] == "..") return std::nullopt;
    out += (out.empty() ? "" : "/") + p[i];
  }
  return out;
}

unique_fd open_below(const std::string& root, const std::string& relative, int flags, mode_t mode,
                     bool in_root) {
  unique_fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return dir;
  const std::uint64_t resolve =
      in_root ? (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
              : (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  return unique_fd(openat2_raw(dir.get(), relative.c_str(),
                               static_cast<std::uint64_t>(flags | O_CLOEXEC), mode, resolve));
}

std::string below_error(const std::string& relative, int err) {
  if (err == ELOOP)
    return relative + ": a symbolic link below the jail's path (refused, as jail(8) does)";
  if (err == EXDEV) return relative + ": leads out of the jail's path";
  return relative + ": " + errno_text(err);
}

}  // namespace jaild::host::linux_host
