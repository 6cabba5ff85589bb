// jailctl wait NAME --for running|stopped: blocks until the jail is in that
// state, for scripts ("start it async, do other work, wait for it").
#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "client/cli.h"

namespace jaild::client {
namespace {

// Seconds from "90", "90s", "5m" or "1h".
double parse_seconds(const std::string& text) {
  std::size_t used = 0;
  double n = -1;
  try {
    n = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (n < 0 || scale < 0)
    throw std::invalid_argument("--timeout takes seconds or a duration such as 90s, 5m, 1h, not '" +
                                text + "'");
  return n * scale;
}

}  // namespace

void add_wait_command(CLI::App& app, context& ctx) {
  static std::string name, target = "running", timeout;
  auto* wait = app.add_subcommand(
      "wait", "wait until a jail is running or stopped (exit 1 if it fails or time runs out)");
  wait->add_option("name", name, "jail name")->required();
  wait->add_option("--for", target, "running (default) or stopped")
      ->check(CLI::IsMember({"running", "stopped"}));
  wait->add_option("-t,--timeout", timeout, "give up after this long (default: no limit)");
  wait->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      using clock = std::chrono::steady_clock;
      const auto deadline =
          timeout.empty() ? clock::time_point::max()
                          : clock::now() + std::chrono::milliseconds(
                                               static_cast<long long>(parse_seconds(timeout) * 1000));
      // The jail's state is read again every 200 ms: a state jaild reports
      // is never missed between two reads, since the read is of the state,
      // not of the changes.
      while (true) {
        auto jail = api.call("GET", jail_path(name));
        const std::string state = jail["status"].value("state", "");
        if (state == target) {
          if (ctx.json_output) print_json(jail);
          return 0;
        }
        // A failed start, or a crash loop, will not become running by waiting;
        // a jail waited for to stop that failed has stopped.
        if (state == "failed" || state == "crashloop") {
          if (target == "stopped" && state == "failed") {
            if (ctx.json_output) print_json(jail);
            return 0;
          }
          const std::string error = jail["status"].value("last_error", "");
          std::cerr << fmt::format("jailctl: {}: {}{}\n", name, state,
                                   error.empty() ? "" : " (" + error + ")");
          return 1;
        }
        if (clock::now() >= deadline) {
          std::cerr << fmt::format("jailctl: {}: still {} after {}\n", name, state, timeout);
          return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    };
  });
}

}  // namespace jaild::client
