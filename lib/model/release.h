// A release: a base userland that jails' roots are made from (DESIGN.md
// section 8, issue 16). On FreeBSD a base.txz (with lib32.txz and src.txz
// when asked); on Linux a root file system tarball or a directory made by
// mmdebstrap or debootstrap. jaild keeps its own copy under the releases
// directory ([provision] releases_dir), so a release stays as it was added
// whatever happens to its source afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace jaild::model {

// POST /v1/releases.
struct release_request {
  std::string name;         // "14.1-RELEASE", "bookworm", "bb-1"
  std::string source;       // absolute host path: an archive or a directory
  std::string sha256;       // of the archive, when given: checked before anything is made
  std::string description;

  bool operator==(const release_request&) const = default;
};

// POST /v1/templates: a template made from a stopped jail's root.
struct template_request {
  std::string name;         // shares the releases' names: a template is a release made from a jail
  std::string jail;         // the stopped jail whose root is copied
  std::string description;
  // Spec fields that jails made from the template inherit and may override
  // (merged under the create's body): an object of jail spec fields without
  // name, path and root.
  nlohmann::json profile = nlohmann::json::object();

  bool operator==(const template_request&) const = default;
};

// A release as jaild keeps it; a template is one of kind "template".
struct release {
  std::string name;
  std::string source;       // what it was added from
  std::string kind;         // "archive" | "directory"
  std::string sha256;       // of the archive ("" for a directory)
  std::string description;
  std::string path;         // jaild's copy: RELEASES_DIR/NAME
  std::uint64_t bytes = 0;  // of the files in jaild's copy
  std::uint64_t files = 0;
  std::int64_t created_ms = 0;
  // A template's: the jail it was made from, the release that jail's root
  // was made from ("" when jaild did not make it), and its profile.
  std::string jail;
  std::string base;
  nlohmann::json profile = nlohmann::json::object();

  bool is_template() const { return kind == "template"; }
  bool operator==(const release&) const = default;
};

// Strict decoding: unknown fields, wrong types and bad values throw
// jaild::error with a JSON pointer to the field.
release_request release_request_from_json(const nlohmann::json& j);

// Strict decoding of POST /v1/templates; the profile is checked as spec
// fields (a field's pointer is below /profile).
template_request template_request_from_json(const nlohmann::json& j);

nlohmann::json release_to_json(const release& r);
// The store's own JSON back (trusted: written by release_to_json).
release release_from_json(const nlohmann::json& j);

// "" when `name` may name a release, else one sentence: 1 to 64 of letters,
// digits and ._- starting with a letter or digit (a directory name that can
// never be "..", an option or a path).
std::string check_release_name(std::string_view name);
// A snapshot's name: 1 to 64 letters, digits and ._- starting with a letter
// or a digit (a ZFS snapshot name and a file name alike). "" when good.
std::string check_snapshot_name(std::string_view name);

}  // namespace jaild::model
