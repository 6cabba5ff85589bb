// A deliberately low-level client for the hostile-client tests: a UNIX or TCP
// connection, optionally TLS (OpenSSL), that sends exactly the bytes it is
// given, when it is told to, and reads with deadlines.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct ssl_st;
struct ssl_ctx_st;

namespace jaild::test {

struct http_reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

class raw_client {
 public:
  // Connects; throws std::runtime_error when the connection is refused.
  static raw_client unix_socket(const std::filesystem::path& path);
  static raw_client tcp(unsigned short port);

  raw_client(raw_client&& other) noexcept;
  raw_client& operator=(raw_client&&) = delete;
  ~raw_client();

  struct tls_options {
    std::filesystem::path ca;                 // verify the server against this
    std::filesystem::path cert, key;          // a client certificate, if any
    int max_version = 0;                      // e.g. TLS1_2_VERSION; 0 = the newest
    int min_version = 0;
  };
  // The TLS handshake; false (and *why) when it fails.
  bool handshake(const tls_options& o, std::string* why = nullptr);
  std::string tls_version() const;  // "TLSv1.3"

  // Sends bytes; false when the peer has closed the connection.
  bool send(std::string_view data);
  // One HTTP response (Content-Length bodies), or nullopt when the connection
  // ended or nothing came within `timeout`.
  std::optional<http_reply> read_reply(std::chrono::milliseconds timeout);
  // True when the peer closes the connection within `timeout`.
  bool closed_by_peer_within(std::chrono::milliseconds timeout);

 private:
  explicit raw_client(int fd) : fd_(fd) {}
  // Reads some bytes into `into`; 0 = closed, -1 = nothing before the deadline.
  long read_some(std::string& into, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string pending_;
};

// GET path with an optional bearer token over a new connection (TLS when
// `tls` is set); the reply, or nullopt.
std::optional<http_reply> quick_get(raw_client client, const std::string& path,
                                    const std::string& token = {},
                                    const raw_client::tls_options* tls = nullptr);

}  // namespace jaild::test
