// Provisioning a jail's root on FreeBSD: a release's base.txz fetched once into
// a cache, extracted into a ZFS dataset per jail or a directory on UFS; thin
// jails as ZFS clones of a template's snapshot; and destroying a root, which
// clears file flags first (base.txz installs schg files that even root cannot
// remove otherwise). The argv of every step is a pure function, tested on
// Linux; `provisioner` runs them through the `system` interface and journals
// each step.
//
// The roots are deliberately not ledger objects: the reconciler removes
// orphaned ledger objects after a crash, and a jail's root is the one thing it
// must never remove on its own. The API for this comes later; nothing calls it
// from a route yet.
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
