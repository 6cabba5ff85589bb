// /v1/tokens: bearer tokens for the HTTPS API. Creating, listing and revoking
// tokens needs admin: a token is a credential. The secret is in the answer to
// POST once and nowhere else (the store keeps its SHA-256).
#include <charconv>

#include <fmt/format.h>

#include "api/problem.h"
#include "api/service.h"
#include "lib/model/json_reader.h"
#include "lib/store/store.h"

namespace jaild::api {
namespace {

// "90d", "12h", "1h30m", "3600s", "1d12h": a token's lifetime, up to ten years.
std::optional<std::int64_t> parse_lifetime_ms(std::string_view text, std::string* why) {
  constexpr std::int64_t max_ms = 10LL * 366 * 86400 * 1000;
  if (text.empty()) {
    *why = "is empty; write it as 90d, 12h, 30m or 1d12h";
    return std::nullopt;
  }
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const auto* begin = text.data() + i;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), n);
    if (ec != std::errc() || end == begin || n < 0 || end == text.data() + text.size()) {
      *why = fmt::format("'{}' is not a lifetime; write it as 90d, 12h, 30m or 1d12h", text);
      return std::nullopt;
    }
    i = static_cast<std::size_t>(end - text.data());
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1000; break;
      case 'm': unit = 60 * 1000; break;
      case 'h': unit = 3600 * 1000; break;
      case 'd': unit = 86400 * 1000; break;
      default:
        *why = fmt::format("'{}' has an unknown unit '{}' (s, m, h or d)", text, text[i]);
        return std::nullopt;
    }
    ++i;
    if (n > max_ms / unit || total + n * unit > max_ms) {
      *why = fmt::format("'{}' is longer than ten years", text);
      return std::nullopt;
    }
    total += n * unit;
  }
  if (total <= 0) {
    *why = fmt::format("'{}' is not a positive lifetime", text);
    return std::nullopt;
  }
  return total;
}

std::string check_token_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a token name has 1 to 64 characters";
  for (const char ch : name)
    if (const auto c = static_cast<unsigned char>(ch); c < 0x20 || c == 0x7f)
      return "a token name has no control characters";
  return {};
}

}  // namespace

void service::add_token_routes() {
  router_.add({"POST", "/v1/tokens", role::admin, run_on::pool,
               [this](request& req) {
                 const auto body = parse_json_body(req);
                 if (!body.is_object())
                   throw error(errc::invalid_type, "a token request is a JSON object");
                 model::json_reader r(body, "", "a token request");
                 const auto name = r.string("name");
                 if (!name) r.fail(errc::missing_field, "name", "a token needs a name");
                 if (auto why = check_token_name(*name); !why.empty())
                   r.fail(errc::invalid_value, "name", why);
                 const auto role_text = r.string("role");
                 if (!role_text)
                   r.fail(errc::missing_field, "role",
                          "a token needs a role: viewer, operator or admin");
                 const auto granted = role_from_name(*role_text);
                 if (!granted)
                   r.fail(errc::invalid_value, "role",
                          fmt::format("'{}' is not a role: viewer, operator or admin",
                                      *role_text));
                 std::optional<std::int64_t> expires_ms;
                 if (auto v = r.string("expires_in")) {
                   std::string why;
                   auto lifetime = parse_lifetime_ms(*v, &why);
                   if (!lifetime) r.fail(errc::invalid_value, "expires_in", "expires_in " + why);
                   expires_ms = store::now_ms() + *lifetime;
                 }
                 r.finish("a token request takes name, role and expires_in");
                 auto issued = auth_->create_token(*name, *granted, expires_ms, req.caller);
                 auto out = json_response(
                     201, {{"token", token_to_json(issued.row)}, {"secret", issued.secret}});
                 out.headers.emplace_back("Location", "/v1/tokens/" + issued.row.id);
                 // The secret must not sit in a cache on its way.
                 out.headers.emplace_back("Cache-Control", "no-store");
                 return out;
               },
               "Create a bearer token (its secret is shown once)"});

  router_.add({"GET", "/v1/tokens", role::admin, run_on::io,
               [this](request&) {
                 nlohmann::json list = nlohmann::json::array();
                 for (const auto& t : auth_->tokens()) list.push_back(token_to_json(t));
                 return json_response(200, {{"tokens", list}});
               },
               "List bearer tokens (never their secrets)"});

  router_.add({"GET", "/v1/tokens/{id}", role::admin, run_on::io,
               [this](request& req) {
                 const auto& id = req.params.at("id");
                 for (const auto& t : auth_->tokens())
                   if (t.id == id) return json_response(200, token_to_json(t));
                 throw error(errc::token_not_found, fmt::format("no token with id '{}'", id));
               },
               "One bearer token (never its secret)"});

  router_.add({"DELETE", "/v1/tokens/{id}", role::admin, run_on::pool,
               [this](request& req) {
                 auth_->revoke_token(req.params.at("id"));
                 response r;
                 r.status = 204;
                 return r;
               },
               "Revoke a bearer token"});
}

}  // namespace jaild::api
