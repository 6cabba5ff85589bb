// POST /v1/jails/import and GET /v1/jails/export: specs in (jail.conf(5) or
// JSON) and out as jail.conf (lib/jailconf, docs/jailconf.md, jailctl(8)).
//
// An import takes jail.conf text as text/plain, or JSON {"text": "...",
// "file": "/etc/jail.conf"} where `file` names the text in messages and is
// the base of its relative .include lines (includes are read by jaild from
// its own file system). The text is JSON specs instead when it starts with
// '{' or '[' or `file` ends in ".json" (model/spec_document.h); a JSON body
// that is not {"text": ...} is such a document itself. A JSON document that is
// an iocage config.json (host_hostuuid, CONFIG_VERSION) is mapped by
// jailconf/iocage.h; it needs `file` (the root is beside it). A jail.conf VNET
// jail's own PATH/etc/rc.conf is read for the interfaces it configures by
// DHCP or SLAAC (jailconf/rc_conf.h). ?dry_run=true plans
// and stores nothing; otherwise every jail is created or replaced in one
// transaction, or nothing changes. The answer is the plan: per jail the
// action, the field-level diff and the status after the import; jailctl
// import and jailctl apply print it.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "api/service.h"
#include "lib/engine/import.h"
#include "lib/host/posix/open_below.h"
#include "lib/host/posix/unique_fd.h"
#include "lib/jailconf/iocage.h"
#include "lib/jailconf/rc_conf.h"
#include "lib/jailconf/jailconf.h"
#include "lib/model/json_reader.h"
#include "lib/model/spec_document.h"
#include "lib/model/validate.h"

namespace jaild::api {
namespace {

struct import_source {
  std::string text;
  std::string file = "<request>";
  std::optional<nlohmann::json> document;  // a JSON body that is the spec document itself
};

import_source read_import_body(const request& req) {
  const auto type = req.header("content-type");
  const auto media = type.substr(0, type.find(';'));
  import_source source;
  if (media.empty() || media == "text/plain") {
    source.text = req.body;
    return source;
  }
  if (media != "application/json")
    throw error(errc::unsupported_media_type,
                "send jail.conf as text/plain (curl --data-binary @jail.conf -H 'Content-Type: "
                "text/plain'), JSON specs as application/json, or JSON {\"text\": \"...\"}, not " +
                    media);
  auto body = parse_json_body(req);
  if (!body.is_object() || !body.contains("text")) {
    source.document = std::move(body);
    return source;
  }
  model::json_reader r(body, "", "an import");
  auto text = r.string("text");  // null is absent
  if (!text)
    throw error(errc::missing_field, "the import needs 'text', the file's text", "/text");
  source.text = std::move(*text);
  if (auto file = r.string("file")) {
    if (auto why = model::check::absolute_path(*file); !why.empty())
      r.fail(errc::invalid_value, "file", "'file' is the text's absolute path: " + why);
    source.file = std::move(*file);
  }
  r.finish("an import takes text and file");
  return source;
}

// A VNET jail's own rc.conf, for the interfaces it configures by DHCP or
// SLAAC (jailconf/rc_conf.h): read below the jail's path without following a
// link there (the jail's root owns that file), at most `max_bytes`. No file:
// nothing to learn.
void read_rc_conf(jailconf::imported_jail& j, std::size_t max_bytes) {
  if (j.vnet_names.empty() || j.spec.path.empty()) return;
  const std::string rc_path = j.spec.path + "/etc/rc.conf";
  host::posix::unique_fd fd(host::posix::open_below(j.spec.path, rc_path, O_RDONLY, 0));
  if (!fd) return;
  std::string text;
  char buf[8192];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) return;  // not an rc.conf
  }
  jailconf::apply_rc_conf(j, text, rc_path);
  try {
    j.spec = model::spec_from_json(model::spec_to_json(j.spec));
  } catch (const error& e) {
    throw error(e.code(), fmt::format("{}: jail '{}' with what its rc.conf says: {}", rc_path,
                                      j.spec.name, e.what()),
                e.field());
  }
}

