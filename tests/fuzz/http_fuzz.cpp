// libFuzzer target for HTTP request handling (tests/fuzz/run http SECONDS
// builds and runs it). The input is the byte stream a client sends on one
// connection: it goes through jaild's real HTTP server (Beast's parser with
// jaild's limits, the session loop with keep-alive and pipelining), the real
// service (authentication as root on the UNIX socket, router, handlers,
// problem answers) and the real engine and SQLite store, over the tests' Host
// double. Each input gets a fresh state directory, so what a crash needs is
// all in its input.
//
// Checked, besides "no crash, no sanitizer report, no escaped exception":
// what jaild sends back is a sequence of whole, well-formed HTTP/1.1
// responses, one per request it read, each with a status; every 4xx and 5xx
// is application/problem+json with the RFC 9457 members, jaild's `code`, and
// the status it was sent with (gzip-compressed bodies are inflated first); no
// response to HEAD has a body. A response that streams Server-Sent Events is
// read up to its headers.
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include "api/http/server.h"
#include "api/service.h"
#include "lib/engine/engine.h"
#include "lib/store/store.h"
#include "tests/support/fake_host.h"

namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

fs::path state_root;

[[noreturn]] void fail(const std::string& what, std::string_view out) {
  std::fprintf(stderr, "http fuzz: %s\n--- what jaild sent ---\n%.*s\n", what.c_str(),
               static_cast<int>(std::min<std::size_t>(out.size(), 4000)), out.data());
  std::abort();
}

// Sends `input` on a new connection to `socket` and half-closes; returns
// everything jaild sends until it closes, or until a Server-Sent Events
// stream has begun, or a deadline.
std::string exchange(const fs::path& socket, std::string_view input, bool* cut_stream) {
  *cut_stream = false;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    fail("cannot connect to jaild's socket", "");
  std::string out;
  std::size_t sent = 0;
  bool write_open = true;
  if (input.empty()) {
    ::shutdown(fd, SHUT_WR);
    write_open = false;
  }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 50) < 0) break;
    if (write_open && (p.revents & POLLOUT)) {
      const auto n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN) write_open = false;  // jaild closed: it answered already
      if (sent == input.size()) {
        ::shutdown(fd, SHUT_WR);
        write_open = false;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EAGAIN) {
        break;
      }
      if (out.find("text/event-stream") != std::string::npos) {
        *cut_stream = true;
        break;
      }
    }
  }
  ::close(fd);
  return out;
}

// The methods of the requests jaild could have read from `input`, in order,
// as Beast's parser reads them with jaild's limits; the last may be one whose
// header is whole and whose body is not (jaild refuses it, as an answer to
// that method).
std::vector<std::string> request_methods(std::string_view input) {
  std::vector<std::string> methods;
  boost::beast::error_code ec;
  while (!input.empty()) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    std::size_t used = 0;
    while (!parser.is_done() && used < input.size()) {
      const auto n =
          parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec || n == 0) break;
      used += n;
    }
    if (parser.is_header_done()) methods.emplace_back(parser.get().method_string());
    if (!parser.is_done()) break;
    input.remove_prefix(used);
  }
  return methods;
}

// The body of a gzip content coding, inflated.
std::string gunzip(const std::string& data, std::string_view out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) fail("zlib", out);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string plain;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[16384];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    plain.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) fail("a gzip body does not inflate", out);
  return plain;
}

void check_problem(const nlohmann::json& body, unsigned status, std::string_view out) {
  if (!body.is_object()) fail("a problem body is not a JSON object", out);
  for (const char* member : {"type", "title", "detail", "code"})
    if (!body.contains(member) || !body[member].is_string())
      fail(std::string("a problem has no string '") + member + "'", out);
  if (!body.contains("status") || body["status"] != status)
    fail("a problem's status is not the HTTP status", out);
}

// Everything jaild sent is whole responses, each well-formed.
void check_responses(std::string_view out, std::string_view input, bool cut_stream) {
  const auto methods = request_methods(input);
  std::size_t at = 0, index = 0;
  while (at < out.size()) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    const bool head = index < methods.size() && methods[index] == "HEAD";
    if (head) parser.skip(true);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && at + used < out.size()) {
      const auto n = parser.put(boost::asio::buffer(out.data() + at + used, out.size() - at - used),
                                ec);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) fail("jaild sent something that is not an HTTP response: " + ec.message(), out);
      if (n == 0) break;
      used += n;
    }
    if (!parser.is_done() && !parser.is_header_done())
      fail("jaild's last response ends inside its header", out);
    const auto& msg = parser.get();
    const unsigned status = msg.result_int();
    if (status < 100 || status > 599) fail("a response has no valid status", out);
    if (msg.version() != 11) fail("a response is not HTTP/1.1", out);
    const std::string type(msg[bhttp::field::content_type]);
    if (type == "text/event-stream" && cut_stream) return;  // a stream: read up to its headers
    if (!parser.is_done()) fail("jaild's last response is cut short", out);
    const bool gzipped = msg[bhttp::field::content_encoding] == "gzip";
    if (!gzipped && !msg[bhttp::field::content_encoding].empty())
      fail("a response has the content coding " + std::string(msg[bhttp::field::content_encoding]),
           out);
    if (status >= 400 && !head) {
      if (type != "application/problem+json") fail("a 4xx/5xx answer is " + type, out);
      const auto body =
          nlohmann::json::parse(gzipped ? gunzip(msg.body(), out) : msg.body(), nullptr, false);
      check_problem(body, status, out);
    } else if (gzipped && !head) {
      gunzip(msg.body(), out);
    }
    at += used;
    ++index;
  }
  if (index > methods.size() + 1) fail("more responses than requests", out);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  // jaild-http-fuzz.PID: removed at exit, and by the next run when a crash
  // (an abort skips atexit) left it behind.
  const auto base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind("jaild-http-fuzz.", 0) != 0) continue;
    const auto pid = std::atoi(name.c_str() + 16);
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
  state_root = base / ("jaild-http-fuzz." + std::to_string(::getpid()));
  fs::create_directories(state_root);
  std::atexit([] {
    std::error_code ignored;
    fs::remove_all(state_root, ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  const auto dir = state_root / "state";
  fs::remove_all(dir, ec);
  fs::create_directories(dir);

  std::string out;
  bool cut_stream = false;
  {
    auto db = jaild::store::store::open(dir / "jaild.db");
    jaild::test::fake_host host;
    jaild::engine::engine_options eo;
    eo.state_dir = dir;
    eo.workers = 2;
    eo.ready_timeout = 2s;
    jaild::engine::engine eng(*db, host, eo);
    eng.load();
    eng.reconcile();

    jaild::api::http::server_options so;
    so.io_threads = 1;
    so.blocking_threads = 2;
    so.request_timeout = 5s;
    jaild::api::http::server server(so);
    jaild::api::service_options svc_options;
    svc_options.state_dir = dir.string();
    svc_options.auth.daemon_uid = ::geteuid();
    jaild::api::service svc(eng, svc_options, server.blocking_executor());
    server.listen_unix({dir / "s.sock", 0600, std::nullopt});
    server.start(svc);
    out = exchange(dir / "s.sock", input, &cut_stream);
    server.stop();
    eng.shutdown();
  }
  check_responses(out, input, cut_stream);
  return 0;
}
