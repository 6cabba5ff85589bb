// Hostile clients against a real jaild: slow-loris on both transports, TLS
// handshakes that never finish, malformed HTTP, oversized bodies, headers and
// targets, bad tokens, and a connection flood. Throughout, other clients'
// health requests must be answered, each within a bound.
#include <catch2/catch.hpp>

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>

#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "tests/integration/https_support.h"

using namespace jaild::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// Health requests, one every 100 ms over each transport, while hostile
// clients are connected; every answer and its time are kept.
class prober {
 public:
  prober(https_daemon& h, std::string token, bool use_https)
      : h_(h), token_(std::move(token)), use_https_(use_https), thread_([this] { loop(); }) {}
  ~prober() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  struct stats {
    int count = 0, failures = 0;
    double max_ms = 0, total_ms = 0;
  };
  stats unix_stats() {
    std::lock_guard lock(mutex_);
    return unix_;
  }
  stats https_stats() {
    std::lock_guard lock(mutex_);
    return https_;
  }

 private:
  void record(stats& s, bool ok, clock_type::duration took) {
    const double ms = std::chrono::duration<double, std::milli>(took).count();
    std::lock_guard lock(mutex_);
    ++s.count;
    if (!ok) ++s.failures;
    s.total_ms += ms;
    if (ms > s.max_ms) s.max_ms = ms;
  }

