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

bool firewall_loaded(const host_facts& f) {
  return f.modules.contains("pf") || f.modules.contains("ipfw");
}

// The pfil sysctls only matter when a packet filter is loaded; absent (no
// if_bridge yet) they take the kernel's default of 1 once it loads.
bool pfil_ok(const host_facts& f, const char* name) {
  if (!firewall_loaded(f)) return true;
  return sysctl_int(f.sysctl, name).value_or(1) == 0;
}

}  // namespace

const std::vector<std::string>& prerequisite_sysctls() {
  static const std::vector<std::string> names{vimage, racct, forwarding, pfil_member,
                                              pfil_bridge};
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

  out.push_back({"if_bridge", f.modules.contains("if_bridge"),
                 "if_bridge is not loaded: run \"kldload if_bridge\" and add "
                 "if_bridge_load=\"YES\" to /boot/loader.conf",
                 {"vnet"}});
  out.push_back({"if_epair", f.modules.contains("if_epair"),
                 "if_epair is not loaded: run \"kldload if_epair\" and add "
                 "if_epair_load=\"YES\" to /boot/loader.conf",
                 {"vnet"}});

  out.push_back({forwarding, sysctl_int(f.sysctl, forwarding).value_or(0) == 1,
                 "IP forwarding is off, so a VNET jail whose default router is this host "
                 "reaches nothing beyond it: run \"sysctl net.inet.ip.forwarding=1\" and add "
                 "gateway_enable=\"YES\" to /etc/rc.conf",
                 {"vnet (routed through this host)"}});

  out.push_back({pfil_member, pfil_ok(f, pfil_member),
                 "a packet filter is loaded and net.link.bridge.pfil_member=1 filters every "
                 "VNET jail's traffic on its epair: run \"sysctl net.link.bridge.pfil_member=0\" "
                 "and add that line to /etc/sysctl.conf",
                 {"vnet"}});
  out.push_back({pfil_bridge, pfil_ok(f, pfil_bridge),
                 "a packet filter is loaded and net.link.bridge.pfil_bridge=1 filters every "
                 "VNET jail's traffic on the bridge: run \"sysctl net.link.bridge.pfil_bridge=0\" "
                 "and add that line to /etc/sysctl.conf",
                 {"vnet"}});

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

void require_prerequisites(const model::jail_spec& spec, const host_facts& facts) {
  const auto all = evaluate_prerequisites(facts);
  for (const auto& name : needed_prerequisites(spec, facts)) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const prerequisite& p) { return p.name == name; });
    if (it != all.end() && !it->ok)
      throw error(errc::prerequisite_missing,
                  "jail '" + spec.name + "' needs " + name + ": " + it->message);
  }
}

}  // namespace jaild::host::freebsd
