#include "lib/host/freebsd/adapter.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "lib/host/firewall.h"
#include "lib/host/freebsd/dhcp_devfs.h"
#include "lib/host/freebsd/parse.h"
#include "lib/host/freebsd/pf_rules.h"
#include "lib/host/freebsd/plan.h"
#include "lib/model/error.h"

extern char** environ;

namespace jaild::host::freebsd {
namespace {

using clock = std::chrono::steady_clock;

std::chrono::microseconds since(clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start);
}

std::string argv_text(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\"'\\$`") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

// lstat(2) through the system, for check_path().
std::function<path_kind(const std::string&)> lstat_of(system& sys) {
  return [&sys](const std::string& path) { return sys.lstat_kind(path); };
}

std::string first_line(const std::string& text) {
  auto s = text.substr(0, text.find('\n'));
  return s.empty() ? text : s;
}

std::vector<std::string> with_jail(const command& cmd) {
  if (cmd.jail < 0) return cmd.argv;
  std::vector<std::string> out{"jail_attach(" + std::to_string(cmd.jail) + ")"};
  out.insert(out.end(), cmd.argv.begin(), cmd.argv.end());
  return out;
}

std::string kind_step(object_kind k) { return "destroy." + std::string(object_kind_name(k)); }

// exec.clean = false (jail(8)'s exec.noclean): the command also gets jaild's
// own environment, under the variables jaild sets.
std::map<std::string, std::string> environment(std::map<std::string, std::string> own,
                                               bool clean) {
  if (clean) return own;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    own.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return own;
}

}  // namespace

adapter::adapter(system& sys, platform_options options) : sys_(sys), options_(std::move(options)) {}

adapter::adapter(std::unique_ptr<system> sys, platform_options options)
    : owned_(std::move(sys)), sys_(*owned_), options_(std::move(options)) {}

// ---------------------------------------------------------------------------
// Journal helpers.

run_result adapter::run_step(const std::string& step, const command& cmd,
                             const run_options& options, step_sinks& sinks, bool allow_failure) {
  auto r = sys_.run(cmd, options);
  step_record rec;
  rec.step = step;
  rec.argv = with_jail(cmd);
  rec.status = r.timed_out ? ETIMEDOUT : r.status;
  rec.output = r.output.substr(0, 64 * 1024);
  rec.error = r.status == 0 && !r.timed_out ? std::string() : r.error.substr(0, 64 * 1024);
  rec.duration = r.duration;
  sinks.steps.record(rec);
  if (allow_failure || (r.status == 0 && !r.timed_out)) return r;
  if (r.timed_out)
    throw error(errc::timeout, fmt::format("{}: `{}` did not finish within {} ms", step,
                                           argv_text(cmd.argv), options.timeout.count()));
  throw error(errc::host_failure,
              fmt::format("{}: `{}` failed with status {}{}{}", step, argv_text(cmd.argv), r.status,
                          r.error.empty() ? "" : ": ", first_line(r.error)));
}

void adapter::syscall_step(const std::string& step, std::vector<std::string> argv,
                           const sys_result& r, std::chrono::microseconds duration,
                           step_sinks& sinks, bool allow_failure) {
  step_record rec;
  rec.step = step;
  rec.argv = argv;
  const std::string text = r.ok() ? "" : (r.message.empty() ? std::strerror(r.error) : r.message);
  if (!r.ok() && allow_failure) {
    // The outcome the caller expects when there is nothing to do (no such
    // jail, no rule left): the step succeeded; the kernel's answer is kept.
    rec.output = text + ": nothing to do";
  } else {
    rec.status = r.error;
    rec.error = text;
  }
  rec.duration = duration;
  sinks.steps.record(rec);
  if (r.ok() || allow_failure) return;
  throw error(errc::host_failure,
              fmt::format("{}: {} failed: {}", step, argv.empty() ? step : argv.front(), text));
}

void adapter::note(const std::string& step, std::vector<std::string> argv, std::string output,
                   step_sinks& sinks) {
  step_record rec;
  rec.step = step;
  rec.argv = std::move(argv);
  rec.output = std::move(output);
  sinks.steps.record(rec);
}

// ---------------------------------------------------------------------------
// Platform.

host_facts adapter::facts() {
  host_facts f;
  std::vector<std::string> argv{"/sbin/sysctl", "-i", "-e"};
  for (const auto& name : prerequisite_sysctls()) argv.push_back(name);
  run_options o;
  o.timeout = std::chrono::milliseconds(5000);
  o.env = {{"PATH", "/sbin:/bin:/usr/sbin:/usr/bin"}};
  auto r = sys_.run({argv}, o);
  // sysctl -i exits 0 and prints nothing for names the kernel does not have.
  f.sysctl = parse_sysctl(r.output);
  for (const auto& m : prerequisite_modules())
    if (sys_.module_loaded(m)) f.modules.insert(m);
  f.addresses = sys_.host_addresses();
  if (f.modules.contains("pf")) {
    // Whether the admin's pf.conf evaluates jaild's anchors.
    auto nat = sys_.run({show_nat_argv()}, o);
    auto rules = sys_.run({show_rules_argv()}, o);
    f.pf_anchor_lines_missing = nat.status == 0 && rules.status == 0
                                    ? missing_anchor_lines(nat.output, rules.output)
                                    : anchor_lines();
  }
  return f;
}

