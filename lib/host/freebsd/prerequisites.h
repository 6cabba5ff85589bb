// What a FreeBSD host must have for the jails jaild runs, as pure functions:
// which facts to read (sysctls, kernel modules, the host's addresses), what
// each fact means (one sentence of what to change when it is missing), and
// which of them a given spec needs. The adapter reads the facts; GET /v1/info
// shows the evaluation; host::check() refuses a spec that needs a missing one.
//
// The list comes from the seeds' host setups (research/book_digest.md 4.1,
// 5.5, 5.6 and checklist item 15): VIMAGE, RACCT, if_bridge and if_epair,
// IP forwarding, and the bridge's pfil sysctls; kern.securelevel decides
// whether a missing module can still be loaded.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/host/host.h"
#include "lib/model/jail_spec.h"

namespace jaild::host::freebsd {

struct host_facts {
  std::map<std::string, std::string> sysctl;   // parse_sysctl() of the names below
  std::set<std::string> modules;               // the modules below that are loaded
  std::vector<std::string> addresses;          // the host's own addresses ("10.0.0.1")
  // With pf loaded: the lines of pf_rules.h's anchor_lines() that the main
  // ruleset lacks (from pfctl -s nat / -s rules).
  std::vector<std::string> pf_anchor_lines_missing;
};

// The sysctls and kernel modules (modfind(2) names) the evaluation reads.
const std::vector<std::string>& prerequisite_sysctls();
const std::vector<std::string>& prerequisite_modules();

// Every prerequisite with ok/message/needed_by/warning, in a fixed order. Names:
// kern.features.vimage, kern.racct.enable, if_bridge, if_epair,
// net.inet.ip.forwarding, net.link.bridge.pfil_member, net.link.bridge.pfil_bridge,
// pf.anchors (pf loaded and pf.conf with jaild's anchor lines: ports and NAT).
// Only what the kernel cannot do refuses a jail: no VIMAGE, no RACCT (for
// limits), a module missing at a securelevel above 0, no pf (and its anchors)
// for ports and NAT. The rest (a module ifconfig can still load, forwarding
// off, pf or ipfw filtering on the bridge) are warnings.
std::vector<prerequisite> evaluate_prerequisites(const host_facts& facts);

// The names of the prerequisites this spec needs on this host:
// - VNET: kern.features.vimage, if_epair, if_bridge, and the pfil sysctls
//   (which only matter, and are only reported missing, when pf or ipfw is loaded);
// - limits: kern.racct.enable;
// - published ports: pf.anchors;
// - a VNET interface whose default router is an address of this host:
//   net.inet.ip.forwarding (the host routes for it, as in the VNET article).
std::vector<std::string> needed_prerequisites(const model::jail_spec& spec,
                                              const host_facts& facts);

// Throws errc::prerequisite_missing with the sentence of the first needed
// prerequisite that is missing and not a warning; returns "NAME: sentence" for
// each needed warning that is missing.
std::vector<std::string> require_prerequisites(const model::jail_spec& spec,
                                               const host_facts& facts);

}  // namespace jaild::host::freebsd
