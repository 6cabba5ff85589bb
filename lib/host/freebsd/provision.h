// Provisioning a jail's root on FreeBSD: a release's base.txz fetched once into
// a cache, extracted into a ZFS dataset per jail or a directory on UFS; thin
// jails as ZFS clones of a template's snapshot; and destroying a root, which
// clears file flags first (base.txz installs schg files that even root cannot
// remove otherwise). The argv of every step is a pure function, tested on
// Linux; `provisioner` runs them through the `system` interface and journals
// each step.
//
// Releases as the API adds them (POST /v1/releases, lib/host/provisioning.h)
// are kept as RELEASES_DIR/NAME/root, the extracted userland, beside the
// archives themselves (RELEASES_DIR/NAME/base.txz, ...), so that a thick root
// is extracted from the archive (tar keeps the flags and hard links that a
// copy would have to recreate) and a thin root mounts RELEASE/root read-only.
//
// The roots are deliberately not ledger objects: the reconciler removes
// orphaned ledger objects after a crash, and a jail's root is the one thing it
// must never remove on its own. A thin root's nullfs mount of the base is one
// (it goes at every stop).
#pragma once

#include <string>
#include <vector>

#include "lib/host/freebsd/system.h"
#include "lib/host/host.h"

namespace jaild::host::freebsd {

struct release_ref {
  std::string name;                                       // "13.2-RELEASE"
  std::string arch = "amd64";                             // URL segment: "amd64", "arm64/aarch64"
  std::string mirror = "https://download.freebsd.org/releases";
};

enum class root_storage { ufs_directory, zfs_dataset };

struct root_spec {
  std::string path;                                       // "/jail/classic"
  root_storage storage = root_storage::ufs_directory;
  std::string dataset;                                    // "zroot/jail/classic" (ZFS)
};

// Each returns the empty string when the value is good, else one sentence.
std::string check_release(const release_ref& r);
std::string check_root(const root_spec& root);
std::string check_snapshot(const std::string& snapshot);  // "pool/ds@name"

// https://download.freebsd.org/releases/amd64/13.2-RELEASE/base.txz
std::string release_url(const release_ref& r);
// CACHE/amd64/13.2-RELEASE/base.txz
std::string cached_base(const std::string& cache_dir, const release_ref& r);

// mkdir -p the cache directory, fetch(1) to base.txz.part, mv into place (a
// partial download never looks like a cached release).
std::vector<command> fetch_release_plan(const std::string& cache_dir, const release_ref& r);
// zfs create -p -o mountpoint=PATH DATASET (or mkdir -p PATH); tar -xpf
// BASE -C PATH --unlink; the host's resolv.conf; an empty /etc/fstab (the
// book: programs complain when it is missing).
std::vector<command> create_root_plan(const root_spec& root, const std::string& base_txz);
// zfs snapshot DATASET@NAME: a template for thin jails.
std::vector<command> snapshot_plan(const std::string& dataset, const std::string& name);
// zfs clone -o mountpoint=PATH SNAPSHOT DATASET: a thin jail.
std::vector<command> clone_root_plan(const root_spec& root, const std::string& snapshot);
// chflags -R 0 PATH, then zfs destroy -r DATASET or rm -rfx PATH. zfs destroy
// without -R refuses a dataset whose snapshots have clones, so a template
// with thin jails cannot be destroyed under them.
std::vector<command> destroy_root_plan(const root_spec& root);
// Why a root must not be destroyed now ("" = it may): "/" or a system
// directory, or something still mounted under it (rm would cross into a
// nullfs mount of host data; chflags would clear the host's flags).
std::string destroy_refusal(const root_spec& root, const std::vector<mounted>& mounts);

// ---- Releases from local files (the API's import_release).

// The archives of a release directory as they are given: base.txz and the
// optional lib32.txz, src.txz.
struct release_archives {
  std::string base;                  // "/tmp/14.1/base.txz"
  std::vector<std::string> extra;    // "/tmp/14.1/lib32.txz", ...
};

// The sha256 that a release's MANIFEST gives for `archive` ("base.txz"),
// or "" when it names none. MANIFEST lines: NAME TAB SHA256 TAB COUNT TAB ...
std::string manifest_digest(std::string_view manifest, std::string_view archive);

// mkdir -p TARGET.part/root; each archive copied into TARGET.part and
// extracted into TARGET.part/root (base first); mv TARGET.part TARGET.
std::vector<command> import_release_plan(const release_archives& archives,
                                         const std::string& target);
// pkgbase: pkg -r TARGET.part/root install -y PACKAGES (default
// FreeBSD-set-minimal-jail) from the host's FreeBSD-base repository; mv.
std::vector<command> pkgbase_release_plan(const std::string& target,
                                          const std::vector<std::string>& packages);

// ---- Roots from a release directory (RELEASE = RELEASES_DIR/NAME).

// thick: a dataset (or directory) with RELEASE/base.txz extracted into it
// (create_root_plan), or, for a pkgbase release, RELEASE/root copied.
std::vector<command> thick_root_plan(const root_spec& root, const std::string& release,
                                     bool pkgbase);
// thin, Bastille's layout: the read-only parts of the base (bin, lib, usr/bin,
// ...) are symbolic links into /.jaild-base, where the start mounts
// RELEASE/root read-only with nullfs; the writable parts (etc, root, var,
// tmp) are the jail's own copies, and usr/local its own empty directory.
std::vector<command> thin_root_plan(const root_spec& root, const std::string& release);
// The start's mount of a thin root's base, and the stop's unmount.
command thin_mount(const std::string& path, const std::string& release);
command thin_unmount(const std::string& path);
// clone: zfs snapshot RELEASE_DATASET@jaild (once per release), then
// clone_root_plan of it.
std::vector<command> release_snapshot_plan(const std::string& release_dataset);

// ---- Snapshots and archives of a root that is a ZFS dataset (issue 16,
// points 4 and 5), as zfs(8) on FreeBSD has them (zfs-snapshot(8),
// zfs-list(8), zfs-rollback(8), zfs-destroy(8), zfs-send(8), zfs-receive(8)).
// Every value is checked first (check_snapshot: no option, no second
// dataset); each throws jaild::error invalid_value when one is bad.

// zfs list -H -p -t snapshot -o name,creation,used,referenced -s creation
// -d 1 DATASET: the dataset's own snapshots (depth 1: not its children's),
// oldest first, tab-separated, numbers exact.
command snapshot_list_command(const std::string& dataset);
struct zfs_snapshot {
  std::string name;              // the part after '@'
  std::int64_t creation = 0;     // Unix seconds
  std::uint64_t used = 0;        // bytes only this snapshot holds
  std::uint64_t referenced = 0;  // bytes it refers to
};
// Lines of snapshot_list_command's output; lines of other datasets, and
// lines that do not parse, are left out.
std::vector<zfs_snapshot> parse_snapshot_list(std::string_view out, const std::string& dataset);
// zfs rollback DATASET@NAME: refused by zfs unless NAME is the newest
// snapshot; with destroy_later, zfs rollback -r, which destroys the
// snapshots (and bookmarks) newer than NAME. Never -R: a clone of a later
// snapshot is another jail's root.
command snapshot_rollback_command(const std::string& dataset, const std::string& name,
                                  bool destroy_later);
// zfs destroy DATASET@NAME (refused by zfs while a clone depends on it).
command snapshot_destroy_command(const std::string& dataset, const std::string& name);
// zfs send DATASET@NAME: a full stream on standard output, without the
// dataset's properties (its mountpoint is the sending host's).
command zfs_send_command(const std::string& dataset, const std::string& name);
// zfs receive -u -o mountpoint=PATH DATASET: a new dataset from a full
// stream on standard input, not mounted until the root is checked.
command zfs_receive_command(const std::string& dataset, const std::string& path);

class provisioner {
 public:
  explicit provisioner(system& sys) : sys_(sys) {}

  // Downloads base.txz unless the cache has it; returns its path.
  std::string fetch_release(const std::string& cache_dir, const release_ref& r, journal& steps);
  // Refuses a root that already has a userland (PATH/bin exists) or a dataset
  // that exists.
  void create_root(const root_spec& root, const std::string& base_txz, journal& steps);
  void snapshot(const std::string& dataset, const std::string& name, journal& steps);
  void clone_root(const root_spec& root, const std::string& snapshot, journal& steps);
  void destroy_root(const root_spec& root, journal& steps);

 private:
  void run_all(const std::vector<command>& plan, journal& steps);
  system& sys_;
};

}  // namespace jaild::host::freebsd