platform_info adapter::info() {
  platform_info p;
  p.platform = "freebsd";
  p.kernel = sys_.kernel();
  p.hostname = sys_.hostname();
  p.cpus = sys_.cpus();
  const auto f = facts();
  p.prerequisites = evaluate_prerequisites(f);
  p.details = {{"state_dir", options_.state_dir.string()},
               {"jail_name_prefix", std::string(kernel_name_prefix)},
               {"firewall", f.modules.contains("pf")     ? "pf"
                            : f.modules.contains("ipfw") ? "ipfw"
                                                         : "none"}};
  return p;
}

std::vector<std::string> adapter::check(const model::jail_spec& spec) {
  // Linux's widenings: FreeBSD's jailed root has privileges, not capabilities,
  // and they come from the allow.* parameters.
  if (!spec.confinement.capabilities.empty())
    throw error(errc::unsupported_on_platform,
                "FreeBSD has no capabilities: widen jailed root with allow.* parameters",
                "/confinement/capabilities");
  if (!spec.confinement.seccomp)
    throw error(errc::unsupported_on_platform, "FreeBSD has no seccomp filter to turn off",
                "/confinement/seccomp");
  auto warnings = require_prerequisites(spec, facts());
  const auto cpus = cpuset_cpus(spec);
  const int have = sys_.cpus();
  if (!cpus.empty() && have > 0 && cpus.back() >= have)
    throw error(errc::invalid_value,
                fmt::format("cpuset {} names CPU {}, but this host has CPUs 0-{}", spec.cpuset,
                            cpus.back(), have - 1),
                "/cpuset");
  return warnings;
}

// ---------------------------------------------------------------------------
// Start pipeline.

void adapter::run_host_hook(const jail_context& ctx, std::string_view stage,
                            const std::string& command_text, step_sinks sinks) {
  run_options o;
  o.timeout = ctx.spec.exec.timeout;
  o.env = environment(host_hook_env(ctx), ctx.spec.exec.clean);
  o.user = ctx.spec.exec.system_user;
  // The admin's own hook: a shell line, run as jail(8) runs it.
  run_step("exec." + std::string(stage), {{"/bin/sh", "-c", command_text}}, o, sinks);
}

void adapter::add_aliases(const jail_context& ctx, step_sinks sinks) {
  for (const auto& a : shared_ip_aliases(ctx.spec)) {
    sinks.objects.record({object_kind::alias, ctx.spec.name, alias_key(a), alias_attrs(a)});
    run_step("alias.add", {alias_argv(a, true)}, {}, sinks);
  }
}

void adapter::mount_filesystems(const jail_context& ctx, step_sinks sinks) {
  if (ctx.root && ctx.root->mode == model::root_mode::thin) mount_thin_base(ctx, sinks);
  std::string fstab;
  if (!ctx.spec.mount.fstab.empty()) {
    auto text = sys_.read_file(ctx.spec.mount.fstab);
    if (!text)
      throw error(errc::host_failure,
                  fmt::format("mount.fstab: cannot read {}", ctx.spec.mount.fstab));
    fstab = *text;
  }
  // A DHCP jail's bpf: its own ruleset, made before its devfs is mounted with it.
  auto spec = ctx.spec;
  if (auto rs = generated_devfs_ruleset(ctx)) {
    const auto sets = run_step("devfs.ruleset", {devfs_showsets_argv()}, {}, sinks);
    for (int taken : parse_devfs_showsets(sets.output))
      if (taken == *rs)
        throw error(errc::host_failure,
                    fmt::format("devfs.ruleset: ruleset {} (this start's, for bpf) exists and is "
                                "not jaild's; start the jail again for another number",
                                *rs));
    sinks.objects.record({object_kind::devfs_ruleset, ctx.spec.name, std::to_string(*rs), {}});
    for (const auto& argv : devfs_bpf_ruleset_argvs(*rs)) run_step("devfs.ruleset", {argv}, {}, sinks);
    spec.mount.devfs_ruleset = *rs;
  }
  for (const auto& m : mount_plan(spec, fstab)) {
    // jail(8)'s check_path: no symbolic link below the jail's path; links
    // above it are the admin's. mount(8) takes the path, as jail(8)'s does;
    // no process of the jail runs yet to change it meanwhile.
    if (auto problem = check_path(ctx.spec.path, m.point, false, lstat_of(sys_)); !problem.empty())
      throw error(errc::host_failure,
                  fmt::format("{}: mount point {}; jaild does not mount there", m.step, problem));
    sinks.objects.record({object_kind::mount, ctx.spec.name, m.point,
                          {{"fstype", m.fstype}, {"root", ctx.spec.path}}});
    run_step(m.step, {m.argv}, {}, sinks);
  }
}

