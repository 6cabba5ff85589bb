// One validator per kind of field. Each is a pure function that returns the
// empty string when the value is good and otherwise one sentence saying what
// is wrong with it. The JSON decoder, the jail.conf importer and the store all
// use these same functions, so a value is accepted or refused the same way
// whichever door it came through.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::model::check {

// A jail name. jaild accepts a subset of what FreeBSD accepts: names become
// parts of file names, interface descriptions and cgroup paths, so they are
// 1-63 characters of [A-Za-z0-9_-], start with a letter or digit, and are not
// all digits (FreeBSD reserves numeric names for JIDs). No dots: a dot names a
// child jail in FreeBSD. "import" and "export" are taken by API routes.
std::string jail_name(std::string_view name);

// host.hostname: RFC 1123 labels separated by dots, at most 255 characters.
std::string hostname(std::string_view name);

// An absolute path with no "." or ".." component and no NUL, under 1024 bytes.
std::string absolute_path(std::string_view path);

// A network interface name (IFNAMSIZ - 1 = 15 characters of [A-Za-z0-9_.-]).
std::string interface_name(std::string_view name);

enum class ip_family { v4, v6 };

// A bare address of the family ("192.0.2.1", "2001:db8::1").
std::string ip_address(ip_family family, std::string_view addr);

// jail(8)'s ip4.addr / ip6.addr element: [iface|]addr[/prefixlen].
std::string jail_address(ip_family family, std::string_view value);

// An address with a mandatory prefix length and no interface: "10.0.0.10/24".
std::string cidr_address(ip_family family, std::string_view value);

// An RCTL rule without its subject: resource:action=amount[/per], as rctl(8)
// takes it after "jail:NAME:". Refuses unknown resources and actions, and the
// action/resource pairs that the kernel refuses (deny on cputime, throttle on
// memory, ...).
std::string rctl_rule(std::string_view rule);

// A cpuset(1) CPU list: "0-1,4". Ranges ascend, CPUs are 0..1023.
std::string cpu_list(std::string_view list);

// A start priority: 0..9999, lower starts first.
std::string priority(std::int64_t value);

// A label key: 1-63 characters of [A-Za-z0-9._/-] that start and end with a
// letter or digit ("team", "nomad.alloc", "example.org/owner"). Keys are
// what a scheduler filters on (GET /v1/jails?label=KEY=VALUE), so they
// hold no '=' or ',' and no blank.
std::string label_key(std::string_view key);

// A label value: at most 255 bytes of UTF-8 text without control
// characters or ','; it may be empty.
std::string label_value(std::string_view key, std::string_view value);

// At most this many labels on one jail.
inline constexpr std::size_t max_labels = 64;

// A jail(8) parameter name as it appears in jail.conf: "allow.raw_sockets",
// "enforce_statfs", "linux.osrelease".
std::string param_name(std::string_view name);

// A MAC address "02:ab:cd:ef:01:23", unicast.
std::string mac_address(std::string_view mac);

// A health check TCP target: "PORT" or "HOST:PORT" ("[v6]:PORT" for IPv6).
std::string tcp_target(std::string_view target);

// A health check URL: http://HOST[:PORT]/PATH.
std::string http_url(std::string_view url);

// ---------------------------------------------------------------------------
// Parsers that also validate. They return nullopt (and set *problem) on error.

// Durations: "500ms", "10s", "2m", "1h", "1m30s", or a bare number of seconds
// as jail.conf writes them ("30"). Always positive, at most 24 hours: jaild has
// no infinite timeouts.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string* problem);
// The canonical text of a duration: the largest unit that is exact ("90s", "2m", "1500ms").
std::string format_duration(std::chrono::milliseconds d);

// CPU list to the sorted list of CPUs it names.
std::optional<std::vector<int>> parse_cpu_list(std::string_view list, std::string* problem);

// An RCTL amount with rctl(8)'s suffixes (k, m, g, t, p, e; case-insensitive,
// powers of 1024) to a number.
std::optional<std::uint64_t> parse_rctl_amount(std::string_view amount, std::string* problem);

}  // namespace jaild::model::check
