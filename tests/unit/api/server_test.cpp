// The HTTP server on a real UNIX socket, in process (a real service, engine
// and store over the fake host): what reaches the wire for HEAD, and what
// stop() does to connections still open. Both were found by the HTTP fuzz
// target (tests/fuzz/http_fuzz.cpp).
#include "api/http/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <boost/beast/http.hpp>

#include "tests/support/fake_host.h"
#include "tests/support/temp_dir.h"

using namespace jaild;
using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

namespace {

struct server_fixture {
  test::temp_dir dir{"jaild-server"};
  std::unique_ptr<store::store> db = store::store::open(dir / "jaild.db");
  test::fake_host host;
  engine::engine eng{*db, host, [this] {
                       engine::engine_options o;
                       o.state_dir = dir.path();
                       return o;
                     }()};
  api::http::server server{[] {
    api::http::server_options o;
    o.io_threads = 1;
    o.blocking_threads = 2;
    return o;
  }()};
  api::service svc{eng, [] {
                     api::service_options o;
                     o.auth.daemon_uid = ::geteuid();
                     return o;
                   }(),
                   server.blocking_executor()};

  server_fixture() {
    eng.load();
    server.listen_unix({dir / "s.sock", 0600, std::nullopt});
    server.start(svc);
  }
  ~server_fixture() {
    server.stop();
    eng.shutdown();
  }

  int connect() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", (dir / "s.sock").c_str());
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
  }
};

// What arrives until the server closes, or `limit` passes; `closed` says which.
std::string read_all(int fd, std::chrono::milliseconds limit, bool* closed = nullptr,
                     const std::string& enough = {}) {
  std::string out;
  const auto until = std::chrono::steady_clock::now() + limit;
  if (closed) *closed = false;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[4096];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (!enough.empty() && out.find(enough) != std::string::npos) break;
  }
  return out;
}

// Parses one response from `data` at `at`; `head` for the answer to HEAD.
bhttp::response<bhttp::string_body> parse(const std::string& data, std::size_t& at, bool head) {
  bhttp::response_parser<bhttp::string_body> p;
  p.eager(true);
  if (head) p.skip(true);
  boost::beast::error_code ec;
  at += p.put(boost::asio::buffer(data.data() + at, data.size() - at), ec);
  INFO(ec.message() << "\n" << data);
  REQUIRE(p.is_done());
  return p.release();
}

}  // namespace

TEST_CASE("http server: an answer to HEAD has GET's headers and no content", "[api]") {
  server_fixture f;
  const int fd = f.connect();
  const std::string requests =
      "HEAD /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /v1/jails/nope HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(requests.size()));
  bool closed = false;
  const auto out = read_all(fd, 5s, &closed);
  ::close(fd);
  CHECK(closed);
  std::size_t at = 0;
  const auto health = parse(out, at, true);
  CHECK(health.result_int() == 200);
  CHECK(health[bhttp::field::content_type] == "application/json");
  CHECK(std::stoul(std::string(health[bhttp::field::content_length])) > 0);
  const auto missing = parse(out, at, true);
  CHECK(missing.result_int() == 404);
  CHECK(missing[bhttp::field::content_type] == "application/problem+json");
  // The answer to GET starts where the answers to HEAD end.
  const auto get = parse(out, at, false);
  CHECK(get.result_int() == 200);
  CHECK(get.body().find("\"status\":\"ok\"") != std::string::npos);
  CHECK(get[bhttp::field::content_length] == health[bhttp::field::content_length]);
  CHECK(at == out.size());
}

TEST_CASE("http server: stop() closes the connections still open", "[api]") {
  std::vector<int> clients;
  {
    server_fixture f;
    // Event streams wait for events, not for their client: only stop() ends them.
    for (int i = 0; i < 40; ++i) {
      const int fd = f.connect();
      const std::string request = "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n";
      REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0);
      REQUIRE(read_all(fd, 5s, nullptr, "\r\n\r\n").find("text/event-stream") !=
              std::string::npos);
      clients.push_back(fd);
    }
    f.server.stop();
    int ended = 0;
    for (int fd : clients) {
      bool closed = false;
      read_all(fd, 2s, &closed);
      ended += closed;
    }
    CHECK(ended == 40);
  }
  for (int fd : clients) ::close(fd);
}
