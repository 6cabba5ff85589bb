// jailctl list, show, create, set, destroy: the desired state.
#include <fstream>
#include <iostream>

#include "client/assign.h"
#include "client/cli.h"
#include "client/field_flags.h"
#include "client/table.h"
#include "client/times.h"

namespace jaild::client {
namespace {

using nlohmann::json;

// The addresses to show for a jail: what it has, else what its spec asks for.
std::string ip4_column(const json& jail) {
  std::vector<std::string> addrs;
  for (const auto& a : jail["status"].value("addresses", json::array()))
    if (a.get<std::string>().find(':') == std::string::npos) addrs.push_back(a);
  if (addrs.empty()) {
    const auto& spec = jail["spec"];
    for (const auto& a : spec.value("ip4", json::array())) addrs.push_back(a);
    if (spec["vnet"].is_object())
      for (const auto& itf : spec["vnet"].value("interfaces", json::array()))
        for (const auto& a : itf.value("ip4", json::array())) addrs.push_back(a);
  }
  if (addrs.empty()) return "-";
  std::string out;
  for (const auto& a : addrs) out += (out.empty() ? "" : ",") + a;
  return out;
}

// The published ports: those applied to the running jail, else those its spec asks for.
std::string ports_column(const json& jail) {
  auto ports = jail["status"].value("ports", json::array());
  if (ports.empty()) ports = jail["spec"].value("ports", json::array());
  std::string out;
  for (const auto& p : ports) out += (out.empty() ? "" : ",") + p.get<std::string>();
  return out.empty() ? "-" : out;
}

// "key  value" rows for every non-empty field, nested keys dotted.
void flatten(const json& j, const std::string& prefix, table& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object() && key != "params") {
      flatten(value, name, out);
    } else if (value.is_object()) {
      for (const auto& [pk, pv] : value.items()) out.add({"param " + pk, pv.dump()});
    } else if (value.is_array()) {
      if (value.empty()) continue;
      bool scalars = true;
      for (const auto& v : value) scalars = scalars && !v.is_structured();
      if (!scalars) {
        for (std::size_t i = 0; i < value.size(); ++i)
          flatten(value[i], name + "." + std::to_string(i), out);
        continue;
      }
      std::string joined;
      for (const auto& v : value) joined += (joined.empty() ? "" : ", ") + text_or_dash(v);
      out.add({name, joined});
    } else if (is_time_key(key) && value.is_number_integer()) {
      out.add({name, local_time(value.get<long long>())});
    } else if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty())) {
      out.add({name, text_or_dash(value)});
    }
  }
}

struct create_options {
  std::string name, file, path, hostname, cpuset, start, health, restart, release, template_name;
  bool thin = false, clone = false;
  std::vector<std::string> ip4, ip6, depend, limits, params, assignments, vnet, networks, labels;
  std::optional<int> priority;
  bool boot = false;
};

}  // namespace

