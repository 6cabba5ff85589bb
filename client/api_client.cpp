#include "client/api_client.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace jaild::client {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct header_capture {
  std::string content_type;
  std::string location;
};

std::size_t capture_header(char* data, std::size_t size, std::size_t count, void* out) {
  std::string_view line(data, size * count);
  auto* h = static_cast<header_capture*>(out);
  auto value_of = [&](std::string_view name) -> std::optional<std::string> {
    if (line.size() <= name.size() || line[name.size()] != ':') return std::nullopt;
    for (std::size_t i = 0; i < name.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return std::nullopt;
    std::string_view v = line.substr(name.size() + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    return std::string(v);
  };
  if (auto v = value_of("content-type")) h->content_type = *v;
  if (auto v = value_of("location")) h->location = *v;
  return size * count;
}

struct curl_global {
  curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~curl_global() { curl_global_cleanup(); }
};

}  // namespace

std::string url_escape(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string normalise_host_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.starts_with("https://"))
    throw std::invalid_argument("--host takes https://HOST:PORT (jaild serves no plain HTTP "
                                "over TCP), not '" + url + "'");
  const auto rest = std::string_view(url).substr(8);
  if (rest.empty() || rest.find('/') != std::string_view::npos ||
      rest.find('?') != std::string_view::npos || rest.find('@') != std::string_view::npos)
    throw std::invalid_argument("--host takes https://HOST:PORT without a path, not '" + url +
                                "'");
  return url;
}

void api_client::prepare(std::string_view path, std::string& url) {
  auto* c = static_cast<CURL*>(curl_);
  if (ep_.url.empty()) {
    url = "http://localhost" + std::string(path);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, ep_.socket.c_str());
  } else {
    url = ep_.url + std::string(path);
    // HTTPS only, TLS 1.2 at least, the peer verified (curl's defaults, said aloud).
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ep_.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ep_.cacert.c_str());
    if (!ep_.cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, ep_.cert.c_str());
    if (!ep_.key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, ep_.key.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
}

unreachable socket_failure(const std::string& path, const std::string& curl_error) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return unreachable(fmt::format("socket path {} is too long", path));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int err = 0;
  if (fd >= 0) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) err = errno;
    ::close(fd);
  }
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return unreachable(fmt::format("jaild is not running: there is no socket at {} (is jaild "
                                     "started? does it listen elsewhere? see --socket, "
                                     "JAILD_SOCKET)",
                                     path),
                         3);
    case EACCES:
    case EPERM:
      return unreachable(fmt::format("no permission to use jaild's socket {}: it is root's and "
                                     "its group's (run as root, or as a member of the group "
                                     "jaild.conf's socket_group names)",
                                     path),
                         4);
    case ECONNREFUSED:
      return unreachable(fmt::format("jaild is not running: nothing listens on {} (a stale "
                                     "socket, left by a jaild that ended; start jaild)",
                                     path),
                         5);
    default:
      return unreachable(fmt::format("cannot reach jaild at {}: {}{}", path, curl_error,
                                     err ? std::string(" (") + std::strerror(err) + ")" : ""),
                         3);
  }
}

api_client::api_client(endpoint ep) : ep_(std::move(ep)) {
  static curl_global global;
  curl_ = curl_easy_init();
  if (!curl_) throw unreachable("cannot initialise libcurl");
}

api_client::~api_client() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

http_result api_client::send(std::string_view method, std::string_view path,
                             std::string_view body, std::string_view content_type) {
  return exchange(method, path, body, content_type, nullptr, 0);
}

