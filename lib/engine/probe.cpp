#include "lib/engine/probe.h"

#include <curl/curl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>

#include <fmt/format.h>

namespace jaild::engine {

bool tcp_probe(const std::string& host, int port, std::chrono::milliseconds timeout,
               std::string& detail) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    detail = fmt::format("{}: {}", host, gai_strerror(rc));
    return false;
  }
  bool ok = false;
  for (auto* ai = found; ai && !ok; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        if (err) detail = fmt::format("connect {}:{}: {}", host, port, std::strerror(err));
      } else {
        detail = fmt::format("connect {}:{}: no answer within {} ms", host, port, timeout.count());
        rc = -1;
      }
    } else if (rc != 0) {
      detail = fmt::format("connect {}:{}: {}", host, port, std::strerror(errno));
    }
    ok = rc == 0;
    close(fd);
  }
  freeaddrinfo(found);
  return ok;
}

bool http_probe(const std::string& url, std::chrono::milliseconds timeout, std::string& detail) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* c = curl_easy_init();
  if (!c) {
    detail = "cannot initialise libcurl";
    return false;
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION,
                   +[](char*, std::size_t size, std::size_t n, void*) { return size * n; });
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    detail = fmt::format("GET {}: {}", url, curl_easy_strerror(rc));
    return false;
  }
  if (status < 200 || status >= 400) {
    detail = fmt::format("GET {}: HTTP {}", url, status);
    return false;
  }
  return true;
}

}  // namespace jaild::engine
