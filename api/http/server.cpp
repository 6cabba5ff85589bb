#include "api/http/server.h"

#include <fcntl.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#include <sys/param.h>
#include <sys/ucred.h>
#endif

#include <atomic>
#include <functional>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/budget.h"
#include "api/http/exec_socket.h"
#include "api/http/session_state.h"
#include "api/problem.h"
#include "api/url.h"

namespace jaild::api::http {
namespace {

// The one route whose body is an upload, spooled to a file (service.h).
constexpr std::string_view upload_route = "/v1/jails/import-archive";

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using local = net::local::stream_protocol;

// Asio opens and accepts sockets without close-on-exec. A listener that a
// child inherits outlives a killed jaild in that child, and the next jaild
// then finds its socket answering ("in use") and refuses to start.
void set_close_on_exec(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
}
using tcp = net::ip::tcp;
using local_stream = beast::basic_stream<local, net::any_io_executor>;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool is_tls = false;
template <>
constexpr bool is_tls<tls_stream> = true;

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
  // Linux and FreeBSD also tell the supplementary groups.
#if defined(SO_PEERGROUPS)
  std::vector<gid_t> groups(64);
  socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0 && errno == ERANGE) {
    groups.resize(glen / sizeof(gid_t));
    glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0) glen = 0;
  }
  groups.resize(glen / sizeof(gid_t));
  p.groups = std::move(groups);
#elif defined(LOCAL_PEERCRED)
  struct xucred cred {};
  socklen_t len = sizeof cred;
  // Level 0: FreeBSD has no SOL_LOCAL; its own getpeereid(3)
  // (lib/libc/gen/getpeereid.c) asks at level 0 too.
  if (getsockopt(fd, 0, LOCAL_PEERCRED, &cred, &len) == 0 &&
      cred.cr_version == XUCRED_VERSION)
    p.groups.assign(cred.cr_groups, cred.cr_groups + cred.cr_ngroups);
#endif
  return p;
}

// The address of a TCP client, "192.0.2.1:51234" or "[2001:db8::1]:51234".
peer tcp_peer(const tcp::socket& socket) {
  peer p;
  p.via = transport::https;
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (!ec)
    p.address = ep.address().is_v6()
                    ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                    : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  return p;
}

// The subject CN of the client's certificate, when it sent one that verified.
std::string verified_client_name(SSL* ssl) {
  std::string name;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return name;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    char cn[256] = {};
    const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                            sizeof cn);
    if (n > 0) name.assign(cn, static_cast<std::size_t>(n));
  }
  X509_free(cert);
  return name;
}

