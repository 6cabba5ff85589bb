// jailctl: a small client of jaild's API. Every command is one or a few API
// calls; --json prints the API's own JSON, otherwise a table or a summary.
//
// Exit status: 0 success, 1 jaild refused the request (its message is
// printed), 2 bad usage, 3 jaild could not be reached.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "client/api_client.h"
#include "client/assign.h"
#include "client/table.h"
#include "lib/model/defaults.h"

namespace {

using jaild::client::api_client;
using nlohmann::json;

struct globals {
  std::string socket;
  bool json_output = false;
};

std::string default_socket() {
  if (const char* env = std::getenv("JAILD_SOCKET"); env && *env) return env;
  return std::string(jaild::model::default_state_dir) + "/" + jaild::model::default_socket_name;
}

std::string jail_path(const std::string& name) { return "/v1/jails/" + jaild::client::url_escape(name); }

std::string text_or_dash(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

// The addresses to show for a jail: what it has, else what its spec asks for.
std::string ip4_column(const json& jail) {
  std::vector<std::string> addrs;
  const auto& status = jail["status"];
  for (const auto& a : status.value("addresses", json::array()))
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

void print_json(const json& j) { std::cout << j.dump(2) << "\n"; }

int cmd_list(api_client& api, const globals& g) {
  auto body = api.call("GET", "/v1/jails");
  if (g.json_output) return print_json(body), 0;
  jaild::client::table t({"JID", "NAME", "STATE", "IP4", "PATH"});
  for (const auto& jail : body["jails"]) {
    const auto& spec = jail["spec"];
    const auto& status = jail["status"];
    t.add({text_or_dash(status["jid"]), spec.value("name", ""), status.value("state", ""),
           ip4_column(jail), spec.value("path", "")});
  }
  t.print(std::cout);
  return 0;
}

// Prints "key  value" lines for every non-empty field, nested keys dotted.
void flatten(const json& j, const std::string& prefix, jaild::client::table& out) {
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
    } else if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty())) {
      out.add({name, text_or_dash(value)});
    }
  }
}

int print_jail(const json& jail, const globals& g) {
  if (g.json_output) return print_json(jail), 0;
  jaild::client::table t({"FIELD", "VALUE"});
  flatten(jail["status"], "status", t);
  flatten(jail["spec"], "", t);
  t.print(std::cout, false);
  return 0;
}

int cmd_show(api_client& api, const globals& g, const std::string& name) {
  return print_jail(api.call("GET", jail_path(name)), g);
}

struct create_options {
  std::string name;
  std::string file;
  std::string path, hostname, cpuset, start;
  std::vector<std::string> ip4, ip6, depend, limits, params, assignments;
  std::optional<int> priority;
  bool boot = false;
};

int cmd_create(api_client& api, const globals& g, const create_options& o) {
  json spec = json::object();
  if (!o.file.empty()) {
    std::ifstream in(o.file == "-" ? "/dev/stdin" : o.file);
    if (!in) throw std::invalid_argument("cannot read " + o.file);
    spec = json::parse(in, nullptr, false);
    if (spec.is_discarded() || !spec.is_object())
      throw std::invalid_argument(o.file + " does not hold a JSON object (a jail spec)");
  }
  if (!o.name.empty()) spec["name"] = o.name;
  if (!o.path.empty()) spec["path"] = o.path;
  if (!o.hostname.empty()) spec["hostname"] = o.hostname;
  if (!o.cpuset.empty()) spec["cpuset"] = o.cpuset;
  if (!o.start.empty()) spec["exec"]["start"] = json::array({o.start});
  if (!o.ip4.empty()) spec["ip4"] = o.ip4;
  if (!o.ip6.empty()) spec["ip6"] = o.ip6;
  if (!o.depend.empty()) spec["depend"] = o.depend;
  if (!o.limits.empty()) spec["limits"] = o.limits;
  if (o.priority) spec["priority"] = *o.priority;
  if (o.boot) spec["boot"] = true;
  for (const auto& p : o.params) jaild::client::add_assignment(spec, p);
  spec.merge_patch(jaild::client::assignments_to_patch(o.assignments));
  if (!spec.contains("name"))
    throw std::invalid_argument("give the jail a name: jailctl create NAME ... or \"name\" in the file");
  auto created = api.call("POST", "/v1/jails", &spec);
  if (g.json_output) return print_json(created), 0;
  std::cout << "created jail " << created["spec"].value("name", "") << "\n";
  return 0;
}

