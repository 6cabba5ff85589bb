// jailctl completion bash|zsh: shell completion written from jailctl's own
// command tree (CLI11's), so that a new command or flag completes without
// anyone editing a script. Jail names complete from `jailctl list` on the
// socket the line names.
#include <iostream>
#include <set>
#include <sstream>

#include "client/cli.h"

namespace jaild::client {
namespace {

struct flag {
  std::vector<std::string> names;  // "--socket", "-f"
  std::string description;
  bool takes_value = false;
};

struct command {
  std::string name;
  std::vector<std::string> aliases;
  std::string description;
  std::vector<flag> flags;
  bool takes_jail = false;  // its first positional names a jail
};

std::vector<flag> flags_of(const CLI::App& app) {
  std::vector<flag> out;
  for (const auto* opt : app.get_options([](const CLI::Option* o) { return o->nonpositional(); })) {
    flag f;
    for (const auto& l : opt->get_lnames()) f.names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) f.names.push_back("-" + s);
    f.description = opt->get_description();
    f.takes_value = opt->get_items_expected_max() > 0;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<command> commands_of(const CLI::App& app) {
  std::vector<command> out;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    command c;
    c.name = sub->get_name();
    c.aliases = sub->get_aliases();
    c.description = sub->get_description();
    c.flags = flags_of(*sub);
    auto positionals = sub->get_options([](const CLI::Option* o) { return o->get_positional(); });
    // create's name is a new one; every other first "name" is a jail's.
    c.takes_jail = c.name != "create" && !positionals.empty() &&
                   (positionals.front()->get_name() == "name" ||
                    positionals.front()->get_name() == "names");
    out.push_back(std::move(c));
  }
  return out;
}

std::string words(const std::vector<flag>& flags) {
  std::string out;
  for (const auto& f : flags)
    for (const auto& n : f.names) out += (out.empty() ? "" : " ") + n;
  return out;
}

// The flags that take a value, as "|--socket|--host|...|" for a match of
// "*|$prev|*".
std::string value_flags(const std::vector<flag>& flags) {
  std::string out = "|";
  for (const auto& f : flags)
    if (f.takes_value)
      for (const auto& n : f.names) out += n + "|";
  return out;
}

void bash(std::ostream& out, const std::vector<flag>& globals, const std::vector<command>& cmds) {
  std::string names;
  for (const auto& c : cmds) {
    names += (names.empty() ? "" : " ") + c.name;
    for (const auto& a : c.aliases) names += " " + a;
  }
  out << "# bash completion for jailctl; written by `jailctl completion bash`\n"
         "_jailctl_jails() {\n"
         "  local i socket=()\n"
         "  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do\n"
         "    [[ ${COMP_WORDS[i]} == --socket ]] && socket=(--socket \"${COMP_WORDS[i + 1]}\")\n"
         "  done\n"
         "  \"${COMP_WORDS[0]}\" \"${socket[@]}\" list --no-header --columns name 2>/dev/null\n"
         "}\n"
         "_jailctl() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  local cmd= i opts= values= jails=\n"
         "  local globals='" << words(globals) << "'\n"
         "  local global_values='" << value_flags(globals) << "'\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    if [[ $global_values == *\"|${COMP_WORDS[i]}|\"* ]]; then ((i++)); continue; fi\n"
         "    case ${COMP_WORDS[i]} in\n"
         "      -*) ;;\n"
         "      *) cmd=${COMP_WORDS[i]}; break ;;\n"
         "    esac\n"
         "  done\n"
         "  case $cmd in\n"
         "    '') ;;\n";
  for (const auto& c : cmds) {
    out << "    " << c.name;
    for (const auto& a : c.aliases) out << "|" << a;
    out << ") opts='" << words(c.flags) << "' values='" << value_flags(c.flags) << "'"
        << (c.takes_jail ? " jails=1" : "") << " ;;\n";
  }
  out << "  esac\n"
         "  # The value of a flag: a file name (jail names only where a jail goes).\n"
         "  if [[ $global_values$values == *\"|$prev|\"* ]]; then\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\")); return\n"
         "  fi\n"
         "  if [[ -z $cmd ]]; then\n"
         "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$globals\" -- \"$cur\"));\n"
         "    else COMPREPLY=($(compgen -W '" << names << "' -- \"$cur\")); fi\n"
         "    return\n"
         "  fi\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$opts $globals\" -- \"$cur\"))\n"
         "  elif [[ -n $jails ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$(_jailctl_jails)\" -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -F _jailctl jailctl\n";
}

// A zsh _arguments description: no brackets, colons or quotes unescaped.
std::string zsh_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    out += c;
  }
  return out;
}

void zsh_flags(std::ostream& out, const std::vector<flag>& flags) {
  for (const auto& f : flags) {
    for (const auto& n : f.names) {
      out << "    '" << n << "[" << zsh_text(f.description) << "]";
      if (f.takes_value) out << ":value:_files";
      out << "'\n";
    }
  }
}

void zsh(std::ostream& out, const std::vector<flag>& globals, const std::vector<command>& cmds) {
  out << "#compdef jailctl\n"
         "# zsh completion for jailctl; written by `jailctl completion zsh`\n"
         "_jailctl_jails() {\n"
         "  local -a jails socket\n"
         "  local i=${words[(i)--socket]}\n"
         "  (( i < $#words )) && socket=(--socket \"${words[i + 1]}\")\n"
         "  jails=(${(f)\"$(jailctl \"${socket[@]}\" list --no-header --columns name 2>/dev/null)\"})\n"
         "  _describe -t jails jail jails\n"
         "}\n"
         "_jailctl() {\n"
         "  local curcontext=$curcontext state line\n"
         "  local -a commands globals\n"
         "  commands=(\n";
  for (const auto& c : cmds) {
    out << "    '" << zsh_text(c.name) << ":" << zsh_text(c.description) << "'\n";
    for (const auto& a : c.aliases) out << "    '" << a << ":" << zsh_text(c.description) << "'\n";
  }
  out << "  )\n"
         "  globals=(\n";
  zsh_flags(out, globals);
  out << "  )\n"
         "  _arguments -C $globals '1:command:->command' '*::argument:->argument'\n"
         "  case $state in\n"
         "    command) _describe -t commands command commands ;;\n"
         "    argument)\n"
         "      case $words[1] in\n";
  for (const auto& c : cmds) {
    out << "        " << c.name;
    for (const auto& a : c.aliases) out << "|" << a;
    out << ")\n          _arguments $globals \\\n";
    std::ostringstream flags;
    zsh_flags(flags, c.flags);
    std::istringstream lines(flags.str());
    for (std::string l; std::getline(lines, l);) out << "        " << l << " \\\n";
    out << "            " << (c.takes_jail ? "'*:jail:_jailctl_jails'" : "'*:file:_files'")
        << " ;;\n";
  }
  out << "      esac ;;\n"
         "  esac\n"
         "}\n"
         "_jailctl \"$@\"\n";
}

}  // namespace

void add_completion_command(CLI::App& app, context& ctx) {
  static std::string shell;
  auto* completion = app.add_subcommand(
      "completion", "print the shell completion script: jailctl completion bash|zsh");
  completion->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([&app, &ctx] {
    ctx.run = [&app](api_client&) {  // never sends a request
      const auto globals = flags_of(app);
      const auto cmds = commands_of(app);
      if (shell == "bash")
        bash(std::cout, globals, cmds);
      else
        zsh(std::cout, globals, cmds);
      std::cout.flush();
      return 0;
    };
  });
}

}  // namespace jaild::client
