#include "tests/support/raw_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace jaild::test {
namespace {

int wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(left.count()));
}

}  // namespace

raw_client raw_client::unix_socket(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot connect to " + path.string() + ": " + std::strerror(errno));
  }
  return raw_client(fd);
}

raw_client raw_client::tcp(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " +
                             std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return raw_client(fd);
}

raw_client::raw_client(raw_client&& o) noexcept
    : fd_(o.fd_), ctx_(o.ctx_), ssl_(o.ssl_), pending_(std::move(o.pending_)) {
  o.fd_ = -1;
  o.ctx_ = nullptr;
  o.ssl_ = nullptr;
}

raw_client::~raw_client() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool raw_client::handshake(const tls_options& o, std::string* why) {
  auto fail = [&](const std::string& what) {
    if (why) {
      char buf[256] = {};
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      *why = what + ": " + buf;
    }
    ERR_clear_error();
    return false;
  };
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (o.min_version) SSL_CTX_set_min_proto_version(ctx_, o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
  // Old protocol versions are what some tests offer on purpose.
  SSL_CTX_set_security_level(ctx_, 0);
  if (!o.ca.empty() && SSL_CTX_load_verify_locations(ctx_, o.ca.c_str(), nullptr) != 1)
    return fail("CA");
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (!o.cert.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx_, o.cert.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx_, o.key.c_str(), SSL_FILETYPE_PEM) != 1))
    return fail("client certificate");
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  SSL_set1_host(ssl_, "localhost");
  // Never hang a test: the whole handshake within 10 s.
  timeval tv{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const int rc = SSL_connect(ssl_);
  timeval none{0, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  if (rc != 1) return fail("handshake");
  return true;
}

std::string raw_client::tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

bool raw_client::send(std::string_view data) {
  while (!data.empty()) {
    long n = 0;
    if (ssl_)
      n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    else
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long raw_client::read_some(std::string& into, std::chrono::steady_clock::time_point deadline) {
  char buf[16384];
  while (true) {
    if (!ssl_ || SSL_pending(ssl_) == 0) {
      const int ready = wait_readable(fd_, deadline);
      if (ready == 0) return -1;
      if (ready < 0) return 0;
    }
    long n = 0;
    if (ssl_) {
      n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) {
        const int err = SSL_get_error(ssl_, static_cast<int>(n));
        if (err == SSL_ERROR_WANT_READ) continue;  // a TLS record without data (a ticket)
        ERR_clear_error();
        return 0;
      }
    } else {
      n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0;
    }
    into.append(buf, static_cast<std::size_t>(n));
    return n;
  }
}

std::optional<http_reply> raw_client::read_reply(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string& data = pending_;
  std::size_t end = 0;
  while ((end = data.find("\r\n\r\n")) == std::string::npos)
    if (read_some(data, deadline) <= 0) return std::nullopt;
  http_reply r;
  r.head = data.substr(0, end);
  if (r.head.size() < 12) return std::nullopt;
  r.status = std::stoi(r.head.substr(9, 3));
  std::size_t length = 0;
  std::string lower = r.head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
    length = std::stoul(lower.substr(at + 17));
  while (data.size() < end + 4 + length)
    if (read_some(data, deadline) <= 0) return std::nullopt;
  r.body = data.substr(end + 4, length);
  data.erase(0, end + 4 + length);
  return r;
}

bool raw_client::closed_by_peer_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string ignored;
  while (true) {
    const long n = read_some(ignored, deadline);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

std::optional<http_reply> quick_get(raw_client client, const std::string& path,
                                    const std::string& token,
                                    const raw_client::tls_options* tls) {
  if (tls && !client.handshake(*tls)) return std::nullopt;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += "\r\n";
  if (!client.send(req)) return std::nullopt;
  return client.read_reply(std::chrono::seconds(10));
}

}  // namespace jaild::test
