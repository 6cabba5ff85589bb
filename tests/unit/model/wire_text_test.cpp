// Small wire encodings: base64 for binary stdin, signal names.
#include <signal.h>

#include <catch2/catch.hpp>

#include "lib/model/base64.h"
#include "lib/model/signal_name.h"

using namespace jaild::model;

TEST_CASE("base64 round-trips every length and byte", "[model]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const auto text = all.substr(0, n);
    const auto encoded = base64_encode(text);
    CHECK(encoded.size() == (n + 2) / 3 * 4);
    CHECK(base64_decode(encoded) == text);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_decode("Zm8=") == std::string("fo"));
  CHECK(base64_decode("Zg==") == std::string("f"));
}

TEST_CASE("base64 refuses what is not padded base64", "[model]") {
  for (const char* bad : {"Zm8", "Zm8*", "Z===", "=Zm8", "Zg==Zg==", "Zm 8", "Zg=a"})
    CHECK_FALSE(base64_decode(bad));
}

TEST_CASE("signal names as kill(1) takes them", "[model]") {
  CHECK(signal_number("HUP") == SIGHUP);
  CHECK(signal_number("sighup") == SIGHUP);
  CHECK(signal_number("SIGTERM") == SIGTERM);
  CHECK(signal_number("WINCH") == SIGWINCH);
  CHECK_FALSE(signal_number("SEGV"));
  CHECK_FALSE(signal_number("1"));
  CHECK_FALSE(signal_number(""));
  for (const auto& n : signal_names()) CHECK(signal_name(*signal_number(n)) == n);
  CHECK(signal_name(0).empty());
}
