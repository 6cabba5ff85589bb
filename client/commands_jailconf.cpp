// jailctl import FILE [--dry-run], jailctl apply -f FILE [--dry-run] and
// jailctl export [NAME]: specs in (jail.conf(5) or JSON) and out as
// jail.conf (docs/jailconf.md, docs/cli.md). Both import and apply send the
// file to POST /v1/jails/import, which decides its format, plans and writes
// all or nothing; they differ only in what they print, and apply then starts
// the file's jails that are meant to run.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {
namespace {

using nlohmann::json;

// The file's text and absolute path: jaild resolves relative .include lines
// against the file's directory, names the file in its messages, and reads a
// name ending in .json as JSON.
json send_file(api_client& api, const std::string& file, bool dry_run) {
  std::ifstream in(file == "-" ? "/dev/stdin" : file, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + file);
  std::ostringstream text;
  text << in.rdbuf();
  json body = {{"text", text.str()}};
  if (file != "-") body["file"] = std::filesystem::absolute(file).lexically_normal().string();
  return api.call("POST", std::string("/v1/jails/import") + (dry_run ? "?dry_run=true" : ""),
                  &body);
}

void print_warnings(const json& plan) {
  const auto& jails = plan["jails"];
  for (const auto& j : jails) {
    const auto warnings = j.value("warnings", json::array());
    for (const auto& w : warnings) std::cout << "warning: " << w.get<std::string>() << "\n";
  }
}

void print_summary(const json& plan, bool dry_run, const char* done) {
  const auto& n = plan["summary"];
  if (dry_run)
    std::cout << "dry run: " << n.value("create", 0) << " to create, " << n.value("change", 0)
              << " to change, " << n.value("unchanged", 0) << " unchanged; nothing stored\n";
  else
    std::cout << done << ": " << n.value("create", 0) << " created, " << n.value("change", 0)
              << " changed, " << n.value("unchanged", 0) << " unchanged\n";
}

int run_import(api_client& api, const context& ctx, const std::string& file, bool dry_run) {
  const auto plan = send_file(api, file, dry_run);
  if (ctx.json_output) return print_json(plan), 0;
  table t({"NAME", "ACTION", "CHANGES"});
  const auto& jails = plan["jails"];
  for (const auto& j : jails) {
    std::string changes;
    const auto changed = j.value("changed", json::array());
    for (const auto& c : changed)
      changes += (changes.empty() ? "" : ",") + c.get<std::string>();
    t.add({j.value("name", ""), j.value("action", ""), changes.empty() ? "-" : changes});
  }
  t.print(std::cout);
  print_warnings(plan);
  print_summary(plan, dry_run, "imported");
  return 0;
}

// A value of a diff as an admin writes it: strings bare, the rest as JSON.
std::string diff_value(const json& v) {
  if (v.is_null()) return "(unset)";
  if (v.is_string()) return v.get<std::string>().empty() ? "\"\"" : v.get<std::string>();
  return v.dump();
}

void print_diff(const json& plan) {
  const auto& jails = plan["jails"];
  for (const auto& j : jails) {
    const auto name = j.value("name", "");
    const auto action = j.value("action", "");
    if (action == "create") {
      std::cout << "+ jail " << name << " (create)\n";
    } else if (action == "change") {
      const auto diff = j.value("diff", json::array());
      for (const auto& c : diff)
        std::cout << fmt::format("~ jail {}: {} {} -> {}\n", name, c.value("field", ""),
                                 diff_value(c.value("before", json())),
                                 diff_value(c.value("after", json())));
    } else {
      std::cout << "= jail " << name << " (unchanged)\n";
    }
  }
}

struct apply_options {
  std::string file;
  bool dry_run = false;
  bool start_all = false;  // every jail of the file, not only the boot ones
  bool no_start = false;
};

// The file's jails to start, in the engine's start order (GET /v1/boot-plan:
// waves, dependencies first): those with boot=true (every one with
// --start-all) that are not running.
std::vector<std::string> jails_to_start(api_client& api, const json& plan,
                                        const apply_options& o) {
  std::set<std::string> wanted;
  const auto& jails = plan["jails"];
  for (const auto& j : jails) {
    const auto status = j.value("status", json());
    const bool running = status.is_object() && status.value("state", "") == "running";
    if (!running && (o.start_all || j.value("spec", json::object()).value("boot", false)))
      wanted.insert(j.value("name", ""));
  }
  std::vector<std::string> order;
  if (wanted.empty()) return order;
  const auto boot_plan = api.call("GET", "/v1/boot-plan");
  const auto& waves = boot_plan["all_waves"];
  for (const auto& wave : waves)
    for (const auto& name : wave)
      if (wanted.erase(name.get<std::string>())) order.push_back(name.get<std::string>());
  order.insert(order.end(), wanted.begin(), wanted.end());  // none, unless a jail just went
  return order;
}

int run_apply(api_client& api, const context& ctx, const apply_options& o) {
  const auto plan = send_file(api, o.file, o.dry_run);
  json started = json::array();
  if (!ctx.json_output) {
    print_diff(plan);
    print_warnings(plan);
    print_summary(plan, o.dry_run, "applied");
  }
  if (o.dry_run) {
    if (ctx.json_output) print_json({{"plan", plan}, {"started", started}});
    return 0;
  }
  // The changes a running jail cannot take live wait for its restart.
  const auto& jails = plan["jails"];
  for (const auto& j : jails)
    if (const auto status = j.value("status", json());
        status.is_object() && status.value("drift", false) && !ctx.json_output)
      std::cout << fmt::format(
          "! jail {} runs with changes that only a restart applies: jailctl restart {}\n",
          j.value("name", ""), j.value("name", ""));

  int status = 0;
  if (!o.no_start) {
    for (const auto& name : jails_to_start(api, plan, o)) {
      try {
        auto r = api.call("POST", jail_path(name) + "/start");
        const auto& op = r["operation"];
        started.push_back({{"jail", name}, {"operation", op}});
        if (ctx.json_output) continue;
        const auto& steps = op["steps"];
        if (steps.size() == 1 && steps[0].value("step", "") == "already running")
          std::cout << fmt::format("jail {}: already running\n", name);
        else
          std::cout << fmt::format("jail {}: started ({} ms, {})\n", name,
                                   op.value("duration_ms", 0LL), op.value("id", ""));
      } catch (const refused& e) {
        started.push_back({{"jail", name}, {"problem", e.problem()}});
        print_refusal(e, name);
        status = 1;
      }
    }
  }
  if (ctx.json_output) print_json({{"plan", plan}, {"started", started}});
  return status;
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
      "import",
      "import jail.conf(5) or JSON specs: create and replace their jails, all or nothing");
  import_cmd->add_option("file", import_file, "a jail.conf or JSON file ('-' for standard input)")
      ->required();
  import_cmd->add_flag("-n,--dry-run", dry_run, "show what would change and store nothing");
  import_cmd->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) { return run_import(api, ctx, import_file, dry_run); };
  });

  static apply_options apply;
  auto* apply_cmd = app.add_subcommand(
      "apply",
      "converge to a file (jail.conf or JSON): show the diff, write it all or nothing, start "
      "its boot jails in plan order");
  apply_cmd
      ->add_option("-f,--file", apply.file, "a jail.conf or JSON file ('-' for standard input)")
      ->required();
  apply_cmd->add_flag("-n,--dry-run", apply.dry_run, "show the diff and change nothing");
  auto* all = apply_cmd->add_flag("--start-all", apply.start_all,
                                  "start every jail of the file, not only those with boot=true");
  apply_cmd->add_flag("--no-start", apply.no_start, "write the specs, start nothing")
      ->excludes(all);
  apply_cmd->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) { return run_apply(api, ctx, apply); };
  });

  static std::string export_name;
  auto* export_cmd = app.add_subcommand("export", "print jails as jail.conf(5)");
  export_cmd->add_option("name", export_name, "only this jail");
  export_cmd->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) { return run_export(api, ctx, export_name); };
  });
}

}  // namespace jaild::client
