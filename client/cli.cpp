#include "client/cli.h"

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "client/suggest.h"
#include "client/times.h"

namespace jaild::client {

std::optional<std::string> unknown_command_hint(const CLI::App& app, int argc,
                                                const char* const* argv) {
  // The first word that is neither an option nor the value of one.
  std::string word;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.starts_with("-")) {
      const auto* opt = arg.find('=') == std::string::npos && arg.starts_with("--")
                            ? app.get_option_no_throw(arg)
                            : nullptr;
      if (opt && opt->get_items_expected_max() > 0) ++i;  // --socket PATH: skip PATH
      continue;
    }
    word = arg;
    break;
  }
  if (word.empty()) return std::nullopt;
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) return std::nullopt;  // a known command: another mistake
    names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  std::string hint = "no command '" + word + "'";
  if (auto near = nearest(word, names)) hint += "; did you mean '" + *near + "'?";
  return hint + " (jailctl --help lists the commands)";
}

std::string jail_path(const std::string& name) { return "/v1/jails/" + url_escape(name); }

std::string text_or_dash(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

nlohmann::json read_json_object(const std::string& file, const char* what) {
  std::ifstream in(file == "-" ? "/dev/stdin" : file);
  if (!in) throw std::invalid_argument("cannot read " + file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::invalid_argument(file + " does not hold a JSON object (" + what + ")");
  return j;
}

void print_json(const nlohmann::json& j) {
  std::cout << with_rfc3339_times(j).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
}

void report_warnings(const context& ctx, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return;
  if (ctx.strict) throw std::invalid_argument(warnings.front() + " (refused: --strict)");
  for (const auto& w : warnings)
    std::cerr << "jailctl: warning: " << w << " (kept as a jail(8) parameter; --strict refuses it)\n";
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string human_duration_ms(long long ms) {
  if (ms < 1000) return fmt::format("{}ms", ms);
  long long s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

void print_refusal(const refused& e, const std::string& jail) {
  std::cerr << "jailctl: " << (jail.empty() ? "" : jail + ": ") << e.what();
  if (!e.code().empty()) std::cerr << " [" << e.code() << "]";
  std::cerr << "\n";
  if (auto op = e.problem().find("operation"); op != e.problem().end() && op->is_string())
    std::cerr << "  the steps: jailctl op " << op->get<std::string>() << "\n";
}

}  // namespace jaild::client
