#include "lib/model/jail_spec.h"

#include <array>
#include <set>

#include <fmt/format.h>

#include "lib/model/capability.h"
#include "lib/model/dynamic_address.h"
#include "lib/model/error.h"
#include "lib/model/json_reader.h"
#include "lib/model/port.h"
#include "lib/model/release.h"
#include "lib/model/rctl.h"
#include "lib/model/validate.h"

namespace jaild::model {
namespace {

using nlohmann::json;

// jail(8) parameters that have a spec field of their own: writing them in
// `params` would give two sources of truth, so the decoder points at the field.
std::string reserved_param_field(std::string_view p) {
  static const std::array<std::pair<std::string_view, std::string_view>, 13> exact{{
      {"name", "name"},
      {"path", "path"},
      {"host.hostname", "hostname"},
      {"ip4.addr", "ip4"},
      {"ip6.addr", "ip6"},
      {"vnet", "vnet"},
      {"vnet.interface", "vnet.interfaces"},
      {"command", "command"},
      {"depend", "depend"},
      {"mount", "mount.entries"},
      {"devfs_ruleset", "mount.devfs_ruleset"},
      {"persist", "persist"},
      {"stop.timeout", "stop_timeout"},
  }};
  for (const auto& [param, field] : exact)
    if (p == param) return std::string(field);
  if (p.starts_with("exec.")) return "exec";
  if (p.starts_with("mount.")) return "mount";
  if (p == "jid") return "(none: jaild assigns JIDs)";
  if (p == "interface") return "ip4/ip6 (write the interface into each address: em0|192.0.2.5)";
  return {};
}

duration read_duration(json_reader& r, std::string_view key, duration fallback,
                       bool allow_zero = false) {
  auto text = r.string(key);
  if (!text) return fallback;
  if (allow_zero && (*text == "0" || *text == "0s" || *text == "0ms")) return duration{0};
  std::string why;
  auto d = check::parse_duration(*text, &why);
  if (!d) r.fail(errc::invalid_value, key, why);
  return *d;
}

void require(json_reader& r, std::string_view key, const std::string& problem,
             errc code = errc::invalid_value) {
  if (!problem.empty()) r.fail(code, key, problem);
}

// Checks each element of a string list with `check_one`.
template <typename F>
void require_each(json_reader& r, std::string_view key, const std::vector<std::string>& items,
                  F check_one) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto problem = check_one(items[i]);
    if (!problem.empty())
      throw error(errc::invalid_value, problem, r.pointer(key) + "/" + std::to_string(i));
  }
}

exec_hooks read_exec(const json& j, const std::string& where) {
  json_reader r(j, where, "'exec'");
  exec_hooks e;
  auto list = [&](std::string_view key, std::vector<std::string>& out) {
    if (auto v = r.strings(key)) out = *v;
  };
  list("prepare", e.prepare);
  list("prestart", e.prestart);
  list("created", e.created);
  list("start", e.start);
  list("poststart", e.poststart);
  list("prestop", e.prestop);
  list("stop", e.stop);
  list("poststop", e.poststop);
  list("release", e.release);
  if (auto v = r.boolean("clean")) e.clean = *v;
  if (auto v = r.string("jail_user")) e.jail_user = *v;
  if (auto v = r.string("system_user")) e.system_user = *v;
  if (auto v = r.string("consolelog")) {
    e.consolelog = *v;
    if (!v->empty()) require(r, "consolelog", check::absolute_path(*v));
  }
  e.timeout = read_duration(r, "timeout", e.timeout);
  r.finish(
      "exec takes prepare, prestart, created, start, poststart, prestop, stop, poststop, "
      "release, clean, jail_user, system_user, consolelog, timeout");
  return e;
}

mount_spec read_mount(const json& j, const std::string& where) {
  json_reader r(j, where, "'mount'");
  mount_spec m;
  if (auto v = r.boolean("devfs")) m.devfs = *v;
  if (auto v = r.integer("devfs_ruleset")) {
    if (*v < 0 || *v > 65535)
      r.fail(errc::invalid_value, "devfs_ruleset", "devfs_ruleset must be 0..65535");
    m.devfs_ruleset = static_cast<int>(*v);
  }
  if (auto v = r.boolean("fdescfs")) m.fdescfs = *v;
  if (auto v = r.boolean("procfs")) m.procfs = *v;
  if (auto v = r.string("fstab")) {
    m.fstab = *v;
    if (!v->empty()) require(r, "fstab", check::absolute_path(*v));
  }
  if (auto v = r.strings("entries")) m.entries = *v;
  r.finish("mount takes devfs, devfs_ruleset, fdescfs, procfs, fstab, entries");
  return m;
}

