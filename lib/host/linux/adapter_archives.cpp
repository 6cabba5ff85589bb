// Archives of a jail on Linux (issue 16, point 5): the root written as a
// zstd-compressed tar with libarchive (archive.h), streaming, and a root made
// from one as hostile input: below the new root, never through a link.
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include <fmt/format.h>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/archive.h"
#include "lib/host/linux/tree.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

namespace fs = std::filesystem;

archive_info info_of(const archive_totals& t) {
  archive_info i;
  i.format = "tar+zstd";
  i.bytes = t.bytes;
  i.entries = t.entries;
  i.devices_skipped = t.devices_skipped;
  i.setid = t.setid;
  i.setid_kept = t.setid_kept;
  return i;
}

std::string text_of(const archive_totals& t) {
  return fmt::format("{} entries, {} bytes{}{}", t.entries, t.bytes,
                     t.devices_skipped ? fmt::format(", {} device nodes not made",
                                                     t.devices_skipped)
                                       : "",
                     t.setid ? fmt::format(", {} setuid/setgid files ({})", t.setid,
                                           t.setid_kept ? "kept" : "bits cleared")
                             : "");
}

}  // namespace

archive_info linux_adapter::write_archive(
    const root_request& r, const std::string& manifest,
    const std::function<void(const char*, std::size_t)>& sink, journal& steps) {
  if (r.mode == model::root_mode::thin)
    throw error(errc::unsupported_on_platform,
                "a thin root is its release and a layer of its own; jaild archives thick and "
                "cloned roots");
  step_timer step(steps, "archive.write",
                  {"tar", "--create", "--zstd", "--file", "-", "--directory", r.path.string(),
                   "root"});
  try {
    const auto t = write_root_archive(r.path, manifest, sink);
    step.ok(text_of(t));
    return info_of(t);
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), e.what());
  } catch (const error& e) {
    step.failed_quietly(EIO, e.what());
    throw;
  }
}

std::string linux_adapter::archive_manifest(const fs::path& file) {
  return read_archive_manifest(file);
}

archive_info linux_adapter::make_root_from_archive(const root_request& r, const fs::path& file,
                                                   journal& steps) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(r.path, ec)))
    throw error(errc::root_not_made,
                r.path.string() + " exists already: jaild makes a root only where there is nothing",
                "/path");
  fs::create_directories(r.path.parent_path(), ec);
  if (ec) throw error(errc::host_failure, r.path.parent_path().string() + ": " + ec.message());
  // A setuid file keeps its bits only where no user of the host but root can
  // reach it: the root's directory closed to group and others.
  struct stat parent {};
  const bool keep_setid = ::stat(r.path.parent_path().c_str(), &parent) == 0 &&
                          (parent.st_mode & (S_IXGRP | S_IXOTH)) == 0;
  step_timer step(steps, "archive.extract",
                  {"tar", "--extract", "--zstd", "--file", file.string(), "--directory",
                   r.path.string()});
  if (::mkdir(r.path.c_str(), 0700) != 0) step.fail(errno, r.path.string());
  try {
    const auto t = extract_root_archive(file, r.path, keep_setid);
    step.ok(text_of(t));
    return info_of(t);
  } catch (const std::exception& e) {
    const int err = dynamic_cast<const std::system_error*>(&e)
                        ? dynamic_cast<const std::system_error*>(&e)->code().value()
                        : EINVAL;
    std::string why = e.what();
    try {
      remove_tree(r.path);
    } catch (const std::exception& again) {
      why += "; and what was extracted could not be removed: " + std::string(again.what());
    }
    if (auto* je = dynamic_cast<const error*>(&e)) {
      step.failed_quietly(err, why);
      throw error(je->code(), why);
    }
    step.fail(err, why);
  }
}

}  // namespace jaild::host::linux_host
