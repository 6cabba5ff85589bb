// The API's view of an HTTP exchange, free of Beast: handlers, the router and
// their tests see only these plain types. api/http/ converts to and from the wire.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::api {

enum class transport { unix_socket, https };

// Who is calling. On the UNIX socket the kernel tells us (SO_PEERCRED /
// getpeereid); over HTTPS the credential is a token or a client certificate.
struct peer {
  transport via = transport::unix_socket;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<pid_t> pid;
  std::vector<gid_t> groups;  // supplementary groups, when the kernel tells them
  std::string address;        // "127.0.0.1:51234" over TCP
  std::string cert_name;      // subject CN of a verified client certificate (HTTPS)
};

struct request {
  std::string method;                            // "GET"
  std::string target;                            // as sent: "/v1/jails?x=1"
  std::string path;                              // percent-decoded, without the query
  std::map<std::string, std::string> query;      // decoded
  std::map<std::string, std::string> headers;    // lower-case names
  std::string body;
  // An upload's body (POST /v1/jails/import-archive) is not in `body`: it is
  // this file, removed by the server once the request is answered.
  std::string upload;
  peer from;
  std::map<std::string, std::string> params;     // path parameters, set by the router
  std::string caller;                            // who, as the audit log names them; set by dispatch
  bool caller_admin = false;                     // whether the caller holds admin; set by dispatch

  std::string header(std::string_view name) const;
  // A boolean query flag: absent = fallback; "true"/"1"/"" = true; "false"/"0" = false;
  // anything else throws bad_request.
  bool flag(std::string_view name, bool fallback = false) const;
};

// A streamed body (Server-Sent Events). The server calls next() whenever it
// can write; next() calls `deliver` exactly once, from any thread, with the
// next chunk, or with nullopt when the stream has ended.
class body_stream {
 public:
  virtual ~body_stream() = default;
  virtual void next(std::function<void(std::optional<std::string>)> deliver) = 0;
  // The client went away or the server stops; deliver may no longer be called.
  virtual void cancel() = 0;
  // Asked after the end (nullopt): whether the stream ended because it
  // failed; the server then cuts the connection without the last chunk.
  virtual bool failed() const { return false; }
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A body shared with the snapshot (the 1,000-jail list is not copied per request).
  std::shared_ptr<const std::string> shared_body;
  std::shared_ptr<body_stream> stream;
  // Status 101: the connection becomes a WebSocket for this (GET .../exec).
  std::shared_ptr<struct exec_upgrade> upgrade;
  std::string problem_code;  // set by problem(): the result the audit log records

  std::string_view payload() const { return shared_body ? *shared_body : body; }
};

}  // namespace jaild::api
