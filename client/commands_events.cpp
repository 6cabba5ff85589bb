// jailctl events, ops, op, boot-plan: what happened and what will.
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"
#include "client/times.h"

namespace jaild::client {
namespace {

using nlohmann::json;

// Local time to the millisecond: events come several a second.
std::string clock_time(long long ms) {
  return fmt::format("{}.{:03}", local_time(ms), ((ms % 1000) + 1000) % 1000);
}

// One line per event, like a log: time, sequence, type, jail, what.
void print_event(const json& e, bool as_json) {
  if (as_json) {
    // One line per event, flushed: a pipe reads each as it happens.
    std::cout << with_rfc3339_times(e).dump(-1, ' ', false, json::error_handler_t::replace)
              << std::endl;
    return;
  }
  const auto& d = e["data"];
  std::string what;
  if (e["type"] == "jail.state")
    what = fmt::format("{} -> {} ({})", d.value("from", ""), d.value("to", ""), d.value("reason", ""));
  else if (e["type"] == "operation.finished")
    what = fmt::format("{} {} {}{}", d.value("id", ""), d.value("kind", ""), d.value("state", ""),
                       d.value("error", "").empty() ? "" : ": " + d.value("error", ""));
  else
    what = d.dump(-1, ' ', false, json::error_handler_t::replace);
  std::cout << fmt::format("{}  {:>6}  {:<22} {:<14} {}\n", clock_time(e.value("time", 0LL)),
                           e.value("seq", 0LL), e.value("type", ""),
                           e.value("jail", "").empty() ? "-" : e.value("jail", ""), what)
            << std::flush;
}

}  // namespace

void add_event_commands(CLI::App& app, context& ctx) {
  static bool follow = false;
  static std::optional<long long> since;
  static std::string jail;
  auto* events = app.add_subcommand("events", "print jaild's events (state changes, operations)");
  events->add_flag("-f,--follow", follow,
                   "keep printing new events as they happen, from now (or from --since)");
  events->add_option("--since", since, "only events after this sequence number (0: all stored)");
  events->add_option("--jail", jail, "only this jail's events");
  events->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      // Without --since: the stored history, or with --follow what happens
      // from now on (jaild's own default when no position is given).
      std::string path = fmt::format("/v1/events?follow={}", follow ? "true" : "false");
      if (since || !follow) path += fmt::format("&since={}", since.value_or(0));
      if (!jail.empty()) path += "&jail=" + url_escape(jail);
      std::string buffer;
      api.stream(path, [&](std::string_view chunk) {
        buffer.append(chunk);
        std::size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          const std::string frame = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          std::size_t pos = 0;
          while (pos < frame.size()) {
            auto nl = frame.find('\n', pos);
            if (nl == std::string::npos) nl = frame.size();
            std::string_view line(frame.data() + pos, nl - pos);
            if (line.starts_with("data: ")) {
              auto e = json::parse(line.substr(6), nullptr, false);
              if (!e.is_discarded()) print_event(e, ctx.json_output);
            }
            pos = nl + 1;
          }
        }
        return true;
      });
      return 0;
    };
  });

  static std::string name;
  static int limit = 20;
  auto* ops = app.add_subcommand("ops", "recent operations (start, stop, ...), newest first");
  ops->add_option("name", name, "only this jail's operations");
  ops->add_option("-n,--limit", limit, "how many (default 20)");
  ops->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      std::string path = fmt::format("/v1/operations?limit={}", limit);
      if (!name.empty()) path += "&jail=" + url_escape(name);
      auto r = api.call("GET", path);
      if (ctx.json_output) return print_json(r), 0;
      table t({"ID", "JAIL", "KIND", "STATE", "STARTED", "DURATION", "ERROR"});
      for (const auto& op : r["operations"])
        t.add({op.value("id", ""), op.value("jail", ""), op.value("kind", ""),
               op.value("state", ""),
               op["started_at"].is_number() ? clock_time(op["started_at"].get<long long>()) : "-",
               op.contains("duration_ms") ? human_duration_ms(op["duration_ms"].get<long long>())
                                          : "-",
               op.value("error", "").empty() ? "-" : op.value("error", "")});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  static std::string id;
  auto* op = app.add_subcommand("op", "one operation and every step it ran (like jail -v)");
  op->add_option("id", id, "operation id")->required();
  op->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/operations/" + url_escape(id));
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("{} {} {}: {}{}\n", r.value("id", ""), r.value("kind", ""),
                               r.value("jail", ""), r.value("state", ""),
                               r.value("error", "").empty() ? "" : " (" + r.value("error", "") + ")");
      table t({"STEP", "STATUS", "TIME", "COMMAND", "ERROR"});
      for (const auto& s : r["steps"]) {
        std::string argv;
        for (const auto& a : s["argv"]) argv += (argv.empty() ? "" : " ") + a.get<std::string>();
        std::string err = s.value("error", "");
        if (auto nl = err.find('\n'); nl != std::string::npos) err = err.substr(0, nl) + " ...";
        t.add({s.value("step", ""), std::to_string(s.value("status", 0)),
               fmt::format("{:.1f}ms", s.value("duration_us", 0.0) / 1000.0), argv,
               err.empty() ? "-" : err});
      }
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  auto* plan = app.add_subcommand("boot-plan", "the order in which boot jails start");
  plan->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/boot-plan");
      if (ctx.json_output) return print_json(r), 0;
      int wave = 0;
      for (const auto& w : r["waves"]) {
        std::string list;
        for (const auto& n : w) list += (list.empty() ? "" : " ") + n.get<std::string>();
        std::cout << fmt::format("wave {}: {}\n", ++wave, list);
      }
      if (wave == 0) std::cout << "no jail has boot=true\n";
      std::cout << fmt::format("at most {} start at once\n", r.value("parallel_starts", 0));
      return 0;
    };
  });
}

}  // namespace jaild::client