vnet_interface read_vnet_interface(const json& j, const std::string& where) {
  json_reader r(j, where, "a VNET interface");
  vnet_interface i;
  if (auto v = r.string("bridge")) {
    i.bridge = *v;
    if (!v->empty()) require(r, "bridge", check::interface_name(*v));
  }
  if (auto v = r.string("network")) {
    i.network = *v;
    if (!v->empty()) require(r, "network", check::jail_name(*v));
  }
  // "dhcp" and "slaac" are checked whole below (check_dynamic).
  if (auto v = r.strings("ip4")) {
    i.ip4 = *v;
    require_each(r, "ip4", i.ip4, [](const std::string& a) {
      return a == dhcp_keyword || a == slaac_keyword ? std::string()
                                                     : check::cidr_address(check::ip_family::v4, a);
    });
  }
  if (auto v = r.strings("ip6")) {
    i.ip6 = *v;
    require_each(r, "ip6", i.ip6, [](const std::string& a) {
      return a == dhcp_keyword || a == slaac_keyword ? std::string()
                                                     : check::cidr_address(check::ip_family::v6, a);
    });
  }
  if (auto v = r.string("defaultrouter")) {
    i.defaultrouter = *v;
    if (!v->empty()) require(r, "defaultrouter", check::ip_address(check::ip_family::v4, *v));
  }
  if (auto v = r.string("defaultrouter6")) {
    i.defaultrouter6 = *v;
    if (!v->empty())
      require(r, "defaultrouter6", check::ip_address(check::ip_family::v6, *v));
  }
  if (auto v = r.string("mac")) {
    i.mac = *v;
    if (!v->empty()) require(r, "mac", check::mac_address(*v));
  }
  if (auto v = r.integer("vlan")) {
    if (*v < min_vlan || *v > max_vlan)
      r.fail(errc::invalid_value, "vlan",
             fmt::format("vlan must be a VLAN id {}..{}, not {}", min_vlan, max_vlan, *v));
    i.vlan = static_cast<int>(*v);
  }
  r.finish(
      "a VNET interface takes bridge, network, ip4, ip6, defaultrouter, defaultrouter6, mac, vlan");
  if (i.bridge.empty() && i.network.empty())
    throw error(errc::missing_field, "a VNET interface needs a 'bridge' or a 'network'", where);
  std::string field;
  if (auto why = check_dynamic(i, &field); !why.empty())
    throw error(errc::invalid_value, why, where + "/" + field);
  return i;
}

restart_spec parse_restart_text(const std::string& text, const std::string& where) {
  restart_spec s;
  std::string_view t = text;
  if (t == "no") {
    s.policy = restart_policy::no;
  } else if (t == "always") {
    s.policy = restart_policy::always;
  } else if (t == "unless-stopped") {
    s.policy = restart_policy::unless_stopped;
  } else if (t == "on-failure" || t.starts_with("on-failure:")) {
    s.policy = restart_policy::on_failure;
    if (t.size() > 11) {
      std::string n(t.substr(11));
      if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos)
        throw error(errc::invalid_value,
                    fmt::format("restart policy '{}': the retry count must be a number", text),
                    where);
      s.max_retries = std::stoi(n);
    }
  } else {
    throw error(errc::invalid_value,
                fmt::format("restart policy '{}' is not one of no, on-failure[:N], always, "
                            "unless-stopped",
                            text),
                where);
  }
  return s;
}

restart_spec read_restart(const json& j, const std::string& where) {
  // Docker's shorthand "on-failure:5" is accepted as well as the object.
  if (j.is_string()) return parse_restart_text(j.get<std::string>(), where);
  json_reader r(j, where, "'restart'");
  restart_spec s;
  if (auto p = r.string("policy")) s = parse_restart_text(*p, r.pointer("policy"));
  if (auto n = r.integer("max_retries")) {
    if (*n < 0 || *n > 1'000'000)
      r.fail(errc::invalid_value, "max_retries", "max_retries must be 0 (no limit) or more");
    s.max_retries = static_cast<int>(*n);
  }
  s.backoff_max = read_duration(r, "backoff_max", s.backoff_max);
  r.finish("restart takes policy, max_retries, backoff_max");
  return s;
}