// The jails of the source with the warnings of their mapping, and the format.
std::vector<jailconf::imported_jail> read_jails(const import_source& source, std::size_t max_bytes,
                                                std::string& format) {
  std::vector<jailconf::imported_jail> out;
  if (source.document || model::is_json_spec_file(source.text, source.file)) {
    format = "json";
    const auto doc =
        source.document ? *source.document : model::parse_spec_file(source.text, source.file);
    // An iocage jail's config.json (lib/jailconf/iocage.h).
    if (jailconf::is_iocage_config(doc)) {
      format = "iocage";
      out.push_back(jailconf::iocage_to_spec(doc, source.file));
      return out;
    }
    for (auto& spec : model::specs_from_document(doc, source.file))
      out.push_back({std::move(spec), {}, {}});
    return out;
  }
  format = "jail.conf";
  jailconf::file_loader disk(max_bytes);
  auto jails = jailconf::import_text(source.text, source.file, disk);
  for (auto& j : jails) read_rc_conf(j, max_bytes);
  return jails;
}

nlohmann::json diff_json(const std::vector<model::field_change>& diff) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : diff)
    out.push_back({{"field", c.field}, {"before", c.before}, {"after", c.after}});
  return out;
}

}  // namespace

void service::add_jailconf_routes() {
  // Registered before /v1/jails/{name}, which would otherwise take "export".
  router_.add({"POST", "/v1/jails/import", role::admin, run_on::pool,
               [this](request& req) {
                 const bool dry_run = req.flag("dry_run");
                 const auto source = read_import_body(req);
                 std::string format;
                 const auto imported = read_jails(source, options_.max_body_bytes, format);
                 std::vector<model::jail_spec> specs;
                 for (const auto& j : imported) specs.push_back(j.spec);
                 const auto plan = engine_.import_jails(specs, dry_run, format);

                 const auto snap = engine_.current();
                 nlohmann::json jails = nlohmann::json::array();
                 std::map<std::string, int> counts{{"create", 0}, {"change", 0}, {"unchanged", 0}};
                 for (std::size_t i = 0; i < plan.size(); ++i) {
                   const auto& p = plan[i];
                   const std::string action(engine::import_action_name(p.action));
                   ++counts[action];
                   auto warnings = imported[i].warnings;
                   warnings.insert(warnings.end(), p.warnings.begin(), p.warnings.end());
                   const auto entry = snap->find(p.name);
                   const auto status =
                       entry ? model::status_to_json(entry->status) : nlohmann::json();
                   jails.push_back(
                       {{"name", p.name},
                        {"action", action},
                        {"changed", p.changed},
                        {"diff", diff_json(p.diff)},
                        {"warnings", warnings},
                        {"spec", model::spec_to_json(specs[i])},
                        {"status", status}});
                 }
                 return json_response(200, {{"dry_run", dry_run},
                                            {"file", source.file},
                                            {"format", format},
                                            {"jails", std::move(jails)},
                                            {"summary", counts}});
               },
               "Import jail.conf text or JSON specs: create and replace their jails, all or "
               "nothing (dry_run=true plans only)"});

  router_.add({"GET", "/v1/jails/export", role::viewer, run_on::io,
               [this](request& req) {
                 std::optional<std::string> only;
                 if (auto it = req.query.find("name"); it != req.query.end()) {
                   if (auto why = model::check::jail_name(it->second); !why.empty())
                     throw error(errc::invalid_name, why);
                   only = it->second;
                 }
                 auto snap = engine_.current();
                 if (only && !snap->find(*only))
                   throw error(errc::jail_not_found, fmt::format("no jail named '{}'", *only));
                 std::vector<model::jail_spec> specs;
                 for (const auto& [name, entry] : snap->jails()) specs.push_back(entry->spec);
                 return text_response(200, "text/plain; charset=utf-8",
                                      jailconf::write_jail_conf(specs, only));
               },
               "Export jails as jail.conf text (name=NAME for one jail)"});
}

}  // namespace jaild::api