int cmd_set(api_client& api, const globals& g, const std::string& name,
            const std::vector<std::string>& assignments, const std::string& file) {
  json patch = json::object();
  if (!file.empty()) {
    std::ifstream in(file == "-" ? "/dev/stdin" : file);
    if (!in) throw std::invalid_argument("cannot read " + file);
    patch = json::parse(in, nullptr, false);
    if (patch.is_discarded() || !patch.is_object())
      throw std::invalid_argument(file + " does not hold a JSON object (a merge patch)");
  }
  // Not merge_patch: a null here is a removal the server must see.
  jaild::client::overlay(patch, jaild::client::assignments_to_patch(assignments));
  if (patch.empty()) throw std::invalid_argument("nothing to set: give NAME=VALUE or -f FILE");
  auto updated = api.call("PATCH", jail_path(name), &patch, "application/merge-patch+json");
  if (g.json_output) return print_json(updated), 0;
  std::cout << "updated jail " << name << "\n";
  return 0;
}

int cmd_destroy(api_client& api, const globals& g, const std::string& name, bool force) {
  api.call("DELETE", jail_path(name) + (force ? "?force=true" : ""));
  if (g.json_output) return print_json(json{{"destroyed", name}}), 0;
  std::cout << "destroyed jail " << name << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"jailctl: control jaild, the jail supervisor"};
  app.set_version_flag("--version", std::string("jailctl ") + JAILD_VERSION);
  app.require_subcommand(1);
  globals g;
  g.socket = default_socket();
  app.add_option("--socket", g.socket, "jaild's UNIX socket (env JAILD_SOCKET)")
      ->capture_default_str();
  app.add_flag("--json", g.json_output, "print the API's JSON");

  auto* list = app.add_subcommand("list", "list jails: JID, NAME, STATE, IP4, PATH");
  list->alias("ls");

  std::string name;
  auto* show = app.add_subcommand("show", "show one jail's spec and status");
  show->add_option("name", name, "jail name")->required();

  create_options co;
  auto* create = app.add_subcommand(
      "create", "define a jail from flags, NAME=VALUE parameters, or a JSON file");
  create->add_option("name", co.name, "jail name (or \"name\" in the file)");
  create->add_option("assignments", co.assignments,
                     "jail(8)-style NAME=VALUE, e.g. path=/jails/web allow.raw_sockets=true");
  create->add_option("-f,--file", co.file, "a jail spec as JSON ('-' for standard input)");
  create->add_option("--path", co.path, "root directory of the jail");
  create->add_option("--hostname", co.hostname, "host.hostname");
  create->add_option("--ip4", co.ip4, "shared-IP address [iface|]addr[/len], repeatable");
  create->add_option("--ip6", co.ip6, "shared-IP IPv6 address, repeatable");
  create->add_option("--depend", co.depend, "a jail this one needs first, repeatable");
  create->add_option("--priority", co.priority, "start priority, lower first (default 99)");
  create->add_flag("--boot", co.boot, "start with jaild");
  create->add_option("--limit", co.limits, "RCTL rule such as memoryuse:deny=512M, repeatable");
  create->add_option("--cpuset", co.cpuset, "CPU list such as 0-1");
  create->add_option("--start", co.start, "exec.start command, e.g. 'sh /etc/rc'");
  create->add_option("--param", co.params, "a jail(8) parameter NAME=VALUE, repeatable");

  std::vector<std::string> assignments;
  std::string patch_file;
  auto* set = app.add_subcommand("set", "change a jail's spec: NAME=VALUE ... or -f PATCH.json");
  set->add_option("name", name, "jail name")->required();
  set->add_option("assignments", assignments, "NAME=VALUE; an empty VALUE removes the setting");
  set->add_option("-f,--file", patch_file, "a JSON merge patch ('-' for standard input)");

  bool force = false;
  auto* destroy = app.add_subcommand("destroy", "destroy a jail's definition");
  destroy->alias("rm");
  destroy->add_option("name", name, "jail name")->required();
  destroy->add_flag("-f,--force", force, "stop the jail first if it runs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  try {
    api_client api({g.socket, "", "", ""});
    if (list->parsed()) return cmd_list(api, g);
    if (show->parsed()) return cmd_show(api, g, name);
    if (create->parsed()) return cmd_create(api, g, co);
    if (set->parsed()) return cmd_set(api, g, name, assignments, patch_file);
    if (destroy->parsed()) return cmd_destroy(api, g, name, force);
  } catch (const jaild::client::refused& e) {
    std::cerr << "jailctl: " << e.what();
    if (!e.code().empty()) std::cerr << " [" << e.code() << "]";
    std::cerr << "\n";
    return 1;
  } catch (const jaild::client::unreachable& e) {
    std::cerr << "jailctl: " << e.what() << "\n";
    return 3;
  } catch (const std::invalid_argument& e) {
    std::cerr << "jailctl: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "jailctl: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
