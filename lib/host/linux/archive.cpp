#include "lib/host/linux/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/host/linux/resolve.h"
#include "lib/host/linux/sys.h"
#include "lib/host/linux/tree.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t manifest_limit = 1 << 20;

[[noreturn]] void fail_sys(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

[[noreturn]] void refuse(const std::string& why) {
  throw error(errc::archive_invalid, "the archive is refused: " + why + "; nothing was made");
}

struct archive_deleter {
  void operator()(struct archive* a) const {
    if (a) ::archive_free(a);
  }
};
using archive_ptr = std::unique_ptr<struct archive, archive_deleter>;

struct entry_deleter {
  void operator()(archive_entry* e) const {
    if (e) ::archive_entry_free(e);
  }
};
using entry_ptr = std::unique_ptr<archive_entry, entry_deleter>;

// Extended attributes that go into an archive and come out of one: the
// user's, file capabilities and ACLs. trusted.* (overlayfs's own, among
// others) and security labels stay with the host they were made on.
bool portable_xattr(std::string_view name) {
  return name.starts_with("user.") || name == "security.capability" ||
         name == "system.posix_acl_access" || name == "system.posix_acl_default";
}

void add_xattrs(int fd, archive_entry* e) {
  const ssize_t size = ::flistxattr(fd, nullptr, 0);
  if (size <= 0) return;
  std::string names(static_cast<std::size_t>(size), '\0');
  const ssize_t got = ::flistxattr(fd, names.data(), names.size());
  if (got <= 0) return;
  names.resize(static_cast<std::size_t>(got));
  for (std::size_t i = 0; i < names.size();) {
    const char* name = names.c_str() + i;
    i += std::strlen(name) + 1;
    if (!portable_xattr(name)) continue;
    const ssize_t vsize = ::fgetxattr(fd, name, nullptr, 0);
    if (vsize < 0) continue;
    std::string value(static_cast<std::size_t>(vsize), '\0');
    const ssize_t vgot = ::fgetxattr(fd, name, value.data(), value.size());
    if (vgot < 0) continue;
    ::archive_entry_xattr_add_entry(e, name, value.data(), static_cast<std::size_t>(vgot));
  }
}

// ---- Writing.

struct writer {
  struct archive* a = nullptr;
  const std::function<void(const char*, std::size_t)>* sink = nullptr;
  const std::function<void(std::uint64_t)>* progress = nullptr;
  std::exception_ptr sink_error;
  std::map<std::pair<dev_t, ino_t>, std::string> links;
  archive_totals totals;
  std::uint64_t reported = 0;

  static la_ssize_t write_cb(struct archive*, void* self, const void* buf, std::size_t n) {
    auto* w = static_cast<writer*>(self);
    try {
      (*w->sink)(static_cast<const char*>(buf), n);
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      w->sink_error = std::current_exception();
      return -1;
    }
  }

  void check(int rc, const std::string& where) {
    if (rc >= ARCHIVE_WARN) return;
    if (sink_error) std::rethrow_exception(sink_error);
    const char* msg = ::archive_error_string(a);
    throw error(errc::host_failure, where + ": " + (msg ? msg : "libarchive failed"));
  }

  void header(archive_entry* e, const std::string& where) {
    check(::archive_write_header(a, e), where);
  }

  void data(const char* buf, std::size_t n, const std::string& where) {
    while (n > 0) {
      const la_ssize_t put = ::archive_write_data(a, buf, n);
      if (put < 0) check(ARCHIVE_FATAL, where);
      buf += put;
      n -= static_cast<std::size_t>(put);
    }
  }

  void entry(int dir, const std::string& name, const std::string& member) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return;  // gone meanwhile
      fail_sys(errno, member);
    }
    if (S_ISSOCK(st.st_mode)) return;  // nothing can listen on an archived socket
    entry_ptr e(::archive_entry_new());
    ::archive_entry_set_pathname(e.get(), member.c_str());
    ::archive_entry_copy_stat(e.get(), &st);
    ++totals.entries;
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      const ssize_t n = ::readlinkat(dir, name.c_str(), target.data(), target.size());
      if (n < 0) fail_sys(errno, member);
      target.resize(static_cast<std::size_t>(n));
      ::archive_entry_set_symlink(e.get(), target.c_str());
      return header(e.get(), member);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links.emplace(std::pair{st.st_dev, st.st_ino}, member);
      if (!first) {
        ::archive_entry_set_hardlink(e.get(), it->second.c_str());
        ::archive_entry_set_size(e.get(), 0);
        return header(e.get(), member);
      }
    }
    if (S_ISREG(st.st_mode)) {
      unique_fd f(::openat(dir, name.c_str(),
                           O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
      struct stat again {};
      if (!f || ::fstat(f.get(), &again) != 0 || again.st_ino != st.st_ino ||
          !S_ISREG(again.st_mode))
        fail_sys(f ? EAGAIN : errno, member + " changed while it was archived");
      add_xattrs(f.get(), e.get());
      header(e.get(), member);
      char buf[1 << 16];
      std::uint64_t left = static_cast<std::uint64_t>(st.st_size);
      while (left > 0) {
        const ssize_t n = ::read(f.get(), buf, sizeof buf);
        if (n < 0) {
          if (errno == EINTR) continue;
          fail_sys(errno, member);
        }
        if (n == 0) break;  // shrank meanwhile: libarchive pads the member
        const auto take = std::min<std::uint64_t>(left, static_cast<std::uint64_t>(n));
        data(buf, static_cast<std::size_t>(take), member);
        left -= take;
        totals.bytes += take;
        if (progress && *progress && totals.bytes - reported >= (8u << 20)) {
          reported = totals.bytes;
          (*progress)(totals.bytes);
        }
      }
      if (st.st_mode & (S_ISUID | S_ISGID)) ++totals.setid;
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      unique_fd child(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) fail_sys(errno, member);
      add_xattrs(child.get(), e.get());
      header(e.get(), member);
      // A mount point below the root is archived as its directory, not
      // entered (what is mounted there is not the jail's root).
      if (!is_mount_point(child.get())) walk(child.get(), member);
      return;
    }
    header(e.get(), member);  // FIFOs and device nodes: the entry alone
  }

  void walk(int dir, const std::string& prefix) {
    for (const auto& name : directory_entries(dir, prefix)) entry(dir, name, prefix + "/" + name);
  }
};