std::map<std::string, std::string> read_labels(const json& j, const std::string& where) {
  if (j.size() > check::max_labels)
    throw error(errc::invalid_value,
                fmt::format("a jail has at most {} labels, not {}", check::max_labels, j.size()),
                where);
  std::map<std::string, std::string> labels;
  for (const auto& [key, value] : j.items()) {
    const auto at = where + "/" + pointer_escape(key);
    if (auto why = check::label_key(key); !why.empty()) throw error(errc::invalid_value, why, at);
    if (!value.is_string())
      throw error(errc::invalid_type, fmt::format("label '{}' takes a string", key), at);
    const auto text = value.get<std::string>();
    if (auto why = check::label_value(key, text); !why.empty())
      throw error(errc::invalid_value, why, at);
    labels[key] = text;
  }
  return labels;
}

health_spec read_health(const json& j, const std::string& where) {
  json_reader r(j, where, "'health'");
  health_spec h;
  int kinds = 0;
  if (auto v = r.strings("exec")) {
    h.exec = *v;
    if (h.exec.empty()) r.fail(errc::invalid_value, "exec", "health exec needs an argv");
    ++kinds;
  }
  if (auto v = r.string("tcp")) {
    h.tcp = *v;
    require(r, "tcp", check::tcp_target(*v));
    ++kinds;
  }
  if (auto v = r.string("http")) {
    h.http = *v;
    require(r, "http", check::http_url(*v));
    ++kinds;
  }
  h.interval = read_duration(r, "interval", h.interval);
  h.timeout = read_duration(r, "timeout", h.timeout);
  h.start_period = read_duration(r, "start_period", h.start_period, true);
  if (auto n = r.integer("retries")) {
    if (*n < 1 || *n > 1000) r.fail(errc::invalid_value, "retries", "retries must be 1..1000");
    h.retries = static_cast<int>(*n);
  }
  r.finish("health takes exec, tcp, http, interval, timeout, retries, start_period");
  if (kinds != 1)
    throw error(errc::invalid_value,
                "a health check has exactly one of 'exec', 'tcp' or 'http'", where);
  return h;
}

confinement_spec read_confinement(const json& j, const std::string& where) {
  json_reader r(j, where, "'confinement'");
  confinement_spec c;
  if (auto v = r.strings("capabilities")) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const auto at = r.pointer("capabilities") + "/" + std::to_string(i);
      auto name = canonical_capability((*v)[i]);
      if (name.empty())
        throw error(errc::invalid_value,
                    fmt::format("'{}' is not a Linux capability (capabilities(7): SYS_PTRACE, "
                                "SYS_NICE, ...)",
                                (*v)[i]),
                    at);
      if (!seen.insert(name).second)
        throw error(errc::invalid_value, fmt::format("{} is listed twice", name), at);
      c.capabilities.push_back(name);
    }
  }
  if (auto v = r.string("seccomp")) {
    if (*v == "default")
      c.seccomp = true;
    else if (*v == "unconfined")
      c.seccomp = false;
    else
      r.fail(errc::invalid_value, "seccomp", "seccomp is \"default\" or \"unconfined\"");
  }
  if (auto v = r.boolean("no_new_privs")) c.no_new_privs = *v;
  r.finish("confinement takes capabilities, seccomp, no_new_privs");
  return c;
}

json params_from(json_reader& r) {
  const json* p = r.object("params");
  if (!p) return json::object();
  const std::string where = r.pointer("params");
  for (const auto& [key, value] : p->items()) {
    const std::string at = where + "/" + pointer_escape(key);
    if (auto why = check::param_name(key); !why.empty()) throw error(errc::invalid_value, why, at);
    if (auto field = reserved_param_field(key); !field.empty())
      throw error(errc::invalid_value,
                  fmt::format("parameter '{}' has a spec field of its own: use {}", key, field),
                  at);
    auto scalar = [](const json& v) {
      return v.is_string() || v.is_boolean() || v.is_number();
    };
    bool ok = scalar(value);
    if (value.is_array()) {
      ok = true;
      for (const auto& item : value) ok = ok && scalar(item);
    }
    if (!ok)
      throw error(errc::invalid_type,
                  fmt::format("parameter '{}' must be a string, number, boolean or a list of "
                              "those, not {}",
                              key, json_type_name(value)),
                  at);
  }
  return *p;
}

