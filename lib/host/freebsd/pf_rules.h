// pf(4) rules for NAT and published ports on FreeBSD, as pure functions: the
// anchor names, the rule text of each anchor, the pfctl(8) argv that load and
// flush it, and the parsing of what pfctl and route(8) say. Nothing here runs
// a command; the unit tests check all of it against golden text.
//
// Every rule jaild writes lives below the anchor "jaild": one sub-anchor per
// running jail ("jaild/NAME": the masquerade of its addresses on networks with
// nat, its rdr rules, and the nat that makes hairpin work), as on Linux one
// nftables table per jail: a jail's rules come and go whole, and no anchor is
// shared between jails. jaild loads an anchor with `pfctl -a ANCHOR -f -` and empties it with
// `pfctl -a ANCHOR -F all`; it never flushes, loads or edits anything outside
// its anchors. The admin's pf.conf needs only the three anchor lines of
// anchor_lines(), in pf.conf's order (translation before filtering).
#pragma once

#include <string>
#include <vector>

#include "lib/host/firewall.h"

namespace jaild::host::freebsd {

inline constexpr const char* pfctl_path = "/sbin/pfctl";
inline constexpr const char* pf_anchor_root = "jaild";

// "jaild/web".
std::string jail_anchor(const std::string& jail);

// The lines pf.conf must have for jaild's anchors to be evaluated:
// nat-anchor "jaild/*", rdr-anchor "jaild/*", anchor "jaild/*".
const std::vector<std::string>& anchor_lines();

// The text for `pfctl -a jaild/NAME -f -` of jail `name`: the masquerade of
// its addresses, its rdr rules (tagged), and the nat of redirected packets
// from its own segments (hairpin). Throws jaild::error(invalid_value,
// "/ports/I") for a port of a family the jail has no address of.
std::string jail_rules(const std::string& name, const jail_firewall& fw);

// pfctl's argv: load an anchor from standard input; empty it; list the
// translation and the filter rules of the main ruleset.
std::vector<std::string> load_anchor_argv(const std::string& anchor);
std::vector<std::string> flush_anchor_argv(const std::string& anchor);
std::vector<std::string> show_nat_argv();
std::vector<std::string> show_rules_argv();

// Which of anchor_lines() the main ruleset lacks, from `pfctl -s nat` (nat and
// rdr rules, with their anchors) and `pfctl -s rules` output.
std::vector<std::string> missing_anchor_lines(const std::string& show_nat,
                                              const std::string& show_rules);

// `route -n get default`: the interface of the default route ("" when none).
std::vector<std::string> default_route_argv();
std::string route_get_interface(const std::string& route_output);

}  // namespace jaild::host::freebsd
