#include "lib/host/linux/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {
namespace {

namespace fs = std::filesystem;

// The first inode number of every btrfs subvolume (BTRFS_FIRST_FREE_OBJECTID).
constexpr ino_t btrfs_subvolume_ino = 256;

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// A directory opened without following a link at its last component.
unique_fd open_dir_at(int dirfd, const char* name) {
  return unique_fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// The entries of a directory, read through a duplicate of its descriptor.
std::vector<std::string> entries_of(int dirfd, const std::string& where) {
  const int copy = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) fail(errno, where);
  DIR* d = ::fdopendir(copy);
  if (!d) {
    const int err = errno;
    ::close(copy);
    fail(err, where);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> dir(d, ::closedir);
  ::rewinddir(d);
  std::vector<std::string> out;
  while (auto* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.emplace_back(e->d_name);
  }
  return out;
}

bool is_mount_root(int fd) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &sx) != 0) return false;
  return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

bool on_btrfs(int fd) {
  struct statfs sf {};
  return ::fstatfs(fd, &sf) == 0 && static_cast<unsigned long>(sf.f_type) == BTRFS_SUPER_MAGIC;
}

void copy_xattrs(int from, int to, const std::string& where) {
  const ssize_t size = ::flistxattr(from, nullptr, 0);
  if (size <= 0) return;
  std::string names(static_cast<std::size_t>(size), '\0');
  const ssize_t got = ::flistxattr(from, names.data(), names.size());
  if (got <= 0) return;
  names.resize(static_cast<std::size_t>(got));
  for (std::size_t i = 0; i < names.size();) {
    const char* name = names.c_str() + i;
    i += std::strlen(name) + 1;
    const ssize_t vsize = ::fgetxattr(from, name, nullptr, 0);
    if (vsize < 0) continue;
    std::string value(static_cast<std::size_t>(vsize), '\0');
    const ssize_t vgot = ::fgetxattr(from, name, value.data(), value.size());
    if (vgot < 0) continue;
    if (::fsetxattr(to, name, value.data(), static_cast<std::size_t>(vgot), 0) != 0 &&
        errno != ENOTSUP)
      fail(errno, where + ": extended attribute " + name);
  }
}

void copy_contents(int in, int out, bool reflink, tree_totals& t, const std::string& where) {
  if (reflink && ::ioctl(out, FICLONE, in) == 0) {
    ++t.reflinked;
    return;
  }
  for (;;) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
      fail(errno, where);
    break;
  }
  // A plain copy from wherever copy_file_range stopped.
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno, where);
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        fail(errno, where);
      }
      done += w;
    }
  }
}

struct copier {
  bool reflink;
  int root_out;  // the target's root: hard links are made relative to it
  tree_totals totals;
  std::map<std::pair<dev_t, ino_t>, std::string> linked;  // first path of each multiply linked file

  // Ownership, mode and times of a node just made (named `name` in `dirfd`),
  // in that order: chown clears the set-id bits.
  void finish(int dirfd, const char* name, const struct stat& st, const std::string& where) {
    if (::fchownat(dirfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
      fail(errno, where + ": chown");
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dirfd, name, st.st_mode & 07777, 0) != 0)
      fail(errno, where + ": chmod");
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) != 0) fail(errno, where + ": times");
  }

  void copy_dir(int in, int out, const std::string& rel) {
    for (const auto& name : entries_of(in, rel)) {
      const std::string where = rel.empty() ? name : rel + "/" + name;
      const char* n = name.c_str();
      struct stat st {};
      if (::fstatat(in, n, &st, AT_SYMLINK_NOFOLLOW) != 0) fail(errno, where);
      ++totals.files;
      if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(out, n, 0700) != 0) fail(errno, where);
        unique_fd child_in = open_dir_at(in, n);
        if (!child_in) fail(errno, where);
        if (!is_mount_root(child_in.get())) {
          unique_fd child_out = open_dir_at(out, n);
          if (!child_out) fail(errno, where);
          copy_dir(child_in.get(), child_out.get(), where);
          copy_xattrs(child_in.get(), child_out.get(), where);
        }
        finish(out, n, st, where);
      } else if (S_ISREG(st.st_mode)) {
        const auto key = std::make_pair(st.st_dev, st.st_ino);
        if (st.st_nlink > 1) {
          if (auto it = linked.find(key); it != linked.end()) {
            if (::linkat(root_out, it->second.c_str(), out, n, 0) != 0) fail(errno, where);
            continue;
          }
          linked.emplace(key, where);
        }
        unique_fd src(::openat(in, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
        if (!src) fail(errno, where);
        unique_fd dst(::openat(out, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!dst) fail(errno, where);
        copy_contents(src.get(), dst.get(), reflink, totals, where);
        totals.bytes += static_cast<std::uint64_t>(st.st_size);
        if (::fchown(dst.get(), st.st_uid, st.st_gid) != 0) fail(errno, where + ": chown");
        if (::fchmod(dst.get(), st.st_mode & 07777) != 0) fail(errno, where + ": chmod");
        copy_xattrs(src.get(), dst.get(), where);  // after chown, which drops file capabilities
        const struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (::futimens(dst.get(), times) != 0) fail(errno, where + ": times");
      } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
        const ssize_t len = ::readlinkat(in, n, target.data(), target.size());
        if (len < 0) fail(errno, where);
        target.resize(static_cast<std::size_t>(len));
        if (::symlinkat(target.c_str(), out, n) != 0) fail(errno, where);
        finish(out, n, st, where);
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
        if (::mknodat(out, n, st.st_mode & (S_IFMT | 0600), st.st_rdev) != 0) fail(errno, where);
        finish(out, n, st, where);
      }
      // Sockets are left out: nothing can listen on a copy of one.
    }
  }
};

