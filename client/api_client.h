// jailctl's connection to jaild: HTTP over the UNIX socket (or HTTPS), through
// libcurl. Knows nothing of jails; commands build paths and bodies.
#pragma once

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace jaild::client {

struct endpoint {
  std::string socket;   // UNIX socket path; used when url is empty
  std::string url;      // "https://host:8443"
  std::string token;    // bearer token for HTTPS
  std::string cacert;   // CA bundle for HTTPS ("" = the system's)
  std::string cert;     // client certificate (PEM) for HTTPS, optional
  std::string key;      // its private key (PEM)
};

// Checks and normalises an --host value: "https://HOST[:PORT]" without a path.
// Throws std::invalid_argument with the reason.
std::string normalise_host_url(std::string url);

struct http_result {
  long status = 0;
  std::string content_type;
  std::string body;
  std::string location;
};

// jaild could not be reached at all. The exit status says why: 3 nothing
// there (no socket, or HTTPS unreachable), 4 no permission on the socket,
// 5 a stale socket that nothing listens on.
class unreachable : public std::runtime_error {
 public:
  explicit unreachable(const std::string& what, int exit_status = 3)
      : std::runtime_error(what), exit_status_(exit_status) {}
  int exit_status() const { return exit_status_; }

 private:
  int exit_status_;
};

// Why connecting to the UNIX socket at `path` fails, found by connecting to
// it once more: the sentence and the exit status of an `unreachable`.
unreachable socket_failure(const std::string& path, const std::string& curl_error);

// jaild answered with an error (exit status 1). what() is the server's detail.
class refused : public std::runtime_error {
 public:
  refused(long status, std::string code, std::string detail,
          nlohmann::json problem = nlohmann::json::object())
      : std::runtime_error(std::move(detail)),
        status_(status),
        code_(std::move(code)),
        problem_(std::move(problem)) {}
  long status() const { return status_; }
  const std::string& code() const { return code_; }
  // The whole problem+json object (e.g. "operation" of a failed start).
  const nlohmann::json& problem() const { return problem_; }

 private:
  long status_;
  std::string code_;
  nlohmann::json problem_;
};

class api_client {
 public:
  explicit api_client(endpoint ep);
  ~api_client();
  api_client(const api_client&) = delete;
  api_client& operator=(const api_client&) = delete;

  // Sends one request; throws unreachable when jaild cannot be reached.
  http_result send(std::string_view method, std::string_view path, std::string_view body = {},
                   std::string_view content_type = "application/json");

  // send() that throws `refused` unless the status is 2xx, and parses JSON.
  nlohmann::json call(std::string_view method, std::string_view path,
                      const nlohmann::json* body = nullptr,
                      std::string_view content_type = "application/json");

  // POSTs the file at `file` as the body, read as it is sent (an archive),
  // and answers as call() does.
  nlohmann::json upload(std::string_view path, const std::string& file,
                        std::string_view content_type = "application/zstd");

  // Streams a response body chunk by chunk (Server-Sent Events).
  void stream(std::string_view path, const std::function<bool(std::string_view)>& on_data,
              const std::vector<std::string>& headers = {});

 private:
  // send(), or with `upload` a POST of that file's `upload_size` bytes.
  http_result exchange(std::string_view method, std::string_view path, std::string_view body,
                       std::string_view content_type, std::FILE* upload, long long upload_size);
  // The URL, transport and TLS options every request shares.
  void prepare(std::string_view path, std::string& url);

  endpoint ep_;
  void* curl_;
};

std::string url_escape(std::string_view text);

}  // namespace jaild::client
