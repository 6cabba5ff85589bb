// jailctl start, stop, restart, exec, console, kill, logs, stats, top: jails at
// run time.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/exec_socket.h"
#include "client/table.h"
#include "lib/model/base64.h"

namespace jaild::client {
namespace {

using nlohmann::json;

// Runs one lifecycle action on each jail in turn; a failure is reported and
// the next jail still gets its turn. Exit status 1 if any failed.
int each_jail(api_client& api, const context& ctx, const std::vector<std::string>& names,
              const std::string& action, const std::string& query, const char* done) {
  int status = 0;
  for (const auto& name : names) {
    try {
      auto r = api.call("POST", jail_path(name) + "/" + action + query);
      if (ctx.json_output) {
        print_json(r);
        continue;
      }
      const auto& op = r["operation"];
      if (op.value("state", "") == "queued" || op.value("state", "") == "running")
        std::cout << fmt::format("{}: {} queued as {}\n", name, action, op.value("id", ""));
      else
        std::cout << fmt::format("{}: {} ({} ms, {})\n", name, done,
                                 op.value("duration_ms", 0LL), op.value("id", ""));
    } catch (const refused& e) {
      print_refusal(e, name);
      status = 1;
    }
  }
  return status;
}

std::string usage_cell(const json& usage, const char* key) {
  if (!usage.contains(key)) return "-";
  const double v = usage[key].get<double>();
  if (std::string_view(key) == "memoryuse" || std::string_view(key) == "vmemoryuse")
    return human_bytes(v);
  if (std::string_view(key) == "pcpu") return fmt::format("{:.1f}%", v);
  if (std::string_view(key) == "cputime") return fmt::format("{:.1f}s", v);
  return fmt::format("{:.0f}", v);
}

}  // namespace

void add_lifecycle_commands(CLI::App& app, context& ctx) {
  static std::vector<std::string> names;
  static bool async = false, cascade = false, force = false;

  auto* start = app.add_subcommand("start", "start jails (and what they depend on)");
  start->add_option("names", names, "jail names")->required();
  start->add_flag("--async", async, "do not wait: print the operation and return");
  start->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      return each_jail(api, ctx, names, "start", async ? "?async=true" : "", "started");
    };
  });

  auto* stop = app.add_subcommand("stop", "stop jails");
  stop->add_option("names", names, "jail names")->required();
  stop->add_flag("--async", async, "do not wait: print the operation and return");
  stop->add_flag("--cascade", cascade, "stop the jails that depend on it first");
  stop->add_flag("--force", force, "go on past failing exec.prestop and exec.stop hooks");
  stop->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      std::string q;
      for (auto [flag, text] : {std::pair{async, "async=true"}, std::pair{cascade, "cascade=true"},
                                std::pair{force, "force=true"}})
        if (flag) q += (q.empty() ? "?" : "&") + std::string(text);
      return each_jail(api, ctx, names, "stop", q, "stopped");
    };
  });

  auto* restart = app.add_subcommand("restart", "stop and start jails");
  restart->add_option("names", names, "jail names")->required();
  restart->add_flag("--async", async, "do not wait for the start");
  restart->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      return each_jail(api, ctx, names, "restart", async ? "?async=true" : "", "restarted");
    };
  });

  static std::string name, user, cwd, timeout;
  static std::vector<std::string> argv, env;
  static bool pass_stdin = false, want_tty = false;
  auto* exec = app.add_subcommand(
      "exec", "run a command in a running jail: jailctl exec [-i] [-t] NAME -- COMMAND [ARG...]");
  exec->add_option("name", name, "jail name")->required();
  exec->add_option("command", argv, "the command and its arguments (no shell)")->required();
  exec->add_option("-u,--user", user, "user inside the jail (default root)");
  exec->add_option("-d,--dir", cwd, "working directory inside the jail");
  exec->add_option("-e,--env", env, "NAME=VALUE added to the clean environment, repeatable");
  exec->add_flag("-i,--interactive", pass_stdin,
                 "pass standard input to the command (otherwise it is not read)");
  exec->add_flag("-t,--tty", want_tty, "give the command a terminal (vi, top, a shell: with -i)");
  exec->add_option("--timeout", timeout,
                   "with --json: give up after this long (default 60s); a streamed command "
                   "runs until it ends");
  exec->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      std::map<std::string, std::string> env_map;
      for (const auto& e : env) {
        auto eq = e.find('=');
        if (eq == std::string::npos || eq == 0)
          throw std::invalid_argument("--env takes NAME=VALUE, not " + e);
        env_map[e.substr(0, eq)] = e.substr(eq + 1);
      }
      // Streamed as it comes, over the WebSocket; --json keeps the buffered
      // POST for scripts that want one answer.
      if (!ctx.json_output) {
        if (!timeout.empty())
          throw std::invalid_argument("--timeout is for the buffered exec: add --json");
        json first = {{"argv", argv}, {"tty", want_tty}};
        if (!user.empty()) first["user"] = user;
        if (!cwd.empty()) first["cwd"] = cwd;
        if (want_tty) {
          const char* term = std::getenv("TERM");
          env_map.emplace("TERM", term && *term ? term : "xterm");
        }
        if (!env_map.empty()) first["env"] = env_map;
        return run_exec_socket(ctx.ep, jail_path(name) + "/exec",
                               {std::move(first), want_tty, pass_stdin});
      }
      json body = {{"argv", argv}};
      if (!user.empty()) body["user"] = user;
      if (!cwd.empty()) body["cwd"] = cwd;
      if (!timeout.empty()) body["timeout"] = timeout;
      // Standard input is the caller's: read only when asked, so that
      // `while read x; do jailctl exec ...; done` keeps its lines.
      if (pass_stdin) {
        std::string input((std::istreambuf_iterator<char>(std::cin)), {});
        if (!input.empty()) body["input_base64"] = model::base64_encode(input);
      }
      if (!env_map.empty()) body["env"] = env_map;
      auto r = api.call("POST", jail_path(name) + "/exec", &body);
      if (ctx.json_output) return print_json(r), 0;
      std::cout << r.value("stdout", "");
      std::cerr << r.value("stderr", "");
      if (r.contains("truncated")) std::cerr << "jailctl: " << r.value("truncated", "") << "\n";
      if (r.value("timed_out", false)) std::cerr << "jailctl: the command timed out\n";
      // The command's own exit status, as jexec(8) gives it.
      return r.value("exit_code", 1);
    };
  });

  auto* console = app.add_subcommand(
      "console", "a login shell in a running jail, on a terminal (as jexec -l NAME gives)");
  console->add_option("name", name, "jail name")->required();
  console->add_option("-u,--user", user, "whose login shell (default root)");
  console->callback([&ctx] {
    ctx.run = [&ctx](api_client&) {
      const char* term = std::getenv("TERM");
      json first = {{"login", true},
                    {"tty", true},
                    {"env", {{"TERM", term && *term ? term : "xterm"}}}};
      if (!user.empty()) first["user"] = user;
      return run_exec_socket(ctx.ep, jail_path(name) + "/exec", {std::move(first), true, true});
    };
  });

  static std::string signal_name = "TERM", target = "init";
  auto* kill = app.add_subcommand(
      "kill", "send a signal to a running jail's init, to all its processes, or to one of them");
  kill->add_option("name", name, "jail name")->required();
  kill->add_option("-s,--signal", signal_name, "the signal, by name (default TERM)");
  kill->add_option("--target", target,
                   "init (the default: the jail's main process), all (every process but "
                   "init), or a PID as the jail numbers it");
  kill->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      json body = {{"signal", signal_name}};
      if (target == "init" || target == "all") {
        body["target"] = target;
      } else {
        std::size_t used = 0;
        long long pid = 0;
        try {
          pid = std::stoll(target, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != target.size())
          throw std::invalid_argument("--target takes init, all or a PID, not " + target);
        body["target"] = pid;
      }
      auto r = api.call("POST", jail_path(name) + "/signal", &body);
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("{}: sent {} to {}\n", name, r.value("signal", ""),
                               r["target"].is_string() ? r["target"].get<std::string>()
                                                       : "PID " + r["target"].dump());
      return 0;
    };
  });

  static std::size_t bytes = 64 * 1024;
  static bool follow = false;
  auto* logs = app.add_subcommand("logs", "print the end of a jail's console log");
  logs->add_option("name", name, "jail name")->required();
  logs->add_option("-c,--bytes", bytes, "how much of the end to print (default 64 KiB)");
  logs->add_flag("-f,--follow", follow, "then print what is added, until interrupted");
  logs->callback([&ctx] {
    ctx.run = [](api_client& api) {
      if (follow) {
        api.stream(jail_path(name) + "/logs?follow=true&bytes=" + std::to_string(bytes),
                   [](std::string_view chunk) {
                     std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                     std::cout.flush();
                     return static_cast<bool>(std::cout);
                   });
        return 0;
      }
      auto r = api.send("GET", jail_path(name) + "/logs?bytes=" + std::to_string(bytes));
      if (r.status != 200) {
        auto problem = json::parse(r.body, nullptr, false);
        throw refused(r.status, problem.is_object() ? problem.value("code", "") : "",
                      problem.is_object() ? problem.value("detail", r.body) : r.body);
      }
      std::cout << r.body;
      return 0;
    };
  });

  auto* stats = app.add_subcommand("stats", "resource usage of a running jail, in RCTL names");
  stats->add_option("name", name, "jail name")->required();
  stats->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", jail_path(name) + "/stats");
      if (ctx.json_output) return print_json(r), 0;
      table t({"RESOURCE", "VALUE"});
      for (const auto& [k, v] : r["usage"].items()) t.add({k, usage_cell(r["usage"], k.c_str())});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  static int iterations = 0;
  static double interval = 2;
  auto* top = app.add_subcommand("top", "running jails and their usage, refreshed");
  top->add_option("-n,--iterations", iterations, "stop after this many screens (default: forever)");
  top->add_option("-s,--interval", interval, "seconds between screens (default 2)");
  top->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      const bool tty = isatty(STDOUT_FILENO);
      // PCPU is this screen's own: the CPU seconds used since the previous
      // screen (since the start, on the first), so that no other reader of
      // the jail's usage (a Prometheus scrape) changes what top shows.
      struct reading {
        double cpu_seconds;
        long long at_ms;
      };
      std::map<std::string, reading> previous;
      for (int i = 0; iterations == 0 || i < iterations; ++i) {
        if (i) std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(interval * 1000)));
        auto list = api.call("GET", "/v1/jails");
        json rows = json::array();
        for (const auto& jail : list["jails"]) {
          if (jail["status"].value("state", "") != "running") continue;
          const auto jname = jail["spec"].value("name", "");
          json usage = json::object();
          try {
            usage = api.call("GET", jail_path(jname) + "/stats")["usage"];
          } catch (const refused&) {
            // stopped between the two calls
          }
          rows.push_back({{"jail", jail}, {"usage", usage}});
        }
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        std::map<std::string, reading> current;
        for (auto& row : rows) {
          const auto& st = row["jail"]["status"];
          const auto started = st["started_at"].is_number() ? st["started_at"].get<long long>() : now;
          auto& usage = row["usage"];
          usage.erase("pcpu");
          if (!usage.contains("cputime")) continue;
          const auto jname = row["jail"]["spec"].value("name", "");
          const reading r{usage["cputime"].get<double>(), now};
          auto p = previous.find(jname);
          const reading from = p != previous.end() && p->second.cpu_seconds <= r.cpu_seconds
                                   ? p->second
                                   : reading{0, started};
          if (r.at_ms > from.at_ms)
            usage["pcpu"] = 100.0 * (r.cpu_seconds - from.cpu_seconds) * 1000.0 /
                            static_cast<double>(r.at_ms - from.at_ms);
          current[jname] = r;
        }
        previous = std::move(current);
        if (ctx.json_output) {
          print_json(rows);
          continue;
        }
        if (tty) std::cout << "\033[H\033[2J";
        table t({"JID", "NAME", "UPTIME", "MEMORYUSE", "PCPU", "MAXPROC", "HEALTH", "RESTARTS"});
        for (const auto& row : rows) {
          const auto& st = row["jail"]["status"];
          const auto started = st["started_at"].is_number() ? st["started_at"].get<long long>() : now;
          t.add({text_or_dash(st["jid"]), row["jail"]["spec"].value("name", ""),
                 human_duration_ms(now - started), usage_cell(row["usage"], "memoryuse"),
                 usage_cell(row["usage"], "pcpu"), usage_cell(row["usage"], "maxproc"),
                 st.value("health", ""), std::to_string(st.value("restarts", 0))});
        }
        t.print(std::cout, ctx.style);
        std::cout.flush();
      }
      return 0;
    };
  });
}

}  // namespace jaild::client
