#include "lib/jailconf/spec_mapping.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "lib/jailconf/hook_patterns.h"
#include "lib/jailconf/hooks.h"
#include "lib/jailconf/vnet_plumbing.h"
#include "lib/model/json_reader.h"

namespace jaild::jailconf {
namespace {

using nlohmann::json;

// jail(8)'s parameters that have a meaning for jaild (usr.sbin/jail/config.c).
enum class kind {
  path, hostname, ip4, ip6, interface, vnet, vnet_interface, hook, exec_clean, jail_user,
  system_user, consolelog, exec_timeout, exec_fib, system_jail_user, command, depend, mount,
  mount_devfs, mount_fdescfs, mount_procfs, mount_fstab, devfs_ruleset, persist, stop_timeout,
  jid,
};

struct known_param {
  std::string_view name;
  kind what;
};

constexpr known_param known_params[] = {
    {"path", kind::path},
    {"host.hostname", kind::hostname},
    {"ip4.addr", kind::ip4},
    {"ip6.addr", kind::ip6},
    {"interface", kind::interface},
    {"vnet", kind::vnet},
    {"vnet.interface", kind::vnet_interface},
    {"exec.prepare", kind::hook},
    {"exec.prestart", kind::hook},
    {"exec.created", kind::hook},
    {"exec.start", kind::hook},
    {"exec.poststart", kind::hook},
    {"exec.prestop", kind::hook},
    {"exec.stop", kind::hook},
    {"exec.poststop", kind::hook},
    {"exec.release", kind::hook},
    {"exec.clean", kind::exec_clean},
    {"exec.jail_user", kind::jail_user},
    {"exec.system_user", kind::system_user},
    {"exec.consolelog", kind::consolelog},
    {"exec.timeout", kind::exec_timeout},
    {"exec.fib", kind::exec_fib},
    {"exec.system_jail_user", kind::system_jail_user},
    {"command", kind::command},
    {"depend", kind::depend},
    {"mount", kind::mount},
    {"mount.devfs", kind::mount_devfs},
    {"mount.fdescfs", kind::mount_fdescfs},
    {"mount.procfs", kind::mount_procfs},
    {"mount.fstab", kind::mount_fstab},
    {"devfs_ruleset", kind::devfs_ruleset},
    {"persist", kind::persist},
    {"stop.timeout", kind::stop_timeout},
    {"jid", kind::jid},
};

const std::vector<std::string> variable_names{
    "jaild_priority",       "jaild_boot",          "jaild_restart",
    "jaild_restart_backoff_max", "jaild_limits",   "jaild_cpuset",
    "jaild_health_exec",    "jaild_health_tcp",    "jaild_health_http",
    "jaild_health_interval", "jaild_health_timeout", "jaild_health_retries",
    "jaild_health_start_period", "jaild_exec_timeout", "jaild_stop_timeout",
    "jaild_vnetN_bridge",   "jaild_vnetN_network", "jaild_vnetN_ip4",
    "jaild_vnetN_ip6",      "jaild_vnetN_defaultrouter", "jaild_vnetN_defaultrouter6",
    "jaild_vnetN_mac",      "jaild_vnetN_vlan",    "jaild_capabilities",  "jaild_seccomp",
    "jaild_no_new_privs",   "jaild_ports",         "jaild_labels"};

std::optional<kind> classify(std::string_view name) {
  for (const auto& k : known_params)
    if (same_option(k.name, name)) return k.what;
  return std::nullopt;
}

std::string last_component(std::string_view name) {
  auto dot = name.rfind('.');
  return std::string(dot == std::string_view::npos ? name : name.substr(dot + 1));
}

// A whole decimal integer, as strtol would read all of it.
std::optional<long long> integer(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// Decimal integers as a person writes them ("10", "-1", not "010" or "+1"),
// which survive a round trip through JSON unchanged.
bool canonical_integer(std::string_view t) {
  std::string_view digits = t.starts_with('-') ? t.substr(1) : t;
  if (digits.empty() || digits.size() > 18 || t == "-0") return false;
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return false;
  return digits.size() == 1 || digits[0] != '0';
}

// The JSON form of one verbatim value: canonical integers become numbers,
// true/false booleans, anything else stays text.
json scalar(const std::string& text) {
  if (canonical_integer(text)) return json(std::stoll(text));
  if (strcasecmp(text.c_str(), "true") == 0) return json(true);
  if (strcasecmp(text.c_str(), "false") == 0) return json(false);
  return json(text);
}

bool boolean_like(const std::string& text) {
  return strcasecmp(text.c_str(), "true") == 0 || strcasecmp(text.c_str(), "false") == 0 ||
         integer(text).has_value();
}

class mapper {
 public:
  explicit mapper(const evaluated_jail& j) : j_(j) {}

  imported_jail run() {
    spec_["name"] = j_.name;
    note("", j_.pos);
    spec_["persist"] = false;      // jail(8)'s default, not a JSON spec's
    spec_["exec"]["clean"] = false;

    for (const param& p : j_.params) {
      if (p.name == "name") continue;
      if (auto k = classify(p.name)) {
        known(*k, p);
      } else {
        verbatim(p);
      }
    }
    fold_addresses();
    lift_patterns();
    variables();
    hooks_to_json();
    return decode();
  }

 private:
  // --- positions -------------------------------------------------------------
  void note(const std::string& pointer, const position& pos) { where_[pointer] = pos; }

  position position_of(const std::string& pointer) const {
    std::string p = pointer;
    while (true) {
      if (auto it = where_.find(p); it != where_.end()) return it->second;
      auto slash = p.rfind('/');
      if (slash == std::string::npos || p.empty()) return j_.pos;
      p.resize(slash);
    }
  }

  [[noreturn]] void fail(const position& pos, const std::string& message,
                         errc code = errc::jailconf_syntax) const {
    fail_at(pos, fmt::format("jail '{}': {}", j_.name, message), code);
  }

  // --- jail(8)'s value rules -------------------------------------------------
  bool boolean(const param& p) const {
    const bool negated = last_component(p.name).starts_with("no");
    if (p.values.empty()) return !negated;
    const value& v = p.values.back();
    if (!boolean_like(v.text))
      fail(v.pos, fmt::format("{}: unknown boolean value {} (true, false or a number)", p.name,
                              quote_text(v.text)));
    const bool truth = strcasecmp(v.text.c_str(), "true") == 0 ||
                       (integer(v.text).has_value() && *integer(v.text) != 0);
    return negated != truth;
  }

  long long number(const param& p) const {
    if (p.values.empty()) fail(p.pos, fmt::format("{} needs a value", p.name));
    const value& v = p.values.back();
    auto n = integer(v.text);
    if (!n) fail(v.pos, fmt::format("{}: {} is not an integer", p.name, quote_text(v.text)));
    return *n;
  }

  const value& text(const param& p) const {
    if (p.values.empty()) fail(p.pos, fmt::format("{} needs a value", p.name));
    return p.values.back();  // jail(8) keeps the last value of a scalar
  }

  void set(const std::string& pointer, json v, const position& pos) {
    spec_[json::json_pointer(pointer)] = std::move(v);
    note(pointer, pos);
  }

  // --- parameters ------------------------------------------------------------
  void known(kind k, const param& p) {
    switch (k) {
      case kind::path: return set("/path", text(p).text, text(p).pos);
      case kind::hostname: return set("/hostname", text(p).text, text(p).pos);
      case kind::ip4: ip4_ = &p; return;
      case kind::ip6: ip6_ = &p; return;
      case kind::interface: interface_ = &p; return;
      case kind::vnet: return vnet(p);
      case kind::vnet_interface: vnet_interface_ = &p; return;
      case kind::hook:
        // By jail(8)'s rule of names: "exec.nostart" is exec.start too.
        for (stage s : all_stages)
          if (same_option(fmt::format("exec.{}", stage_name(s)), p.name))
            for (const value& v : p.values)
              if (!v.text.empty()) hooks_[s].push_back(hook_line{v.text, v.pos, false});
        return;
      case kind::exec_clean: return set("/exec/clean", boolean(p), p.pos);
      case kind::jail_user: return set("/exec/jail_user", text(p).text, text(p).pos);
      case kind::system_user: return set("/exec/system_user", text(p).text, text(p).pos);
      case kind::consolelog: return set("/exec/consolelog", text(p).text, text(p).pos);
      case kind::exec_timeout: {
        const long long n = number(p);
        if (n == 0)
          fail(p.values.back().pos, "exec.timeout = 0 means no timeout to jail(8); jaild bounds "
                                    "every hook: give a number of seconds (at most 86400)",
               errc::invalid_value);
        return set("/exec/timeout", std::to_string(n), p.values.back().pos);
      }
      case kind::exec_fib:
        fail(p.pos, "exec.fib is not supported by jaild yet: remove it, or keep this jail "
                    "with jail(8)",
             errc::invalid_value);
      case kind::system_jail_user:
        if (boolean(p))
          fail(p.pos, "exec.system_jail_user is not supported by jaild yet: remove it, or keep "
                      "this jail with jail(8)",
               errc::invalid_value);
        return;
      case kind::command: command_ = &p; return;
      case kind::depend: return list("/depend", p);
      case kind::mount: {
        json entries = json::array();
        for (const value& v : p.values) {
          if (v.text.find_first_not_of(" \t\f\v\r\n") == std::string::npos) continue;
          note(fmt::format("/mount/entries/{}", entries.size()), v.pos);
          entries.push_back(v.text);
        }
        spec_["mount"]["entries"] = std::move(entries);
        return;
      }
      case kind::mount_devfs: return set("/mount/devfs", boolean(p), p.pos);
      case kind::mount_fdescfs: return set("/mount/fdescfs", boolean(p), p.pos);
      case kind::mount_procfs: return set("/mount/procfs", boolean(p), p.pos);
      case kind::mount_fstab: {
        std::vector<const value*> files;
        for (const value& v : p.values)
          if (!v.text.empty()) files.push_back(&v);
        if (files.size() > 1)
          fail(files[1]->pos, "jaild takes one mount.fstab file; merge the files into one",
               errc::invalid_value);
        if (files.empty()) {
          // "mount.nofstab;" undoes a default (which this jail may not have).
          if (auto m = spec_.find("mount"); m != spec_.end() && m->is_object()) m->erase("fstab");
          return;
        }
        return set("/mount/fstab", files[0]->text, files[0]->pos);
      }
      case kind::devfs_ruleset: return set("/mount/devfs_ruleset", number(p), p.values.back().pos);
      case kind::persist: return set("/persist", boolean(p), p.pos);
      case kind::stop_timeout:
        return set("/stop_timeout", std::to_string(number(p)), p.values.back().pos);
      case kind::jid:
        fail(p.pos, "jaild assigns JIDs itself; remove 'jid'", errc::invalid_value);
    }
  }

  void list(const std::string& pointer, const param& p) {
    json out = json::array();
    for (const value& v : p.values) {
      note(fmt::format("{}/{}", pointer, out.size()), v.pos);
      out.push_back(v.text);
    }
    note(pointer, p.pos);
    spec_[json::json_pointer(pointer)] = std::move(out);
  }

  void vnet(const param& p) {
    bool on;
    if (p.values.empty() || boolean_like(p.values.back().text)) {
      on = boolean(p);
    } else {
      const std::string& v = p.values.back().text;
      if (strcasecmp(v.c_str(), "new") == 0)
        on = true;
      else if (strcasecmp(v.c_str(), "inherit") == 0 || strcasecmp(v.c_str(), "disable") == 0)
        on = false;
      else
        fail(p.values.back().pos,
             fmt::format("vnet: {} is not new, inherit, disable, true or false", quote_text(v)));
    }
    vnet_ = on;
    vnet_pos_ = p.pos;
  }

  void verbatim(const param& p) {
    if (p.name.starts_with("exec.") || p.name.starts_with("mount."))
      fail(p.pos, fmt::format("jail(8) has no parameter '{}'", p.name));
    std::string name = p.name;
    json v;
    const std::string last = last_component(name);
    const bool negated = last.size() > 2 && last.starts_with("no") &&
                         (p.values.empty() || boolean_like(p.values.back().text));
    if (negated) {
      // "allow.noraw_sockets" is allow.raw_sockets = false (the "no" goes
      // before the last component).
      name.erase(name.size() - last.size(), 2);
      v = boolean(p);
    } else if (p.values.empty()) {
      v = true;
    } else if (p.values.size() == 1) {
      v = scalar(p.values[0].text);
    } else {
      v = json::array();
      for (const value& x : p.values) v.push_back(scalar(x.text));
    }
    if (same_option(name, "ip_hostname") || same_option(name, "allow.dying"))
      warnings_.push_back(fmt::format("{}: jail '{}': '{}' tells jail(8) what to do, not the "
                                      "kernel; jaild keeps it in params but does not act on it{}",
                                      p.pos.to_string(), j_.name, p.name,
                                      same_option(name, "ip_hostname")
                                          ? " (give the addresses in ip4.addr and ip6.addr)"
                                          : ""));
    const std::string pointer = "/params/" + model::pointer_escape(name);
    note(pointer, p.values.empty() ? p.pos : p.values.back().pos);
    spec_["params"][name] = std::move(v);
  }

  // ip4.addr and ip6.addr, with `interface` written into each address that has none.
  void fold_addresses() {
    std::string iface;
    if (interface_) iface = text(*interface_).text;
    bool used = false;
    for (auto [p, key] : {std::pair{ip4_, "ip4"}, std::pair{ip6_, "ip6"}}) {
      if (!p) continue;
      json out = json::array();
      for (const value& v : p->values) {
        std::vector<std::string> parts{v.text};
        if (v.text.find(',') != std::string::npos) {
          if (v.text.find_first_of("|/ ") != std::string::npos || !iface.empty())
            fail(v.pos, fmt::format("{} {} holds several addresses in one string with an "
                                    "interface, a prefix length or options; jail(8) cannot split "
                                    "that: write one '+=' per address",
                                    p->name, quote_text(v.text)));
          parts.clear();
          std::size_t start = 0;
          while (true) {  // the kernel splits a plain list at commas
            auto comma = v.text.find(',', start);
            parts.push_back(v.text.substr(start, comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
          }
        }
        for (auto& a : parts) {
          if (!iface.empty() && a.find('|') == std::string::npos) {
            a = iface + "|" + a;
            used = true;
          }
          note(fmt::format("/{}/{}", key, out.size()), v.pos);
          out.push_back(a);
        }
      }
      spec_[key] = std::move(out);
    }
    if (interface_ && !used)
      warnings_.push_back(fmt::format("{}: interface '{}' applies to no address of jail '{}'; "
                                      "jaild drops it",
                                      interface_->pos.to_string(), iface, j_.name));
  }

  void lift_patterns() {
    auto rules = lift_rctl(hooks_, j_.name, warnings_);
    for (const auto& r : rules) add_limit(r.text, r.pos);
    if (auto cpus = lift_cpuset(hooks_, j_.name, warnings_)) set("/cpuset", cpus->text, cpus->pos);
    if (vnet_interface_) {
      if (!vnet_ || !*vnet_)
        fail(vnet_interface_->pos, "vnet.interface needs 'vnet' (a jail of its own network stack)");
      for (auto& li : lift_vnet(vnet_interface_->values, j_.name, hooks_, warnings_))
        lifted_.push_back(std::move(li));
      for (const auto& v : vnet_interface_->values)
        vnet_names_.push_back(v.text);
    }
    if (vnet_ && *vnet_) {
      json list = json::array();
      for (const auto& li : lifted_) {
        note(fmt::format("/vnet/interfaces/{}", list.size()), li.pos);
        list.push_back(interface_json(li.itf));
      }
      spec_["vnet"] = {{"interfaces", std::move(list)}};
      note("/vnet", vnet_pos_);
    }
  }

  static json interface_json(const model::vnet_interface& i) {
    json j = json::object();
    auto put = [&](const char* key, const std::string& v) {
      if (!v.empty()) j[key] = v;
    };
    put("bridge", i.bridge);
    put("network", i.network);
    if (!i.ip4.empty()) j["ip4"] = i.ip4;
    if (!i.ip6.empty()) j["ip6"] = i.ip6;
    put("defaultrouter", i.defaultrouter);
    put("defaultrouter6", i.defaultrouter6);
    put("mac", i.mac);
    if (i.vlan) j["vlan"] = *i.vlan;
    return j;
  }

  void add_limit(const std::string& rule, const position& pos) {
    auto& limits = spec_["limits"];
    if (!limits.is_array()) limits = json::array();
    for (const auto& existing : limits)
      if (existing == rule) return;  // the same rule as a hook and as $jaild_limits
    note(fmt::format("/limits/{}", limits.size()), pos);
    limits.push_back(rule);
  }

  // --- $jaild_* variables ------------------------------------------------------
  void variables() {
    std::map<std::size_t, std::pair<json, position>> vnet_vars;
    for (const param& v : j_.variables) {
      if (!v.name.starts_with("jaild_")) continue;
      const std::string key = v.name.substr(6);
      const position& at = v.values.empty() ? v.pos : v.values.back().pos;
      auto one = [&]() -> const std::string& { return text(v).text; };
      if (key == "priority") {
        set("/priority", scalar(one()), at);
      } else if (key == "boot") {
        set("/boot", boolean(v), at);
      } else if (key == "restart") {
        set("/restart/policy", one(), at);
      } else if (key == "restart_backoff_max") {
        set("/restart/backoff_max", one(), at);
      } else if (key == "limits") {
        for (const value& r : v.values) add_limit(r.text, r.pos);
      } else if (key == "cpuset") {
        if (spec_.contains("cpuset") && spec_["cpuset"] != one())
          fail(at, fmt::format("$jaild_cpuset {} differs from the cpuset hook's list {}",
                               quote_text(one()), quote_text(spec_["cpuset"].get<std::string>())),
               errc::invalid_value);
        set("/cpuset", one(), at);
      } else if (key == "health_exec") {
        json argv = json::array();
        for (const value& x : v.values) argv.push_back(x.text);
        set("/health/exec", std::move(argv), at);
      } else if (key == "health_retries") {
        set("/health/retries", scalar(one()), at);
      } else if (key == "health_tcp" || key == "health_http" || key == "health_interval" ||
                 key == "health_timeout" || key == "health_start_period") {
        set("/health/" + key.substr(7), one(), at);
      } else if (key == "exec_timeout") {
        set("/exec/timeout", one(), at);
      } else if (key == "stop_timeout") {
        set("/stop_timeout", one(), at);
      } else if (key == "ports") {
        json ports = json::array();
        for (const value& x : v.values) ports.push_back(x.text);
        set("/ports", std::move(ports), at);
      } else if (key == "capabilities") {
        json names = json::array();
        for (const value& x : v.values) names.push_back(x.text);
        set("/confinement/capabilities", std::move(names), at);
      } else if (key == "seccomp") {
        set("/confinement/seccomp", one(), at);
      } else if (key == "no_new_privs") {
        set("/confinement/no_new_privs", boolean(v), at);
      } else if (key == "labels") {
        // KEY=VALUE values; the spec's decoder checks keys and values.
        for (const value& x : v.values) {
          const auto eq = x.text.find('=');
          if (eq == std::string::npos)
            fail(x.pos, fmt::format("$jaild_labels takes KEY=VALUE values, not {}",
                                    quote_text(x.text)),
                 errc::invalid_value);
          set("/labels/" + model::pointer_escape(x.text.substr(0, eq)), x.text.substr(eq + 1),
              x.pos);
        }
      } else if (key.starts_with("vnet")) {
        vnet_variable(v, key, vnet_vars);
      } else {
        fail(v.pos, fmt::format("unknown jaild variable '${}' (jaild knows {})", v.name,
                                fmt::join(variable_names, ", ")));
      }
    }
    if (vnet_vars.empty()) return;
    // $jaild_vnetN_* describe the interfaces completely (export writes them
    // when an interface has a managed network, which no hook can express).
    if (!vnet_ || !*vnet_)
      fail(vnet_vars.begin()->second.second, "$jaild_vnet variables need 'vnet'");
    json list = json::array();
    for (std::size_t i = 0; i < vnet_vars.size(); ++i) {
      auto it = vnet_vars.find(i);
      if (it == vnet_vars.end())
        fail(vnet_vars.rbegin()->second.second,
             fmt::format("$jaild_vnet variables skip interface {}", i));
      note(fmt::format("/vnet/interfaces/{}", i), it->second.second);
      list.push_back(it->second.first);
    }
    if (!lifted_.empty() && lifted_.size() != list.size())
      warnings_.push_back(fmt::format("{}: jail '{}': {} VNET interface(s) from $jaild_vnet "
                                      "variables replace {} found in hooks",
                                      vnet_vars.begin()->second.second.to_string(), j_.name,
                                      list.size(), lifted_.size()));
    spec_["vnet"] = {{"interfaces", std::move(list)}};
    vnet_names_.clear();
  }

  void vnet_variable(const param& v, const std::string& key,
                     std::map<std::size_t, std::pair<json, position>>& vars) {
    std::size_t i = 4;
    while (i < key.size() && key[i] >= '0' && key[i] <= '9') ++i;
    static const std::vector<std::string> fields{"bridge", "network", "ip4", "ip6",
                                                 "defaultrouter", "defaultrouter6", "mac",
                                                 "vlan"};
    const std::string field = i + 1 < key.size() && key[i] == '_' ? key.substr(i + 1) : "";
    if (i == 4 || i - 4 > 2 || std::find(fields.begin(), fields.end(), field) == fields.end())
      fail(v.pos, fmt::format("unknown jaild variable '${}' (VNET interfaces are "
                              "$jaild_vnetN_{{{}}})",
                              v.name, fmt::join(fields, ",")));
    const std::size_t index = std::stoul(key.substr(4, i - 4));
    auto& [obj, pos] = vars[index];
    if (obj.is_null()) {
      obj = json::object();
      pos = v.pos;
    }
    if (field == "ip4" || field == "ip6") {
      json addrs = json::array();
      for (const value& x : v.values) addrs.push_back(x.text);
      obj[field] = std::move(addrs);
    } else if (field == "vlan") {
      // A number in the spec; its range is the spec's to check.
      const auto& t = text(v);
      if (t.text.empty() || t.text.size() > 9 ||
          !std::all_of(t.text.begin(), t.text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        fail(v.pos, fmt::format("${} must be a VLAN id (1..4094), not '{}'", v.name, t.text));
      obj[field] = std::stoi(t.text);
    } else {
      obj[field] = text(v).text;
    }
  }

  // --- hooks -------------------------------------------------------------------
  void hooks_to_json() {
    if (command_) command();
    for (stage s : all_stages) {
      json list = json::array();
      const std::string pointer = fmt::format("/exec/{}", stage_name(s));
      for (const auto& line : hooks_[s]) {
        if (line.taken) continue;
        note(fmt::format("{}/{}", pointer, list.size()), line.pos);
        list.push_back(line.text);
      }
      if (!list.empty()) spec_["exec"][std::string(stage_name(s))] = std::move(list);
    }
  }

  // jail(8) runs `command` in the jail like exec.start: one value becomes
  // the spec's argv, several become more exec.start commands.
  void command() {
    std::vector<const value*> values;
    for (const value& v : command_->values)
      if (!v.text.empty()) values.push_back(&v);
    if (values.size() == 1) {
      json argv = command_argv(values[0]->text);
      if (!argv.empty()) set("/command", std::move(argv), values[0]->pos);
      return;
    }
    if (values.empty()) return;
    warnings_.push_back(fmt::format("{}: jail '{}': the {} values of 'command' run as exec.start "
                                    "commands, after the others",
                                    command_->pos.to_string(), j_.name, values.size()));
    for (const value* v : values) hooks_[stage::start].push_back(hook_line{v->text, v->pos, false});
  }

  // --- the spec ------------------------------------------------------------------
  imported_jail decode() {
    imported_jail out;
    out.pos = j_.pos;
    try {
      out.spec = model::spec_from_json(spec_);
    } catch (const error& e) {
      fail(position_of(e.field()), e.what(), e.code());
    }
    out.warnings = std::move(warnings_);
    if (out.spec.vnet && out.spec.vnet->interfaces.size() == vnet_names_.size())
      out.vnet_names = vnet_names_;
    return out;
  }

  const evaluated_jail& j_;
  json spec_ = json::object();
  std::map<std::string, position> where_;
  std::vector<std::string> warnings_;
  std::vector<std::string> vnet_names_;
  hook_set hooks_;
  const param* ip4_ = nullptr;
  const param* ip6_ = nullptr;
  const param* interface_ = nullptr;
  const param* vnet_interface_ = nullptr;
  const param* command_ = nullptr;
  std::optional<bool> vnet_;
  position vnet_pos_;
  std::vector<lifted_interface> lifted_;
};

}  // namespace

imported_jail map_jail(const evaluated_jail& jail) { return mapper(jail).run(); }

const std::vector<std::string>& jaild_variable_names() { return variable_names; }

}  // namespace jaild::jailconf
