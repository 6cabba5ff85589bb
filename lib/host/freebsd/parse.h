// Parsers of what FreeBSD's tools and syscalls print: jls(8) with libxo JSON
// (-v and -n), the usage list of rctl(8) -u / rctl_get_racct(2), the rule
// lists of rctl(8) / rctl -l / rctl_get_rules(2), ifconfig(8) -g GROUP and
// ifconfig IFACE, and sysctl(8). Pure functions; each is tested on real
// samples (tests/unit/host_freebsd/samples/, with their sources).
//
// Parsers are lenient about what they do not use and strict about what they
// do: a field jaild relies on that is missing or malformed is an error
// (nullopt, with the reason), never a silent zero.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/host/freebsd/system.h"
#include "lib/host/host.h"

namespace jaild::host::freebsd {

// One jail of `jls --libxo json` (plain, -v or -n).
struct jls_jail {
  std::int64_t jid = -1;
  std::string name;
  std::string hostname;
  std::string path;
  bool dying = false;                 // -v "state":"DYING", -n "dying":true
  std::int64_t cpuset_id = -1;        // -v only
  std::vector<std::string> ip4, ip6;
  std::map<std::string, std::string> params;  // -n: every parameter, as text
};
// The whole document: {"__version": "2", "jail-information": {"jail": [...]}}.
std::optional<std::vector<jls_jail>> parse_jls_json(std::string_view text, std::string* why);

// The jails jaild owns (its kernel name prefix), not dying, as running_jails
// named by their spec name. The token is "jaild.id=INSTANCE" when the jail's
// `meta` parameter carries jaild's mark (FreeBSD 15, plan.h's jaild_meta()),
// else "jid=N" (see adapter.h). With `instance_tag`, a jail whose mark names
// another jaild's instance (an id longer than a tag that does not begin with
// this one) is left out; an id no longer than a tag is from before tags and
// is kept.
std::vector<running_jail> owned_jails(const std::vector<jls_jail>& jails,
                                      std::string_view instance_tag = {});

// Whether the kernel jail `kj` is the one a ledger row with `attrs` recorded:
// the same instance in its `meta` mark where both have one, else the same
// path where the row has one. A row from before either was kept matches.
bool ledgered_jail_is(const nlohmann::json& attrs, const kernel_jail& kj);

// rctl -u / rctl -hu output (one "resource=value" per line) or the raw
// comma-separated buffer of rctl_get_racct(2). Human-readable amounts
// ("25M", "1.2G", rctl -h) become numbers (powers of 1024).
std::optional<std::map<std::string, double>> parse_rctl_usage(std::string_view text,
                                                              std::string* why);

// One rule as rctl(8) prints it: subject:id:resource:action=amount[/per].
struct rctl_listed_rule {
  std::string subject;     // "jail", "user", "process", "loginclass"
  std::string id;          // "jaild-web", "1001", "512"
  std::string resource;
  std::string action;
  std::string amount;      // as printed: "2147483648" (rctl) or "2048M" (rctl -h)
  std::string per;         // "" when not printed
  std::string text;        // the whole rule as printed
};
// rctl [-h] [-l FILTER] output (one rule per line) or the comma-separated
// buffer of rctl_get_rules(2) / rctl_get_limits(2).
std::optional<std::vector<rctl_listed_rule>> parse_rctl_rules(std::string_view text,
                                                              std::string* why);

// ifconfig -g GROUP: one interface name per line.
std::vector<std::string> parse_interface_group(std::string_view text);

// ifconfig IFACE (one interface's block).
struct interface_info {
  std::string name;
  std::string description;
  std::vector<std::string> groups;
  std::vector<std::string> members;   // bridge members
  std::vector<std::string> inet;      // "20.0.0.20/24" (netmask converted)
  std::vector<std::string> inet6;     // "fe80::1%lo0/64"
  std::string ether;
};
std::optional<interface_info> parse_ifconfig(std::string_view text, std::string* why);

// sysctl NAME... output ("name: value"; with -e "name=value"). A value that
// spans lines (kern.sched.topology_spec) keeps its newlines.
std::map<std::string, std::string> parse_sysctl(std::string_view text);

// An integer sysctl value; nullopt when absent or not a number.
std::optional<std::int64_t> sysctl_int(const std::map<std::string, std::string>& values,
                                       const std::string& name);

// A user of passwd(5) (the jail's own /etc/passwd for commands run inside it:
// the lookup is done before fork(2), where the child may not call getpwnam).
struct passwd_entry {
  std::string name;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;
  std::string shell;
};
std::optional<passwd_entry> find_passwd(std::string_view passwd_text, std::string_view user);
// The groups of group(5) that list the user as a member, plus `primary`.
std::vector<std::uint32_t> groups_of(std::string_view group_text, std::string_view user,
                                     std::uint32_t primary);

}  // namespace jaild::host::freebsd
