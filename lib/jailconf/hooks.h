// exec.* hook lists during an import: each command with its position and
// whether a recognised pattern has taken it over (hook_patterns.h,
// vnet_plumbing.h). What no pattern takes stays a verbatim hook.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/jailconf/position.h"

namespace jaild::jailconf {

// jail(8)'s order of the exec.* stages.
enum class stage { prepare, prestart, created, start, poststart, prestop, stop, poststop, release };
inline constexpr std::array<stage, 9> all_stages{stage::prepare,   stage::prestart, stage::created,
                                                 stage::start,     stage::poststart, stage::prestop,
                                                 stage::stop,      stage::poststop, stage::release};
std::string_view stage_name(stage s);  // "prestart"

struct hook_line {
  std::string text;
  position pos;
  bool taken = false;  // lifted into a field: not written back as a hook
};

struct hook_set {
  std::array<std::vector<hook_line>, 9> lines;
  std::vector<hook_line>& operator[](stage s) { return lines[static_cast<std::size_t>(s)]; }
  const std::vector<hook_line>& operator[](stage s) const {
    return lines[static_cast<std::size_t>(s)];
  }
};

// Whether jail(8) runs a command with /bin/sh -c (it has one of the shell's
// special characters) rather than splitting it on blanks itself.
bool needs_shell(std::string_view command);

// The argv jail(8) would execute for a command that needs no shell; nullopt
// when it needs one (a pattern never matches a shell command line).
std::optional<std::vector<std::string>> simple_argv(std::string_view command);

// The argv jail(8) executes for a command line: its words when it needs no
// shell, else /bin/sh -c LINE. Empty for a blank line. jail.conf's `command`
// and jailctl's command= both go through this.
std::vector<std::string> command_argv(std::string_view command);

// Whether argv[0] names `tool`, bare or by any path ("ifconfig", "/sbin/ifconfig").
bool is_tool(const std::string& arg0, std::string_view tool);

// A command line for an argv that jail(8) runs as that argv: words joined by
// spaces when none needs quoting, else shell-quoted (jail(8) then uses sh -c).
std::string join_command(const std::vector<std::string>& argv);

}  // namespace jaild::jailconf
