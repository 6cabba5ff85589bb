// jailctl import FILE [--dry-run] and jailctl export [NAME]: jail.conf(5) in
// and out (docs/jailconf.md).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {
namespace {

using nlohmann::json;

// The file's text and absolute path: jaild resolves relative .include lines
// against the file's directory.
int run_import(api_client& api, const context& ctx, const std::string& file, bool dry_run) {
  std::ifstream in(file == "-" ? "/dev/stdin" : file, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + file);
  std::ostringstream text;
  text << in.rdbuf();
  json body = {{"text", text.str()}};
  if (file != "-") body["file"] = std::filesystem::absolute(file).lexically_normal().string();
  auto plan = api.call("POST", std::string("/v1/jails/import") + (dry_run ? "?dry_run=true" : ""),
                       &body);
  if (ctx.json_output) return print_json(plan), 0;
  table t({"NAME", "ACTION", "CHANGES"});
  std::vector<std::string> warnings;
  for (const auto& j : plan["jails"]) {
    std::string changes;
    for (const auto& c : j["changed"])
      changes += (changes.empty() ? "" : ",") + c.get<std::string>();
    t.add({j.value("name", ""), j.value("action", ""), changes.empty() ? "-" : changes});
    for (const auto& w : j["warnings"]) warnings.push_back(w.get<std::string>());
  }
  t.print(std::cout);
  for (const auto& w : warnings) std::cout << "warning: " << w << "\n";
  const auto& n = plan["summary"];
  if (dry_run)
    std::cout << "dry run: " << n.value("create", 0) << " to create, " << n.value("change", 0)
              << " to change, " << n.value("unchanged", 0) << " unchanged; nothing stored\n";
  else
    std::cout << "imported: " << n.value("create", 0) << " created, " << n.value("change", 0)
              << " changed, " << n.value("unchanged", 0) << " unchanged\n";
  return 0;
}

// The API answers jail.conf text, printed as it is.
int run_export(api_client& api, const context& ctx, const std::string& name) {
  std::string path = "/v1/jails/export";
  if (!name.empty()) path += "?name=" + url_escape(name);
  auto r = api.send("GET", path);
  if (r.status < 200 || r.status > 299) {
    json problem = json::parse(r.body, nullptr, false);
    if (problem.is_object() && problem.contains("detail"))
      throw refused(r.status, problem.value("code", ""), problem.value("detail", ""), problem);
    throw refused(r.status, "", "jaild answered HTTP " + std::to_string(r.status));
  }
  if (ctx.json_output) return print_json(json{{"text", r.body}}), 0;
  std::cout << r.body;
  return 0;
}

}  // namespace

void add_jailconf_commands(CLI::App& app, context& ctx) {
  static std::string import_file;
  static bool dry_run = false;
  auto* import_cmd = app.add_subcommand(
      "import", "import jail.conf(5): create and replace its jails, all or nothing");
  import_cmd->add_option("file", import_file, "a jail.conf file ('-' for standard input)")
      ->required();
  import_cmd->add_flag("-n,--dry-run", dry_run, "show what would change and store nothing");
  import_cmd->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) { return run_import(api, ctx, import_file, dry_run); };
  });

  static std::string export_name;
  auto* export_cmd = app.add_subcommand("export", "print jails as jail.conf(5)");
  export_cmd->add_option("name", export_name, "only this jail");
  export_cmd->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) { return run_export(api, ctx, export_name); };
  });
}

}  // namespace jaild::client
