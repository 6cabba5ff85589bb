#include "lib/host/jail_path.h"

namespace jaild::host {
namespace {

std::vector<std::string> split(const std::string& path) {
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

std::optional<std::vector<std::string>> components_below(const std::string& root,
                                                         const std::string& path) {
  if (root.empty() || root[0] != '/' || path.empty() || path[0] != '/') return std::nullopt;
  const auto r = split(root);
  auto p = split(path);
  if (p.size() < r.size()) return std::nullopt;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r[i] != p[i]) return std::nullopt;
  p.erase(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(r.size()));
  for (const auto& c : p)
    if (c == "." || c == "..") return std::nullopt;
  return p;
}

std::optional<std::string> path_below(const std::string& root, const std::string& path) {
  auto parts = components_below(root, path);
  if (!parts || parts->empty()) return std::nullopt;
  std::string out;
  for (const auto& c : *parts) out += (out.empty() ? "" : "/") + c;
  return out;
}

std::string check_path(const std::string& root, const std::string& path, bool may_be_missing,
                       const std::function<path_kind(const std::string&)>& kind_of) {
  const auto parts = components_below(root, path);
  if (!parts) return path + " is not a path below the jail's path " + root;
  std::string walked = root == "/" ? "" : root;
  while (walked.size() > 1 && walked.back() == '/') walked.pop_back();
  for (std::size_t i = 0; i < parts->size(); ++i) {
    walked += "/" + (*parts)[i];
    const bool last = i + 1 == parts->size();
    switch (kind_of(walked)) {
      case path_kind::missing:
        if (last && may_be_missing) return "";
        return walked + " does not exist";
      case path_kind::symlink:
        return walked + " is a symbolic link (jail(8) refuses one below the jail's path, "
                        "and so does jaild)";
      case path_kind::other:
        if (!last) return walked + " is not a directory";
        break;
      case path_kind::directory:
        break;
    }
  }
  return "";
}

}  // namespace jaild::host