// One connection: (a TLS handshake,) then read a request, answer it, repeat
// while keep-alive. A streaming exec's request hands the connection over to
// an exec_socket.
template <class Stream>
class session : public closable, public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, std::shared_ptr<shared_state> state, slot_counter slots, peer from)
      : stream_(std::move(stream)),
        state_(std::move(state)),
        slots_(std::move(slots)),
        peer_(std::move(from)) {}


  void run() {
    if constexpr (is_tls<Stream>)
      net::dispatch(stream_.get_executor(),
                    beast::bind_front_handler(&session::do_handshake, this->shared_from_this()));
    else
      net::dispatch(stream_.get_executor(),
                    beast::bind_front_handler(&session::do_read, this->shared_from_this()));
  }

  // From stop(): close the socket on the session's own strand.
  void close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close_now(); });
  }

  void close_now() override {
    if (stream_body_) stream_body_->cancel();
    beast::error_code ec;
    lowest().socket().shutdown(net::socket_base::shutdown_both, ec);
    lowest().socket().close(ec);
  }

 private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  void do_handshake() {
    // A client that never finishes the handshake loses its slot after this.
    lowest().expires_after(state_->handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&session::on_handshake,
                                                      this->shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("TLS handshake with {} failed: {}", peer_.address, ec.message());
      return close_socket();
    }
    if constexpr (is_tls<Stream>) peer_.cert_name = verified_client_name(stream_.native_handle());
    handshaken_ = true;
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    // No limit on the body until the headers say where it goes (on_header):
    // the parser would check a Content-Length against it with the headers.
    parser_->body_limit(boost::none);
    // The whole request, not each read, must arrive within this (slow-loris).
    lowest().expires_after(state_->options.request_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&session::on_header, this->shared_from_this()));
  }

  // The headers are in: an upload (a jail's archive) goes to a file of its
  // own, any other body into memory within max_body_bytes.
  void on_header(beast::error_code ec, std::size_t n) {
    if (ec) return on_read(ec, n);
    const auto& h = parser_->get();
    const auto target = std::string_view(h.target().data(), h.target().size());
    if (h.method() == bhttp::verb::post &&
        target.substr(0, target.find('?')) == upload_route)
      return begin_upload();
    const auto length = parser_->content_length();
    if (length && *length > state_->options.max_body_bytes)
      return on_read(bhttp::error::body_limit, n);
    parser_->body_limit(state_->options.max_body_bytes);  // a chunked body, as it comes
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, this->shared_from_this()));
  }

  // The request as the service sees it, from a parsed message.
  template <class Message>
  request request_of(Message& msg) {
    request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[std::move(name)] = std::string(field.value());
    }
    req.from = peer_;
    return req;
  }

  // POST /v1/jails/import-archive: the caller is identified and its role
  // checked on the headers alone, before a byte of the body is taken; then
  // the body is written to a file of its own in the upload directory (never
  // held in memory), each read within request_timeout of the last.
  void begin_upload() {
    auto req = request_of(parser_->get());
    keep_alive_ = parser_->get().keep_alive();
    if (!split_target(req.target, req.path, req.query))
      return refuse(errc::bad_request, "malformed request target '" + req.target + "'", 400);
    if (state_->options.upload_dir.empty())
      return refuse(errc::unavailable, "this listener takes no uploads", 503);
    if (!state_->svc->may_upload(req)) {
      // Refused as dispatch refuses it (and audits it); the body is not read.
      keep_alive_ = false;
      return serve(std::move(req));
    }
    static std::atomic<std::uint64_t> counter{0};
    upload_path_ = state_->options.upload_dir /
                   fmt::format("upload-{}-{}.part", ::getpid(), counter.fetch_add(1));
    upload_.emplace(std::move(*parser_));
    parser_.reset();
    upload_->body_limit(state_->options.max_upload_bytes);
    beast::error_code fec;
    upload_->get().body().open(upload_path_.c_str(), beast::file_mode::write_new, fec);
    if (fec) {
      upload_.reset();
      upload_path_.clear();
      return refuse(errc::host_failure, "the upload cannot be stored: " + fec.message(), 500);
    }
    const bool expect =
        beast::iequals(upload_->get()[bhttp::field::expect], "100-continue");
    if (!expect) return read_upload();
    static const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
    lowest().expires_after(state_->options.write_timeout);
    net::async_write(stream_, net::buffer(go_on),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->drop_upload(), self->do_close();
                       self->read_upload();
                     });
  }

  void read_upload() {
    lowest().expires_after(state_->options.request_timeout);
    bhttp::async_read_some(
        stream_, buffer_, *upload_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec == bhttp::error::body_limit) {
            self->drop_upload();
            return self->refuse(errc::body_too_large,
                                fmt::format("the archive is larger than {} bytes",
                                            self->state_->options.max_upload_bytes),
                                413);
          }
          if (ec) {
            self->drop_upload();
            return self->do_close();
          }
          if (!self->upload_->is_done()) return self->read_upload();
          self->finish_upload();
        });
  }

  void finish_upload() {
    auto msg = upload_->release();
    upload_.reset();
    msg.body().close();
    keep_alive_ = msg.keep_alive();
    auto req = request_of(msg);
    req.upload = upload_path_;
    split_target(req.target, req.path, req.query);
    serve(std::move(req));
  }

  void drop_upload() {
    upload_.reset();
    if (!upload_path_.empty()) ::unlink(upload_path_.c_str());
    upload_path_.clear();
  }

  void on_read(beast::error_code ec, std::size_t) {
    // What a refusal below answers (a response to HEAD has no content).
    method_ = parser_->is_header_done() ? std::string(parser_->get().method_string()) : "";
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::bad_descriptor ||
        ec == ssl::error::stream_truncated)
      return do_close();
    if (ec.category() == net::error::get_ssl_category()) return close_socket();
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

    if (parser_->get().target().size() > state_->options.max_target_bytes)
      return refuse(errc::bad_request,
                    fmt::format("the request target is longer than {} bytes",
                                state_->options.max_target_bytes),
                    414);
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    request req = request_of(msg);
    req.body = std::move(msg.body());
    // Kept for the WebSocket handshake, should the route answer with one.
    upgrade_req_.reset();
    if (websocket::is_upgrade(msg)) upgrade_req_.emplace(std::move(msg));
    if (!split_target(req.target, req.path, req.query))
      return answer(problem(errc::bad_request, "malformed request target '" + req.target + "'"));

    serve(std::move(req));
  }

  // The request to the service; its answer back on this session's strand
  // (it may come from a pool thread), an upload's file gone by then.
  void serve(request req) {
    started_ = std::chrono::steady_clock::now();
    method_ = req.method;
    path_ = req.path;
    state_->svc->dispatch(std::move(req), [self = this->shared_from_this()](response resp) {
      net::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable {
        self->drop_upload();
        self->answer(std::move(resp));
      });
    });
  }

  // An error found before the service saw the request: answer it and close.
  void refuse(errc code, std::string detail, unsigned status) {
    keep_alive_ = false;
    auto resp = problem(code, std::move(detail));
    if (resp.status != status) {
      // 414 and 431 have no code of their own: the body tells the status sent.
      auto body = nlohmann::json::parse(resp.body);
      body["status"] = status;
      resp.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      resp.status = status;
    }
    answer(std::move(resp));
  }

  void answer(response resp) {
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("{} {} -> {} ({} us)", method_, path_, resp.status,
                    std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    current_ = std::move(resp);
    if (current_.upgrade) {
      if (current_.status == 101 && method_ == "GET" && upgrade_req_) return hand_over();
      // The route said yes to what was not a WebSocket handshake after all.
      current_ = problem(errc::bad_request, "this route takes a WebSocket handshake", path_);
    }
    const bool head = method_ == "HEAD";
    if (current_.stream && !head) return start_stream();
    if (current_.stream) {
      current_.stream->cancel();
      current_.stream.reset();
    }
    if (head) return answer_head();

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
    lowest().expires_after(state_->options.write_timeout);
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out](beast::error_code ec, std::size_t) {
                         self->on_write(ec, out->keep_alive());
                       });
  }

  // The connection becomes the streaming exec's WebSocket, with this
  // session's place in the listener's budget.
  void hand_over() {
    auto ws = std::make_shared<exec_socket<Stream>>(std::move(stream_), state_, std::move(slots_),
                                                   std::move(current_.upgrade));
    current_ = response{};
    {
      std::lock_guard lock(state_->sessions_mutex);
      state_->sessions.erase(this->shared_from_this());
      state_->sessions.insert(ws);
    }
    ws->run(std::move(*upgrade_req_));
    upgrade_req_.reset();
  }

  // A response to HEAD: the headers GET would have, and no content (RFC 9110
  // section 9.3.2), so that the next response on the connection is parsed
  // where it begins.
  void answer_head() {
    auto out = std::make_shared<bhttp::response<bhttp::empty_body>>();
    out->result(current_.status);
    out->version(11);
    out->set(bhttp::field::server, "jaild/" JAILD_VERSION);
    if (current_.status != 204) out->set(bhttp::field::content_type, current_.content_type);
    for (const auto& [name, value] : current_.headers) out->set(name, value);
    out->keep_alive(keep_alive_ && !state_->stopping.load());
    if (current_.status != 204 && current_.status != 304)
      out->content_length(current_.payload().size());
    lowest().expires_after(state_->options.write_timeout);
    auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*out);
    bhttp::async_write_header(stream_, *sr,
                              [self = this->shared_from_this(), out, sr](beast::error_code ec,
                                                                         std::size_t) {
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
    lowest().expires_after(state_->options.write_timeout);
    bhttp::async_write_header(
        stream_, *sr, [self = this->shared_from_this(), header, sr](beast::error_code ec, std::size_t) {
          if (ec) return self->end_stream();
          self->watch_peer();
          self->next_chunk();
        });
  }

  // A client sends nothing while a response streams to it, so a socket that
  // becomes readable is one the client closed (or a request it pipelined,
  // which cannot be answered before this endless one): the stream ends. A
  // followed log that stays quiet would otherwise never notice.
  void watch_peer() {
    lowest().socket().async_wait(net::socket_base::wait_read,
                                 [self = this->shared_from_this()](beast::error_code ec) {
                                   if (!ec && self->stream_body_) self->end_stream();
                                 });
  }

  void next_chunk() {
    // Ended meanwhile (the peer went away while the last chunk was written).
    if (!stream_body_) return;
    lowest().expires_never();
    stream_body_->next([self = this->shared_from_this()](std::optional<std::string> chunk) {
      net::post(self->stream_.get_executor(), [self, chunk = std::move(chunk)]() mutable {
        self->write_chunk(std::move(chunk));
      });
    });
  }

  void write_chunk(std::optional<std::string> chunk) {
    if (!stream_body_ || !lowest().socket().is_open()) return end_stream();
    lowest().expires_after(state_->options.write_timeout);
    // A stream that failed ends without its last chunk: the client sees a
    // cut transfer (curl: exit 18), never a whole-looking one.
    if (!chunk && stream_body_->failed()) return end_stream();
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
    if constexpr (is_tls<Stream>) {
      // close_notify, briefly: a client that does not answer it is not waited for.
      if (handshaken_ && !closing_ && lowest().socket().is_open()) {
        closing_ = true;
        lowest().expires_after(std::chrono::seconds(2));
        stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->close_socket(); });
        return;
      }
    }
    close_socket();
  }

  void close_socket() {
    beast::error_code ec;
    lowest().socket().shutdown(net::socket_base::shutdown_send, ec);
    lowest().socket().close(ec);
    std::lock_guard lock(state_->sessions_mutex);
    state_->sessions.erase(this->shared_from_this());
  }

  Stream stream_;
  std::shared_ptr<shared_state> state_;
  slot_counter slots_;
  peer peer_;
  bool handshaken_ = false;
  bool closing_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::file_body>> upload_;
  std::filesystem::path upload_path_;
  response current_;
  std::shared_ptr<body_stream> stream_body_;
  std::optional<bhttp::request<bhttp::string_body>> upgrade_req_;
  bool keep_alive_ = true;
  std::chrono::steady_clock::time_point started_;
  std::string method_, path_;
};

