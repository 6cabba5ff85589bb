// What every jailctl command shares: the connection, output options, and
// small helpers. Each commands_*.cpp registers its subcommands on the app.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "client/api_client.h"
#include "client/table.h"

namespace jaild::client {

struct context {
  endpoint ep;
  bool json_output = false;
  bool strict = false;  // --strict: an unknown parameter is an error, not a warning
  table_style style;  // --columns, --no-header
  // Set by the chosen subcommand; returns jailctl's exit status.
  std::function<int(api_client&)> run;
};

void add_jail_commands(CLI::App& app, context& ctx);       // commands_jails.cpp
void add_lifecycle_commands(CLI::App& app, context& ctx);  // commands_lifecycle.cpp
void add_event_commands(CLI::App& app, context& ctx);      // commands_events.cpp
void add_network_commands(CLI::App& app, context& ctx);    // commands_networks.cpp
void add_release_commands(CLI::App& app, context& ctx);    // commands_releases.cpp
void add_template_commands(CLI::App& app, context& ctx);   // commands_templates.cpp
void add_snapshot_commands(CLI::App& app, context& ctx);   // commands_snapshots.cpp
void add_token_commands(CLI::App& app, context& ctx);      // commands_tokens.cpp
void add_jailconf_commands(CLI::App& app, context& ctx);   // commands_jailconf.cpp
void add_wait_command(CLI::App& app, context& ctx);        // commands_wait.cpp
void add_completion_command(CLI::App& app, context& ctx);  // completion.cpp

// When parsing failed because the command itself is unknown ("jailctl lst"):
// the sentence that says so, with the nearest command when there is one.
std::optional<std::string> unknown_command_hint(const CLI::App& app, int argc,
                                                const char* const* argv);

// Helpers.
std::string jail_path(const std::string& name);
std::string text_or_dash(const nlohmann::json& v);
// The JSON object in `file` ('-' for standard input); std::invalid_argument
// naming `what` when it is not one.
nlohmann::json read_json_object(const std::string& file, const char* what);
// Pretty JSON on stdout, times as RFC 3339 (times.h), flushed.
void print_json(const nlohmann::json& j);
// The warnings of NAME=VALUE assignments on stderr; with --strict, refuses
// (std::invalid_argument) instead.
void report_warnings(const context& ctx, const std::vector<std::string>& warnings);
// "1.5 GiB", "120 MiB", "512 B"
std::string human_bytes(double bytes);
// "3m12s" from milliseconds
std::string human_duration_ms(long long ms);
// On stderr: "jailctl: [JAIL: ]SENTENCE [CODE]" and, when the refusal is a
// failed operation, the command that shows its steps.
void print_refusal(const refused& e, const std::string& jail = {});

}  // namespace jaild::client
