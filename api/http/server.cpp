#include "api/http/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/problem.h"
#include "api/url.h"

namespace jaild::api::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using local = net::local::stream_protocol;
using local_stream = beast::basic_stream<local, net::any_io_executor>;

// A connection that stop() can close.
struct closable {
  virtual ~closable() = default;
  virtual void close() = 0;
};

// What every session needs from the server.
struct shared_state {
  service* svc = nullptr;
  server_options options;
  std::atomic<unsigned> connections{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::set<std::shared_ptr<closable>> sessions;  // for stop(): close what is open
};

// Peer credentials of a UNIX socket client.
peer unix_peer(int fd) {
  peer p;
  p.via = transport::unix_socket;
#if defined(__linux__)
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    p.uid = cred.uid;
    p.gid = cred.gid;
    p.pid = cred.pid;
  }
#else
  uid_t uid;
  gid_t gid;
  if (getpeereid(fd, &uid, &gid) == 0) {
    p.uid = uid;
    p.gid = gid;
  }
#endif
  return p;
}

// One connection: read a request, answer it, repeat while keep-alive.
template <class Stream>
class session : public closable, public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, std::shared_ptr<shared_state> state, peer from)
      : stream_(std::move(stream)), state_(std::move(state)), peer_(std::move(from)) {}

  ~session() { state_->connections.fetch_sub(1); }

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, this->shared_from_this()));
  }

  // From stop(): close the socket on the session's own strand.
  void close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->stream_body_) self->stream_body_->cancel();
      beast::error_code ec;
      self->stream_.socket().shutdown(local::socket::shutdown_both, ec);
      self->stream_.socket().close(ec);
    });
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    stream_.expires_after(state_->options.request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::bad_descriptor)
      return do_close();
    if (ec == bhttp::error::body_limit)
      return refuse(errc::body_too_large,
                    fmt::format("the body is larger than {} bytes", state_->options.max_body_bytes),
                    413);
    if (ec == bhttp::error::header_limit)
      return refuse(errc::bad_request,
                    fmt::format("the request line and headers are larger than {} bytes",
                                state_->options.max_header_bytes),
                    431);
    if (ec) return refuse(errc::bad_request, "malformed HTTP request: " + ec.message(), 400);

    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[std::move(name)] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    req.from = peer_;
    if (!split_target(req.target, req.path, req.query))
      return answer(problem(errc::bad_request, "malformed request target '" + req.target + "'"));

    started_ = std::chrono::steady_clock::now();
    method_ = req.method;
    path_ = req.path;
    // The answer may come from a pool thread: hop back onto this session's strand.
    state_->svc->dispatch(std::move(req), [self = this->shared_from_this()](response resp) {
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable { self->answer(std::move(resp)); });
    });
  }

  // An error found before the service saw the request: answer it and close.
  void refuse(errc code, std::string detail, unsigned status) {
    keep_alive_ = false;
    auto resp = problem(code, std::move(detail));
    resp.status = status;
    answer(std::move(resp));
  }

  void answer(response resp) {
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("{} {} -> {} ({} us)", method_, path_, resp.status,
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    current_ = std::move(resp);
    if (current_.stream) return start_stream();

    auto out = std::make_shared<bhttp::response<bhttp::span_body<const char>>>();
    out->result(current_.status);
    out->version(11);
    out->set(bhttp::field::server, "jaild/" JAILD_VERSION);
    if (current_.status != 204) out->set(bhttp::field::content_type, current_.content_type);
    for (const auto& [name, value] : current_.headers) out->set(name, value);
    const auto body = current_.payload();
    out->body() = beast::span<const char>(body.data(), body.size());
    out->keep_alive(keep_alive_ && !state_->stopping.load());
    out->prepare_payload();
    stream_.expires_after(state_->options.write_timeout);
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out](beast::error_code ec, std::size_t) {
                         self->on_write(ec, out->keep_alive());
                       });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    current_ = response{};
    if (ec || !keep_alive) return do_close();
    do_read();
  }

  // Server-Sent Events: headers now, then one chunk per event until either side ends.
  void start_stream() {
    stream_body_ = current_.stream;
    auto header = std::make_shared<bhttp::response<bhttp::empty_body>>();
    header->result(current_.status);
    header->version(11);
    header->set(bhttp::field::server, "jaild/" JAILD_VERSION);
    header->set(bhttp::field::content_type, current_.content_type);
    header->set(bhttp::field::cache_control, "no-cache");
    for (const auto& [name, value] : current_.headers) header->set(name, value);
    header->chunked(true);
    auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*header);
    stream_.expires_after(state_->options.write_timeout);
    bhttp::async_write_header(
        stream_, *sr, [self = this->shared_from_this(), header, sr](beast::error_code ec, std::size_t) {
          if (ec) return self->end_stream();
          self->next_chunk();
        });
  }

  void next_chunk() {
    stream_.expires_never();
    stream_body_->next([self = this->shared_from_this()](std::optional<std::string> chunk) {
      net::post(self->stream_.get_executor(), [self, chunk = std::move(chunk)]() mutable {
        self->write_chunk(std::move(chunk));
      });
    });
  }

  void write_chunk(std::optional<std::string> chunk) {
    if (!stream_.socket().is_open()) return end_stream();
    stream_.expires_after(state_->options.write_timeout);
    if (!chunk) {
      net::async_write(stream_, bhttp::make_chunk_last(),
                       [self = this->shared_from_this()](beast::error_code, std::size_t) {
                         self->end_stream();
                       });
      return;
    }
    auto data = std::make_shared<std::string>(std::move(*chunk));
    net::async_write(stream_, bhttp::make_chunk(net::buffer(*data)),
                     [self = this->shared_from_this(), data](beast::error_code ec, std::size_t) {
                       if (ec) return self->end_stream();
                       self->next_chunk();
                     });
  }

  void end_stream() {
    if (stream_body_) stream_body_->cancel();
    stream_body_.reset();
    do_close();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(local::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    std::lock_guard lock(state_->sessions_mutex);
    state_->sessions.erase(this->shared_from_this());
  }

  Stream stream_;
  std::shared_ptr<shared_state> state_;
  peer peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  response current_;
  std::shared_ptr<body_stream> stream_body_;
  bool keep_alive_ = true;
  std::chrono::steady_clock::time_point started_;
  std::string method_, path_;
};

