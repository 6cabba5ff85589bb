// jailctl template add|list|show|rm: templates made from stopped jails, with
// a profile of spec fields that the jails made from them inherit.
#include <iostream>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {

void add_template_commands(CLI::App& app, context& ctx) {
  auto* tpl = app.add_subcommand("template", "templates: stopped jails' roots that roots are made from");
  tpl->require_subcommand(1);

  static std::string name, jail, description, profile;
  auto* add = tpl->add_subcommand("add", "make a template from a stopped jail's root");
  add->add_option("name", name, "template name")->required();
  add->add_option("jail", jail, "the stopped jail whose root is copied")->required();
  add->add_option("--description", description, "free text");
  add->add_option("--profile", profile,
                  "spec fields that jails made from it inherit, as JSON ('-' for standard input)");
  add->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      nlohmann::json body = {{"name", name}, {"jail", jail}};
      if (!description.empty()) body["description"] = description;
      if (!profile.empty()) body["profile"] = read_json_object(profile, "a template's profile");
      auto r = api.call("POST", "/v1/templates", &body);
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("made template {} from {}: {} files, {}\n", r.value("name", ""),
                               r.value("jail", ""), r.value("files", 0),
                               human_bytes(r.value("bytes", 0.0)));
      return 0;
    };
  });

  auto* list = tpl->add_subcommand("list", "list templates");
  list->alias("ls");
  list->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/templates");
      if (ctx.json_output) return print_json(r), 0;
      table t({"NAME", "JAIL", "BASE", "FILES", "SIZE"});
      for (const auto& x : r["templates"])
        t.add({x.value("name", ""), x.value("jail", ""), x.value("base", ""),
               std::to_string(x.value("files", 0)), human_bytes(x.value("bytes", 0.0))});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  auto* show = tpl->add_subcommand("show", "one template, with its profile");
  show->add_option("name", name, "template name")->required();
  show->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/templates/" + url_escape(name));
      if (ctx.json_output) return print_json(r), 0;
      table t({"FIELD", "VALUE"});
      for (const auto& [k, v] : r.items()) t.add({k, v.is_string() ? v.get<std::string>() : v.dump()});
      t.print(std::cout, false);
      return 0;
    };
  });

  auto* rm = tpl->add_subcommand("rm", "delete a template that no jail's root uses");
  rm->alias("delete");
  rm->add_option("name", name, "template name")->required();
  rm->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      api.call("DELETE", "/v1/templates/" + url_escape(name));
      if (ctx.json_output) return print_json(nlohmann::json{{"deleted", name}}), 0;
      std::cout << "deleted template " << name << "\n";
      return 0;
    };
  });
}

}  // namespace jaild::client