http_result api_client::exchange(std::string_view method, std::string_view path,
                                 std::string_view body, std::string_view content_type,
                                 std::FILE* upload, long long upload_size) {
  auto* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  http_result result;
  header_capture headers;
  std::string url;
  prepare(path, url);
  const std::string method_text(method);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, capture_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
  curl_slist* list = nullptr;
  const std::string type = "Content-Type: " + std::string(content_type);
  const std::string auth = "Authorization: Bearer " + ep_.token;
  list = curl_slist_append(list, "Accept: application/json");
  // Only over HTTPS: on the UNIX socket the kernel names the caller.
  if (!ep_.token.empty() && !ep_.url.empty()) list = curl_slist_append(list, auth.c_str());
  if (upload) {
    // The body read from the file as it is sent, never held whole.
    list = curl_slist_append(list, type.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION,
                     +[](char* buf, std::size_t size, std::size_t n, void* f) -> std::size_t {
                       return std::fread(buf, size, n, static_cast<std::FILE*>(f));
                     });
    curl_easy_setopt(c, CURLOPT_READDATA, upload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(upload_size));
  } else if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    list = curl_slist_append(list, type.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    if (ep_.url.empty() && rc == CURLE_COULDNT_CONNECT)
      throw socket_failure(ep_.socket, curl_easy_strerror(rc));
    const std::string where = ep_.url.empty() ? ep_.socket : ep_.url;
    throw unreachable(fmt::format("cannot reach jaild at {}: {}", where, curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  result.content_type = headers.content_type;
  result.location = headers.location;
  return result;
}

namespace {

// An answer as call() takes it: the parsed body, or `refused`.
nlohmann::json answer_of(const http_result& r);

}  // namespace

nlohmann::json api_client::upload(std::string_view path, const std::string& file,
                                  std::string_view content_type) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), std::fclose);
  if (!in) throw std::runtime_error(file + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(in.get()), &st) != 0 || !S_ISREG(st.st_mode))
    throw std::runtime_error(file + ": not a regular file");
  return answer_of(exchange("POST", path, {}, content_type, in.get(), st.st_size));
}

nlohmann::json api_client::call(std::string_view method, std::string_view path,
                                const nlohmann::json* body, std::string_view content_type) {
  const std::string text = body ? body->dump() : std::string();
  return answer_of(send(method, path, text, content_type));
}

namespace {

nlohmann::json answer_of(const http_result& r) {
  nlohmann::json parsed = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status < 200 || r.status > 299) {
    if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("detail")) {
      std::string detail = parsed.value("detail", "");
      if (parsed.contains("field") && parsed["field"].is_string())
        detail += fmt::format(" (at {})", parsed["field"].get<std::string>());
      throw refused(r.status, parsed.value("code", ""), detail, parsed);
    }
    throw refused(r.status, "", fmt::format("jaild answered HTTP {}: {}", r.status, r.body));
  }
  if (r.body.empty()) return nullptr;
  if (parsed.is_discarded())
    throw refused(r.status, "", "jaild answered with a body that is not JSON");
  return parsed;
}

}  // namespace

void api_client::stream(std::string_view path,
                        const std::function<bool(std::string_view)>& on_data,
                        const std::vector<std::string>& extra_headers) {
  auto* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  std::string url;
  prepare(path, url);
  curl_slist* list = nullptr;
  const std::string auth = "Authorization: Bearer " + ep_.token;
  // Only over HTTPS: on the UNIX socket the kernel names the caller.
  if (!ep_.token.empty() && !ep_.url.empty()) list = curl_slist_append(list, auth.c_str());
  for (const auto& h : extra_headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  // A refusal (a problem+json body) is collected, not streamed, and thrown.
  struct sink {
    CURL* curl;
    const std::function<bool(std::string_view)>* on_data;
    long status = 0;
    std::string refusal;
  } out{c, &on_data, 0, {}};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION,
                   +[](char* data, std::size_t size, std::size_t n, void* p) -> std::size_t {
                     auto* s = static_cast<sink*>(p);
                     if (!s->status) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
                     if (s->status >= 300) {
                       if (s->refusal.size() < 65536) s->refusal.append(data, size * n);
                       return size * n;
                     }
                     return (*s->on_data)(std::string_view(data, size * n)) ? size * n : 0;
                   });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc == CURLE_COULDNT_CONNECT && ep_.url.empty())
    throw socket_failure(ep_.socket, curl_easy_strerror(rc));
  if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR)
    throw unreachable(fmt::format("stream from jaild ended: {}", curl_easy_strerror(rc)));
  if (out.status >= 300) {
    auto problem = nlohmann::json::parse(out.refusal, nullptr, false);
    if (!problem.is_object()) problem = nlohmann::json::object();
    throw refused(out.status, problem.value("code", ""), problem.value("detail", out.refusal),
                  problem);
  }
}

}  // namespace jaild::client
