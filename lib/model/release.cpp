#include "lib/model/release.h"

#include <cctype>

#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/model/jail_spec.h"
#include "lib/model/json_reader.h"
#include "lib/model/validate.h"

namespace jaild::model {

std::string check_release_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return fmt::format("release name '{}' must have 1 to 64 characters", name);
  if (!std::isalnum(static_cast<unsigned char>(name.front())))
    return fmt::format("release name '{}' must start with a letter or a digit", name);
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return fmt::format("release name '{}' may have letters, digits and ._- only", name);
  return {};
}

std::string check_snapshot_name(std::string_view name) {
  auto why = check_release_name(name);
  if (why.empty()) return why;
  return "snapshot" + why.substr(7);
}

release_request release_request_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    throw error(errc::invalid_type,
                fmt::format("a release must be a JSON object, not {}", json_type_name(j)));
  json_reader in(j, "", "release");
  release_request r;
  auto name = in.string("name");
  if (!name) in.fail(errc::missing_field, "name", "a release needs a name");
  if (auto why = check_release_name(*name); !why.empty())
    in.fail(errc::invalid_value, "name", why);
  r.name = *name;
  auto source = in.string("source");
  if (!source)
    in.fail(errc::missing_field, "source",
            "a release needs a source: the absolute path of an archive or a directory on the host");
  if (auto why = check::absolute_path(*source); !why.empty())
    in.fail(errc::invalid_value, "source", why);
  r.source = *source;
  if (auto sum = in.string("sha256")) {
    bool hex = sum->size() == 64;
    for (char c : *sum) hex = hex && std::isxdigit(static_cast<unsigned char>(c));
    if (!hex) in.fail(errc::invalid_value, "sha256", "sha256 must be 64 hexadecimal digits");
    r.sha256 = *sum;
    for (auto& c : r.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (auto d = in.string("description")) r.description = *d;
  in.finish("a release has name, source, sha256 and description");
  return r;
}

template_request template_request_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    throw error(errc::invalid_type,
                fmt::format("a template must be a JSON object, not {}", json_type_name(j)));
  json_reader in(j, "", "template");
  template_request r;
  auto name = in.string("name");
  if (!name) in.fail(errc::missing_field, "name", "a template needs a name");
  if (auto why = check_release_name(*name); !why.empty())
    in.fail(errc::invalid_value, "name", "template " + why.substr(8));
  r.name = *name;
  auto jail = in.string("jail");
  if (!jail) in.fail(errc::missing_field, "jail", "a template is made from a jail: name it");
  if (auto why = check::jail_name(*jail); !why.empty()) in.fail(errc::invalid_value, "jail", why);
  r.jail = *jail;
  if (auto d = in.string("description")) r.description = *d;
  if (const auto* it = in.object("profile")) {
    for (const char* own : {"name", "path", "root"})
      if (it->contains(own))
        throw error(errc::invalid_value,
                    fmt::format("a profile cannot set {}: each jail has its own", own),
                    std::string("/profile/") + own);
    // Checked as a spec's fields are, with a name of its own.
    auto probe = *it;
    probe["name"] = "profile";
    probe["path"] = "/profile";
    try {
      (void)spec_from_json(probe);
    } catch (const error& e) {
      throw error(e.code(), std::string("profile: ") + e.what(), "/profile" + e.field());
    }
    r.profile = *it;
  }
  in.finish("a template has name, jail, description and profile");
  return r;
}

nlohmann::json release_to_json(const release& r) {
  nlohmann::json out = {{"name", r.name},       {"source", r.source},   {"kind", r.kind},
                        {"sha256", r.sha256},   {"description", r.description},
                        {"path", r.path},       {"bytes", r.bytes},     {"files", r.files},
                        {"created_at", r.created_ms}};
  if (r.is_template()) {
    out["jail"] = r.jail;
    out["base"] = r.base;
    out["profile"] = r.profile;
  }
  return out;
}

release release_from_json(const nlohmann::json& j) {
  release r;
  r.name = j.value("name", "");
  r.source = j.value("source", "");
  r.kind = j.value("kind", "");
  r.sha256 = j.value("sha256", "");
  r.description = j.value("description", "");
  r.path = j.value("path", "");
  r.bytes = j.value("bytes", std::uint64_t{0});
  r.files = j.value("files", std::uint64_t{0});
  r.created_ms = j.value("created_at", std::int64_t{0});
  r.jail = j.value("jail", "");
  r.base = j.value("base", "");
  if (auto it = j.find("profile"); it != j.end() && it->is_object()) r.profile = *it;
  return r;
}

}  // namespace jaild::model
