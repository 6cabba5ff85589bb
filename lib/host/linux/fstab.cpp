#include "lib/host/linux/fstab.h"

#include <algorithm>

namespace jaild::host::linux_host {
namespace {

std::vector<std::string> fields(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

bool fstab_entry::read_only() const {
  return std::find(options.begin(), options.end(), "ro") != options.end();
}

bool fstab_entry::skipped() const {
  return fstype == "procfs" || fstype == "devfs" || fstype == "fdescfs" || fstype == "linprocfs" ||
         fstype == "linsysfs";
}

bool fstab_entry::supported() const {
  return fstype == "nullfs" || fstype == "tmpfs" || skipped();
}

std::string fstab_entry::tmpfs_data() const {
  std::string out;
  for (const auto& o : options)
    if (o.rfind("size=", 0) == 0 || o.rfind("mode=", 0) == 0 || o.rfind("uid=", 0) == 0 ||
        o.rfind("gid=", 0) == 0 || o.rfind("nr_inodes=", 0) == 0)
      out += (out.empty() ? "" : ",") + o;
  return out;
}

std::optional<fstab_entry> parse_fstab_line(std::string_view line, std::string* problem) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  auto f = fields(line);
  if (f.empty()) return std::nullopt;
  if (f.size() < 3) {
    if (problem)
      *problem = "fstab line '" + std::string(line) + "' needs at least source, target and type";
    return std::nullopt;
  }
  fstab_entry e{f[0], f[1], f[2], {}};
  if (f.size() > 3) {
    std::string_view opts = f[3];
    while (!opts.empty()) {
      auto comma = opts.find(',');
      e.options.emplace_back(opts.substr(0, comma));
      if (comma == std::string_view::npos) break;
      opts.remove_prefix(comma + 1);
    }
  }
  return e;
}

std::vector<fstab_entry> parse_fstab(const std::vector<std::string>& lines,
                                     std::string_view fstab_text, std::string* problem) {
  std::vector<fstab_entry> out;
  auto take = [&](std::string_view line) {
    std::string why;
    auto e = parse_fstab_line(line, &why);
    if (e)
      out.push_back(std::move(*e));
    else if (!why.empty() && problem && problem->empty())
      *problem = why;
  };
  for (const auto& l : lines) take(l);
  while (!fstab_text.empty()) {
    auto nl = fstab_text.find('\n');
    take(fstab_text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    fstab_text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace jaild::host::linux_host
