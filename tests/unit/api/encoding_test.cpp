// Content coding: which Accept-Encoding values get gzip, that the gzip is
// real, and that a snapshot's shared body is compressed once.
#include "api/encoding.h"

#include <zlib.h>

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace jaild;

namespace {

std::string gunzip(const std::string& in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(in.size() * 64 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

std::string jail_list(int n) {
  std::string s = "{\"jails\":[";
  for (int i = 0; i < n; ++i)
    s += (i ? "," : "") + std::string("{\"spec\":{\"name\":\"j") + std::to_string(i) +
         "\",\"path\":\"/jails/j" + std::to_string(i) + "\"},\"status\":{\"state\":\"stopped\"}}";
  return s + "]}";
}

}  // namespace

TEST_CASE("encoding: which Accept-Encoding values accept gzip", "[api]") {
  CHECK(api::accepts_gzip("gzip"));
  CHECK(api::accepts_gzip("gzip, deflate, br"));
  CHECK(api::accepts_gzip("br;q=1.0, GZip;q=0.5"));
  CHECK(api::accepts_gzip("x-gzip"));
  CHECK(api::accepts_gzip("*"));
  CHECK(api::accepts_gzip(" deflate , * ;q=0.1"));
  CHECK_FALSE(api::accepts_gzip(""));
  CHECK_FALSE(api::accepts_gzip("identity"));
  CHECK_FALSE(api::accepts_gzip("deflate, br"));
  CHECK_FALSE(api::accepts_gzip("gzip;q=0"));
  CHECK_FALSE(api::accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(api::accepts_gzip("*, gzip;q=0"));  // named refusal beats the wildcard
  CHECK_FALSE(api::accepts_gzip("*;q=0"));
  CHECK_FALSE(api::accepts_gzip("gzip;q=nonsense"));
  CHECK_FALSE(api::accepts_gzip("gzipx"));
}

TEST_CASE("encoding: gzip output inflates back to the input", "[api]") {
  for (const std::string& text : {std::string(), std::string("x"), jail_list(1000)}) {
    auto gz = api::gzip(text, 6);
    REQUIRE(gz.size() >= 18);  // a gzip header and trailer at least
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    CHECK(gunzip(gz) == text);
  }
  CHECK(api::gzip(jail_list(1000), 6).size() * 10 < jail_list(1000).size());
}

TEST_CASE("encoding: small, empty and streamed answers pass untouched", "[api]") {
  api::encoder enc;
  api::response small;
  small.body = "{\"status\":\"ok\"}";
  auto out = enc.encode(small, true);
  CHECK(out.body == small.body);
  CHECK(out.headers.empty());

  api::response none;
  none.status = 204;
  CHECK(enc.encode(none, true).headers.empty());
}

TEST_CASE("encoding: a big answer gets Vary, and gzip only when accepted", "[api]") {
  api::encoder enc;
  api::response big;
  big.body = jail_list(200);
  auto plain = enc.encode(big, false);
  CHECK(plain.body == big.body);
  REQUIRE(plain.headers.size() == 1);
  CHECK(plain.headers[0] == std::pair<std::string, std::string>("Vary", "Accept-Encoding"));

  auto gz = enc.encode(big, true);
  CHECK(gunzip(gz.body) == big.body);
  CHECK(std::find(gz.headers.begin(), gz.headers.end(),
                  std::pair<std::string, std::string>("Content-Encoding", "gzip")) !=
        gz.headers.end());
}

TEST_CASE("encoding: a shared snapshot body is compressed once while it lives", "[api]") {
  api::encoder enc;
  auto list = std::make_shared<const std::string>(jail_list(500));
  api::response r;
  r.shared_body = list;
  auto first = enc.encode(r, true);
  auto second = enc.encode(r, true);
  REQUIRE(first.shared_body);
  CHECK(first.shared_body == second.shared_body);  // the same compressed bytes, not a copy
  CHECK(gunzip(*first.shared_body) == *list);

  // A new snapshot's body is compressed afresh, even at the same address.
  auto before = first.shared_body;
  first = {};
  second = {};
  r.shared_body.reset();
  list.reset();
  auto next = std::make_shared<const std::string>(jail_list(501));
  api::response r2;
  r2.shared_body = next;
  auto third = enc.encode(r2, true);
  CHECK(third.shared_body != before);
  CHECK(gunzip(*third.shared_body) == *next);
}