// Accepts on a socket and starts a session per connection, within the
// listener's own connection budget.
template <class Protocol>
class listener : public std::enable_shared_from_this<listener<Protocol>> {
 public:
  using socket_type = typename Protocol::socket;
  using acceptor_type = typename Protocol::acceptor;
  using starter = std::function<void(socket_type, slot_counter, peer)>;
  using identifier = std::function<peer(socket_type&)>;

  listener(net::io_context& ioc, acceptor_type acceptor, std::shared_ptr<shared_state> state,
           std::string name, budget::limits limits, identifier identify,
           starter start)
      : ioc_(ioc),
        acceptor_(std::move(acceptor)),
        state_(std::move(state)),
        name_(std::move(name)),
        budget_(std::make_shared<budget>(limits)),
        identify_(std::move(identify)),
        start_(std::move(start)),
        backoff_(ioc) {}

  void run() { do_accept(); }

  void close() {
    net::post(acceptor_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept,
                                                     this->shared_from_this()));
  }

  void on_accept(beast::error_code ec, socket_type socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    // Asio accepts without SOCK_CLOEXEC: a connection must not be inherited
    // (the spawn paths close what a child does not need as well).
    if (!ec) set_close_on_exec(socket.native_handle());
    if (ec) {
      // Out of descriptors or memory: log, wait a little, and keep accepting.
      spdlog::warn("accept on {}: {}", name_, ec.message());
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([self = this->shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    auto from = identify_(socket);
    std::string why = "jaild is stopping";
    slot_counter slot;
    if (!state_->stopping.load()) {
      const bool admin = from.uid && state_->svc && state_->svc->holds_admin(from);
      auto got = budget_->take(
          from.uid ? std::optional<std::string>(std::to_string(*from.uid)) : std::nullopt, admin);
      slot = std::move(got.taken);
      if (!slot) why = refusal_text(got, from);
    }
    if (slot) {
      start_(std::move(socket), std::move(slot), std::move(from));
    } else {
      refuse(socket, why);
    }
    do_accept();
  }

  std::string refusal_text(const budget::answer& got, const peer& from) const {
    switch (got.why) {
      case budget::refusal::holder_full:
        return fmt::format("uid {} has {} connections open, its limit ([api] "
                           "max_connections_per_uid)",
                           from.uid.value_or(0), got.open);
      case budget::refusal::reserved:
        return fmt::format("jaild has {} connections open; the last {} of {} are kept for "
                           "admins ([api] max_connections, admin_connections)",
                           got.open, budget_->bounds().reserved, budget_->bounds().max);
      default:
        return fmt::format("jaild has {} connections open, its limit ([api] max_connections)",
                           got.open);
    }
  }

  // A refused connection is told why when that cannot block (a UNIX socket's
  // empty send buffer; a TLS client would not read plain text), then closed.
  void refuse(socket_type& socket, const std::string& why) {
    spdlog::debug("{}: connection refused: {}", name_, why);
    if constexpr (std::is_same_v<Protocol, local>) {
      auto body = problem(errc::unavailable, why).body;
      const auto answer = fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
          "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
          body.size(), body);
      [[maybe_unused]] auto sent =
          ::send(socket.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    beast::error_code ignored;
    socket.close(ignored);
  }

  net::io_context& ioc_;
  acceptor_type acceptor_;
  std::shared_ptr<shared_state> state_;
  std::string name_;
  std::shared_ptr<budget> budget_;
  identifier identify_;
  starter start_;
  net::steady_timer backoff_;
};

template <class Stream>
void start_session(const std::shared_ptr<shared_state>& state, Stream stream, slot_counter slots,
                   peer from) {
  auto s = std::make_shared<session<Stream>>(std::move(stream), state, std::move(slots),
                                             std::move(from));
  {
    std::lock_guard lock(state->sessions_mutex);
    state->sessions.insert(s);
  }
  s->run();
}

// The server's TLS settings: TLS 1.2 at least (1.3 is chosen whenever the
// client offers it), forward-secret AEAD suites only for 1.2, no
// renegotiation, no compression.
std::unique_ptr<ssl::context> make_tls_context(const https_listen_options& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");

  auto fail = [](const std::string& what, const std::filesystem::path& file,
                 const beast::error_code& ec) {
    throw error(errc::unavailable,
                fmt::format("HTTPS: cannot load the {} {}: {}", what, file.string(),
                            ec ? ec.message() : "no such file"));
  };
  beast::error_code ec;
  if (o.cert.empty() || o.key.empty())
    throw error(errc::unavailable, "HTTPS needs a certificate and a key ([https] cert, key)");
  if (!std::filesystem::exists(o.cert)) fail("certificate", o.cert, {});
  ctx->use_certificate_chain_file(o.cert.string(), ec);
  if (ec) fail("certificate", o.cert, ec);
  if (!std::filesystem::exists(o.key)) fail("key", o.key, {});
  ctx->use_private_key_file(o.key.string(), ssl::context::pem, ec);
  if (ec) fail("key", o.key, ec);
  if (SSL_CTX_check_private_key(native) != 1)
    throw error(errc::unavailable, fmt::format("HTTPS: the key {} does not belong to the "
                                               "certificate {}",
                                               o.key.string(), o.cert.string()));
  if (!o.client_ca.empty()) {
    if (!std::filesystem::exists(o.client_ca)) fail("client CA bundle", o.client_ca, {});
    ctx->load_verify_file(o.client_ca.string(), ec);
    if (ec) fail("client CA bundle", o.client_ca, ec);
    // Ask for a certificate, but do not insist: a token is the other way in.
    // One that is sent must verify, or the handshake fails.
    ctx->set_verify_mode(ssl::verify_peer);
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca.c_str()))
      SSL_CTX_set_client_CA_list(native, names);
    static const unsigned char context_id[] = "jaild";
    SSL_CTX_set_session_id_context(native, context_id, sizeof context_id - 1);
  }
  return ctx;
}

}  // namespace