// Accepts on a UNIX socket and starts a session per connection.
class unix_listener : public std::enable_shared_from_this<unix_listener> {
 public:
  unix_listener(net::io_context& ioc, local::acceptor acceptor, std::shared_ptr<shared_state> state)
      : ioc_(ioc), acceptor_(std::move(acceptor)), state_(std::move(state)), backoff_(ioc) {}

  void run() { do_accept(); }

  void close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&unix_listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, local::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: log, wait a little, and keep accepting.
      spdlog::warn("accept on the UNIX socket: {}", ec.message());
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    if (state_->connections.fetch_add(1) >= state_->options.max_connections ||
        state_->stopping.load()) {
      state_->connections.fetch_sub(1);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      const auto from = unix_peer(socket.native_handle());
      auto s = std::make_shared<session<local_stream>>(local_stream(std::move(socket)), state_, from);
      {
        std::lock_guard lock(state_->sessions_mutex);
        state_->sessions.insert(s);
      }
      s->run();
    }
    do_accept();
  }

  net::io_context& ioc_;
  local::acceptor acceptor_;
  std::shared_ptr<shared_state> state_;
  net::steady_timer backoff_;
};

}  // namespace

struct server::impl {
  explicit impl(server_options o)
      : ioc(static_cast<int>(o.io_threads)), pool(o.blocking_threads) {
    state->options = o;
  }

  net::io_context ioc;
  net::thread_pool pool;
  std::shared_ptr<shared_state> state = std::make_shared<shared_state>();
  std::vector<std::shared_ptr<unix_listener>> unix_listeners;
  std::vector<std::filesystem::path> socket_files;
  std::vector<std::thread> threads;
  std::once_flag stop_once;
};

server::server(server_options options) : impl_(std::make_unique<impl>(options)) {}

server::~server() { stop(); }

service::executor server::blocking_executor() {
  return [this](std::function<void()> task) { net::post(impl_->pool, std::move(task)); };
}

void server::listen_unix(const unix_listen_options& o) {
  const auto& path = o.path;
  if (path.native().size() >= sizeof(sockaddr_un::sun_path))
    throw error(errc::unavailable,
                fmt::format("socket path {} is longer than {} bytes", path.string(),
                            sizeof(sockaddr_un::sun_path) - 1));
  std::error_code fs_ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), fs_ec);

  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw error(errc::unavailable,
                  fmt::format("{} exists and is not a socket; remove it or choose another "
                              "--socket",
                              path.string()));
    // Never take over a live socket: ask it first.
    local::socket probe(impl_->ioc);
    beast::error_code ec;
    probe.connect(local::endpoint(path.string()), ec);
    if (!ec)
      throw error(errc::unavailable,
                  fmt::format("{} is in use: another jaild answers on it", path.string()));
    std::filesystem::remove(path, fs_ec);  // stale: its daemon is gone
  }

  local::acceptor acceptor(impl_->ioc);
  beast::error_code ec;
  acceptor.open(local::endpoint(path.string()).protocol(), ec);
  // umask so that the socket is never, even briefly, wider than asked.
  const mode_t old_mask = ::umask(static_cast<mode_t>(~o.mode & 0777));
  if (!ec) acceptor.bind(local::endpoint(path.string()), ec);
  ::umask(old_mask);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw error(errc::unavailable,
                fmt::format("cannot listen on {}: {}", path.string(), ec.message()));
  if (::chmod(path.c_str(), o.mode) != 0 ||
      (o.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *o.group) != 0))
    throw error(errc::unavailable, fmt::format("cannot set the owner or mode of {}: {}",
                                               path.string(), std::strerror(errno)));
  impl_->unix_listeners.push_back(
      std::make_shared<unix_listener>(impl_->ioc, std::move(acceptor), impl_->state));
  impl_->socket_files.push_back(path);
}

void server::start(service& svc) {
  impl_->state->svc = &svc;
  for (auto& l : impl_->unix_listeners) l->run();
  for (unsigned i = 0; i < impl_->state->options.io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void server::stop() {
  std::call_once(impl_->stop_once, [this] {
    impl_->state->stopping = true;
    for (auto& l : impl_->unix_listeners) l->close();
    {
      std::lock_guard lock(impl_->state->sessions_mutex);
      for (const auto& s : impl_->state->sessions) s->close();
    }
    // Handlers still running on the pool finish; their answers go nowhere.
    impl_->pool.join();
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
      if (t.joinable()) t.join();
    for (const auto& path : impl_->socket_files) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  });
}

}  // namespace jaild::api::http
