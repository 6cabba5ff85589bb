// The Host port's provisioning vocabulary (issue 16): adding a release to
// jaild's releases directory, and making and removing the root of a jail
// from one. host.h's provisioning calls take these; the engine chooses every
// path (RELEASES_DIR/NAME, JAILS_DIR/NAME, JAILS_DIR/.jaild-TAG/NAME) and keeps
// the record of what it made, so that it never removes a root it did not make.
//
// A root is not a ledger object: the reconciler removes orphaned ledger
// objects after a crash, and a jail's files are the one thing it must never
// remove on its own. The overlay that a thin root mounts at each start is one
// (object_kind::mount), and goes at the stop like every other mount.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/model/jail_spec.h"

namespace jaild::host {

struct release_import {
  std::string name;
  std::filesystem::path source;  // an archive (tar, compressed or not) or a directory
  std::filesystem::path target;  // RELEASES_DIR/NAME; must not exist
  std::string sha256;            // expected digest of an archive; "" = not checked
};

// What import_release() made.
struct release_contents {
  std::string kind;              // "archive" | "directory"
  std::string sha256;            // of the archive ("" for a directory)
  std::uint64_t bytes = 0;       // of the regular files in the copy
  std::uint64_t files = 0;       // entries of every kind in the copy
};

// What a directory's file system can do for roots made in it (GET /v1/info).
struct storage_info {
  std::string filesystem;        // "btrfs", "ext4", "zfs", "ufs", "tmpfs", ...
  std::string thick;             // how a thick root is copied: "reflink" | "copy" | "extract"
  bool thin = false;             // thin roots (overlayfs / nullfs) can be mounted here
  bool clone = false;            // clones (btrfs snapshots / ZFS clones) can be made here
  std::string why_not_clone;     // one sentence when clone is false
};

// ---- Snapshots of a root that jaild made (issue 16, point 4).

// How the roots of one kind are snapshotted here, with the backend's limits
// (GET /v1/info says them, and a snapshot's record names its backend).
struct snapshot_support {
  std::string mode;               // the root mode this is for: "thick" | "thin" | "clone"
  std::string backend;            // "btrfs" | "copy" | "layer" | "zfs"; "" = none
  std::string scope;              // what a snapshot holds, one sentence
  bool while_running = false;     // whether a running jail can be snapshotted
  bool cheap = false;             // copy-on-write: O(1) in the root's size
  // Whether a rollback to an older snapshot keeps the later ones (ZFS's
  // rollback -r destroys them; jaild's copies and btrfs snapshots do not).
  bool keeps_later = true;
  std::string why_not;            // one sentence when backend is ""
};

nlohmann::json snapshot_support_to_json(const snapshot_support& s);

struct snapshot_info {
  std::string name;
  std::string backend;
  std::int64_t created = 0;       // Unix seconds
  std::uint64_t bytes = 0;        // of regular files in it (shared blocks counted)
  std::uint64_t files = 0;        // entries of every kind
};

struct root_request {
  std::string jail;
  model::root_mode mode = model::root_mode::thick;
  std::filesystem::path release;   // RELEASES_DIR/NAME: the release's own files
  std::filesystem::path path;      // the jail's root (spec.path); must not exist
  // jaild's own directory for this root, never inside it and never reachable
  // from the jail: a thin root's upper and work directories live here.
  std::filesystem::path private_dir;
};

// ---- Archives of a jail (issue 16, point 5): its spec and its root, one
// stream (GET /v1/jails/{name}/archive, POST /v1/jails/import-archive).
struct archive_info {
  std::string format;                 // "tar+zstd" (Linux)
  std::uint64_t bytes = 0;            // of regular files
  std::uint64_t entries = 0;          // members of the root
  std::uint64_t devices_skipped = 0;  // device nodes not made (import)
  std::uint64_t setid = 0;            // setuid / setgid files
  bool setid_kept = true;             // import: whether their bits were kept
};

}  // namespace jaild::host
