#include "api/encoding.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

namespace jaild::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The q-value of one Accept-Encoding member ("gzip;q=0.5"): 1 when absent.
double qvalue(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      try {
        return std::stod(std::string(p.substr(2)));
      } catch (const std::exception&) {
        return 0;  // a q-value we cannot read accepts nothing
      }
    }
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<double> gzip_q, star_q;
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    auto member = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view{}
                                                      : accept_encoding.substr(comma + 1);
    auto semi = member.find(';');
    auto coding = trim(member.substr(0, semi));
    double q = semi == std::string_view::npos ? 1 : qvalue(member.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip_q = q;
    else if (coding == "*")
      star_q = q;
  }
  if (gzip_q) return *gzip_q > 0;
  return star_q && *star_q > 0;
}

std::string gzip(std::string_view data, int level) {
  z_stream zs{};
  // 15 window bits + 16: a gzip header and trailer, not a zlib one.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  // zlib's API is not const-correct: it never writes through next_in.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  out.resize(written);
  return out;
}

std::shared_ptr<const std::string> encoder::compressed_shared(
    const std::shared_ptr<const std::string>& body) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : slots_)
      if (s.source.lock() == body) return s.gzipped;
  }
  // Compressed outside the lock; two callers racing on a new snapshot both
  // compress it once, which is harmless.
  auto gzipped = std::make_shared<const std::string>(gzip(*body, 6));
  std::lock_guard lock(mutex_);
  auto free = std::find_if(slots_.begin(), slots_.end(),
                           [](const slot& s) { return s.source.expired(); });
  if (free != slots_.end())
    *free = {body, gzipped};
  else if (slots_.size() < 4)
    slots_.push_back({body, gzipped});
  else
    slots_.front() = {body, gzipped};
  return gzipped;
}

response encoder::encode(response resp, bool gzip_ok) {
  if (resp.stream || resp.status == 204 || resp.payload().size() < gzip_min_bytes) return resp;
  resp.headers.emplace_back("Vary", "Accept-Encoding");
  if (!gzip_ok) return resp;
  if (resp.shared_body) {
    resp.shared_body = compressed_shared(resp.shared_body);
  } else {
    resp.body = gzip(resp.body, 6);
  }
  resp.headers.emplace_back("Content-Encoding", "gzip");
  return resp;
}

}  // namespace jaild::api
