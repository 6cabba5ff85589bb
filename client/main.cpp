// jailctl: a small client of jaild's API. Every command is one or a few API
// calls; --json prints the API's own JSON, otherwise a table or a summary.
//
// Exit status: 0 success, 1 jaild refused the request (its message is
// printed), 2 bad usage, 3 jaild is not running (no socket, or HTTPS
// unreachable), 4 no permission on its socket, 5 a stale socket that nothing
// listens on; `jailctl exec` exits with the command's own status.
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "client/cli.h"
#include "lib/model/defaults.h"

int main(int argc, char** argv) {
  using namespace jaild::client;
  CLI::App app{"jailctl: control jaild, the jail supervisor"};
  app.set_version_flag("--version", std::string("jailctl ") + JAILD_VERSION);
  app.require_subcommand(1);
  // Global flags anywhere on the line: `jailctl show web --json`. Every
  // subcommand added below inherits this.
  app.fallthrough();
  context ctx;
  ctx.ep.socket = jaild::model::default_socket;
  if (const char* env = std::getenv("JAILD_SOCKET"); env && *env) ctx.ep.socket = env;
  app.add_option("--socket", ctx.ep.socket, "jaild's UNIX socket (env JAILD_SOCKET)")
      ->capture_default_str();
  if (const char* env = std::getenv("JAILD_HOST"); env && *env) ctx.ep.url = env;
  if (const char* env = std::getenv("JAILD_TOKEN"); env && *env) ctx.ep.token = env;
  std::string token_file;
  app.add_option("--host", ctx.ep.url,
                 "jaild over HTTPS instead of the socket: https://HOST:PORT (env JAILD_HOST)");
  app.add_option("--token", ctx.ep.token,
                 "bearer token for --host (env JAILD_TOKEN; on a shared host prefer "
                 "--token-file, since others can read a command line)");
  app.add_option("--token-file", token_file, "read the bearer token from this file")
      ->check(CLI::ExistingFile);
  app.add_option("--cacert", ctx.ep.cacert, "CA certificate(s) that signed jaild's (PEM)");
  app.add_option("--cert", ctx.ep.cert, "client certificate for --host (PEM)");
  app.add_option("--key", ctx.ep.key, "the client certificate's private key (PEM)");
  app.add_flag("--json", ctx.json_output, "print the API's JSON (times as RFC 3339)");
  app.add_flag("--strict", ctx.strict,
               "refuse a NAME=VALUE that is neither a spec field nor a jail(8) parameter");
  app.add_flag("--no-header", [&ctx](std::int64_t) { ctx.style.header = false; },
               "print tables without their header line");
  app.add_option("--columns", ctx.style.columns, "print only these table columns, in this order")
      ->delimiter(',');
  add_jail_commands(app, ctx);
  add_lifecycle_commands(app, ctx);
  add_event_commands(app, ctx);
  add_network_commands(app, ctx);
  add_release_commands(app, ctx);
  add_template_commands(app, ctx);
  add_snapshot_commands(app, ctx);
  add_token_commands(app, ctx);
  add_jailconf_commands(app, ctx);
  add_wait_command(app, ctx);
  add_completion_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (auto hint = unknown_command_hint(app, argc, argv)) {
      std::cerr << "jailctl: " << *hint << "\n";
      return 2;
    }
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!ctx.run) return 2;
  try {
    if (!ctx.ep.url.empty()) ctx.ep.url = normalise_host_url(ctx.ep.url);
    if (!token_file.empty()) {
      std::ifstream in(token_file);
      std::getline(in, ctx.ep.token);
      while (!ctx.ep.token.empty() && std::isspace(static_cast<unsigned char>(ctx.ep.token.back())))
        ctx.ep.token.pop_back();
      if (ctx.ep.token.empty()) throw std::invalid_argument(token_file + " holds no token");
    }
    api_client api(ctx.ep);
    return ctx.run(api);
  } catch (const refused& e) {
    print_refusal(e);
    return 1;
  } catch (const unreachable& e) {
    std::cerr << "jailctl: " << e.what() << "\n";
    return e.exit_status();
  } catch (const std::invalid_argument& e) {
    std::cerr << "jailctl: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "jailctl: " << e.what() << "\n";
    return 1;
  }
}