struct server::impl {
  explicit impl(server_options o)
      : ioc(static_cast<int>(o.io_threads)), pool(o.blocking_threads), long_pool(o.long_threads) {
    state->options = o;
  }

  // Declared before ioc: sessions (handlers held by ioc) go before their context.
  std::vector<std::unique_ptr<ssl::context>> tls_contexts;
  net::io_context ioc;
  net::thread_pool pool;
  net::thread_pool long_pool;
  std::shared_ptr<shared_state> state = std::make_shared<shared_state>();
  std::vector<std::shared_ptr<listener<local>>> unix_listeners;
  std::vector<std::shared_ptr<listener<tcp>>> tcp_listeners;
  std::uint16_t https_port = 0;
  std::vector<std::filesystem::path> socket_files;
  std::vector<std::thread> threads;
  std::once_flag stop_once;
};

server::server(server_options options) : impl_(std::make_unique<impl>(options)) {}

server::~server() { stop(); }

service::executor server::blocking_executor() {
  return [this](std::function<void()> task) { net::post(impl_->pool, std::move(task)); };
}

service::executor server::long_executor() {
  return [this](std::function<void()> task) { net::post(impl_->long_pool, std::move(task)); };
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
  if (!ec) set_close_on_exec(acceptor.native_handle());
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
  auto state = impl_->state;
  impl_->unix_listeners.push_back(std::make_shared<listener<local>>(
      impl_->ioc, std::move(acceptor), state, path.string(),
      budget::limits{state->options.max_connections,
                                state->options.admin_connections,
                                state->options.max_connections_per_uid},
      [](local::socket& socket) { return unix_peer(socket.native_handle()); },
      [state](local::socket socket, slot_counter slots, peer from) {
        start_session(state, local_stream(std::move(socket)), std::move(slots), std::move(from));
      }));
  impl_->socket_files.push_back(path);
}

