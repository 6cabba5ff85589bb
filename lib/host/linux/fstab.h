// fstab(5) lines of mount.fstab and `mount` as the Linux adapter mounts them
// on the host before the jail starts: nullfs becomes a bind mount (read-only
// with "ro"), tmpfs stays tmpfs; procfs, devfs and fdescfs are skipped because
// every Linux jail gets its own /proc and /dev. Pure parsing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::host::linux_host {

struct fstab_entry {
  std::string source;
  std::string target;
  std::string fstype;
  std::vector<std::string> options;

  bool read_only() const;
  bool skipped() const;    // procfs, devfs, fdescfs, linprocfs, linsysfs
  bool supported() const;  // nullfs, tmpfs, or skipped
  // tmpfs options that mean something to Linux ("size=64m", "mode=1777").
  std::string tmpfs_data() const;
};

// One line; nullopt for a blank or comment line. *problem is set (and nullopt
// returned) for a line with fewer than three fields.
std::optional<fstab_entry> parse_fstab_line(std::string_view line, std::string* problem);

// Every entry of a spec: `mount` lines, then the lines of the mount.fstab text.
std::vector<fstab_entry> parse_fstab(const std::vector<std::string>& lines,
                                     std::string_view fstab_text, std::string* problem);

}  // namespace jaild::host::linux_host
