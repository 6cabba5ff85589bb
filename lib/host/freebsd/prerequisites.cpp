#include "lib/host/freebsd/prerequisites.h"

#include <algorithm>

#include "lib/host/freebsd/parse.h"
#include "lib/model/error.h"

namespace jaild::host::freebsd {
namespace {

constexpr const char* vimage = "kern.features.vimage";
constexpr const char* racct = "kern.racct.enable";
constexpr const char* forwarding = "net.inet.ip.forwarding";
constexpr const char* pfil_member = "net.link.bridge.pfil_member";
constexpr const char* pfil_bridge = "net.link.bridge.pfil_bridge";
constexpr const char* pf_anchors = "pf.anchors";
constexpr const char* securelevel = "kern.securelevel";

bool firewall_loaded(const host_facts& f) {
  return f.modules.contains("pf") || f.modules.contains("ipfw");
}

// The pfil sysctls only matter when a packet filter is loaded; absent (no
// if_bridge yet) they take the kernel's default of 1 once it loads.
bool pfil_ok(const host_facts& f, const char* name) {
  if (!firewall_loaded(f)) return true;
  return sysctl_int(f.sysctl, name).value_or(1) == 0;
}

// A kernel module jaild's commands need. ifconfig(8) loads if_epair and
// if_bridge itself at the first "create" (ifmaybeload in sbin/ifconfig), so
// a missing one is only a warning; but kldload(2) refuses at any securelevel
// above 0 (kern_kldload in sys/kern/kern_linker.c), and then nothing can load
// it until the next boot.
prerequisite module_prerequisite(const host_facts& f, const std::string& module) {
  const long level = sysctl_int(f.sysctl, securelevel).value_or(-1);
  const bool loadable = level <= 0;
  prerequisite p{module, f.modules.contains(module), "", {"vnet"}, loadable};
  p.message = loadable
                  ? module + " is not loaded; ifconfig loads it at the first jail's start. To "
                             "load it at boot, add " + module + "_load=\"YES\" to "
                             "/boot/loader.conf"
                  : module + " is not loaded, and at kern.securelevel " + std::to_string(level) +
                        " the kernel loads no module: add " + module +
                        "_load=\"YES\" to /boot/loader.conf and reboot";
  return p;
}

}  // namespace

const std::vector<std::string>& prerequisite_sysctls() {
  static const std::vector<std::string> names{vimage,      racct,       forwarding,
                                              pfil_member, pfil_bridge, securelevel};
  return names;
}

const std::vector<std::string>& prerequisite_modules() {
  static const std::vector<std::string> names{"if_bridge", "if_epair", "pf", "ipfw"};
  return names;
}

std::vector<prerequisite> evaluate_prerequisites(const host_facts& f) {
  std::vector<prerequisite> out;
  out.push_back({vimage, sysctl_int(f.sysctl, vimage).value_or(0) == 1,
                 "this kernel has no VIMAGE: VNET jails need a kernel built with "
                 "\"options VIMAGE\" (GENERIC has it since FreeBSD 12.0)",
                 {"vnet"}});

  const auto racct_value = sysctl_int(f.sysctl, racct);
  out.push_back({racct, racct_value.value_or(0) == 1,
                 racct_value
                     ? "RACCT is off: add kern.racct.enable=1 to /boot/loader.conf and reboot "
                       "(it is a loader tunable; sysctl(8) cannot turn it on while the system "
                       "runs)"
                     : "this kernel has no RACCT/RCTL: resource limits need a kernel built "
                       "with \"options RACCT\" and \"options RCTL\"",
                 {"limits"}});

  out.push_back(module_prerequisite(f, "if_bridge"));
  out.push_back(module_prerequisite(f, "if_epair"));

  // The jail starts and runs either way: these say why its traffic may not
  // go where the admin expects.
  out.push_back({forwarding, sysctl_int(f.sysctl, forwarding).value_or(0) == 1,
                 "IP forwarding is off, so a VNET jail whose default router is this host "
                 "reaches nothing beyond it: run \"sysctl net.inet.ip.forwarding=1\" and add "
                 "gateway_enable=\"YES\" to /etc/rc.conf",
                 {"vnet (routed through this host)"},
                 true});
  // Filtering on bridge members is a normal FreeBSD setup (if_bridge(4)); the
  // warning is for the admin who did not mean it.
  out.push_back({pfil_member, pfil_ok(f, pfil_member),
                 "a packet filter is loaded and net.link.bridge.pfil_member=1, so its rules "
                 "apply to every VNET jail's traffic on its epair: write them for that, or run "
                 "\"sysctl net.link.bridge.pfil_member=0\" and add that line to /etc/sysctl.conf",
                 {"vnet"},
                 true});
  out.push_back({pfil_bridge, pfil_ok(f, pfil_bridge),
                 "a packet filter is loaded and net.link.bridge.pfil_bridge=1, so its rules "
                 "apply to every VNET jail's traffic on the bridge: write them for that, or run "
                 "\"sysctl net.link.bridge.pfil_bridge=0\" and add that line to /etc/sysctl.conf",
                 {"vnet"},
                 true});

  std::string missing;
  for (const auto& line : f.pf_anchor_lines_missing) missing += (missing.empty() ? "" : "; ") + line;
  out.push_back({pf_anchors, f.modules.contains("pf") && f.pf_anchor_lines_missing.empty(),
                 !f.modules.contains("pf")
                     ? "pf is not loaded: NAT and published ports are pf rules in jaild's anchors; "
                       "run \"kldload pf\" and add pf_enable=\"YES\" to /etc/rc.conf"
                     : "pf.conf does not evaluate jaild's anchors: add " + missing +
                           " to /etc/pf.conf (translation anchors before the filter rules) and run "
                           "\"service pf reload\"",
                 {"ports", "nat"}});
  return out;
}

std::vector<std::string> needed_prerequisites(const model::jail_spec& spec,
                                              const host_facts& facts) {
  std::vector<std::string> out;
  if (spec.vnet) {
    out.insert(out.end(), {vimage, "if_epair", "if_bridge", pfil_member, pfil_bridge});
    for (const auto& itf : spec.vnet->interfaces) {
      const bool via_host =
          !itf.defaultrouter.empty() &&
          std::find(facts.addresses.begin(), facts.addresses.end(), itf.defaultrouter) !=
              facts.addresses.end();
      if (via_host) {
        out.push_back(forwarding);
        break;
      }
    }
  }
  if (!spec.limits.empty()) out.push_back(racct);
  if (!spec.ports.empty()) out.push_back(pf_anchors);
  return out;
}

std::vector<std::string> require_prerequisites(const model::jail_spec& spec,
                                               const host_facts& facts) {
  const auto all = evaluate_prerequisites(facts);
  std::vector<std::string> warnings;
  for (const auto& name : needed_prerequisites(spec, facts)) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const prerequisite& p) { return p.name == name; });
    if (it == all.end() || it->ok) continue;
    if (it->warning) {
      warnings.push_back(name + ": " + it->message);
      continue;
    }
    throw error(errc::prerequisite_missing,
                "jail '" + spec.name + "' needs " + name + ": " + it->message);
  }
  return warnings;
}

}  // namespace jaild::host::freebsd
