#include "lib/jailconf/hooks.h"

namespace jaild::jailconf {
namespace {

// The characters that make jail(8) run a command through /bin/sh -c
// (usr.sbin/jail/command.c, run_command); a lone trailing '&' is handled by
// jail(8) itself but is still a shell matter here.
constexpr std::string_view shell_chars = "!\"$&'()*;<>?[\\]`{|}~";
constexpr std::string_view blanks = " \t\f\v\r\n";

}  // namespace

std::string_view stage_name(stage s) {
  switch (s) {
    case stage::prepare: return "prepare";
    case stage::prestart: return "prestart";
    case stage::created: return "created";
    case stage::start: return "start";
    case stage::poststart: return "poststart";
    case stage::prestop: return "prestop";
    case stage::stop: return "stop";
    case stage::poststop: return "poststop";
    case stage::release: return "release";
  }
  return "start";
}

bool needs_shell(std::string_view command) {
  return command.find_first_of(shell_chars) != std::string_view::npos;
}

std::optional<std::vector<std::string>> simple_argv(std::string_view command) {
  if (needs_shell(command)) return std::nullopt;
  std::vector<std::string> argv;
  std::size_t i = 0;
  while (true) {
    i = command.find_first_not_of(blanks, i);
    if (i == std::string_view::npos) break;
    auto end = command.find_first_of(blanks, i);
    argv.emplace_back(command.substr(i, end - i));
    if (end == std::string_view::npos) break;
    i = end;
  }
  return argv;
}

std::vector<std::string> command_argv(std::string_view command) {
  if (needs_shell(command)) return {"/bin/sh", "-c", std::string(command)};
  return *simple_argv(command);
}

bool is_tool(const std::string& arg0, std::string_view tool) {
  if (arg0 == tool) return true;
  return arg0.size() > tool.size() && arg0.ends_with(tool) &&
         arg0[arg0.size() - tool.size() - 1] == '/' && arg0.front() == '/';
}

std::string join_command(const std::vector<std::string>& argv) {
  bool plain = !argv.empty();
  for (const auto& a : argv)
    plain = plain && !a.empty() && !needs_shell(a) && a.find_first_of(blanks) == std::string::npos;
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace jaild::jailconf
