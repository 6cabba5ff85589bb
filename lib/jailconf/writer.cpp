#include "lib/jailconf/writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "lib/jailconf/hook_patterns.h"
#include "lib/jailconf/hooks.h"
#include "lib/jailconf/vnet_plumbing.h"
#include "lib/model/validate.h"

namespace jaild::jailconf {
namespace {

using nlohmann::json;

class block_writer {
 public:
  explicit block_writer(std::string& out) : out_(out) {}

  void flag(std::string_view name) { out_ += fmt::format("\t{};\n", name); }
  void raw(std::string_view name, std::string_view text) {
    out_ += fmt::format("\t{} = {};\n", name, text);
  }
  void text(std::string_view name, std::string_view value) { raw(name, quote_value(value)); }
  void list(std::string_view name, const std::vector<std::string>& values) {
    for (std::size_t i = 0; i < values.size(); ++i)
      out_ += fmt::format("\t{} {} {};\n", name, i == 0 ? "=" : "+=", quote_value(values[i]));
  }

 private:
  std::string& out_;
};

std::string json_scalar(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_string()) return quote_value(v.get<std::string>());
  return quote_value(v.dump());  // a float: jail(8) takes it as text
}

// Whole seconds for jail(8) (rounded up: a hook is never cut shorter), plus
// the exact value for jaild when it is not whole.
void write_timeout(block_writer& w, std::string_view param, std::string_view variable,
                   model::duration d) {
  const auto ms = d.count();
  w.raw(param, std::to_string((ms + 999) / 1000));
  if (ms % 1000 != 0) w.text(variable, model::check::format_duration(d));
}

std::string command_line(const std::vector<std::string>& argv) {
  if (argv.size() == 3 && argv[0] == "/bin/sh" && argv[1] == "-c" && needs_shell(argv[2]))
    return argv[2];
  return join_command(argv);
}

void write_jail(std::string& out, const model::jail_spec& s, int& next_unit) {
  out += fmt::format("{} {{\n", s.name);
  block_writer w(out);
  w.text("path", s.path);
  if (!s.hostname.empty()) w.text("host.hostname", s.hostname);
  w.list("ip4.addr", s.ip4);
  w.list("ip6.addr", s.ip6);

  // VNET: plumbing hooks for jail(8); $jaild_vnetN_* when a managed network
  // needs describing (no hook can say "lease from network X").
  std::vector<std::string> prestart = s.exec.prestart, start, poststop = s.exec.poststop;
  std::vector<std::string> jail_ends;
  bool describe_interfaces = false;
  if (s.vnet) {
    w.flag("vnet");
    std::vector<std::string> plumbing_poststop;
    for (const auto& itf : s.vnet->interfaces) {
      describe_interfaces = describe_interfaces || !itf.network.empty();
      if (itf.bridge.empty()) continue;
      auto p = vnet_plumbing(itf, next_unit++);
      jail_ends.push_back(p.jail_end);
      prestart.insert(prestart.end(), p.prestart.begin(), p.prestart.end());
      start.insert(start.end(), p.start.begin(), p.start.end());
      plumbing_poststop.insert(plumbing_poststop.end(), p.poststop.begin(), p.poststop.end());
    }
    w.list("vnet.interface", jail_ends);
    poststop.insert(poststop.end(), plumbing_poststop.begin(), plumbing_poststop.end());
  }
  start.insert(start.end(), s.exec.start.begin(), s.exec.start.end());

  if (s.mount.devfs) w.flag("mount.devfs");
  if (s.mount.devfs_ruleset) w.raw("devfs_ruleset", std::to_string(*s.mount.devfs_ruleset));
  if (s.mount.fdescfs) w.flag("mount.fdescfs");
  if (s.mount.procfs) w.flag("mount.procfs");
  if (!s.mount.fstab.empty()) w.text("mount.fstab", s.mount.fstab);
  w.list("mount", s.mount.entries);
  if (s.persist) w.flag("persist");
  if (s.exec.clean) w.flag("exec.clean");
  if (!s.exec.jail_user.empty()) w.text("exec.jail_user", s.exec.jail_user);
  if (!s.exec.system_user.empty()) w.text("exec.system_user", s.exec.system_user);
  if (!s.exec.consolelog.empty()) w.text("exec.consolelog", s.exec.consolelog);
  write_timeout(w, "exec.timeout", "$jaild_exec_timeout", s.exec.timeout);
  write_timeout(w, "stop.timeout", "$jaild_stop_timeout", s.stop_timeout);

  // Limits and CPUs as the hooks jail(8) runs; jaild applies them after
  // exec.created and removes the rules after the plumbing is gone.
  std::vector<std::string> created = s.exec.created;
  for (const auto& rule : s.limits) created.push_back(rctl_add_command(s.name, rule));
  if (!s.cpuset.empty()) created.push_back(cpuset_command(s.name, s.cpuset));
  if (!s.limits.empty()) poststop.push_back(rctl_remove_command(s.name));

  w.list("exec.prepare", s.exec.prepare);
  w.list("exec.prestart", prestart);
  w.list("exec.created", created);
  w.list("exec.start", start);
  w.list("exec.poststart", s.exec.poststart);
  w.list("exec.prestop", s.exec.prestop);
  w.list("exec.stop", s.exec.stop);
  w.list("exec.poststop", poststop);
  w.list("exec.release", s.exec.release);
  if (!s.command.empty()) w.text("command", command_line(s.command));
  w.list("depend", s.depend);

  for (const auto& [name, v] : s.params.items()) {
    if (v.is_boolean() && v.get<bool>()) {
      w.flag(name);
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i)
        out += fmt::format("\t{} {} {};\n", name, i == 0 ? "=" : "+=", json_scalar(v[i]));
    } else {
      w.raw(name, json_scalar(v));
    }
  }