json hooks_json(const std::vector<std::string>& v) { return json(v); }

root_spec read_root(const json& j, const std::string& where) {
  json_reader r(j, where, "'root'");
  root_spec root;
  // From a template, the release is the template's (jaild fills it in).
  if (auto t = r.string("template")) {
    if (auto why = check_release_name(*t); !why.empty())
      r.fail(errc::invalid_value, "template", "template " + why.substr(8));
    root.template_name = *t;
  }
  auto release = r.string("release");
  if (!release && root.template_name.empty())
    r.fail(errc::missing_field, "release",
           "a root is made from a release or a template: name one");
  if (release) {
    if (auto why = check_release_name(*release); !why.empty())
      r.fail(errc::invalid_value, "release", why);
    root.release = *release;
  }
  if (auto m = r.string("mode")) {
    if (*m == "thick")
      root.mode = root_mode::thick;
    else if (*m == "thin")
      root.mode = root_mode::thin;
    else if (*m == "clone")
      root.mode = root_mode::clone;
    else
      r.fail(errc::invalid_value, "mode", "mode is \"thick\", \"thin\" or \"clone\"");
  }
  r.finish("root takes release, mode and template");
  return root;
}

}  // namespace

std::string_view root_mode_name(root_mode m) {
  switch (m) {
    case root_mode::thick: return "thick";
    case root_mode::thin: return "thin";
    case root_mode::clone: return "clone";
  }
  return "thick";
}

std::string_view restart_policy_name(restart_policy p) {
  switch (p) {
    case restart_policy::no: return "no";
    case restart_policy::on_failure: return "on-failure";
    case restart_policy::always: return "always";
    case restart_policy::unless_stopped: return "unless-stopped";
  }
  return "no";
}

const std::vector<std::string>& spec_field_names() {
  static const std::vector<std::string> names{
      "name",  "path",   "hostname", "params",   "exec",   "command",  "mount",
      "ip4",   "ip6",    "vnet",     "ports",    "depend",   "priority", "boot",   "persist",
      "limits", "cpuset", "restart", "health",   "stop_timeout", "confinement", "labels",
      "root"};
  return names;
}

jail_spec spec_from_json(const json& j) {
  json_reader r(j, "", "a jail spec");
  jail_spec s;
  if (auto v = r.string("name")) {
    s.name = *v;
    require(r, "name", check::jail_name(*v), errc::invalid_name);
  } else {
    throw error(errc::missing_field, "a jail spec needs a 'name'", "/name");
  }
  if (const auto* v = r.object("root")) s.root = read_root(*v, r.pointer("root"));
  if (auto v = r.string("path")) {
    s.path = *v;
    require(r, "path", check::absolute_path(*v));
  } else if (!s.root) {
    throw error(errc::missing_field, "a jail spec needs a 'path' (the jail's root directory)",
                "/path");
  }
  if (auto v = r.string("hostname")) {
    s.hostname = *v;
    if (!v->empty()) require(r, "hostname", check::hostname(*v));
  }
  s.params = params_from(r);
  if (const auto* e = r.object("exec")) s.exec = read_exec(*e, r.pointer("exec"));
  if (auto v = r.strings("command")) s.command = *v;
  if (const auto* m = r.object("mount")) s.mount = read_mount(*m, r.pointer("mount"));
  if (auto v = r.strings("ip4")) {
    s.ip4 = *v;
    require_each(r, "ip4", s.ip4,
                 [](const std::string& a) { return check::jail_address(check::ip_family::v4, a); });
  }
  if (auto v = r.strings("ip6")) {
    s.ip6 = *v;
    require_each(r, "ip6", s.ip6,
                 [](const std::string& a) { return check::jail_address(check::ip_family::v6, a); });
  }
  if (const auto* v = r.object("vnet")) {
    json_reader vr(*v, r.pointer("vnet"), "'vnet'");
    vnet_spec vnet;
    if (const auto* list = vr.array("interfaces")) {
      for (std::size_t i = 0; i < list->size(); ++i)
        vnet.interfaces.push_back(
            read_vnet_interface((*list)[i], vr.pointer("interfaces") + "/" + std::to_string(i)));
    }
    vr.finish("vnet takes interfaces");
    s.vnet = std::move(vnet);
  }
  if (auto v = r.strings("ports")) {
    s.ports = *v;
    require_each(r, "ports", s.ports, [](const std::string& p) {
      std::string why;
      return parse_port(p, &why) ? std::string{} : why;
    });
  }
  if (auto v = r.strings("depend")) {
    s.depend = *v;
    require_each(r, "depend", s.depend, [](const std::string& n) { return check::jail_name(n); });
  }
  if (auto v = r.integer("priority")) {
    require(r, "priority", check::priority(*v));
    s.priority = static_cast<int>(*v);
  }
  if (auto v = r.boolean("boot")) s.boot = *v;
  if (auto v = r.boolean("persist")) s.persist = *v;
  if (auto v = r.strings("limits")) {
    s.limits = *v;
    require_each(r, "limits", s.limits, [](const std::string& l) { return check::rctl_rule(l); });
  }
  if (auto v = r.string("cpuset")) {
    s.cpuset = *v;
    if (!v->empty()) require(r, "cpuset", check::cpu_list(*v));
  }
  if (const auto* v = r.raw("restart")) s.restart = read_restart(*v, r.pointer("restart"));
  if (const auto* v = r.object("health")) s.health = read_health(*v, r.pointer("health"));
  s.stop_timeout = read_duration(r, "stop_timeout", s.stop_timeout, true);
  if (const auto* v = r.object("confinement"))
    s.confinement = read_confinement(*v, r.pointer("confinement"));
  if (const auto* v = r.object("labels")) s.labels = read_labels(*v, r.pointer("labels"));
  r.finish("jail(8) parameters that jaild does not model go in 'params'");
  validate_spec(s);
  return s;
}

