// POST /v1/jails/import and GET /v1/jails/export: jail.conf(5) in and out
// (lib/jailconf, docs/jailconf.md).
//
// An import takes the text as text/plain, or as JSON {"text": "...", "file":
// "/etc/jail.conf"} where `file` names the text in messages and is the base
// of its relative .include lines. Includes are read by jaild from its own
// file system. ?dry_run=true plans and stores nothing; otherwise every jail is
// created or replaced in one transaction, or nothing changes.
#include <fmt/format.h>

#include "api/service.h"
#include "lib/engine/import.h"
#include "lib/jailconf/jailconf.h"
#include "lib/model/json_reader.h"
#include "lib/model/validate.h"

namespace jaild::api {
namespace {

struct import_source {
  std::string text;
  std::string file = "<request>";
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
                "text/plain') or as JSON {\"text\": \"...\"}, not " + media);
  const auto body = parse_json_body(req);
  model::json_reader r(body, "", "an import");
  auto text = r.string("text");
  if (!text)
    throw error(errc::missing_field, "the import needs 'text', the jail.conf text", "/text");
  source.text = std::move(*text);
  if (auto file = r.string("file")) {
    if (auto why = model::check::absolute_path(*file); !why.empty())
      r.fail(errc::invalid_value, "file", "'file' is the text's absolute path: " + why);
    source.file = std::move(*file);
  }
  r.finish("an import takes text and file");
  return source;
}

}  // namespace

void service::add_jailconf_routes() {
  // Registered before /v1/jails/{name}, which would otherwise take "export".
  router_.add({"POST", "/v1/jails/import", role::admin, run_on::pool,
               [this](request& req) {
                 const bool dry_run = req.flag("dry_run");
                 const auto source = read_import_body(req);
                 jailconf::file_loader disk(options_.max_body_bytes);
                 auto imported = jailconf::import_text(source.text, source.file, disk);
                 std::vector<model::jail_spec> specs;
                 for (const auto& j : imported) specs.push_back(j.spec);
                 auto plan = engine_.import_jails(specs, dry_run);

                 nlohmann::json jails = nlohmann::json::array();
                 std::map<std::string, int> counts{{"create", 0}, {"change", 0}, {"unchanged", 0}};
                 for (std::size_t i = 0; i < plan.size(); ++i) {
                   const auto& p = plan[i];
                   const std::string action(engine::import_action_name(p.action));
                   ++counts[action];
                   auto warnings = imported[i].warnings;
                   warnings.insert(warnings.end(), p.warnings.begin(), p.warnings.end());
                   jails.push_back({{"name", p.name},
                                    {"action", action},
                                    {"changed", p.changed},
                                    {"warnings", warnings},
                                    {"spec", model::spec_to_json(specs[i])}});
                 }
                 return json_response(200, {{"dry_run", dry_run},
                                            {"file", source.file},
                                            {"jails", std::move(jails)},
                                            {"summary", counts}});
               },
               "Import jail.conf text: create and replace its jails, all or nothing "
               "(dry_run=true plans only)"});

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
