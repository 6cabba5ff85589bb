// Content coding of answers (RFC 9110 section 8.4): a body worth compressing
// goes out gzip-compressed when the caller accepts gzip (curl --compressed,
// Prometheus and Go's HTTP client do by default). The 1,000-jail list drops
// from about 930 KB to about 16 KB, and its compressed form is made once per
// snapshot, not once per request.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"

namespace jaild::api {

// Bodies smaller than this go out as they are: gzip would save too little.
inline constexpr std::size_t gzip_min_bytes = 1024;

// True when an Accept-Encoding value accepts gzip ("gzip", "x-gzip" or "*"
// with a q-value above 0, and gzip not refused by q=0).
bool accepts_gzip(std::string_view accept_encoding);

// gzip (RFC 1952) of `data`; throws on a zlib failure.
std::string gzip(std::string_view data, int level);

// Compresses answers; remembers the compressed form of shared bodies (they
// belong to a snapshot, which does not change) for as long as they live.
class encoder {
 public:
  // Sets Vary on every answer big enough to be compressed, and compresses it
  // when `gzip_ok`. Streams and empty bodies pass untouched.
  response encode(response resp, bool gzip_ok);

 private:
  std::shared_ptr<const std::string> compressed_shared(
      const std::shared_ptr<const std::string>& body);

  struct slot {
    std::weak_ptr<const std::string> source;
    std::shared_ptr<const std::string> gzipped;
  };
  std::mutex mutex_;
  std::vector<slot> slots_;  // a few: the jail list and other snapshot bodies
};

}  // namespace jaild::api