void clear_flags(int fd, tree_totals& t) {
  int flags = 0;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return;
  const int stuck = FS_IMMUTABLE_FL | FS_APPEND_FL;
  if (!(flags & stuck)) return;
  flags &= ~stuck;
  if (::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0) ++t.flags_cleared;
}

bool destroy_subvolume(int parent, const char* name) {
  btrfs_ioctl_vol_args args{};
  std::strncpy(args.name, name, BTRFS_PATH_NAME_MAX);
  return ::ioctl(parent, BTRFS_IOC_SNAP_DESTROY, &args) == 0;
}

void remove_entry(int parent, const char* name, const std::string& where, tree_totals& t);

void remove_dir(int parent, const char* name, const std::string& where, tree_totals& t) {
  unique_fd dir = open_dir_at(parent, name);
  if (!dir) {
    if (errno == ENOENT) return;
    fail(errno, where);
  }
  if (is_mount_root(dir.get()))
    fail(EBUSY, where + " is a mount point; unmount it first");
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) fail(errno, where);
  // A whole subvolume goes in one call, unless it holds subvolumes itself.
  if (st.st_ino == btrfs_subvolume_ino && on_btrfs(dir.get())) {
    dir.reset();
    if (destroy_subvolume(parent, name)) {
      ++t.files;
      return;
    }
    dir = open_dir_at(parent, name);
    if (!dir) fail(errno, where);
  }
  clear_flags(dir.get(), t);
  for (const auto& child : entries_of(dir.get(), where))
    remove_entry(dir.get(), child.c_str(), where + "/" + child, t);
  dir.reset();
  if (::unlinkat(parent, name, AT_REMOVEDIR) == 0) {
    ++t.files;
    return;
  }
  const int err = errno;
  if (destroy_subvolume(parent, name)) {
    ++t.files;
    return;
  }
  fail(err, where);
}

void remove_entry(int parent, const char* name, const std::string& where, tree_totals& t) {
  struct stat st {};
  if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    fail(errno, where);
  }
  if (S_ISDIR(st.st_mode)) return remove_dir(parent, name, where, t);
  if (::unlinkat(parent, name, 0) == 0) {
    ++t.files;
    return;
  }
  if (errno == ENOENT) return;
  if (errno != EPERM || !S_ISREG(st.st_mode)) fail(errno, where);
  // chattr -i: only on the regular file that was stat'ed (never a device,
  // whose open could do something).
  unique_fd f(::openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat again {};
  if (!f || ::fstat(f.get(), &again) != 0 || again.st_ino != st.st_ino || !S_ISREG(again.st_mode))
    fail(EPERM, where);
  clear_flags(f.get(), t);
  if (::unlinkat(parent, name, 0) != 0) fail(errno, where);
  ++t.files;
}

void measure(int dir, tree_totals& t, const std::string& where) {
  for (const auto& name : entries_of(dir, where)) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    ++t.files;
    if (S_ISREG(st.st_mode)) t.bytes += static_cast<std::uint64_t>(st.st_size);
    if (S_ISDIR(st.st_mode)) {
      unique_fd child = open_dir_at(dir, name.c_str());
      if (child && !is_mount_root(child.get())) measure(child.get(), t, where + "/" + name);
    }
  }
}

