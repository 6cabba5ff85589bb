// Who is calling and what they may do (DESIGN.md section 7).
//
// On the UNIX socket the kernel names the caller (uid, gid and groups from
// SO_PEERCRED / SO_PEERGROUPS, or LOCAL_PEERCRED): root and jaild's own uid
// are admin, and configured groups grant operator or viewer. Over HTTPS the
// caller presents a bearer token or a client certificate whose subject CN is
// mapped to a role by the configuration.
//
// Tokens read "jaild_<16 hex id>_<64 hex secret>": 256 random bits of
// secret, of which only a SHA-256 is stored; the id finds the row, and the
// digests are compared in constant time. The token table is kept in memory
// (jaild is its only writer), so checking a token costs no database read.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"
#include "api/router.h"
#include "lib/store/store.h"

namespace jaild::api {

struct auth_options {
  // UNIX socket: a peer in one of these groups (primary or supplementary) has the role.
  std::set<gid_t> admin_groups, operator_groups, viewer_groups;
  // HTTPS: a verified client certificate whose subject CN is listed has the role.
  std::set<std::string> admin_cert_names, operator_cert_names, viewer_cert_names;
  // jaild's own uid is admin as root is (a jaild run by an unprivileged user).
  std::optional<uid_t> daemon_uid;
};

// The caller, once identified. `granted` is empty for a caller that is known
// (a uid, a certificate) but holds no role: such a caller gets 403, not 401.
struct principal {
  std::string name;  // "uid 1000", "token 0123456789abcdef (ci)", "cert CN=ops"
  std::optional<role> granted;
};

std::optional<role> role_from_name(std::string_view name);
bool role_allows(role held, role needed);

// A token as the API shows it: never the secret, never its digest.
nlohmann::json token_to_json(const store::token_row& t);

class authenticator {
 public:
  // Loads the stored tokens.
  authenticator(store::token_table& db, auth_options options);

  // Identifies the caller of `req`. Throws jaild::error(unauthorized) when an
  // HTTPS request carries no credential, or a token that is malformed,
  // unknown, wrong, expired or revoked.
  principal identify(const request& req) const;

  struct issued {
    store::token_row row;
    std::string secret;  // the whole token, shown once
  };
  // Creates and stores a token (durably) before it can be used.
  issued create_token(const std::string& name, role r, std::optional<std::int64_t> expires_ms,
                      const std::string& created_by);
  std::vector<store::token_row> tokens() const;  // oldest first
  // Throws token_not_found. Revoking twice is not an error.
  store::token_row revoke_token(const std::string& id);

 private:
  principal from_unix_peer(const peer& p) const;
  principal from_bearer(std::string_view token) const;

  store::token_table& db_;
  auth_options options_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, store::token_row> tokens_;  // by id
};

// Exposed for tests: the SHA-256 of `text` as 64 hex digits.
std::string sha256_hex(std::string_view text);

}  // namespace jaild::api
