// jailctl snapshot create|list|rollback|rm: snapshots of a root jaild made;
// jailctl archive and import-archive (restore): a jail's spec and root as one
// file, to move it to another jaild.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {
namespace {

std::string snapshot_path(const std::string& jail, const std::string& name) {
  return jail_path(jail) + "/snapshots/" + url_escape(name);
}

std::string local_time(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

void add_snapshot_commands(CLI::App& app, context& ctx) {
  auto* snap = app.add_subcommand("snapshot", "snapshots of a jail's root (one jaild made)");
  snap->require_subcommand(1);
  static std::string jail, name, output, file;
  static bool restart = false;

  auto* create = snap->add_subcommand("create", "snapshot a jail's root");
  create->alias("add");
  create->add_option("jail", jail, "jail name")->required();
  create->add_option("name", name, "snapshot name")->required();
  create->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      nlohmann::json body = {{"name", name}};
      auto r = api.call("POST", jail_path(jail) + "/snapshots", &body);
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("{}: snapshot {} ({}): {} entries, {}\n", jail,
                               r.value("name", ""), r.value("backend", ""), r.value("files", 0),
                               human_bytes(r.value("bytes", 0.0)));
      return 0;
    };
  });

  auto* list = snap->add_subcommand("list", "a jail's snapshots, oldest first");
  list->alias("ls");
  list->add_option("jail", jail, "jail name")->required();
  list->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", jail_path(jail) + "/snapshots");
      if (ctx.json_output) return print_json(r), 0;
      table t({"NAME", "CREATED", "BACKEND", "FILES", "SIZE"});
      for (const auto& x : r["snapshots"])
        t.add({x.value("name", ""), local_time(x.value("created", std::int64_t{0})),
               x.value("backend", ""), std::to_string(x.value("files", 0)),
               human_bytes(x.value("bytes", 0.0))});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  auto* rollback = snap->add_subcommand("rollback", "put a jail's root back as a snapshot has it");
  rollback->add_option("jail", jail, "jail name")->required();
  rollback->add_option("name", name, "snapshot name")->required();
  rollback->add_flag("--restart", restart, "stop a running jail first and start it again after");
  rollback->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("POST", snapshot_path(jail, name) + "/rollback" +
                                    (restart ? "?restart=true" : ""));
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("{}: rolled back to {}\n", jail, name);
      return 0;
    };
  });

  auto* rm = snap->add_subcommand("rm", "remove a snapshot");
  rm->alias("delete");
  rm->add_option("jail", jail, "jail name")->required();
  rm->add_option("name", name, "snapshot name")->required();
  rm->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      api.call("DELETE", snapshot_path(jail, name));
      if (ctx.json_output) return print_json(nlohmann::json{{"deleted", name}}), 0;
      std::cout << fmt::format("{}: removed snapshot {}\n", jail, name);
      return 0;
    };
  });

  auto* archive = app.add_subcommand(
      "archive", "write a stopped jail's spec and root to a file (a zstd-compressed tar)");
  archive->add_option("jail", jail, "jail name")->required();
  archive->add_option("-o,--output", output,
                      "the file to write (default JAIL.jaild.tar.zst; '-' for standard output)");
  archive->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      const std::string to = output.empty() ? jail + ".jaild.tar.zst" : output;
      const bool to_stdout = to == "-";
      const std::string part = to + ".part";
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(
          to_stdout ? stdout : std::fopen(part.c_str(), "wbx"),
          to_stdout ? +[](std::FILE*) { return 0; } : std::fclose);
      if (!out) throw std::runtime_error(part + ": " + std::strerror(errno));
      std::uint64_t written = 0;
      bool write_failed = false;
      try {
        api.stream(jail_path(jail) + "/archive", [&](std::string_view data) {
          if (std::fwrite(data.data(), 1, data.size(), out.get()) != data.size()) {
            write_failed = true;
            return false;
          }
          written += data.size();
          return true;
        });
      } catch (...) {
        out.reset();
        if (!to_stdout) ::unlink(part.c_str());
        throw;
      }
      if (write_failed || std::fflush(out.get()) != 0) {
        out.reset();
        if (!to_stdout) ::unlink(part.c_str());
        throw std::runtime_error(to + ": " + std::strerror(errno));
      }
      out.reset();
      if (!to_stdout && std::rename(part.c_str(), to.c_str()) != 0)
        throw std::runtime_error(to + ": " + std::strerror(errno));
      if (ctx.json_output && !to_stdout)
        return print_json(nlohmann::json{{"jail", jail}, {"file", to}, {"bytes", written}}), 0;
      if (!to_stdout) std::cout << fmt::format("{}: {} ({})\n", jail, to, human_bytes(double(written)));
      return 0;
    };
  });

  auto* import = app.add_subcommand("import-archive", "make a jail from a file that archive wrote");
  import->alias("restore");
  import->add_option("file", file, "the archive")->required();
  import->add_option("--name", name, "the new jail's name (default: the archived jail's)");
  import->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.upload("/v1/jails/import-archive" +
                              (name.empty() ? std::string() : "?name=" + url_escape(name)),
                          file);
      if (ctx.json_output) return print_json(r), 0;
      const auto& a = r["archive"];
      std::cout << fmt::format("made jail {} from {}: {} entries, {}\n",
                               r["spec"].value("name", ""), file, a.value("entries", 0),
                               human_bytes(a.value("bytes", 0.0)));
      return 0;
    };
  });
}

}  // namespace jaild::client