  void loop() {
    const auto tls = h_.tls();
    while (!stop_) {
      auto t0 = clock_type::now();
      bool ok = false;
      try {
        auto r = quick_get(raw_client::unix_socket(h_.d.socket()), "/v1/health");
        ok = r && r->status == 200;
      } catch (const std::exception&) {
      }
      record(unix_, ok, clock_type::now() - t0);
      if (use_https_) {
        t0 = clock_type::now();
        ok = false;
        try {
          auto r = quick_get(raw_client::tcp(h_.port), "/v1/health", token_, &tls);
          ok = r && r->status == 200;
        } catch (const std::exception&) {
        }
        record(https_, ok, clock_type::now() - t0);
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  https_daemon& h_;
  std::string token_;
  bool use_https_;
  std::mutex mutex_;
  stats unix_, https_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sends `data` one byte a second until the server closes the connection;
// returns how long the server let it live (or `give_up` when it never closed).
clock_type::duration trickle(raw_client& c, const std::string& data, clock_type::duration give_up) {
  const auto t0 = clock_type::now();
  for (std::size_t i = 0; clock_type::now() - t0 < give_up; ++i) {
    if (!c.send(data.substr(i % data.size(), 1))) break;
    if (c.closed_by_peer_within(1s)) break;
  }
  return clock_type::now() - t0;
}

double seconds(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

void print(const char* what, const prober::stats& s) {
  std::printf("  %-28s %3d requests, %d failed, mean %.1f ms, max %.1f ms\n", what, s.count,
              s.failures, s.count ? s.total_ms / s.count : 0.0, s.max_ms);
}

}  // namespace

TEST_CASE("hostile clients: jaild keeps answering others while they are connected",
          "[integration]") {
  https_daemon h;
  https_daemon::sections conf;
  conf.api = "request_timeout_s = 3\nmax_connections = 24\nmax_body_bytes = 65536\n";
  conf.https = "handshake_timeout_s = 2\n";
  h.start(conf);
  const auto token = h.token("viewer");
  const auto revoked = h.token("viewer");
  REQUIRE(h.d.jailctl({"token", "revoke", revoked.substr(6, 16)}).status == 0);
  const auto expired = h.token("viewer", "1s");
  const auto slow_header = std::string("GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ") +
                           std::string(200, 'a');

  std::printf("hostile clients against jaild (request timeout 3 s, handshake timeout 2 s):\n");
  prober probe(h, token, true);
  std::this_thread::sleep_for(300ms);  // a baseline before the hostile clients

  // Long-lived hostile connections, all at once.
  auto loris_unix = std::async(std::launch::async, [&] {
    auto c = raw_client::unix_socket(h.d.socket());
    return trickle(c, slow_header, 10s);
  });
  auto loris_tls = std::async(std::launch::async, [&] {
    auto c = raw_client::tcp(h.port);
    if (!c.handshake(h.tls())) return clock_type::duration::max();
    return trickle(c, slow_header, 10s);
  });
  auto silent_tls = std::async(std::launch::async, [&] {
    auto c = raw_client::tcp(h.port);  // connects, never says a word
    const auto t0 = clock_type::now();
    return c.closed_by_peer_within(10s) ? clock_type::now() - t0 : clock_type::duration::max();
  });
  auto half_hello = std::async(std::launch::async, [&] {
    auto c = raw_client::tcp(h.port);
    const auto t0 = clock_type::now();
    c.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));  // a ClientHello's start
    return c.closed_by_peer_within(10s) ? clock_type::now() - t0 : clock_type::duration::max();
  });

  // Short hostile requests, one after another, meanwhile.
  struct bad_request {
    const char* what;
    bool tls;
    std::string bytes;
    int status;
  };
  const std::vector<bad_request> bad{
      {"garbage request line", false, "HELLO THERE\r\n\r\n", 400},
      {"garbage request line (TLS)", true, "HELLO THERE\r\n\r\n", 400},
      {"bad Content-Length", false,
       "POST /v1/jails HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n", 400},
      {"binary noise", false, std::string("\x00\x01\x02\xff\xfe\r\n\r\n", 9), 400},
      {"body larger than allowed", false,
       "POST /v1/jails HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
       "Content-Length: 100000000\r\n\r\n{",
       413},
      {"body larger than allowed (TLS)", true,
       "POST /v1/jails HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{", 413},
      {"headers larger than allowed", false,
       "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n",
       431},
      {"target longer than allowed", true,
       "GET /v1/" + std::string(9000, 't') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
      {"revoked token", true,
       "GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + revoked + "\r\n\r\n", 401},
  };
  for (const auto& b : bad) {
    INFO(b.what);
    auto c = b.tls ? raw_client::tcp(h.port) : raw_client::unix_socket(h.d.socket());
    if (b.tls) REQUIRE(c.handshake(h.tls()));
    c.send(b.bytes);
    auto reply = c.read_reply(5s);
    REQUIRE(reply);
    CHECK(reply->status == b.status);
    if (b.status != 401) {
      auto problem = nlohmann::json::parse(reply->body);
      CHECK(problem["status"] == b.status);
      CHECK(c.closed_by_peer_within(2s));  // refused requests end the connection
    }
  }
  // A burst of expired-token requests.
  std::this_thread::sleep_for(1100ms);
  const auto tls = h.tls();
  int expired_refused = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = quick_get(raw_client::tcp(h.port), "/v1/health", expired, &tls);
    if (r && r->status == 401) ++expired_refused;
  }
  CHECK(expired_refused == 30);

  const auto unix_loris = loris_unix.get();
  const auto tls_loris = loris_tls.get();
  const auto silent = silent_tls.get();
  const auto half = half_hello.get();
  probe.stop();
  std::printf("  slow-loris (UNIX) closed after %.1f s\n", seconds(unix_loris));
  std::printf("  slow-loris (TLS) closed after %.1f s\n", seconds(tls_loris));
  std::printf("  silent TLS client closed after %.1f s\n", seconds(silent));
  std::printf("  half a ClientHello closed after %.1f s\n", seconds(half));
  print("health over the UNIX socket:", probe.unix_stats());
  print("health over HTTPS:", probe.https_stats());

  // Each hostile connection lost its slot at its deadline (plus the 1 s tick of the trickle).
  CHECK(unix_loris >= 2500ms);
  CHECK(unix_loris < 5s);
  CHECK(tls_loris < 5s);
  CHECK(silent >= 1500ms);
  CHECK(silent < 3500ms);
  CHECK(half < 3500ms);
  // And nobody else noticed.
  for (const auto& s : {probe.unix_stats(), probe.https_stats()}) {
    CHECK(s.count >= 10);
    CHECK(s.failures == 0);
    CHECK(s.max_ms < 1000);
  }
}

TEST_CASE("hostile clients: a connection flood on HTTPS leaves the UNIX socket serving",
          "[integration]") {
  https_daemon h;
  https_daemon::sections conf;
  conf.api = "max_connections = 24\n";
  conf.https = "handshake_timeout_s = 2\n";
  h.start(conf);
  const auto token = h.token("viewer");

  // Fill the HTTPS budget with clients that never start TLS.
  std::vector<raw_client> flood;
  for (int i = 0; i < 24; ++i) flood.push_back(raw_client::tcp(h.port));
  std::this_thread::sleep_for(200ms);
  // One more is accepted by the kernel and closed by jaild at once.
  auto extra = raw_client::tcp(h.port);
  CHECK(extra.closed_by_peer_within(1s));
  // The UNIX socket has a budget of its own.
  const auto t0 = clock_type::now();
  auto r = quick_get(raw_client::unix_socket(h.d.socket()), "/v1/health");
  const auto took = clock_type::now() - t0;
  REQUIRE(r);
  CHECK(r->status == 200);
  std::printf("connection flood (24 of 24 HTTPS slots held): health over the UNIX socket in "
              "%.1f ms\n",
              std::chrono::duration<double, std::milli>(took).count());
  CHECK(took < 1s);

  // The flood ends at the handshake deadline, and HTTPS serves again.
  for (auto& c : flood) CHECK(c.closed_by_peer_within(4s));
  const auto tls = h.tls();
  r = quick_get(raw_client::tcp(h.port), "/v1/health", token, &tls);
  REQUIRE(r);
  CHECK(r->status == 200);
}

namespace {

// A child process as `uid` that opens `count` connections to the socket and
// holds them; it writes how many jaild kept open (and one refusal it was
// sent) to `report`, then waits to be killed. Only system calls after fork.
pid_t hold_connections(const std::filesystem::path& socket, uid_t uid, int count, int report) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  if (setresgid(uid, uid, uid) != 0 || setgroups(0, nullptr) != 0 ||
      setresuid(uid, uid, uid) != 0)
    _exit(2);
  static int fds[512];
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  for (int i = 0; i < count; ++i) {
    fds[i] = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (::connect(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fds[i] = -1;
  }
  ::usleep(1'000'000);
  int kept = 0;
  static char refusal[1024];
  refusal[0] = 0;
  for (int i = 0; i < count; ++i) {
    if (fds[i] < 0) continue;
    pollfd p{fds[i], POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) {
      ++kept;  // nothing to read: jaild holds it open
    } else if (refusal[0] == 0) {
      const auto n = ::read(fds[i], refusal, sizeof refusal - 1);
      refusal[n > 0 ? n : 0] = 0;
    }
  }
  char line[1100];
  const int n = std::snprintf(line, sizeof line, "%d\n%s", kept, refusal);
  [[maybe_unused]] auto w = ::write(report, line, static_cast<std::size_t>(n));
  ::close(report);
  ::pause();
  _exit(0);
}

}  // namespace

// Issue 12: 1,040 connections held by a user with no role locked root out of
// the socket. Now each uid that is not admin has its share and the last
// connections are kept for admins.
TEST_CASE("hostile clients: users holding connections never lock root out", "[integration]") {
  daemon_fixture d;
  temp_dir tmp;
  std::ofstream(tmp / "jaild.conf")
      << "socket_mode = \"0666\"\n[api]\nmax_connections = 100\nadmin_connections = 10\n"
         "max_connections_per_uid = 30\n";
  d.start({"--config", (tmp / "jaild.conf").string()});
  std::vector<pid_t> holders;
  std::vector<std::string> reports;
  for (uid_t uid : {65534u, 1u, 2u}) {  // nobody, daemon, bin: no role
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    holders.push_back(hold_connections(d.socket(), uid, 200, fds[1]));
    ::close(fds[1]);
    std::string report;
    char buf[1200];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
      report.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    reports.push_back(report);
  }
  const auto health = d.curl("GET", "/v1/health");
  const auto create = d.curl("POST", "/v1/jails", d.rooted(R"({"name":"web","path":"/jails/web"})"));
  for (auto pid : holders) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  for (const auto& r : reports) INFO(r);
  REQUIRE(reports.size() == 3);
  CHECK(std::stoi(reports[0]) == 30);
  CHECK(reports[0].find("503 Service Unavailable") != std::string::npos);
  CHECK(reports[0].find("uid 65534 has 30 connections open") != std::string::npos);
  CHECK(std::stoi(reports[1]) == 30);
  CHECK(std::stoi(reports[2]) == 30);  // 90: the last 10 of 100 are root's
  CHECK(health.status == 200);
  CHECK(create.status == 201);
}
