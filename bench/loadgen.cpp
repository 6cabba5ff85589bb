// loadgen: an HTTP/1.1 keep-alive load client for UNIX sockets and TCP
// (wrk speaks no UNIX socket). One thread per connection, each sending GET
// requests back to back and timing every one with CLOCK_MONOTONIC.
//
//   loadgen --unix PATH | --tcp HOST:PORT [--tls --cacert CA]  --path /v1/health
//           [--connections N] [--duration S] [--warmup S] [--header "K: V"]
//
// Prints one JSON object: requests, errors, non-2xx, seconds, rps, latency
// percentiles in milliseconds, bytes per response.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string unix_path, tcp, path = "/v1/health", cacert;
  bool tls = false;
  int connections = 1;
  double duration = 5, warmup = 1;
  std::vector<std::string> headers;
};

int connect_to(const options& o) {
  if (!o.unix_path.empty()) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, o.unix_path.c_str(), sizeof a.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  const auto colon = o.tcp.rfind(':');
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(o.tcp.substr(0, colon).c_str(), o.tcp.substr(colon + 1).c_str(), &hints, &res))
    return -1;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One connection: a socket, with TLS on top when asked for.
class connection {
 public:
  connection(const options& o, SSL_CTX* ctx) : fd_(connect_to(o)) {
    if (fd_ < 0 || !ctx) return;
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    // SSL_set_tlsext_host_name is a macro with a C cast; call what it expands to.
    static char host[] = "localhost";
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, host);
    if (SSL_connect(ssl_) != 1) {
      SSL_free(ssl_);
      ssl_ = nullptr;
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~connection() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  bool ok() const { return fd_ >= 0; }
  ssize_t read(char* buf, std::size_t n) {
    if (ssl_) return SSL_read(ssl_, buf, static_cast<int>(n));
    return ::read(fd_, buf, n);
  }
  bool write_all(const std::string& data) {
    if (ssl_) return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
                     static_cast<int>(data.size());
    return ::write(fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
};

// Reads one whole response (Content-Length or chunked); returns its status
// and body size, or status -1 on a broken connection.
struct reply {
  int status = -1;
  std::size_t body = 0;
};

class reader {
 public:
  explicit reader(connection& c) : conn_(&c) {}

  reply read_response() {
    reply r;
    std::size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    const std::string head = buf_.substr(0, header_end);
    buf_.erase(0, header_end + 4);
    if (head.size() < 12) return r;
    r.status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (auto cl = lower.find("content-length:"); cl != std::string::npos) {
      const std::size_t n = std::strtoull(head.c_str() + cl + 15, nullptr, 10);
      while (buf_.size() < n)
        if (!fill()) return reply{};
      buf_.erase(0, n);
      r.body = n;
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      while (true) {
        std::size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos)
          if (!fill()) return reply{};
        const std::size_t n = std::strtoull(buf_.c_str(), nullptr, 16);
        buf_.erase(0, eol + 2);
        while (buf_.size() < n + 2)
          if (!fill()) return reply{};
        buf_.erase(0, n + 2);
        r.body += n;
        if (n == 0) break;
      }
    }
    return r;
  }

 private:
  bool fill() {
    char tmp[65536];
    const ssize_t n = conn_->read(tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  connection* conn_;
  std::string buf_;
};

struct worker_result {
  std::vector<double> latencies_ms;
  std::uint64_t errors = 0, non2xx = 0, bytes = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"loadgen: HTTP keep-alive load over a UNIX socket or TCP"};
  app.add_option("--unix", o.unix_path, "UNIX socket path");
  app.add_option("--tcp", o.tcp, "HOST:PORT");
  app.add_option("--path", o.path, "request path");
  app.add_option("-c,--connections", o.connections, "connections (one thread each)");
  app.add_option("-d,--duration", o.duration, "seconds measured");
  app.add_option("-w,--warmup", o.warmup, "seconds before measuring");
  app.add_option("-H,--header", o.headers, "extra request header");
  app.add_flag("--tls", o.tls, "HTTPS over --tcp");
  app.add_option("--cacert", o.cacert, "CA that signed the server's certificate");
  CLI11_PARSE(app, argc, argv);
  if (o.unix_path.empty() == o.tcp.empty()) {
    std::cerr << "loadgen: give exactly one of --unix and --tcp\n";
    return 2;
  }
  SSL_CTX* ctx = nullptr;
  if (o.tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (o.cacert.empty() || SSL_CTX_load_verify_locations(ctx, o.cacert.c_str(), nullptr) != 1) {
      std::cerr << "loadgen: --tls needs a readable --cacert\n";
      return 2;
    }
  }
  std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: loadgen\r\n",
                                    o.path);
  for (const auto& h : o.headers) request += h + "\r\n";
  request += "\r\n";

  const auto start = clock_type::now();
  const auto measure_from = start + std::chrono::duration<double>(o.warmup);
  const auto until = measure_from + std::chrono::duration<double>(o.duration);
  std::vector<worker_result> results(static_cast<std::size_t>(o.connections));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.connections; ++i) {
    threads.emplace_back([&, i] {
      auto& res = results[static_cast<std::size_t>(i)];
      res.latencies_ms.reserve(1 << 20);
      auto conn = std::make_unique<connection>(o, ctx);
      if (!conn->ok()) {
        ++res.errors;
        return;
      }
      auto rd = std::make_unique<reader>(*conn);
      while (true) {
        const auto t0 = clock_type::now();
        if (t0 >= until) break;
        if (!conn->write_all(request)) {
          ++res.errors;
          break;
        }
        const auto r = rd->read_response();
        const auto t1 = clock_type::now();
        if (r.status < 0) {
          ++res.errors;
          conn = std::make_unique<connection>(o, ctx);
          if (!conn->ok()) break;
          rd = std::make_unique<reader>(*conn);
          continue;
        }
        if (t0 < measure_from) continue;
        res.latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (r.status < 200 || r.status > 299) ++res.non2xx;
        res.bytes += r.body;
      }
    });
  }
  for (auto& t : threads) t.join();

  std::vector<double> all;
  worker_result total;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    total.errors += r.errors;
    total.non2xx += r.non2xx;
    total.bytes += r.bytes;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(all.size() - 1));
    return all[idx];
  };
  nlohmann::json out = {
      {"path", o.path},
      {"transport", !o.unix_path.empty() ? "unix" : (o.tls ? "https" : "tcp")},
      {"connections", o.connections},
      {"seconds", o.duration},
      {"requests", all.size()},
      {"errors", total.errors},
      {"non_2xx", total.non2xx},
      {"rps", static_cast<double>(all.size()) / o.duration},
      {"latency_ms",
       {{"min", all.empty() ? 0 : all.front()},
        {"p50", pct(50)},
        {"p90", pct(90)},
        {"p99", pct(99)},
        {"max", all.empty() ? 0 : all.back()}}},
      {"bytes_per_response", all.empty() ? 0 : total.bytes / all.size()},
  };
  std::cout << out.dump() << "\n";
  return total.errors ? 1 : 0;
}