void server::listen_https(const https_listen_options& o) {
  beast::error_code ec;
  const auto address = net::ip::make_address(o.address, ec);
  if (ec)
    throw error(errc::unavailable,
                fmt::format("HTTPS: '{}' is not an IP address to listen on", o.address));
  impl_->tls_contexts.push_back(make_tls_context(o));
  ssl::context& ctx = *impl_->tls_contexts.back();

  const tcp::endpoint endpoint(address, o.port);
  tcp::acceptor acceptor(impl_->ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) set_close_on_exec(acceptor.native_handle());
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw error(errc::unavailable,
                fmt::format("HTTPS: cannot listen on {}:{}: {}", o.address, o.port, ec.message()));
  impl_->https_port = acceptor.local_endpoint().port();
  impl_->state->handshake_timeout = o.handshake_timeout;
  auto state = impl_->state;
  impl_->tcp_listeners.push_back(std::make_shared<listener<tcp>>(
      impl_->ioc, std::move(acceptor), state,
      fmt::format("https {}:{}", o.address, impl_->https_port),
      // Who an HTTPS client is shows only in its requests: no admin slots here.
      budget::limits{state->options.max_connections, 0, 0},
      [](tcp::socket& socket) { return tcp_peer(socket); },
      [state, &ctx](tcp::socket socket, slot_counter slots, peer from) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        start_session(state, tls_stream(beast::tcp_stream(std::move(socket)), ctx),
                      std::move(slots), std::move(from));
      }));
}