void adapter::create_interfaces(const jail_context& ctx, step_sinks sinks) {
  for (const auto& itf : resolved_interfaces(ctx)) {
    check_interface_names(itf);
    // jaild's DHCP server for networks with dhcp is the Linux adapter's
    // (linux/dhcp_server.h); a dhclient here would wait for nobody.
    if (!itf.lease4.empty())
      throw error(errc::unsupported_on_platform,
                  fmt::format("interface {} is on a network that serves DHCP, and jaild's DHCP "
                              "server does not run on FreeBSD yet: put it on a bridge with a "
                              "DHCP server of its own, or give it an address",
                              itf.jail_end));
    if (!sys_.interface_exists(itf.bridge)) {
      sinks.objects.record({object_kind::bridge, "", itf.bridge, {{"created_for", ctx.spec.name}}});
      auto made = run_step("bridge.create", {bridge_create_argv(itf.bridge)}, {}, sinks, true);
      if (made.status != 0 || made.timed_out) {
        // Another jail's start may have created it since the check: that is
        // the bridge wanted, and it is ledgered under the same key.
        if (!sys_.interface_exists(itf.bridge))
          throw error(errc::host_failure,
                      fmt::format("bridge.create: `{}` failed: {}",
                                  argv_text(bridge_create_argv(itf.bridge)), first_line(made.error)));
        note("bridge.create", {itf.bridge}, "created meanwhile by another start", sinks);
      } else {
        for (const auto* list : {&itf.bridge_ip4, &itf.bridge_ip6})
          for (const auto& a : *list)
            run_step("bridge.address", {bridge_address_argv(itf.bridge, a)}, {}, sinks);
      }
    }
    // A VLAN needs the bridge's per-member VLAN filtering (FreeBSD 15.0):
    // without it the member would reach every other member; refused first.
    if (itf.vlan) {
      auto shown = run_step("bridge.show", {bridge_show_argv(itf.bridge)}, {}, sinks);
      if (!bridge_vlan_filtering(shown.output))
        throw error(errc::prerequisite_missing,
                    fmt::format("bridge.show: bridge {} has no per-member VLAN filtering (FreeBSD "
                                "15.0's if_bridge and ifconfig), which 'vlan' needs",
                                itf.bridge),
                    "/vnet/interfaces");
    }
    // The names must be free: an interface that has one is someone else's
    // (another jaild, another tool), neither adopted nor ledgered, so that no
    // rollback of this start removes it.
    for (const auto& taken : {itf.host_end, itf.jail_end})
      if (sys_.interface_exists(taken)) {
        note("epair.reserve", {taken}, "exists on the host and is not this jaild's; refused",
             sinks);
        throw error(errc::host_failure,
                    fmt::format("epair.reserve: interface {} exists on the host and is not "
                                "this jaild's; refused",
                                taken));
      }
    sinks.objects.record({object_kind::epair, ctx.spec.name, itf.host_end,
                          {{"jail_end", itf.jail_end},
                           {"bridge", itf.bridge},
                           {"description", epair_description(ctx.spec.name)}}});
    auto created = run_step("epair.create", {epair_create_argv(ctx.spec.name)}, {}, sinks);
    auto a_end = created_epair(created.output);
    if (!a_end)
      throw error(errc::host_failure,
                  fmt::format("epair.create: ifconfig printed '{}', not the name of an epair",
                              first_line(created.output)));
    run_step("epair.name", {rename_argv(*a_end, itf.host_end)}, {}, sinks);
    run_step("epair.name", {jail_end_argv(epair_peer(*a_end), itf.jail_end, itf.mac)}, {}, sinks);
    run_step("bridge.addm", {bridge_addm_argv(itf.bridge, itf.host_end)}, {}, sinks);
    // (The jail end is on the host, in no jail, until vnet.move: no frame of
    // the jail crosses the bridge before its member is on its VLAN.)
    if (itf.vlan)
      run_step("bridge.vlan", {bridge_untagged_argv(itf.bridge, itf.host_end, *itf.vlan)}, {},
               sinks);
  }
}

