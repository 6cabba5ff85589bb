// Snapshots of the roots jaild made, on Linux (issue 16, point 4). Three
// backends, chosen by the root:
//
//   btrfs  a cloned root is a btrfs subvolume: a snapshot is a read-only
//          btrfs snapshot of it (copy-on-write, O(1), taken while the jail
//          runs too: what a crash at that instant would leave);
//   copy   a thick root is a plain directory: a snapshot is a copy of it,
//          reflinked where the file system can (btrfs, xfs), else a full
//          copy; taken from a stopped jail only;
//   layer  a thin root is an overlay of its release: a snapshot is a copy of
//          the jail's own upper layer (reflinked where it can), the release
//          being shared and read-only; taken from a stopped jail only.
//
// Snapshots live in the root's private directory, JAILS_DIR/.jaild-TAG/NAME
// (0700, never reachable from the jail): snapshots/SNAP is the tree and
// snapshots/SNAP.json its record, written last, so that a snapshot a crash
// cut short is never listed (and is removed by the next one of that name).
// A rollback makes the snapshot's tree beside the root and exchanges the two
// with renameat2(RENAME_EXCHANGE), atomically, then removes the old tree;
// every other snapshot stays. Every walk is descriptor-relative and never
// follows a symbolic link (tree.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/tree.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

namespace fs = std::filesystem;

fs::path snapshots_dir(const root_request& r) { return r.private_dir / "snapshots"; }
fs::path snapshot_tree(const root_request& r, const std::string& name) {
  return snapshots_dir(r) / name;
}
fs::path snapshot_record(const root_request& r, const std::string& name) {
  return snapshots_dir(r) / (name + ".json");
}
// What a snapshot is of: the root, or a thin root's own layer.
fs::path snapshot_source(const root_request& r) {
  return r.mode == model::root_mode::thin ? r.private_dir / "upper" : r.path;
}

bool exists_no_follow(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

void remove_quietly(const fs::path& p, journal& steps) {
  if (!exists_no_follow(p)) return;
  try {
    remove_tree(p);
  } catch (const std::exception& e) {
    step_timer step(steps, "snapshot.cleanup", {"rm", "-rf", p.string()});
    step.failed_quietly(EIO, e.what());
  }
}

std::optional<snapshot_info> read_record(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(in);
    snapshot_info s;
    s.name = j.at("name").get<std::string>();
    s.backend = j.at("backend").get<std::string>();
    s.created = j.at("created").get<std::int64_t>();
    s.bytes = j.value("bytes", std::uint64_t{0});
    s.files = j.value("files", std::uint64_t{0});
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void write_record(const fs::path& file, const snapshot_info& s) {
  const auto part = fs::path(file.string() + ".part");
  {
    std::ofstream out(part, std::ios::trunc);
    out << nlohmann::json{{"name", s.name},
                          {"backend", s.backend},
                          {"created", s.created},
                          {"bytes", s.bytes},
                          {"files", s.files}}
               .dump()
        << '\n';
    out.flush();
    if (!out) throw std::system_error(EIO, std::generic_category(), part.string());
  }
  if (::rename(part.c_str(), file.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), file.string());
}

std::string text_of(const tree_totals& t) {
  return fmt::format("{} entries, {} bytes{}", t.files, t.bytes,
                     t.reflinked ? fmt::format(", {} files reflinked", t.reflinked) : "");
}

}  // namespace

snapshot_support linux_adapter::snapshot_backend(const root_request& r) {
  snapshot_support s;
  s.mode = std::string(model::root_mode_name(r.mode));
  switch (r.mode) {
    case model::root_mode::clone:
      s.backend = "btrfs";
      s.scope = "the whole root, as a read-only btrfs snapshot beside it";
      s.while_running = true;
      s.cheap = true;
      break;
    case model::root_mode::thick: {
      s.backend = "copy";
      const auto probe = r.private_dir.parent_path().parent_path();
      const bool reflink = reflink_works(exists_no_follow(probe) ? probe : probe.parent_path());
      s.scope = reflink ? "the whole root, copied with reflinks (copy-on-write extents)"
                        : "the whole root, copied file by file (this file system has no reflinks: "
                          "each snapshot takes the root's size)";
      s.cheap = false;
      break;
    }
    case model::root_mode::thin:
      s.backend = "layer";
      s.scope =
          "the jail's own overlay layer (its changes to the release); the release is shared and "
          "read-only, and a rollback keeps it as it is";
      break;
  }
  return s;
}

std::vector<snapshot_info> linux_adapter::list_snapshots(const root_request& r) {
  std::vector<snapshot_info> out;
  std::error_code ec;
  const auto dir = snapshots_dir(r);
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto file = e.path();
    if (file.extension() != ".json" || file.stem().string().find(".part") != std::string::npos)
      continue;
    auto s = read_record(file);
    if (!s || s->name != file.stem().string() || !exists_no_follow(snapshot_tree(r, s->name)))
      continue;
    out.push_back(std::move(*s));
  }
  std::sort(out.begin(), out.end(), [](const snapshot_info& a, const snapshot_info& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });
  return out;
}

