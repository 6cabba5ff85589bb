// Archives of a jail (issue 16, point 5): its spec and its root as one
// stream, so that a jail moves between jailds with two requests. The root
// must be one jaild made, and the jail stopped and held while it is read;
// the Host port writes the format of its platform (archive_format()). A jail
// made from an archive gets a thick root of its own, made as the roots of
// creates are (roots.cpp: the name reserved, the root's row, the journal,
// everything removed again when any step fails), from the archive, which
// the Host port reads as hostile input.
#include <chrono>

#include <fmt/format.h>

#include "lib/engine/archives.h"
#include "lib/engine/engine.h"
#include "lib/model/error.h"

namespace jaild::engine {
namespace {

constexpr int archive_version = 1;

}  // namespace

std::unique_ptr<archive_export> engine::begin_archive(const std::string& jail) {
  const auto entry = require(jail);
  const auto format = host_.archive_format();
  if (format.empty())
    throw error(errc::unsupported_on_platform,
                "this host writes no jail archives yet (on FreeBSD a root that is a ZFS dataset "
                "goes by zfs send, which jaild does not run yet)");
  if (entry->spec.root && entry->spec.root->mode == model::root_mode::thin)
    throw error(errc::unsupported_on_platform,
                fmt::format("jail '{}' has a thin root: its files are its release and a layer of "
                            "its own, which jaild does not archive; archive a thick or cloned "
                            "jail",
                            jail));
  auto job = std::make_unique<archive_export>();
  job->jail = jail;
  job->root = made_root(jail, "being archived", false);
  job->release = [this, jail] { release_hold(jail); };
  auto spec = model::spec_to_json(entry->spec);
  spec.erase("path");  // the receiving jaild puts it in its own jails directory
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  job->manifest = nlohmann::json{{"format", "jaild-archive"},
                                 {"version", archive_version},
                                 {"root_format", format},
                                 {"jail", jail},
                                 {"made_by", "jaild " JAILD_VERSION},
                                 {"created", now},
                                 {"spec", spec}}
                      .dump(2);
  return job;
}

host::archive_info engine::write_archive(
    archive_export& job, const std::function<void(const char*, std::size_t)>& sink) {
  host::archive_info info;
  run_provision(job.jail, "archive: the spec and the root, streamed", [&](host::journal& steps) {
    info = host_.write_archive(job.root, job.manifest, sink, steps);
  });
  return info;
}

std::shared_ptr<const jail_entry> engine::import_archive(const std::filesystem::path& file,
                                                         const std::string& name,
                                                         host::archive_info* made) {
  const auto text = host_.archive_manifest(file);
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw error(errc::archive_invalid,
                std::string("the archive is refused: its manifest is not JSON: ") + e.what());
  }
  if (!manifest.is_object() || manifest.value("format", "") != "jaild-archive" ||
      !manifest.contains("version") || !manifest["version"].is_number_integer())
    throw error(errc::archive_invalid, "the archive is refused: it is not a jaild archive");
  if (manifest["version"].get<int>() != archive_version)
    throw error(errc::archive_invalid,
                fmt::format("the archive is refused: it is of version {}; this jaild reads {}",
                            manifest["version"].get<int>(), archive_version));
  if (const auto f = manifest.value("root_format", ""); f != host_.archive_format())
    throw error(errc::archive_invalid,
                fmt::format("the archive's root is {}, which this host does not read ({})",
                            f.empty() ? "of no format" : f,
                            host_.archive_format().empty() ? "none" : host_.archive_format()));
  auto spec_json = manifest.value("spec", nlohmann::json());
  if (!spec_json.is_object() || !spec_json.contains("root"))
    throw error(errc::archive_invalid, "the archive is refused: its spec has no root");
  if (!name.empty()) spec_json["name"] = name;
  spec_json.erase("path");
  auto spec = model::spec_from_json(spec_json);
  // A root of its own here, whatever it was there (a clone's seed or a
  // template is the other host's).
  spec.root->mode = model::root_mode::thick;
  return create_with_root(std::move(spec),
                          [&](const host::root_request& r, host::journal& steps) {
                            auto info = host_.make_root_from_archive(r, file, steps);
                            if (made) *made = info;
                          });
}

}  // namespace jaild::engine
