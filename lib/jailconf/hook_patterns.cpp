#include "lib/jailconf/hook_patterns.h"

#include <fmt/format.h>

#include "lib/model/validate.h"

namespace jaild::jailconf {
namespace {

std::optional<std::string> rctl_added_rule(const std::string& command, std::string_view jail) {
  auto argv = simple_argv(command);
  if (!argv || argv->size() != 3 || !is_tool((*argv)[0], "rctl") || (*argv)[1] != "-a")
    return std::nullopt;
  const std::string subject = fmt::format("jail:{}:", jail);
  const std::string& rule = (*argv)[2];
  if (!rule.starts_with(subject) || rule.size() == subject.size()) return std::nullopt;
  return rule.substr(subject.size());
}

bool is_rctl_removal(std::string command, std::string_view jail) {
  // "|| true" keeps a stop from failing when the jail had no rule left.
  constexpr std::string_view or_true = "|| true";
  while (!command.empty() && (command.back() == ' ' || command.back() == '\t')) command.pop_back();
  if (command.ends_with(or_true)) command.resize(command.size() - or_true.size());
  auto argv = simple_argv(command);
  if (!argv || argv->size() != 3 || !is_tool((*argv)[0], "rctl") || (*argv)[1] != "-r")
    return false;
  const auto& filter = (*argv)[2];
  return filter == fmt::format("jail:{}", jail) || filter == fmt::format("jail:{}:", jail);
}

std::optional<std::string> cpuset_list(const std::string& command, std::string_view jail) {
  auto argv = simple_argv(command);
  if (!argv || argv->empty() || !is_tool((*argv)[0], "cpuset")) return std::nullopt;
  std::optional<std::string> list, target;
  for (std::size_t i = 1; i < argv->size(); ++i) {
    const std::string& a = (*argv)[i];
    if (a.size() < 2 || a[0] != '-') return std::nullopt;  // cpuset -j takes no command here
    for (std::size_t k = 1; k < a.size(); ++k) {
      const char opt = a[k];
      if (opt == 'c') continue;
      if (opt != 'l' && opt != 'j') return std::nullopt;
      std::string arg = a.substr(k + 1);
      if (arg.empty()) {
        if (++i >= argv->size()) return std::nullopt;
        arg = (*argv)[i];
      }
      (opt == 'l' ? list : target) = arg;
      break;
    }
  }
  if (!list || !target || *target != jail) return std::nullopt;
  return list;
}

}  // namespace

std::vector<lifted_text> lift_rctl(hook_set& hooks, std::string_view jail,
                                   std::vector<std::string>& warnings) {
  std::vector<lifted_text> out;
  for (stage s : {stage::prestart, stage::created, stage::poststart}) {
    for (auto& line : hooks[s]) {
      if (line.taken) continue;
      auto rule = rctl_added_rule(line.text, jail);
      if (!rule) continue;
      if (auto why = model::check::rctl_rule(*rule); !why.empty()) {
        warnings.push_back(fmt::format("{}: exec.{} '{}' stays a hook: {}", line.pos.to_string(),
                                       stage_name(s), line.text, why));
        continue;
      }
      line.taken = true;
      out.push_back(lifted_text{*rule, line.pos});
    }
  }
  if (!out.empty()) {
    for (stage s : {stage::poststop, stage::release})
      for (auto& line : hooks[s])
        if (!line.taken && is_rctl_removal(line.text, jail)) line.taken = true;
  }
  return out;
}

std::optional<lifted_text> lift_cpuset(hook_set& hooks, std::string_view jail,
                                       std::vector<std::string>& warnings) {
  std::vector<std::pair<hook_line*, std::string>> found;
  for (stage s : {stage::created, stage::poststart})
    for (auto& line : hooks[s])
      if (!line.taken)
        if (auto list = cpuset_list(line.text, jail)) found.emplace_back(&line, *list);
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    warnings.push_back(fmt::format("{}: {} cpuset hooks for jail '{}' stay hooks; jaild models one "
                                   "CPU list",
                                   found.front().first->pos.to_string(), found.size(), jail));
    return std::nullopt;
  }
  found.front().first->taken = true;
  return lifted_text{found.front().second, found.front().first->pos};
}

std::string rctl_add_command(std::string_view jail, std::string_view rule) {
  return fmt::format("/usr/bin/rctl -a jail:{}:{}", jail, rule);
}

std::string rctl_remove_command(std::string_view jail) {
  return fmt::format("/usr/bin/rctl -r jail:{} || true", jail);
}

std::string cpuset_command(std::string_view jail, std::string_view cpus) {
  return fmt::format("/usr/bin/cpuset -c -j {} -l {}", jail, cpus);
}

}  // namespace jaild::jailconf