  if (s.priority != 99) w.raw("$jaild_priority", std::to_string(s.priority));
  if (s.boot) w.raw("$jaild_boot", "true");
  const model::restart_spec default_restart;
  if (s.restart.policy != default_restart.policy || s.restart.max_retries != 0) {
    std::string policy(model::restart_policy_name(s.restart.policy));
    if (s.restart.max_retries > 0) policy += fmt::format(":{}", s.restart.max_retries);
    w.text("$jaild_restart", policy);
  }
  if (s.restart.backoff_max != default_restart.backoff_max)
    w.text("$jaild_restart_backoff_max", model::check::format_duration(s.restart.backoff_max));
  if (s.health) {
    const auto& h = *s.health;
    w.list("$jaild_health_exec", h.exec);
    if (!h.tcp.empty()) w.text("$jaild_health_tcp", h.tcp);
    if (!h.http.empty()) w.text("$jaild_health_http", h.http);
    w.text("$jaild_health_interval", model::check::format_duration(h.interval));
    w.text("$jaild_health_timeout", model::check::format_duration(h.timeout));
    w.raw("$jaild_health_retries", std::to_string(h.retries));
    w.text("$jaild_health_start_period", model::check::format_duration(h.start_period));
  }
  if (!s.ports.empty()) w.list("$jaild_ports", s.ports);
  if (!s.confinement.capabilities.empty())
    w.list("$jaild_capabilities", s.confinement.capabilities);
  if (!s.confinement.seccomp) w.text("$jaild_seccomp", "unconfined");
  if (!s.confinement.no_new_privs) w.raw("$jaild_no_new_privs", "false");
  if (!s.labels.empty()) {
    std::vector<std::string> pairs;
    for (const auto& [key, value] : s.labels) pairs.push_back(key + "=" + value);
    w.list("$jaild_labels", pairs);
  }
  if (describe_interfaces) {
    for (std::size_t i = 0; i < s.vnet->interfaces.size(); ++i) {
      const auto& itf = s.vnet->interfaces[i];
      auto var = [&](std::string_view field) { return fmt::format("$jaild_vnet{}_{}", i, field); };
      auto put = [&](std::string_view field, const std::string& v) {
        if (!v.empty()) w.text(var(field), v);
      };
      put("bridge", itf.bridge);
      put("network", itf.network);
      w.list(var("ip4"), itf.ip4);
      w.list(var("ip6"), itf.ip6);
      put("defaultrouter", itf.defaultrouter);
      put("defaultrouter6", itf.defaultrouter6);
      put("mac", itf.mac);
      if (itf.vlan) w.text(var("vlan"), std::to_string(*itf.vlan));
    }
  }
  out += "}\n";
}

}  // namespace

std::string quote_value(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '$': out += "\\$"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f)
          out += fmt::format("\\{:03o}", u);  // always three digits: a digit after it stays text
        else
          out += c;
    }
  }
  return out + "\"";
}

std::string write_jail_conf(const std::vector<model::jail_spec>& jails,
                            const std::optional<std::string>& only) {
  std::vector<const model::jail_spec*> sorted;
  for (const auto& j : jails) sorted.push_back(&j);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  std::string out = fmt::format(
      "# jail.conf(5) written by jaild {}.\n"
      "# Settings that jail(8) has no parameter for are $jaild_* variables, which\n"
      "# jail(8) ignores and 'jailctl import' reads back.\n",
      JAILD_VERSION);
  int unit = 0;
  for (const auto* s : sorted) {
    if (only && s->name != *only) {
      if (s->vnet)  // keep the numbering of the full export
        for (const auto& itf : s->vnet->interfaces) unit += itf.bridge.empty() ? 0 : 1;
      continue;
    }
    out += "\n";
    write_jail(out, *s, unit);
  }
  return out;
}

}  // namespace jaild::jailconf