// The parent of `path` (opened as the admin's path) and the last component.
std::pair<unique_fd, std::string> split(const fs::path& path) {
  const auto clean = path.lexically_normal();
  auto name = clean.filename().string();
  if (name.empty()) name = clean.parent_path().filename().string();
  if (name.empty() || name == "." || name == "..") fail(EINVAL, path.string());
  unique_fd parent(::open(clean.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) fail(errno, clean.parent_path().string());
  return {std::move(parent), name};
}

}  // namespace

std::vector<std::string> directory_entries(int dirfd, const std::string& where) {
  return entries_of(dirfd, where);
}

bool is_mount_point(int fd) { return is_mount_root(fd); }

tree_totals copy_tree(const fs::path& from, const fs::path& to, bool reflink, bool into) {
  unique_fd in(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) fail(errno, from.string());
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) fail(errno, from.string());
  auto [parent, name] = split(to);
  if (!into && ::mkdirat(parent.get(), name.c_str(), 0700) != 0) fail(errno, to.string());
  unique_fd out = open_dir_at(parent.get(), name.c_str());
  if (!out) fail(errno, to.string());
  copier c{reflink, out.get(), {}, {}};
  c.copy_dir(in.get(), out.get(), "");
  copy_xattrs(in.get(), out.get(), to.string());
  c.finish(parent.get(), name.c_str(), st, to.string());
  return c.totals;
}

tree_totals remove_tree(const fs::path& path) {
  tree_totals t;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path.lexically_normal().parent_path(), ec)))
    return t;  // nor anything below it
  auto [parent, name] = split(path);
  remove_entry(parent.get(), name.c_str(), path.string(), t);
  return t;
}

tree_totals measure_tree(const fs::path& path) {
  tree_totals t;
  unique_fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) fail(errno, path.string());
  measure(dir.get(), t, path.string());
  return t;
}

std::string filesystem_of(const fs::path& dir) {
  struct statfs sf {};
  if (::statfs(dir.c_str(), &sf) != 0) return "unknown";
  switch (static_cast<unsigned long>(sf.f_type)) {
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case XFS_SUPER_MAGIC: return "xfs";
    case TMPFS_MAGIC: return "tmpfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlay";
    case 0x2fc12fc1: return "zfs";
    default: return fmt::format("unknown (0x{:x})", static_cast<unsigned long>(sf.f_type));
  }
}

bool reflink_works(const fs::path& dir) {
  unique_fd a(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  unique_fd b(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!a || !b) return false;
  if (::write(a.get(), "jaild", 5) != 5) return false;
  return ::ioctl(b.get(), FICLONE, a.get()) == 0;
}

void btrfs_create_subvolume(const fs::path& path) {
  auto [parent, name] = split(path);
  btrfs_ioctl_vol_args args{};
  if (name.size() > BTRFS_PATH_NAME_MAX) fail(ENAMETOOLONG, path.string());
  std::strncpy(args.name, name.c_str(), BTRFS_PATH_NAME_MAX);
  if (::ioctl(parent.get(), BTRFS_IOC_SUBVOL_CREATE, &args) != 0) fail(errno, path.string());
}

void btrfs_snapshot(const fs::path& from, const fs::path& to, bool read_only) {
  unique_fd source(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!source) fail(errno, from.string());
  auto [parent, name] = split(to);
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = source.get();
  if (read_only) args.flags = BTRFS_SUBVOL_RDONLY;
  if (name.size() > BTRFS_SUBVOL_NAME_MAX) fail(ENAMETOOLONG, to.string());
  std::strncpy(args.name, name.c_str(), BTRFS_SUBVOL_NAME_MAX);
  if (::ioctl(parent.get(), BTRFS_IOC_SNAP_CREATE_V2, &args) != 0)
    fail(errno, from.string() + " -> " + to.string());
}

void btrfs_set_read_only(const fs::path& path) {
  unique_fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) fail(errno, path.string());
  std::uint64_t flags = 0;
  if (::ioctl(dir.get(), BTRFS_IOC_SUBVOL_GETFLAGS, &flags) != 0) fail(errno, path.string());
  flags |= BTRFS_SUBVOL_RDONLY;
  if (::ioctl(dir.get(), BTRFS_IOC_SUBVOL_SETFLAGS, &flags) != 0) fail(errno, path.string());
}

bool btrfs_is_subvolume(const fs::path& path) {
  unique_fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  return dir && ::fstat(dir.get(), &st) == 0 && st.st_ino == btrfs_subvolume_ino &&
         on_btrfs(dir.get());
}

}  // namespace jaild::host::linux_host
