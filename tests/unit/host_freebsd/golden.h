// Golden files: a test renders what the FreeBSD adapter did as text and
// compares it with tests/unit/host_freebsd/golden/NAME. With
// JAILD_UPDATE_GOLDEN=1 in the environment the file is rewritten instead (then
// review the diff with git before committing it).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace jaild::test {

inline std::filesystem::path golden_dir() { return JAILD_FREEBSD_TEST_DIR "/golden"; }
inline std::filesystem::path samples_dir() { return JAILD_FREEBSD_TEST_DIR "/samples"; }

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string sample(const std::string& name) {
  const auto p = samples_dir() / name;
  REQUIRE(std::filesystem::exists(p));
  return read_text(p);
}

inline void check_golden(const std::string& name, const std::vector<std::string>& lines) {
  std::string actual;
  for (const auto& l : lines) actual += l + "\n";
  const auto path = golden_dir() / name;
  if (const char* update = std::getenv("JAILD_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("rewrote " << path.string());
    return;
  }
  INFO("golden file " << path.string() << " (JAILD_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE(std::filesystem::exists(path));
  const std::string expected = read_text(path);
  if (actual != expected) {
    std::istringstream a(actual), e(expected);
    std::string al, el;
    int n = 1;
    while (true) {
      const bool more_a = static_cast<bool>(std::getline(a, al));
      const bool more_e = static_cast<bool>(std::getline(e, el));
      if (!more_a && !more_e) break;
      if (!more_a) al = "<end>";
      if (!more_e) el = "<end>";
      if (al != el) {
        INFO("first difference at line " << n << "\n  expected: " << el << "\n  actual:   " << al);
        CHECK(al == el);
        break;
      }
      ++n;
    }
  }
  CHECK(actual == expected);
}

}  // namespace jaild::test