void add_jail_commands(CLI::App& app, context& ctx) {
  static std::vector<std::string> labels, states;
  auto* list = app.add_subcommand("list", "list jails: JID, NAME, STATE, IP4, PORTS, PATH");
  list->alias("ls");
  list->add_option("-l,--label", labels,
                   "only jails with this label: KEY=VALUE, or KEY for any value; repeatable")
      ->allow_extra_args(false);
  list->add_option("--state", states, "only jails in this state (running, stopped, ...); repeatable")
      ->allow_extra_args(false);
  list->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      // The server selects: the same query a scheduler sends.
      std::string query;
      auto add = [&query](const char* key, const std::vector<std::string>& values) {
        if (values.empty()) return;
        std::string joined;
        for (const auto& v : values) joined += (joined.empty() ? "" : ",") + v;
        query += std::string(query.empty() ? "?" : "&") + key + "=" + url_escape(joined);
      };
      add("label", labels);
      add("state", states);
      auto body = api.call("GET", "/v1/jails" + query);
      if (ctx.json_output) return print_json(body), 0;
      table t({"JID", "NAME", "STATE", "IP4", "PORTS", "PATH"});
      for (const auto& jail : body["jails"]) {
        const auto& spec = jail["spec"];
        const auto& status = jail["status"];
        t.add({text_or_dash(status["jid"]), spec.value("name", ""), status.value("state", ""),
               ip4_column(jail), ports_column(jail), spec.value("path", "")});
      }
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  static std::string name;
  auto* show = app.add_subcommand("show", "show one jail's spec and status");
  show->add_option("name", name, "jail name")->required();
  show->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto jail = api.call("GET", jail_path(name));
      if (ctx.json_output) return print_json(jail), 0;
      table t({"FIELD", "VALUE"});
      flatten(jail["status"], "status", t);
      flatten(jail["spec"], "", t);
      t.print(std::cout, false);
      return 0;
    };
  });

  static create_options co;
  auto* create = app.add_subcommand(
      "create", "define a jail from flags, NAME=VALUE parameters, or a JSON file");
  create->add_option("name", co.name, "jail name (or \"name\" in the file)");
  create->add_option("assignments", co.assignments,
                     "jail(8)-style NAME=VALUE, e.g. path=/jails/web allow.raw_sockets=true");
  create->add_option("-f,--file", co.file, "a jail spec as JSON ('-' for standard input)");
  create->add_option("--path", co.path, "root directory of the jail");
  create->add_option("--hostname", co.hostname, "host.hostname");
  create->add_option("--ip4", co.ip4, "shared-IP address [iface|]addr[/len], repeatable")
      ->allow_extra_args(false);
  create->add_option("--ip6", co.ip6, "shared-IP IPv6 address, repeatable")
      ->allow_extra_args(false);
  create->add_option("--depend", co.depend, "a jail this one needs first, repeatable")
      ->allow_extra_args(false);
  create->add_option("--priority", co.priority, "start priority, lower first (default 99)");
  create->add_flag("--boot", co.boot, "start with jaild");
  create->add_option("--limit", co.limits, "RCTL rule such as memoryuse:deny=512M, repeatable")
      ->allow_extra_args(false);
  create->add_option("--cpuset", co.cpuset, "CPU list such as 0-1");
  create->add_option("--start", co.start, "exec.start command, e.g. 'sh /etc/rc'");
  create->add_option("--param", co.params, "a jail(8) parameter NAME=VALUE, repeatable")
      ->allow_extra_args(false);
  create->add_option("--vnet", co.vnet,
                     "a VNET interface on a bridge, BRIDGE[:ADDR[,ADDR]], repeatable")
      ->allow_extra_args(false);
  create->add_option("--network", co.networks,
                     "a VNET interface leased from this managed network, repeatable")
      ->allow_extra_args(false);
  create->add_option("--health", co.health,
                     "health check: tcp:[HOST:]PORT, http://HOST:PORT/PATH or exec:COMMAND");
  create->add_option("--label", co.labels, "a label KEY=VALUE, repeatable")
      ->allow_extra_args(false);
  create->add_option("--restart", co.restart,
                     "restart policy: no, on-failure[:N], always or unless-stopped");
  auto* release = create->add_option(
      "--release", co.release,
      "make the root from this release (a copy; --path may then be left out)");
  create
      ->add_option("--template", co.template_name,
                   "make the root from this template, under its profile (see template add)")
      ->excludes(release);
  auto* thin = create->add_flag("--thin", co.thin,
                                "with --release or --template: a writable layer over it");
  auto* clone = create->add_flag("--clone", co.clone,
                                 "with --release or --template: a copy-on-write snapshot of it");
  thin->excludes(clone);
  create->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      json spec = co.file.empty() ? json::object() : read_json_object(co.file, "a jail spec");
      if (!co.name.empty()) spec["name"] = co.name;
      if (!co.path.empty()) spec["path"] = co.path;
      if (!co.hostname.empty()) spec["hostname"] = co.hostname;
      if (!co.cpuset.empty()) spec["cpuset"] = co.cpuset;
      if (!co.start.empty()) spec["exec"]["start"] = json::array({co.start});
      if (!co.ip4.empty()) spec["ip4"] = co.ip4;
      if (!co.ip6.empty()) spec["ip6"] = co.ip6;
      if (!co.depend.empty()) spec["depend"] = co.depend;
      if (!co.limits.empty()) spec["limits"] = co.limits;
      if (co.priority) spec["priority"] = *co.priority;
      if (co.boot) spec["boot"] = true;
      if (!co.health.empty()) spec["health"] = health_flag(co.health);
      if (!co.restart.empty()) spec["restart"] = co.restart;
      for (const auto& v : co.vnet) spec["vnet"]["interfaces"].push_back(vnet_interface_flag(v));
      for (const auto& n : co.networks)
        spec["vnet"]["interfaces"].push_back(network_interface_flag(n));
      for (const auto& l : co.labels) {
        const auto eq = l.find('=');
        if (eq == std::string::npos || eq == 0)
          throw std::invalid_argument("--label takes KEY=VALUE, not '" + l + "'");
        spec["labels"][l.substr(0, eq)] = l.substr(eq + 1);
      }
      std::vector<std::string> warnings;
      for (const auto& p : co.params) add_assignment(spec, p, &warnings);
      if ((co.thin || co.clone) && co.release.empty() && co.template_name.empty())
        throw std::invalid_argument(
            "--thin and --clone make the root from a release or a template: add --release R or "
            "--template T");
      const char* mode = co.thin ? "thin" : co.clone ? "clone" : "thick";
      if (!co.release.empty()) spec["root"] = {{"release", co.release}, {"mode", mode}};
      if (!co.template_name.empty())
        spec["root"] = {{"template", co.template_name}, {"mode", mode}};
      spec.merge_patch(assignments_to_patch(co.assignments, &warnings));
      report_warnings(ctx, warnings);
      if (!spec.contains("name"))
        throw std::invalid_argument(
            "give the jail a name: jailctl create NAME ... or \"name\" in the file");
      auto created = api.call("POST", "/v1/jails", &spec);
      if (ctx.json_output) return print_json(created), 0;
      std::cout << "created jail " << created["spec"].value("name", "") << "\n";
      return 0;
    };
  });

  static std::vector<std::string> assignments;
  static std::string patch_file;
  auto* set = app.add_subcommand("set", "change a jail's spec: NAME=VALUE ... or -f PATCH.json");
  set->add_option("name", name, "jail name")->required();
  set->add_option("assignments", assignments, "NAME=VALUE; an empty VALUE removes the setting");
  set->add_option("-f,--file", patch_file, "a JSON merge patch ('-' for standard input)");
  set->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      json patch = patch_file.empty() ? json::object()
                                      : read_json_object(patch_file, "a merge patch");
      // Not merge_patch: a null here is a removal the server must see.
      std::vector<std::string> warnings;
      overlay(patch, assignments_to_patch(assignments, &warnings));
      report_warnings(ctx, warnings);
      if (patch.empty()) throw std::invalid_argument("nothing to set: give NAME=VALUE or -f FILE");
      auto updated = api.call("PATCH", jail_path(name), &patch, "application/merge-patch+json");
      if (ctx.json_output) return print_json(updated), 0;
      std::cout << "updated jail " << name << "\n";
      return 0;
    };
  });

  static bool force = false, keep_root = false;
  auto* destroy =
      app.add_subcommand("destroy", "destroy a jail's definition (and the root jaild made)");
  destroy->alias("rm");
  destroy->add_option("name", name, "jail name")->required();
  destroy->add_flag("-f,--force", force, "stop the jail first if it runs, and drop it from the depend of jails that name it");
  destroy->add_flag("--keep-root", keep_root, "keep the root jaild made for the jail");
  destroy->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      std::string query = force ? "?force=true" : "";
      if (keep_root) query += (query.empty() ? "?" : "&") + std::string("keep_root=true");
      api.call("DELETE", jail_path(name) + query);
      if (ctx.json_output) return print_json(json{{"destroyed", name}}), 0;
      std::cout << "destroyed jail " << name << "\n";
      return 0;
    };
  });
}

}  // namespace jaild::client
