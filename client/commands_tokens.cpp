// jailctl token create, list, revoke: bearer tokens for jaild's HTTPS API.
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {
namespace {

using nlohmann::json;

// "2026-01-31 12:00" in local time, or "-" for null (no expiry, never revoked).
std::string when(const json& ms) {
  if (!ms.is_number()) return "-";
  const std::time_t t = static_cast<std::time_t>(ms.get<long long>() / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

struct create_options {
  std::string name, role, expires;
};

}  // namespace

void add_token_commands(CLI::App& app, context& ctx) {
  auto* token = app.add_subcommand("token", "bearer tokens for the HTTPS API (admin)");
  token->require_subcommand(1);

  static create_options co;
  auto* create = token->add_subcommand(
      "create", "make a token; prints its secret, which jaild cannot show again");
  create->add_option("name", co.name, "what the token is for, e.g. ci or grafana")->required();
  create->add_option("-r,--role", co.role, "viewer, operator or admin")
      ->required()
      ->check(CLI::IsMember({"viewer", "operator", "admin"}));
  create->add_option("-e,--expires", co.expires, "lifetime such as 90d, 12h or 1d12h (none: no expiry)");
  create->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      json body = {{"name", co.name}, {"role", co.role}};
      if (!co.expires.empty()) body["expires_in"] = co.expires;
      auto created = api.call("POST", "/v1/tokens", &body);
      if (ctx.json_output) return print_json(created), 0;
      const auto& t = created["token"];
      // The secret alone on standard output, so that TOKEN=$(jailctl token create ...) works.
      std::cout << created.value("secret", "") << "\n";
      std::cerr << fmt::format("token {} ({}, {}, expires {}): keep the secret now, jaild "
                               "stores only its hash\n",
                               t.value("id", ""), t.value("name", ""), t.value("role", ""),
                               when(t["expires_at"]) == "-" ? "never" : when(t["expires_at"]));
      return 0;
    };
  });

  auto* list = token->add_subcommand("list", "list tokens: ID, NAME, ROLE, STATE, EXPIRES");
  list->alias("ls");
  list->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto body = api.call("GET", "/v1/tokens");
      if (ctx.json_output) return print_json(body), 0;
      table t({"ID", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES", "CREATED_BY"});
      for (const auto& tok : body["tokens"])
        t.add({tok.value("id", ""), tok.value("name", ""), tok.value("role", ""),
               tok.value("state", ""), when(tok["created_at"]), when(tok["expires_at"]),
               text_or_dash(tok["created_by"])});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  static std::string id;
  auto* revoke = token->add_subcommand("revoke", "revoke a token at once");
  revoke->add_option("id", id, "the token's id (jailctl token list)")->required();
  revoke->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      api.call("DELETE", "/v1/tokens/" + url_escape(id));
      if (ctx.json_output) return print_json(json{{"revoked", id}}), 0;
      std::cout << "revoked token " << id << "\n";
      return 0;
    };
  });
}

}  // namespace jaild::client