std::uint16_t server::https_port() const { return impl_->https_port; }

void server::start(service& svc) {
  impl_->state->svc = &svc;
  impl_->state->run_blocking = blocking_executor();
  for (auto& l : impl_->unix_listeners) l->run();
  for (auto& l : impl_->tcp_listeners) l->run();
  for (unsigned i = 0; i < impl_->state->options.io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void server::stop() {
  std::call_once(impl_->stop_once, [this] {
    impl_->state->stopping = true;
    for (auto& l : impl_->unix_listeners) l->close();
    for (auto& l : impl_->tcp_listeners) l->close();
    {
      std::lock_guard lock(impl_->state->sessions_mutex);
      for (const auto& s : impl_->state->sessions) s->close();
    }
    // Handlers still running on the pool finish; their answers go nowhere.
    impl_->pool.join();
    impl_->long_pool.join();
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
      if (t.joinable()) t.join();
    // The closes posted above may not have run before the I/O stopped: close
    // what is still open now, and let go of it (each session holds the state
    // whose set holds the session).
    std::set<std::shared_ptr<closable>> left;
    {
      std::lock_guard lock(impl_->state->sessions_mutex);
      left.swap(impl_->state->sessions);
    }
    for (const auto& s : left) s->close_now();
    for (const auto& path : impl_->socket_files) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  });
}

}  // namespace jaild::api::http