// ---- Reading.

struct reader_state {
  archive_ptr a;
  std::string file;
};

reader_state open_reader(const fs::path& file) {
  reader_state r{archive_ptr(::archive_read_new()), file.string()};
  if (!r.a) throw error(errc::host_failure, "libarchive: out of memory");
  ::archive_read_support_filter_zstd(r.a.get());
  ::archive_read_support_format_tar(r.a.get());
  if (::archive_read_open_filename(r.a.get(), r.file.c_str(), 1 << 16) != ARCHIVE_OK) {
    const char* msg = ::archive_error_string(r.a.get());
    refuse(fmt::format("it is not a zstd-compressed tar ({})", msg ? msg : "unreadable"));
  }
  return r;
}

archive_entry* next_header(struct archive* a) {
  archive_entry* e = nullptr;
  const int rc = ::archive_read_next_header(a, &e);
  if (rc == ARCHIVE_EOF) return nullptr;
  if (rc < ARCHIVE_WARN) {
    const char* msg = ::archive_error_string(a);
    refuse(fmt::format("it is damaged or truncated ({})", msg ? msg : "unreadable"));
  }
  return e;
}

// "root/a/b" -> "a/b"; "root" -> "". Refuses anything else, and any
// empty, "." or ".." component.
std::string relative_member(const char* raw) {
  if (!raw) refuse("a member has no name");
  std::string name(raw);
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  if (name == "root") return {};
  if (!name.starts_with("root/"))
    refuse(fmt::format("member '{}' is not below root/ (an absolute path or a name of its own)",
                       name));
  std::string rel = name.substr(5);
  std::size_t start = 0;
  for (;;) {
    const auto slash = rel.find('/', start);
    const auto part = rel.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..")
      refuse(fmt::format("member '{}' has an empty, '.' or '..' component", name));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return rel;
}

// The directory that holds `rel` inside the root, opened without leaving the
// root and without following any symbolic link on the way.
unique_fd parent_of(int root, const std::string& rel, std::string& leaf) {
  const auto slash = rel.rfind('/');
  leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
  const std::string parent = slash == std::string::npos ? "." : rel.substr(0, slash);
  unique_fd fd(openat2_raw(root, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                               RESOLVE_NO_XDEV));
  if (!fd) {
    if (errno == ELOOP || errno == EXDEV || errno == ENOTDIR)
      refuse(fmt::format("member 'root/{}' goes through a symbolic link or a non-directory", rel));
    if (errno == ENOENT) refuse(fmt::format("member 'root/{}' comes before its directory", rel));
    fail_sys(errno, "root/" + rel);
  }
  return fd;
}

void set_xattrs(int fd, archive_entry* e, const std::string& where) {
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  ::archive_entry_xattr_reset(e);
  while (::archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (!name || !portable_xattr(name)) continue;
    if (::fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP)
      fail_sys(errno, where + ": extended attribute " + name);
  }
}

timespec mtime_of(archive_entry* e) {
  timespec t{};
  t.tv_sec = ::archive_entry_mtime(e);
  t.tv_nsec = ::archive_entry_mtime_nsec(e);
  return t;
}

struct dir_meta {
  std::string rel;
  uid_t uid;
  gid_t gid;
  mode_t mode;
  timespec mtime;
};

}  // namespace