running_jail adapter::create_jail(const jail_context& ctx, step_sinks sinks) {
  const auto name = kernel_name(ctx.spec.name);
  // Kernel jail names are one namespace for the whole host: a live jail with
  // this name is another jaild's (or the admin's), neither adopted nor
  // ledgered, so that no rollback of this start removes it.
  if (auto kj = sys_.jail_find(name); kj && !kj->dying) {
    note("jail.reserve", {name}, fmt::format("jail {} (JID {}) runs and is not this start's; "
                                             "refused", name, kj->jid),
         sinks);
    throw error(errc::host_failure,
                fmt::format("jail.reserve: a jail named {} (JID {}) already runs on this host and "
                            "is not this jaild's; refused (rename one of them)",
                            name, kj->jid));
  }
  sinks.objects.record({object_kind::jail, ctx.spec.name, name,
                        {{"path", ctx.spec.path}, {"instance", ctx.instance}}});
  const auto params = create_params(ctx, sys_.features().meta);
  sys_result r;
  const auto start = clock::now();
  const auto jid = sys_.jail_set(params, jail_set_mode::create, &r);
  syscall_step("jail.create", jail_set_journal(params, jail_set_mode::create), r, since(start),
               sinks);
  return {ctx.spec.name, jid, -1, "jid=" + std::to_string(jid)};
}

void adapter::apply_limits(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  const auto rules = rctl_kernel_rules(ctx.spec);
  if (!rules.empty()) {
    sinks.objects.record({object_kind::rctl, ctx.spec.name, rctl_subject(ctx.spec.name),
                          {{"filter", rctl_remove_filter(ctx.spec.name)}}});
    for (const auto& rule : rules) {
      const auto start = clock::now();
      auto r = sys_.rctl_add_rule(rule);
      if (r.error == ENOSYS)
        r.message = "RACCT/RCTL is not enabled (kern.racct.enable=1 in /boot/loader.conf)";
      syscall_step("rctl.add", {"rctl_add_rule", rule}, r, since(start), sinks);
    }
  }
  // jail(8) users run "cpuset -j NAME -cl LIST" from exec.created: the same
  // call, made before any process of the jail runs.
  if (auto cpus = cpuset_cpus(ctx.spec); !cpus.empty()) {
    const auto start = clock::now();
    auto r = sys_.cpuset_set_jail(jail.jid, cpus);
    syscall_step("cpuset", cpuset_journal(jail.jid, cpus), r, since(start), sinks);
  }
}

void adapter::attach_interfaces(const jail_context& ctx, const running_jail& jail,
                                step_sinks sinks) {
  const auto list = resolved_interfaces(ctx);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& itf = list[i];
    run_step("vnet.move", {vnet_move_argv(itf.jail_end, jail.jid)}, {}, sinks);
    run_options o;
    o.env = jail_env("");
    o.timeout = std::chrono::milliseconds(10'000);
    for (const auto& cmd : vnet_inside(itf, itf.jail_end, jail.jid, i == 0))
      run_step(cmd.argv[0] == rescue_route_path ? "vnet.route" : "vnet.address", cmd, o, sinks);
  }
}

