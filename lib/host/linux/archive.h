// jaild's archives of a jail (issue 16, point 5): a zstd-compressed POSIX
// tar (pax) written and read with libarchive, whose first member is
// `jaild-archive.json` (the format, the spec, what the root was made from)
// and whose other members are the root's entries under `root/`.
//
// Writing walks the root descriptor-relative without following a link or
// entering a mount below it (as tree.h's walks), streaming: each compressed
// block goes to the sink as it is made, nothing is held but that block.
//
// Reading treats the archive as hostile: every member must be `root/...`
// with no empty, "." or ".." component; each member's parent is opened
// below the new root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so
// a member written through a symbolic link (one the archive made a moment
// before, say) is refused, not followed; a hard link must name a member
// already extracted, resolved the same way; device nodes are not made (a
// jail's /dev is jaild's) and are counted; setuid and setgid bits are kept
// only with `keep_setid` (the caller's check that no user of the host but
// root can reach the new root: a setuid-root file there would otherwise be
// the host's), else cleared, and counted either way. Any refusal throws jaild::error archive_invalid, and the caller
// removes what was extracted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace jaild::host::linux_host {

struct archive_totals {
  std::uint64_t bytes = 0;            // of regular files
  std::uint64_t entries = 0;          // members of the root, of every kind
  std::uint64_t devices_skipped = 0;  // device nodes not made (reading)
  std::uint64_t setid = 0;            // setuid / setgid files
  bool setid_kept = true;             // reading: whether their bits were kept
};

// The first member's name.
inline constexpr const char* archive_manifest_name = "jaild-archive.json";

// Writes `manifest` and the tree at `root` to `sink`, zstd-compressed.
// `sink` may throw to stop (the client went away); `progress` is called
// with the bytes of regular files read so far, now and then.
archive_totals write_root_archive(const std::filesystem::path& root, const std::string& manifest,
                                  const std::function<void(const char*, std::size_t)>& sink,
                                  const std::function<void(std::uint64_t)>& progress = {});

// The manifest of the archive in `file` (its first member, at most 1 MiB).
// Throws archive_invalid when the file is not a jaild archive.
std::string read_archive_manifest(const std::filesystem::path& file);

// Extracts the root members of the archive in `file` into `into`, an empty
// directory that exists, as described above.
archive_totals extract_root_archive(const std::filesystem::path& file,
                                    const std::filesystem::path& into, bool keep_setid);

}  // namespace jaild::host::linux_host