archive_totals write_root_archive(const fs::path& root, const std::string& manifest,
                                  const std::function<void(const char*, std::size_t)>& sink,
                                  const std::function<void(std::uint64_t)>& progress) {
  unique_fd top(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!top) fail_sys(errno, root.string());
  archive_ptr a(::archive_write_new());
  if (!a) throw error(errc::host_failure, "libarchive: out of memory");
  writer w;
  w.a = a.get();
  w.sink = &sink;
  w.progress = &progress;
  w.check(::archive_write_add_filter_zstd(a.get()), "zstd");
  w.check(::archive_write_set_format_pax_restricted(a.get()), "pax");
  // Blocks of 64 KiB to the sink, the last one unpadded: zeros after the
  // zstd frame would read as a damaged second frame (zstd -t refuses them).
  w.check(::archive_write_set_bytes_per_block(a.get(), 64 * 1024), "block size");
  w.check(::archive_write_set_bytes_in_last_block(a.get(), 1), "last block");
  w.check(::archive_write_open(a.get(), &w, nullptr, &writer::write_cb, nullptr), "open");
  {
    entry_ptr e(::archive_entry_new());
    ::archive_entry_set_pathname(e.get(), archive_manifest_name);
    ::archive_entry_set_filetype(e.get(), AE_IFREG);
    ::archive_entry_set_perm(e.get(), 0644);
    ::archive_entry_set_size(e.get(), static_cast<la_int64_t>(manifest.size()));
    ::archive_entry_set_mtime(e.get(), ::time(nullptr), 0);
    w.header(e.get(), archive_manifest_name);
    w.data(manifest.data(), manifest.size(), archive_manifest_name);
  }
  {
    struct stat st {};
    if (::fstat(top.get(), &st) != 0) fail_sys(errno, root.string());
    entry_ptr e(::archive_entry_new());
    ::archive_entry_set_pathname(e.get(), "root");
    ::archive_entry_copy_stat(e.get(), &st);
    w.header(e.get(), "root");
  }
  w.walk(top.get(), "root");
  w.check(::archive_write_close(a.get()), "close");
  return w.totals;
}

