#include "client/exec_socket.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

#include "lib/model/exec_wire.h"

namespace jaild::client {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
namespace wire = model::exec_wire;
using local = net::local::stream_protocol;
using json = nlohmann::json;

// The caller's terminal in raw mode for as long as this lives.
class raw_terminal {
 public:
  raw_terminal() {
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) active_ = true;
  }
  ~raw_terminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::optional<std::pair<unsigned, unsigned>> window_size() {
  winsize ws{};
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
      return std::make_pair(static_cast<unsigned>(ws.ws_row), static_cast<unsigned>(ws.ws_col));
  return std::nullopt;
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the caller's output is gone; the session goes on
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

// One session over a connected, handshaken WebSocket. Everything runs on
// the io_context's one thread but the stdin reader, which hands each chunk
// over and waits until it has been sent.
template <class WS>
class session {
  // What the stdin reader shares with the session; it may outlive it.
  struct gate {
    std::mutex mutex;
    std::condition_variable sent;
    bool over = false;  // guarded by mutex: the session has ended
  };

 public:
  session(net::io_context& ioc, WS& ws, exec_socket_options o)
      : ioc_(ioc), ws_(ws), o_(std::move(o)), signals_(ioc) {}

  int run() {
    std::optional<raw_terminal> raw;
    if (o_.tty) {
      if (auto size = window_size()) {
        o_.start["rows"] = size->first;
        o_.start["cols"] = size->second;
      }
      raw.emplace();
      // The terminal is raw, so these come from elsewhere: end the session
      // (and give the terminal back) rather than die in raw mode.
      for (int s : {SIGWINCH, SIGTERM, SIGHUP}) signals_.add(s);
    } else {
      for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) signals_.add(s);
    }
    wait_signal();
    send(true, o_.start.dump());
    // Without -i the command's stdin ends at once (with a TTY it stays open:
    // a shell would take its end for "exit").
    if (!o_.pass_stdin && !o_.tty) send(true, R"({"type":"eof"})");
    read();
    std::thread reader;
    if (o_.pass_stdin) reader = std::thread([this, shared = gate_] { read_stdin(shared); });
    ioc_.run();
    {
      std::lock_guard lock(gate_->mutex);
      gate_->over = true;
    }
    gate_->sent.notify_all();
    // A reader blocked in read(2) on a terminal is left to the process's
    // exit; it touches nothing but the gate it shares.
    if (reader.joinable()) reader.detach();
    raw.reset();
    if (problem_) {
      throw refused(problem_->value("status", 500), problem_->value("code", ""),
                    problem_->value("detail", std::string("the session failed")), *problem_);
    }
    if (!exit_code_)
      throw std::runtime_error(broken_.empty() ? "the session ended without the command's exit "
                                                 "status"
                                               : "the session broke: " + broken_);
    return *exit_code_;
  }

 private:
  void wait_signal() {
    signals_.async_wait([this](beast::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGWINCH) {
        if (auto size = window_size())
          send(true, json{{"type", "resize"}, {"rows", size->first}, {"cols", size->second}}.dump());
      } else if (o_.tty) {
        broken_ = fmt::format("jailctl got signal {}", sig);
        return finish();
      } else {
        static const std::map<int, const char*> names = {
            {SIGINT, "INT"}, {SIGTERM, "TERM"}, {SIGHUP, "HUP"}, {SIGQUIT, "QUIT"}};
        send(true, json{{"type", "signal"}, {"signal", names.at(sig)}}.dump());
      }
      wait_signal();
    });
  }

