// jailctl release add|list|show|rm: the bases that jails' roots are made from.
#include <iostream>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {

void add_release_commands(CLI::App& app, context& ctx) {
  auto* rel = app.add_subcommand("release", "releases: bases that jails' roots are made from");
  rel->require_subcommand(1);

  static std::string name, source, sha256, description;
  auto* add = rel->add_subcommand("add", "add a release from an archive or a directory on the host");
  add->add_option("name", name, "release name, e.g. 14.1-RELEASE or bookworm")->required();
  add->add_option("source", source,
                  "absolute host path of a root file system archive (base.txz, rootfs.tar.zst) "
                  "or a directory (mmdebstrap, debootstrap)")
      ->required();
  add->add_option("--sha256", sha256, "the archive's expected SHA-256");
  add->add_option("--description", description, "free text");
  add->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      nlohmann::json body = {{"name", name}, {"source", source}};
      if (!sha256.empty()) body["sha256"] = sha256;
      if (!description.empty()) body["description"] = description;
      auto r = api.call("POST", "/v1/releases", &body);
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("added release {}: {} files, {}\n", r.value("name", ""),
                               r.value("files", 0), human_bytes(r.value("bytes", 0.0)));
      return 0;
    };
  });

  auto* list = rel->add_subcommand("list", "list releases");
  list->alias("ls");
  list->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/releases");
      if (ctx.json_output) return print_json(r), 0;
      table t({"NAME", "KIND", "FILES", "SIZE", "SOURCE"});
      for (const auto& x : r["releases"])
        t.add({x.value("name", ""), x.value("kind", ""), std::to_string(x.value("files", 0)),
               human_bytes(x.value("bytes", 0.0)), x.value("source", "")});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  auto* show = rel->add_subcommand("show", "one release");
  show->add_option("name", name, "release name")->required();
  show->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/releases/" + url_escape(name));
      if (ctx.json_output) return print_json(r), 0;
      table t({"FIELD", "VALUE"});
      for (const auto& [k, v] : r.items()) t.add({k, v.is_string() ? v.get<std::string>() : v.dump()});
      t.print(std::cout, false);
      return 0;
    };
  });

  auto* rm = rel->add_subcommand("rm", "delete a release that no jail's root uses");
  rm->alias("delete");
  rm->add_option("name", name, "release name")->required();
  rm->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      api.call("DELETE", "/v1/releases/" + url_escape(name));
      if (ctx.json_output) return print_json(nlohmann::json{{"deleted", name}}), 0;
      std::cout << "deleted release " << name << "\n";
      return 0;
    };
  });
}

}  // namespace jaild::client