std::string read_archive_manifest(const fs::path& file) {
  auto r = open_reader(file);
  auto* e = next_header(r.a.get());
  if (!e || !::archive_entry_pathname(e) ||
      std::strcmp(::archive_entry_pathname(e), archive_manifest_name) != 0 ||
      ::archive_entry_filetype(e) != AE_IFREG)
    refuse(fmt::format("its first member is not {}: not a jaild archive", archive_manifest_name));
  const auto size = ::archive_entry_size(e);
  if (size < 0 || static_cast<std::uint64_t>(size) > manifest_limit)
    refuse(fmt::format("{} is larger than 1 MiB", archive_manifest_name));
  std::string text(static_cast<std::size_t>(size), '\0');
  const auto got = ::archive_read_data(r.a.get(), text.data(), text.size());
  if (got != static_cast<la_ssize_t>(text.size())) refuse("its manifest is truncated");
  return text;
}

archive_totals extract_root_archive(const fs::path& file, const fs::path& into,
                                    bool keep_setid) {
  unique_fd root(::open(into.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) fail_sys(errno, into.string());
  auto r = open_reader(file);
  auto* first = next_header(r.a.get());
  if (!first || !::archive_entry_pathname(first) ||
      std::strcmp(::archive_entry_pathname(first), archive_manifest_name) != 0)
    refuse("not a jaild archive");
  archive_totals t;
  t.setid_kept = keep_setid;
  std::vector<dir_meta> dirs;
  std::optional<dir_meta> top;
  while (auto* e = next_header(r.a.get())) {
    const auto rel = relative_member(::archive_entry_pathname(e));
    const auto where = "root/" + rel;
    const auto type = ::archive_entry_filetype(e);
    const auto uid = static_cast<uid_t>(::archive_entry_uid(e));
    const auto gid = static_cast<gid_t>(::archive_entry_gid(e));
    auto mode = static_cast<mode_t>(::archive_entry_perm(e));
    if (mode & (S_ISUID | S_ISGID)) {
      if (type == AE_IFREG) ++t.setid;
      if (!keep_setid && type != AE_IFDIR) mode &= static_cast<mode_t>(~(S_ISUID | S_ISGID));
    }
    const char* hardlink = ::archive_entry_hardlink(e);
    if (rel.empty()) {
      if (type != AE_IFDIR) refuse("root is not a directory");
      top = dir_meta{"", uid, gid, mode, mtime_of(e)};
      continue;
    }
    std::string leaf;
    auto parent = parent_of(root.get(), rel, leaf);
    struct stat there {};
    const bool exists = ::fstatat(parent.get(), leaf.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(type == AE_IFDIR && !hardlink && S_ISDIR(there.st_mode)))
      refuse(fmt::format("member '{}' appears twice", where));
    ++t.entries;
    if (hardlink) {
      const auto target = relative_member(hardlink);
      if (target.empty()) refuse(fmt::format("member '{}' is a hard link to root", where));
      std::string tleaf;
      auto tparent = parent_of(root.get(), target, tleaf);
      if (::linkat(tparent.get(), tleaf.c_str(), parent.get(), leaf.c_str(), 0) != 0) {
        if (errno == ENOENT || errno == EPERM || errno == EXDEV)
          refuse(fmt::format("member '{}' is a hard link to '{}', which is not a file extracted "
                             "before it",
                             where, hardlink));
        fail_sys(errno, where);
      }
      continue;
    }
    switch (type) {
      case AE_IFDIR: {
        if (!exists && ::mkdirat(parent.get(), leaf.c_str(), 0700) != 0) fail_sys(errno, where);
        // Applied once everything is in (a 0555 directory still takes its
        // members meanwhile), deepest first.
        dirs.push_back({rel, uid, gid, mode, mtime_of(e)});
        unique_fd d(::openat(parent.get(), leaf.c_str(),
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) fail_sys(errno, where);
        set_xattrs(d.get(), e, where);
        break;
      }
      case AE_IFREG: {
        unique_fd f(::openat(parent.get(), leaf.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!f) fail_sys(errno, where);
        const void* buf = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
        for (;;) {
          const int rc = ::archive_read_data_block(r.a.get(), &buf, &size, &offset);
          if (rc == ARCHIVE_EOF) break;
          if (rc < ARCHIVE_WARN) {
            const char* msg = ::archive_error_string(r.a.get());
            refuse(fmt::format("member '{}' is damaged or truncated ({})", where,
                               msg ? msg : "unreadable"));
          }
          const char* p = static_cast<const char*>(buf);
          while (size > 0) {
            const ssize_t n = ::pwrite(f.get(), p, size, static_cast<off_t>(offset));
            if (n < 0) {
              if (errno == EINTR) continue;
              fail_sys(errno, where);
            }
            p += n;
            size -= static_cast<std::size_t>(n);
            offset += n;
            t.bytes += static_cast<std::uint64_t>(n);
          }
        }
        const auto total = ::archive_entry_size(e);
        if (total > 0 && ::ftruncate(f.get(), static_cast<off_t>(total)) != 0)
          fail_sys(errno, where);
        // Owner first: chown clears the setuid bits and file capabilities.
        if (::fchown(f.get(), uid, gid) != 0) fail_sys(errno, where);
        if (::fchmod(f.get(), mode) != 0) fail_sys(errno, where);
        set_xattrs(f.get(), e, where);
        const timespec times[2] = {mtime_of(e), mtime_of(e)};
        if (::futimens(f.get(), times) != 0) fail_sys(errno, where);
        break;
      }
      case AE_IFLNK: {
        const char* target = ::archive_entry_symlink(e);
        if (!target || !*target) refuse(fmt::format("member '{}' is a link to nothing", where));
        // Made as it is and never followed: jaild opens nothing through it.
        if (::symlinkat(target, parent.get(), leaf.c_str()) != 0) fail_sys(errno, where);
        if (::fchownat(parent.get(), leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
          fail_sys(errno, where);
        const timespec times[2] = {mtime_of(e), mtime_of(e)};
        if (::utimensat(parent.get(), leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
          fail_sys(errno, where);
        break;
      }
      case AE_IFIFO: {
        if (::mkfifoat(parent.get(), leaf.c_str(), 0600) != 0) fail_sys(errno, where);
        unique_fd f(::openat(parent.get(), leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!f) fail_sys(errno, where);
        if (::fchownat(f.get(), "", uid, gid, AT_EMPTY_PATH) != 0) fail_sys(errno, where);
        const std::string proc = "/proc/self/fd/" + std::to_string(f.get());
        if (::chmod(proc.c_str(), mode & 0777) != 0) fail_sys(errno, where);
        const timespec times[2] = {mtime_of(e), mtime_of(e)};
        if (::utimensat(parent.get(), leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
          fail_sys(errno, where);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
        // Never made: a device node in a root would hand the jail a host
        // device. A jail's /dev is the one jaild mounts.
        ++t.devices_skipped;
        --t.entries;
        break;
      default:
        refuse(fmt::format("member '{}' is of a kind jaild does not extract", where));
    }
  }
  if (!top) refuse("it has no root/ member");
  // Directories last, deepest first: owner, mode, times.
  dirs.push_back(*top);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    const auto where = "root/" + it->rel;
    unique_fd d(it->rel.empty()
                    ? unique_fd(::fcntl(root.get(), F_DUPFD_CLOEXEC, 0))
                    : unique_fd(openat2_raw(root.get(), it->rel.c_str(),
                                            O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                                RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)));
    if (!d) fail_sys(errno, where);
    if (::fchown(d.get(), it->uid, it->gid) != 0) fail_sys(errno, where);
    // No one but its owner writes the root directory itself.
    const mode_t mode = it->rel.empty() ? (it->mode & 0755) : it->mode;
    if (::fchmod(d.get(), mode) != 0) fail_sys(errno, where);
    const timespec times[2] = {it->mtime, it->mtime};
    if (::futimens(d.get(), times) != 0) fail_sys(errno, where);
  }
  return t;
}

}  // namespace jaild::host::linux_host
