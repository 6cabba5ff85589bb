// The API's tokens as the store keeps them: the one part of the store that
// the API's authenticator uses, reached through engine::tokens().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jaild::store {

// One API token (table tokens). The secret is never stored, only its SHA-256.
struct token_row {
  std::string id;             // public part, shown in lists and the audit log
  std::string name;           // what the admin called it ("ci", "grafana")
  std::string role;           // viewer | operator | admin
  std::string secret_sha256;  // hex
  std::int64_t created_ms = 0;
  std::string created_by;     // the principal that created it
  std::optional<std::int64_t> expires_ms;
  std::optional<std::int64_t> revoked_ms;
};

class token_table {
 public:
  virtual ~token_table() = default;
  // Inserts a new row, durably.
  virtual void save_token(const token_row& token) = 0;
  virtual std::vector<token_row> load_tokens() = 0;  // oldest first
  // Sets revoked_ms once; false when no token has that id.
  virtual bool revoke_token(const std::string& id, std::int64_t when_ms) = 0;
};

}  // namespace jaild::store