void adapter::publish(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  (void)jail;
  run_options o;
  o.timeout = std::chrono::milliseconds(10'000);
  o.env = {{"PATH", "/sbin:/bin:/usr/sbin:/usr/bin"}};
  const auto fw = firewall_of(ctx, [&] {
    auto r = sys_.run({default_route_argv()}, o);
    return r.status == 0 ? route_get_interface(r.output) : std::string();
  });
  if (fw.empty()) return;
  // Every rule goes into jaild's own anchor, which pf.conf must evaluate.
  const auto facts_now = facts();
  for (const auto& p : evaluate_prerequisites(facts_now))
    if (p.name == "pf.anchors" && !p.ok)
      throw error(errc::prerequisite_missing,
                  "jail '" + ctx.spec.name + "' has NAT or published ports: " + p.message);
  const auto anchor = jail_anchor(ctx.spec.name);
  o.input = jail_rules(ctx.spec.name, fw);
  // Ledgered before pf has it: a crash in between leaves a row whose
  // destroy() empties the anchor (an empty anchor is fine).
  sinks.objects.record({object_kind::firewall, ctx.spec.name, anchor, {{"anchor", anchor}}});
  run_step("firewall.apply", {load_anchor_argv(anchor)}, o, sinks);
}

void adapter::run_jail_hook(const jail_context& ctx, const running_jail& jail,
                            std::string_view stage, const std::string& command_text,
                            step_sinks sinks) {
  run_options o;
  o.timeout = ctx.spec.exec.timeout;
  o.user = ctx.spec.exec.jail_user;
  o.env = environment(jail_env(o.user), ctx.spec.exec.clean);
  o.output_file = ctx.spec.exec.consolelog;
  o.output_root = ctx.spec.path;
  run_step("exec." + std::string(stage), {{"/bin/sh", "-c", command_text}, jail.jid}, o, sinks);
}

void adapter::start_main(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  if (!ctx.spec.command.empty()) {
    run_options o;
    o.user = ctx.spec.exec.jail_user;
    o.env = environment(jail_env(o.user), ctx.spec.exec.clean);
    o.output_file = ctx.spec.exec.consolelog;
    o.output_root = ctx.spec.path;
    const command cmd{ctx.spec.command, jail.jid};
    std::string why;
    const auto start = clock::now();
    const auto pid = sys_.spawn(cmd, o, &why);
    step_record rec;
    rec.step = "command";
    rec.argv = with_jail(cmd);
    rec.status = pid < 0 ? 1 : 0;
    rec.error = pid < 0 ? why : "";
    rec.output = pid < 0 ? "" : "pid " + std::to_string(pid);
    rec.duration = since(start);
    sinks.steps.record(rec);
    if (pid < 0) throw error(errc::host_failure, "command: " + why);
    std::lock_guard lock(mutex_);
    main_pids_[jail.jid] = pid;
  }
}

void adapter::clear_persist(const jail_context& ctx, const running_jail& jail,
                            step_sinks sinks) {
  if (auto params = nopersist_params(ctx, jail.jid); !params.empty()) {
    sys_result r;
    const auto start = clock::now();
    sys_.jail_set(params, jail_set_mode::update, &r);
    syscall_step("jail.nopersist", jail_set_journal(params, jail_set_mode::update), r,
                 since(start), sinks);
  }
}

// ---------------------------------------------------------------------------
// Stop and destroy.

void adapter::stop_jail(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  // The JID is only the jail's while the jail of that name has it: a jail
  // removed meanwhile may have left it to another, whose processes are not
  // to be signalled nor the jail removed.
  if (!alive(jail)) {
    note("jail.remove", {"jail_remove", std::to_string(jail.jid)},
         "already gone: no live jail " + kernel_name(jail.name) + " with JID " +
             std::to_string(jail.jid),
         sinks);
    std::lock_guard lock(mutex_);
    main_pids_.erase(jail.jid);
    return;
  }
  const auto pids = sys_.jail_processes(jail.jid);
  // stop.timeout 0 means no SIGTERM: remove at once (jail(8)).
  if (!pids.empty() && ctx.spec.stop_timeout.count() > 0) {
    std::vector<std::string> argv{"kill", "-TERM"};
    for (auto pid : pids) {
      sys_.kill_process(pid, SIGTERM);
      argv.push_back(std::to_string(pid));
    }
    note("stop.term", argv, "", sinks);
    const auto start = clock::now();
    const bool gone = sys_.wait_exited(pids, ctx.spec.stop_timeout);
    step_record rec;
    rec.step = "stop.wait";
    rec.argv = {"wait", std::to_string(ctx.spec.stop_timeout.count()) + "ms"};
    rec.output = gone ? "all processes exited" : "processes still running: removing the jail kills them";
    rec.duration = since(start);
    sinks.steps.record(rec);
  }
  const auto start = clock::now();
  auto r = sys_.jail_remove(jail.jid);
  const bool already_gone = r.error == ESRCH;
  syscall_step("jail.remove", {"jail_remove", std::to_string(jail.jid)}, r, since(start), sinks,
               already_gone);
  std::lock_guard lock(mutex_);
  main_pids_.erase(jail.jid);
}

void adapter::destroy(const object& obj, step_sinks sinks) {
  bool gone = true;
  switch (obj.kind) {
    case object_kind::alias: destroy_alias(obj, sinks); break;
    case object_kind::mount: destroy_mount(obj, sinks); break;
    case object_kind::epair: destroy_epair(obj, sinks); break;
    case object_kind::bridge: gone = destroy_bridge(obj, sinks); break;
    case object_kind::rctl: destroy_rctl(obj, sinks); break;
    case object_kind::jail: destroy_jail(obj, sinks); break;
    case object_kind::devfs_ruleset:
      run_step(kind_step(obj.kind), {{devfs_path, "rule", "-s", obj.key, "delset"}}, {}, sinks);
      break;
    case object_kind::file: {
      const auto start = clock::now();
      auto r = sys_.remove_file(obj.key);
      syscall_step(kind_step(obj.kind), {"unlink", obj.key}, r, since(start), sinks,
                   r.error == ENOENT);
      break;
    }
    case object_kind::firewall: {
      // Only an anchor below jaild's own is ever flushed.
      const std::string anchor = obj.attrs.value("anchor", obj.key);
      if (anchor.rfind(std::string(pf_anchor_root) + "/", 0) != 0) {
        note(kind_step(obj.kind), {anchor}, "not an anchor of jaild's: left as it is", sinks);
        break;
      }
      run_options o;
      o.timeout = std::chrono::milliseconds(10'000);
      o.env = {{"PATH", "/sbin:/bin:/usr/sbin:/usr/bin"}};
      run_step("firewall.remove", {flush_anchor_argv(anchor)}, o, sinks);
      break;
    }
    case object_kind::cgroup:
      // A Linux object: it cannot exist on this host, so there is nothing to remove.
      note(kind_step(obj.kind), {obj.key}, "not a FreeBSD object: nothing to remove", sinks);
      break;
  }
  if (gone) sinks.objects.forget(obj);
}

void adapter::destroy_alias(const object& obj, step_sinks& sinks) {
  auto a = alias_from_attrs(obj.attrs);
  if (!a) throw error(errc::internal, "ledger alias '" + obj.key + "' has no interface or address");
  const auto present = sys_.interface_exists(a->iface) ? sys_.interface_addresses(a->iface)
                                                       : std::vector<std::string>{};
  if (std::find(present.begin(), present.end(), a->addr) == present.end()) {
    note("alias.remove", alias_argv(*a, false), "address not on " + a->iface + ": nothing to do",
         sinks);
    return;
  }
  run_step("alias.remove", {alias_argv(*a, false)}, {}, sinks);
}

void adapter::destroy_mount(const object& obj, step_sinks& sinks) {
  const auto mounts = sys_.mounts();
  const bool is_mounted = std::any_of(mounts.begin(), mounts.end(),
                                   [&](const mounted& m) { return m.point == obj.key; });
  if (!is_mounted) {
    note("umount", umount_argv(obj.key), "not mounted: nothing to do", sinks);
    return;
  }
  // As jail(8) before it unmounts (check_path with the mount's type): no
  // symbolic link below the jail's path, and the point is still a mount of the
  // type jaild made. Ledger rows from before the root was recorded have no
  // "root" and get the type check only.
  const auto attr = [&](const char* key) {
    return obj.attrs.is_object() ? obj.attrs.value(key, "") : std::string();
  };
  const auto fstype = attr("fstype");
  const auto root = attr("root");
  if (!root.empty())
    if (auto problem = check_path(root, obj.key, false, lstat_of(sys_)); !problem.empty())
      throw error(errc::host_failure,
                  fmt::format("umount: {}; unmount it by hand if it is still mounted", problem));
  // The last mount on a point is the one on top, which umount(8) removes.
  const auto top = std::find_if(mounts.rbegin(), mounts.rend(),
                                [&](const mounted& m) { return m.point == obj.key; });
  if (!fstype.empty() && top->fstype != fstype)
    throw error(errc::host_failure,
                fmt::format("umount: {} is a {} mount now, not the {} mount jaild made; "
                            "jaild leaves it alone",
                            obj.key, top->fstype, fstype));
  // A mount below this one (a crash can leave /dev/fd under /dev) goes first.
  for (const auto& m : mounts)
    if (m.point.starts_with(obj.key + "/"))
      throw error(errc::host_failure,
                  fmt::format("umount: {} has {} mounted below it; that mount goes first",
                              obj.key, m.point));
  run_step("umount", {umount_argv(obj.key)}, {}, sinks);
}

void adapter::destroy_epair(const object& obj, step_sinks& sinks) {
  // Destroying either end of an epair destroys both.
  const auto jail_end = obj.attrs.value("jail_end", "");
  if (sys_.interface_exists(obj.key)) {
    run_step("epair.destroy", {destroy_interface_argv(obj.key)}, {}, sinks);
    return;
  }
  if (!jail_end.empty() && sys_.interface_exists(jail_end)) {
    run_step("epair.destroy", {destroy_interface_argv(jail_end)}, {}, sinks);
    return;
  }
  // A crash between "epair create" and the rename leaves epairNa with this
  // jail's description: find it among the epairs and remove it.
  const auto description = obj.attrs.value("description", epair_description(obj.owner));
  run_options quiet;
  quiet.timeout = std::chrono::milliseconds(10'000);
  auto group = sys_.run({{ifconfig_path, "-g", "epair"}}, quiet);
  std::size_t removed = 0;
  for (const auto& name : parse_interface_group(group.output)) {
    if (!created_epair(name)) continue;  // renamed ones belong to a ledger entry of their own
    auto shown = sys_.run({{ifconfig_path, name}}, quiet);
    auto info = parse_ifconfig(shown.output, nullptr);
    if (info && info->description == description) {
      run_step("epair.destroy", {destroy_interface_argv(name)}, {}, sinks);
      ++removed;
    }
  }
  if (removed == 0)
    note("epair.destroy", destroy_interface_argv(obj.key), "no such interface: nothing to do",
         sinks);
}

bool adapter::destroy_bridge(const object& obj, step_sinks& sinks) {
  if (!sys_.interface_exists(obj.key)) {
    note("bridge.destroy", destroy_interface_argv(obj.key), "no such interface: nothing to do",
         sinks);
    return true;
  }
  run_options quiet;
  quiet.timeout = std::chrono::milliseconds(10'000);
  auto shown = sys_.run({{ifconfig_path, obj.key}}, quiet);
  auto info = parse_ifconfig(shown.output, nullptr);
  if (!info || !info->members.empty()) {
    // Other jails (or the host's NIC) are on it: it stays, and so does its
    // ledger entry, for the last jail's destroy to remove.
    std::string who;
    if (info)
      for (const auto& m : info->members) who += (who.empty() ? "" : ", ") + m;
    note("bridge.keep", {obj.key}, "still in use by " + (who.empty() ? "unknown members" : who),
         sinks);
    return false;
  }
  run_step("bridge.destroy", {destroy_interface_argv(obj.key)}, {}, sinks);
  return true;
}

void adapter::destroy_rctl(const object& obj, step_sinks& sinks) {
  const auto filter = obj.attrs.value("filter", obj.key + ":");
  const auto start = clock::now();
  auto r = sys_.rctl_remove_rule(filter);
  // ESRCH: no rule matched (already removed). ENOSYS: RACCT is off, so no
  // rule can exist.
  syscall_step("rctl.remove", {"rctl_remove_rule", filter}, r, since(start), sinks,
               r.error == ESRCH || r.error == ENOSYS);
}

void adapter::destroy_jail(const object& obj, step_sinks& sinks) {
  auto kj = sys_.jail_find(obj.key);
  if (!kj || kj->dying) {
    note("jail.remove", {"jail_remove", obj.key}, kj ? "dying: already removed" : "no such jail",
         sinks);
    return;
  }
  // The name may have been taken since by a jail this ledger row did not
  // make (its own start failed before jail_set, then another made one).
  if (!ledgered_jail_is(obj.attrs, *kj)) {
    note("jail.remove", {"jail_remove", obj.key},
         fmt::format("JID {} is not the jail this row recorded; left alone", kj->jid), sinks);
    return;
  }
  const auto start = clock::now();
  auto r = sys_.jail_remove(kj->jid);
  syscall_step("jail.remove", {"jail_remove", std::to_string(kj->jid)}, r, since(start), sinks,
               r.error == ESRCH);
}

// ---------------------------------------------------------------------------
// Live changes and queries.

void adapter::update_limits(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  const auto filter = rctl_remove_filter(ctx.spec.name);
  std::string listed;
  auto start = clock::now();
  auto r = sys_.rctl_get_rules(filter, &listed);
  syscall_step("rctl.list", {"rctl_get_rules", filter}, r, since(start), sinks,
               r.error == ENOSYS && ctx.spec.limits.empty());
  std::vector<std::string> current;
  if (r.ok()) {
    std::string why;
    auto rules = parse_rctl_rules(listed, &why);
    if (!rules) throw error(errc::host_failure, "rctl.list: " + why);
    for (const auto& rule : *rules) current.push_back(rule.text);
  }
  const auto change = rctl_diff(current, rctl_kernel_rules(ctx.spec));
  if (!change.add.empty())
    sinks.objects.record({object_kind::rctl, ctx.spec.name, rctl_subject(ctx.spec.name),
                          {{"filter", filter}}});
  for (const auto& f : change.remove) {
    start = clock::now();
    auto rr = sys_.rctl_remove_rule(f);
    syscall_step("rctl.remove", {"rctl_remove_rule", f}, rr, since(start), sinks,
                 rr.error == ESRCH);
  }
  for (const auto& rule : change.add) {
    start = clock::now();
    auto ra = sys_.rctl_add_rule(rule);
    syscall_step("rctl.add", {"rctl_add_rule", rule}, ra, since(start), sinks);
  }
  if (auto cpus = cpuset_cpus(ctx.spec); !cpus.empty()) {
    start = clock::now();
    auto rc = sys_.cpuset_set_jail(jail.jid, cpus);
    // A running jail's set may grow or shrink within the host's set
    // (cpuset_modify in sys/kern/kern_cpuset.c); what the kernel refuses:
    if (rc.error == EINVAL)
      rc.message += (rc.message.empty() ? "" : "; ") +
                    std::string("the set names CPUs outside the host's own set (cpuset -g)");
    else if (rc.error == EDEADLK)
      rc.message += (rc.message.empty() ? "" : "; ") +
                    std::string("a process in the jail is pinned to CPUs outside the new set, "
                                "which would leave it none (cpuset -g -j JID shows them)");
    syscall_step("cpuset", cpuset_journal(jail.jid, cpus), rc, since(start), sinks);
  }
}

exec_result adapter::exec(const jail_context& ctx, const running_jail& jail,
                           const exec_request& req) {
  (void)ctx;
  // Never into whatever jail has the JID now: the jail of this name must have it.
  if (!alive(jail))
    throw error(errc::host_failure, "the jail " + jail.name + " is not running");
  run_options o;
  o.timeout = req.timeout;
  o.user = req.user;
  o.env = jail_env(req.user);
  for (const auto& [k, v] : req.env) o.env[k] = v;
  o.cwd = req.cwd;
  o.input = req.input;
  o.output_limit = req.output_limit;
  auto r = sys_.run({req.argv, jail.jid}, o);
  exec_result out;
  out.output_cut = r.output_cut;
  out.error_cut = r.error_cut;
  out.exit_code = r.status;
  out.output = std::move(r.output);
  out.error = std::move(r.error);
  out.timed_out = r.timed_out;
  out.duration = r.duration;
  return out;
}

std::unique_ptr<exec_session> adapter::open_exec(const jail_context& ctx,
                                                const running_jail& jail,
                                                const exec_stream_request& req) {
  (void)ctx;
  if (req.argv.empty() && !req.login)
    throw error(errc::invalid_value, "argv cannot be empty", "/argv");
  if (!alive(jail))
    throw error(errc::jail_running, "the jail " + jail.name + " is not running");
  run_options o;
  o.user = req.user;
  o.env = jail_env(req.user);
  o.env["TERM"] = req.tty ? "xterm" : "dumb";
  for (const auto& [k, v] : req.env) o.env[k] = v;
  o.cwd = req.cwd;
  command cmd{req.argv, jail.jid};
  cmd.login = req.login;
  std::string why;
  // A user or directory the jail lacks ends the command with status 126 and
  // jaild-attach's line on its stderr (as the buffered exec reports it).
  auto session = sys_.open_stream(cmd, o, {req.tty, req.rows, req.cols}, &why);
  if (!session) throw error(errc::host_failure, "exec: " + why);
  return session;
}

void adapter::signal(const jail_context& ctx, const running_jail& jail, signal_target target,
                     int sig) {
  (void)ctx;
  if (!alive(jail))
    throw error(errc::jail_running, "the jail " + jail.name + " is not running");
  std::int64_t pid = target.pid;
  if (target.what == signal_target::kind::all) pid = -1;
  if (target.what == signal_target::kind::init) {
    // A FreeBSD jail has no init of its own: its `command`, when jaild
    // started one, is what ends it.
    std::lock_guard lock(mutex_);
    const auto it = main_pids_.find(jail.jid);
    if (it == main_pids_.end())
      throw error(errc::process_not_found,
                  "the jail " + jail.name +
                      " has no command of jaild's: a FreeBSD jail has no init; send to \"all\" or "
                      "to a PID");
    pid = it->second;
  }
  // Sent from inside the jail: a PID that is not the jail's is not found.
  const auto r = sys_.kill_in_jail(jail.jid, pid, sig);
  if (r.error == ESRCH) throw error(errc::process_not_found, r.message);
  if (!r.ok()) throw error(errc::host_failure, "signal: " + r.message);
}

std::map<std::string, double> adapter::usage(const running_jail& jail) {
  std::string text;
  auto r = sys_.rctl_get_racct(rctl_remove_filter(jail.name), &text);
  if (r.error == ENOSYS)
    throw error(errc::prerequisite_missing,
                "usage needs RACCT: add kern.racct.enable=1 to /boot/loader.conf and reboot");
  if (!r.ok())
    throw error(errc::host_failure, "rctl_get_racct(" + rctl_remove_filter(jail.name) +
                                        "): " + (r.message.empty() ? std::strerror(r.error) : r.message));
  std::string why;
  auto values = parse_rctl_usage(text, &why);
  if (!values) throw error(errc::host_failure, "rctl_get_racct: " + why);
  return *values;
}

bool adapter::alive(const running_jail& jail) {
  auto kj = sys_.jail_find(kernel_name(jail.name));
  return kj && !kj->dying && kj->jid == jail.jid;
}

std::vector<running_jail> adapter::list_jails() {
  std::vector<jls_jail> listed;
  for (const auto& kj : sys_.jail_list()) {
    jls_jail j;
    j.jid = kj.jid;
    j.name = kj.name;
    j.path = kj.path;
    if (!kj.meta.empty()) j.params["meta"] = kj.meta;
    j.dying = kj.dying;
    listed.push_back(std::move(j));
  }
  return owned_jails(listed, options_.instance_tag);
}

bool adapter::watch(const running_jail& jail, std::function<void(exit_info)> on_exit) {
  std::int64_t pid = -1;
  {
    std::lock_guard lock(mutex_);
    if (auto it = main_pids_.find(jail.jid); it != main_pids_.end()) pid = it->second;
  }
  // With our own `command` the system knows its status, even when it has
  // already ended (a jail without persist is then gone too); a process that
  // is our child cannot belong to another jail. Without one, the jail is
  // looked up by name before its JID is used.
  if (pid <= 0 && !alive(jail)) return false;
  return sys_.watch(jail.jid, kernel_name(jail.name), pid, std::move(on_exit));
}

void adapter::unwatch(const running_jail& jail) { sys_.unwatch(jail.jid); }

}  // namespace jaild::host::freebsd
