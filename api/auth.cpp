#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <mutex>

#include <fmt/format.h>

#include "lib/model/error.h"

namespace jaild::api {
namespace {

constexpr std::string_view token_prefix = "jaild_";
constexpr std::size_t id_hex = 16;      // 64 bits: finds the row, not a secret
constexpr std::size_t secret_hex = 64;  // 256 bits of secret

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw error(errc::internal, "the random number generator failed");
  return hex(buf.data(), buf.size());
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void invalid_token(const std::string& why) {
  throw error(errc::unauthorized, why);
}

std::optional<role> strongest(std::optional<role> a, role b) {
  if (!a || static_cast<int>(b) > static_cast<int>(*a)) return b;
  return a;
}

}  // namespace

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), md.data(), &size, EVP_sha256(), nullptr) != 1)
    throw error(errc::internal, "SHA-256 failed");
  return hex(md.data(), size);
}

std::optional<role> role_from_name(std::string_view name) {
  for (role r : {role::viewer, role::operator_role, role::admin})
    if (role_name(r) == name) return r;
  return std::nullopt;
}

bool role_allows(role held, role needed) {
  return static_cast<int>(held) >= static_cast<int>(needed);
}

nlohmann::json token_to_json(const store::token_row& t) {
  auto optional_ms = [](const std::optional<std::int64_t>& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  const auto now = store::now_ms();
  std::string state = "valid";
  if (t.revoked_ms)
    state = "revoked";
  else if (t.expires_ms && *t.expires_ms <= now)
    state = "expired";
  return {{"id", t.id},
          {"name", t.name},
          {"role", t.role},
          {"state", state},
          {"created_at", t.created_ms},
          {"created_by", t.created_by},
          {"expires_at", optional_ms(t.expires_ms)},
          {"revoked_at", optional_ms(t.revoked_ms)}};
}

authenticator::authenticator(store::token_table& db, auth_options options)
    : db_(db), options_(std::move(options)) {
  for (auto& t : db_.load_tokens()) tokens_.emplace(t.id, std::move(t));
}

principal authenticator::identify(const request& req) const {
  // The kernel's word is the credential on the UNIX socket; a token sent
  // there (jailctl with JAILD_TOKEN set) is ignored, never a second identity.
  if (req.from.via == transport::unix_socket) return from_unix_peer(req.from);

  const auto header = req.header("authorization");
  if (!header.empty()) {
    const std::string_view h = header;
    if (h.size() < 7 || !iequals(h.substr(0, 7), "bearer "))
      invalid_token("the Authorization header must read 'Bearer TOKEN'");
    return from_bearer(trim(h.substr(7)));
  }
  if (!req.from.cert_name.empty()) {
    const auto& cn = req.from.cert_name;
    principal p{"cert CN=" + cn, std::nullopt};
    if (options_.viewer_cert_names.contains(cn)) p.granted = strongest(p.granted, role::viewer);
    if (options_.operator_cert_names.contains(cn))
      p.granted = strongest(p.granted, role::operator_role);
    if (options_.admin_cert_names.contains(cn)) p.granted = strongest(p.granted, role::admin);
    return p;
  }
  throw error(errc::unauthorized,
              "this request needs a credential: a bearer token (Authorization: Bearer TOKEN; "
              "jailctl --token) or a client certificate");
}

principal authenticator::from_unix_peer(const peer& p) const {
  if (!p.uid) return {"unknown peer", std::nullopt};
  principal out{fmt::format("uid {}", *p.uid), std::nullopt};
  if (*p.uid == 0 || (options_.daemon_uid && *p.uid == *options_.daemon_uid)) {
    out.granted = role::admin;
    return out;
  }
  auto grant = [&](gid_t g) {
    if (options_.viewer_groups.contains(g)) out.granted = strongest(out.granted, role::viewer);
    if (options_.operator_groups.contains(g))
      out.granted = strongest(out.granted, role::operator_role);
    if (options_.admin_groups.contains(g)) out.granted = strongest(out.granted, role::admin);
  };
  if (p.gid) grant(*p.gid);
  for (gid_t g : p.groups) grant(g);
  return out;
}

principal authenticator::from_bearer(std::string_view token) const {
  // jaild_<id>_<secret>
  if (token.size() != token_prefix.size() + id_hex + 1 + secret_hex ||
      token.substr(0, token_prefix.size()) != token_prefix ||
      token[token_prefix.size() + id_hex] != '_')
    invalid_token("the bearer token is not a jaild token (jaild_ID_SECRET)");
  const auto id = token.substr(token_prefix.size(), id_hex);
  const auto secret = token.substr(token_prefix.size() + id_hex + 1);
  if (!is_lower_hex(id) || !is_lower_hex(secret))
    invalid_token("the bearer token is not a jaild token (jaild_ID_SECRET)");
  const auto digest = sha256_hex(secret);

  std::shared_lock lock(mutex_);
  auto it = tokens_.find(std::string(id));
  // An unknown id and a wrong secret read the same to the caller.
  if (it == tokens_.end() || it->second.secret_sha256.size() != digest.size() ||
      CRYPTO_memcmp(it->second.secret_sha256.data(), digest.data(), digest.size()) != 0)
    invalid_token("the bearer token is not valid");
  const auto& t = it->second;
  // Only a caller who holds the secret learns why a real token no longer works.
  if (t.revoked_ms) invalid_token(fmt::format("token {} ({}) was revoked", t.id, t.name));
  if (t.expires_ms && *t.expires_ms <= store::now_ms())
    invalid_token(fmt::format("token {} ({}) has expired", t.id, t.name));
  return {fmt::format("token {} ({})", t.id, t.name), role_from_name(t.role)};
}

authenticator::issued authenticator::create_token(const std::string& name, role r,
                                                  std::optional<std::int64_t> expires_ms,
                                                  const std::string& created_by) {
  issued out;
  const auto secret = random_hex(secret_hex / 2);
  out.row.id = random_hex(id_hex / 2);
  out.row.name = name;
  out.row.role = std::string(role_name(r));
  out.row.secret_sha256 = sha256_hex(secret);
  out.row.created_ms = store::now_ms();
  out.row.created_by = created_by;
  out.row.expires_ms = expires_ms;
  out.secret = std::string(token_prefix) + out.row.id + "_" + secret;
  db_.save_token(out.row);  // throws on the (2^-64) id collision: nothing is half-made
  std::unique_lock lock(mutex_);
  tokens_.emplace(out.row.id, out.row);
  return out;
}

std::vector<store::token_row> authenticator::tokens() const {
  std::vector<store::token_row> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, t] : tokens_) out.push_back(t);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_ms != b.created_ms ? a.created_ms < b.created_ms : a.id < b.id;
  });
  return out;
}

store::token_row authenticator::revoke_token(const std::string& id) {
  const auto now = store::now_ms();
  if (!db_.revoke_token(id, now))
    throw error(errc::token_not_found, fmt::format("no token with id '{}'", id));
  std::unique_lock lock(mutex_);
  auto& t = tokens_.at(id);
  if (!t.revoked_ms) t.revoked_ms = now;
  return t;
}

}  // namespace jaild::api