  void read() {
    ws_.async_read(in_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        if (ec != websocket::error::closed) broken_ = ec.message();
        return finish();
      }
      const auto data = beast::buffers_to_string(in_.data());
      in_.consume(in_.size());
      if (!ws_.got_text()) {
        if (!data.empty()) {
          const int fd = static_cast<unsigned char>(data[0]) == wire::stderr_channel
                             ? STDERR_FILENO
                             : STDOUT_FILENO;
          write_all(fd, data.data() + 1, data.size() - 1);
        }
      } else {
        auto m = json::parse(data, nullptr, false);
        const auto type = m.is_object() ? m.value("type", "") : "";
        if (type == "exit") exit_code_ = m.value("exit_code", 1);
        if (type == "error") problem_ = m.value("problem", json::object());
      }
      read();
    });
  }

  void finish() {
    signals_.cancel();
    ioc_.stop();
  }

  void read_stdin(std::shared_ptr<gate> shared) {
    char buf[16384];
    while (true) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::string frame;
      const bool end = n <= 0;
      if (!end) {
        frame.assign(1, static_cast<char>(wire::stdin_channel));
        frame.append(buf, static_cast<std::size_t>(n));
      }
      std::unique_lock lock(shared->mutex);
      if (shared->over) return;
      bool done = false;
      // Runs while the io_context runs, and so while this thread waits.
      net::post(ioc_, [this, shared, frame = std::move(frame), end, &done]() mutable {
        auto mark = [shared, &done] {
          std::lock_guard inner(shared->mutex);
          done = true;
          shared->sent.notify_all();
        };
        if (end)
          send(true, R"({"type":"eof"})", mark);
        else
          send(false, std::move(frame), mark);
      });
      shared->sent.wait(lock, [&] { return done || shared->over; });
      if (end || shared->over) return;
    }
  }

  // Messages go out one at a time, in order.
  void send(bool text, std::string data, std::function<void()> then = {}) {
    queue_.push_back({text, std::move(data), std::move(then)});
    if (!writing_) write_next();
  }

  void write_next() {
    if (queue_.empty()) {
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.text(queue_.front().text);
    ws_.async_write(net::buffer(queue_.front().data), [this](beast::error_code ec, std::size_t) {
      auto then = std::move(queue_.front().then);
      queue_.pop_front();
      if (then) then();
      if (ec) {
        writing_ = false;
        return;  // the read side sees the end
      }
      write_next();
    });
  }

  struct outgoing {
    bool text;
    std::string data;
    std::function<void()> then;
  };

  net::io_context& ioc_;
  WS& ws_;
  exec_socket_options o_;
  net::signal_set signals_;
  beast::flat_buffer in_;
  std::deque<outgoing> queue_;
  bool writing_ = false;
  std::optional<int> exit_code_;
  std::optional<json> problem_;
  std::string broken_;
  std::shared_ptr<gate> gate_ = std::make_shared<gate>();
};

// The handshake; an HTTP refusal (a problem+json answer) becomes `refused`.
template <class WS>
void handshake(WS& ws, const std::string& host, const std::string& path, const endpoint& ep) {
  ws.set_option(websocket::stream_base::decorator([&ep](websocket::request_type& req) {
    req.set(bhttp::field::user_agent, "jailctl");
    // Only over HTTPS: on the UNIX socket the kernel names the caller.
    if (!ep.url.empty() && !ep.token.empty())
      req.set(bhttp::field::authorization, "Bearer " + ep.token);
  }));
  ws.read_message_max(64 << 20);
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, host, path, ec);
  if (!ec) return;
  if (res.result_int() >= 300) {
    auto problem = json::parse(res.body(), nullptr, false);
    if (!problem.is_object()) problem = json::object();
    throw refused(res.result_int(), problem.value("code", ""),
                  problem.value("detail", std::string(res.reason())), problem);
  }
  throw unreachable(fmt::format("the WebSocket handshake with jaild failed: {}", ec.message()));
}

// "https://HOST:PORT" (normalise_host_url's form) as host and port.
std::pair<std::string, std::string> host_and_port(const std::string& url) {
  std::string rest = url.substr(std::string("https://").size());
  std::string host = rest, port = "8443";
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    host = rest.substr(1, close - 1);
    if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':')
      port = rest.substr(close + 2);
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  return {host, port};
}

}  // namespace

int run_exec_socket(const endpoint& ep, const std::string& path, exec_socket_options o) {
  net::io_context ioc;
  if (ep.url.empty()) {
    websocket::stream<local::socket> ws(ioc);
    beast::error_code ec;
    ws.next_layer().connect(local::endpoint(ep.socket), ec);
    if (ec) throw socket_failure(ep.socket, ec.message());
    handshake(ws, "localhost", path, ep);
    session<decltype(ws)> s(ioc, ws, std::move(o));
    return s.run();
  }
  const auto [host, port] = host_and_port(ep.url);
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  if (!ep.cacert.empty())
    ctx.load_verify_file(ep.cacert, ec);
  else
    ctx.set_default_verify_paths(ec);
  if (ec) throw unreachable(fmt::format("cannot load the CA bundle: {}", ec.message()));
  if (!ep.cert.empty()) {
    ctx.use_certificate_chain_file(ep.cert, ec);
    if (!ec) ctx.use_private_key_file(ep.key.empty() ? ep.cert : ep.key, ssl::context::pem, ec);
    if (ec) throw unreachable(fmt::format("cannot load the client certificate: {}", ec.message()));
  }
  ctx.set_verify_mode(ssl::verify_peer);
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  net::ip::tcp::resolver resolver(ioc);
  auto found = resolver.resolve(host, port, ec);
  if (!ec) beast::get_lowest_layer(ws).connect(found, ec);
  if (ec) throw unreachable(fmt::format("cannot reach jaild at {}: {}", ep.url, ec.message()));
  // SNI (SSL_set_tlsext_host_name, without its macro's C cast).
  SSL_ctrl(ws.next_layer().native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(host.c_str()));
  ws.next_layer().set_verify_callback(ssl::host_name_verification(host));
  ws.next_layer().handshake(ssl::stream_base::client, ec);
  if (ec) throw unreachable(fmt::format("TLS with {}: {}", ep.url, ec.message()));
  handshake(ws, host, path, ep);
  session<decltype(ws)> s(ioc, ws, std::move(o));
  return s.run();
}

}  // namespace jaild::client
