#include "lib/host/interface_names.h"

#include <cstdint>

namespace jaild::host {
namespace {

constexpr std::size_t max_name = 15;

bool plain(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// FNV-1a: stable across builds and platforms, which std::hash is not.
std::string short_hash(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (const char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 16777619u;
  }
  constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), digits[h % 36]);
    h /= 36;
  } while (h != 0);
  return "h" + out;  // at most 1 + 7 characters
}

}  // namespace

interface_pair_names vnet_interface_names(std::string_view instance, std::size_t index) {
  const std::string prefix = "e" + std::to_string(index);
  std::string id(instance);
  if (!plain(id) || prefix.size() + 2 + id.size() > max_name) id = short_hash(instance);
  return {prefix + "a_" + id, prefix + "b_" + id};
}

}  // namespace jaild::host
