// Whole directory trees, for roots and releases (issue 16): copied with
// reflinks where the file system can, removed without ever following a
// symbolic link or crossing into a mount, and btrfs subvolumes made,
// snapshotted and destroyed.
//
// Every walk is descriptor-relative (openat, fstatat, unlinkat with
// O_NOFOLLOW / AT_SYMLINK_NOFOLLOW): a jail's root holds what jail root
// wrote, and a name that was a directory may be a symbolic link to the host's
// /etc by the time the walk reaches it; a walk by path would follow it.
// Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace jaild::host::linux_host {

struct tree_totals {
  std::uint64_t bytes = 0;          // of regular files
  std::uint64_t files = 0;          // entries of every kind
  std::uint64_t reflinked = 0;      // regular files shared with the source (FICLONE)
  std::uint64_t flags_cleared = 0;  // immutable / append-only flags cleared (remove)
};

// Copies the tree at `from` into `to`, which must not exist and is made
// here; ownership, modes, times, hard links, device nodes, FIFOs, symbolic
// links and extended attributes as they are. Regular files are reflinked
// when `reflink` and the file system can, else copied. A directory that is
// a mount point is made, not entered. With `into`, `to` is an empty
// directory that exists (a new subvolume) and gets `from`'s owner, mode and
// times. Throws std::system_error naming the path.
tree_totals copy_tree(const std::filesystem::path& from, const std::filesystem::path& to,
                      bool reflink, bool into = false);

// Removes the tree at `path` (a missing one is success): clears immutable
// and append-only flags where they stop an unlink, destroys btrfs
// subvolumes it finds (the root itself too), never follows a symbolic link,
// and refuses (std::system_error EBUSY) a directory that is a mount point.
tree_totals remove_tree(const std::filesystem::path& path);

// The names in the directory `dirfd` (not "." and ".."), read through a
// duplicate of the descriptor; whether `fd` is the root of a mount. For the
// descriptor-relative walks of other files (archive.cpp).
std::vector<std::string> directory_entries(int dirfd, const std::string& where);
bool is_mount_point(int fd);

// Counts what is in a tree (bytes of regular files and entries), without
// following links.
tree_totals measure_tree(const std::filesystem::path& path);

// The file system type of `dir` ("btrfs", "ext4", ...; "unknown" with the
// magic number in hex when unnamed).
std::string filesystem_of(const std::filesystem::path& dir);
// Whether a regular file made in `dir` can be reflinked there (a probe with
// two unnamed files).
bool reflink_works(const std::filesystem::path& dir);

// btrfs: a new empty subvolume at `path`; a snapshot of the subvolume `from`
// at `to` (read-only when asked); whether `path` is a subvolume's root.
void btrfs_create_subvolume(const std::filesystem::path& path);
void btrfs_snapshot(const std::filesystem::path& from, const std::filesystem::path& to,
                    bool read_only);
bool btrfs_is_subvolume(const std::filesystem::path& path);
void btrfs_set_read_only(const std::filesystem::path& path);

}  // namespace jaild::host::linux_host