snapshot_info linux_adapter::make_snapshot(const root_request& r, const std::string& name,
                                           journal& steps) {
  const auto support = snapshot_backend(r);
  const auto tree = snapshot_tree(r, name), record = snapshot_record(r, name);
  if (exists_no_follow(record) && exists_no_follow(tree))
    throw error(errc::snapshot_exists,
                fmt::format("jail '{}' has a snapshot named '{}' already", r.jail, name), "/name");
  const auto source = snapshot_source(r);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(source, ec)))
    throw error(errc::root_not_made, source.string() + " is not there: nothing to snapshot");
  // The private directory may not exist yet (a thick or cloned root has
  // none until its first snapshot): jaild's, 0700.
  fs::create_directories(r.private_dir.parent_path(), ec);
  ::chmod(r.private_dir.parent_path().c_str(), 0700);
  for (const auto& dir : {r.private_dir, snapshots_dir(r)}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw error(errc::host_failure, dir.string() + ": " + std::generic_category().message(errno));
  }
  // A crash's leftovers of this name: never listed, removed now.
  remove_quietly(record, steps);
  remove_quietly(tree, steps);

  snapshot_info s;
  s.name = name;
  s.backend = support.backend;
  s.created = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  const bool btrfs = support.backend == "btrfs";
  step_timer step(steps, "snapshot.make",
                  btrfs ? std::vector<std::string>{"btrfs", "subvolume", "snapshot", "-r",
                                                   source.string(), tree.string()}
                        : std::vector<std::string>{"cp", "-a", "--reflink=auto", source.string(),
                                                   tree.string()});
  try {
    if (btrfs) {
      if (!btrfs_is_subvolume(source))
        step.fail(EINVAL, source.string() + " is not a btrfs subvolume", errc::root_not_made);
      btrfs_snapshot(source, tree, true);
      const auto t = measure_tree(tree);
      s.bytes = t.bytes;
      s.files = t.files;
      write_record(record, s);
      step.ok(text_of(t));
    } else {
      const auto t = copy_tree(source, tree, true);
      s.bytes = t.bytes;
      s.files = t.files;
      write_record(record, s);
      step.ok(text_of(t));
    }
  } catch (const std::system_error& e) {
    remove_quietly(record, steps);
    remove_quietly(tree, steps);
    step.fail(e.code().value(), e.what());
  } catch (...) {
    remove_quietly(record, steps);
    remove_quietly(tree, steps);
    throw;
  }
  return s;
}

void linux_adapter::rollback_snapshot(const root_request& r, const std::string& name,
                                      journal& steps) {
  const auto tree = snapshot_tree(r, name);
  if (!read_record(snapshot_record(r, name)) || !exists_no_follow(tree))
    throw error(errc::snapshot_not_found,
                fmt::format("jail '{}' has no snapshot named '{}'", r.jail, name));
  const auto support = snapshot_backend(r);
  const auto target = snapshot_source(r);
  const auto fresh = r.private_dir / ".rollback";
  remove_quietly(fresh, steps);  // a crash's leftover
  {
    const bool btrfs = support.backend == "btrfs";
    step_timer step(steps, "snapshot.restore",
                    btrfs ? std::vector<std::string>{"btrfs", "subvolume", "snapshot",
                                                     tree.string(), fresh.string()}
                          : std::vector<std::string>{"cp", "-a", "--reflink=auto", tree.string(),
                                                     fresh.string()});
    try {
      if (btrfs) {
        btrfs_snapshot(tree, fresh, false);
        step.ok();
      } else {
        step.ok(text_of(copy_tree(tree, fresh, true)));
      }
    } catch (const std::system_error& e) {
      remove_quietly(fresh, steps);
      step.fail(e.code().value(), e.what());
    }
  }
  {
    // Both are jaild's own names (JAILS_DIR/NAME, the private directory):
    // the exchange swaps the two directory entries, never what is in them.
    step_timer step(steps, "snapshot.exchange", {"mv", "--exchange", fresh.string(),
                                                 target.string()});
    if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      const int err = errno;
      remove_quietly(fresh, steps);
      step.fail(err, fmt::format("{} <-> {}: {}", fresh.string(), target.string(),
                                 std::generic_category().message(err)));
    }
    step.ok();
  }
  // `fresh` holds what the root was: gone now. A failure here leaves it for
  // the next rollback's cleanup; the root is already the snapshot's.
  step_timer step(steps, "snapshot.remove-old", {"rm", "-rf", fresh.string()});
  try {
    step.ok(text_of(remove_tree(fresh)));
  } catch (const std::exception& e) {
    step.failed_quietly(EIO, e.what());
  }
}

void linux_adapter::remove_snapshot(const root_request& r, const std::string& name,
                                    journal& steps) {
  const auto tree = snapshot_tree(r, name), record = snapshot_record(r, name);
  if (!read_record(record) || !exists_no_follow(tree))
    throw error(errc::snapshot_not_found,
                fmt::format("jail '{}' has no snapshot named '{}'", r.jail, name));
  step_timer step(steps, "snapshot.remove", {"rm", "-rf", tree.string()});
  // The record first: a snapshot half removed is never listed.
  if (::unlink(record.c_str()) != 0) step.fail(errno, record.string());
  try {
    step.ok(text_of(remove_tree(tree)));
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), e.what());
  }
}

}  // namespace jaild::host::linux_host