void validate_spec(const jail_spec& s) {
  auto fail = [](std::string field, std::string detail) {
    throw error(errc::invalid_value, std::move(detail), std::move(field));
  };
  if (auto why = check::jail_name(s.name); !why.empty())
    throw error(errc::invalid_name, why, "/name");
  if (auto why = check::absolute_path(s.path); !why.empty() && !(s.root && s.path.empty()))
    fail("/path", why);
  if (s.vnet && (!s.ip4.empty() || !s.ip6.empty()))
    fail("/ip4",
         "a VNET jail has its own network stack: give its addresses on vnet.interfaces, "
         "not in ip4/ip6");
  if (!s.persist && s.exec.start.empty() && s.command.empty())
    fail("/persist",
         "a jail with persist=false needs exec.start or command, or it ends as soon as it is "
         "created");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s.depend.size(); ++i) {
    const auto at = "/depend/" + std::to_string(i);
    if (s.depend[i] == s.name) fail(at, "a jail cannot depend on itself");
    if (!seen.insert(s.depend[i]).second)
      fail(at, fmt::format("'{}' is listed twice in depend", s.depend[i]));
  }
  std::set<std::string> rules;
  for (std::size_t i = 0; i < s.limits.size(); ++i) {
    auto rule = parse_rctl_rule(s.limits[i], nullptr);
    if (!rule) fail("/limits/" + std::to_string(i), check::rctl_rule(s.limits[i]));
    const auto key = rule->resource + ":" + rule->action + "/" + rule->per;
    if (!rules.insert(key).second)
      fail("/limits/" + std::to_string(i),
           fmt::format("two rules for {}:{}; keep one", rule->resource, rule->action));
  }
  for (std::size_t i = 0; i < s.ports.size(); ++i) {
    const auto at = "/ports/" + std::to_string(i);
    std::string why;
    const auto port = parse_port(s.ports[i], &why);
    if (!port) fail(at, why);
    for (std::size_t k = 0; k < i; ++k)
      if (auto earlier = parse_port(s.ports[k], nullptr); earlier && ports_overlap(*earlier, *port))
        fail(at, fmt::format("port {} takes the host port of {} again", s.ports[i], s.ports[k]));
  }
  if (!s.ports.empty()) {
    bool has_address = !s.ip4.empty() || !s.ip6.empty();
    if (s.vnet)
      for (const auto& itf : s.vnet->interfaces)
        has_address = has_address || !static_addresses(itf.ip4).empty() ||
                      !static_addresses(itf.ip6).empty() || !itf.network.empty();
    if (!has_address)
      fail("/ports",
           "a jail that publishes ports needs an address to forward them to: ip4/ip6, or a VNET "
           "interface with static addresses or a network (an address a DHCP server elsewhere "
           "hands out is not known to jaild)");
  }
  if (s.vnet) {
    std::set<std::string> macs;
    for (std::size_t i = 0; i < s.vnet->interfaces.size(); ++i) {
      const auto& itf = s.vnet->interfaces[i];
      if (!itf.mac.empty() && !macs.insert(itf.mac).second)
        fail(fmt::format("/vnet/interfaces/{}/mac", i), "two interfaces have the same MAC");
    }
  }
}

json spec_to_json(const jail_spec& s) {
  json exec = {
      {"prepare", hooks_json(s.exec.prepare)},
      {"prestart", hooks_json(s.exec.prestart)},
      {"created", hooks_json(s.exec.created)},
      {"start", hooks_json(s.exec.start)},
      {"poststart", hooks_json(s.exec.poststart)},
      {"prestop", hooks_json(s.exec.prestop)},
      {"stop", hooks_json(s.exec.stop)},
      {"poststop", hooks_json(s.exec.poststop)},
      {"release", hooks_json(s.exec.release)},
      {"clean", s.exec.clean},
      {"jail_user", s.exec.jail_user},
      {"system_user", s.exec.system_user},
      {"consolelog", s.exec.consolelog},
      {"timeout", check::format_duration(s.exec.timeout)},
  };
  json mount = {
      {"devfs", s.mount.devfs},
      {"devfs_ruleset", s.mount.devfs_ruleset ? json(*s.mount.devfs_ruleset) : json(nullptr)},
      {"fdescfs", s.mount.fdescfs},
      {"procfs", s.mount.procfs},
      {"fstab", s.mount.fstab},
      {"entries", s.mount.entries},
  };
  json vnet = nullptr;
  if (s.vnet) {
    json list = json::array();
    for (const auto& i : s.vnet->interfaces)
      list.push_back({{"bridge", i.bridge},
                      {"network", i.network},
                      {"ip4", i.ip4},
                      {"ip6", i.ip6},
                      {"defaultrouter", i.defaultrouter},
                      {"defaultrouter6", i.defaultrouter6},
                      {"mac", i.mac},
                      {"vlan", i.vlan ? json(*i.vlan) : json(nullptr)}});
    vnet = {{"interfaces", list}};
  }
  json health = nullptr;
  if (s.health) {
    health = {{"interval", check::format_duration(s.health->interval)},
              {"timeout", check::format_duration(s.health->timeout)},
              {"retries", s.health->retries},
              {"start_period", check::format_duration(s.health->start_period)}};
    if (!s.health->exec.empty()) health["exec"] = s.health->exec;
    if (!s.health->tcp.empty()) health["tcp"] = s.health->tcp;
    if (!s.health->http.empty()) health["http"] = s.health->http;
  }
  json out = {
      {"name", s.name},
      {"path", s.path},
      {"hostname", s.hostname},
      {"params", s.params},
      {"exec", exec},
      {"command", s.command},
      {"mount", mount},
      {"ip4", s.ip4},
      {"ip6", s.ip6},
      {"vnet", vnet},
      {"ports", s.ports},
      {"depend", s.depend},
      {"priority", s.priority},
      {"boot", s.boot},
      {"persist", s.persist},
      {"limits", s.limits},
      {"cpuset", s.cpuset},
      {"restart",
       {{"policy", restart_policy_name(s.restart.policy)},
        {"max_retries", s.restart.max_retries},
        {"backoff_max", check::format_duration(s.restart.backoff_max)}}},
      {"health", health},
      {"stop_timeout", check::format_duration(s.stop_timeout)},
      {"confinement",
       {{"capabilities", s.confinement.capabilities},
        {"seccomp", s.confinement.seccomp ? "default" : "unconfined"},
        {"no_new_privs", s.confinement.no_new_privs}}},
      {"labels", s.labels},
  };
  if (s.root) {
    out["root"] = {{"mode", root_mode_name(s.root->mode)}};
    if (!s.root->release.empty()) out["root"]["release"] = s.root->release;
    if (!s.root->template_name.empty()) out["root"]["template"] = s.root->template_name;
  }
  return out;
}

}  // namespace jaild::model
