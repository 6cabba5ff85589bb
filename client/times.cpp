#include "client/times.h"

#include <ctime>

#include <fmt/format.h>

namespace jaild::client {
namespace {

// Floor division, so that times before 1970 keep a positive millisecond part.
std::pair<std::time_t, int> split_ms(long long ms) {
  long long s = ms / 1000, rest = ms % 1000;
  if (rest < 0) {
    rest += 1000;
    --s;
  }
  return {static_cast<std::time_t>(s), static_cast<int>(rest)};
}

// The calendar time of `ms` in UTC or in the local zone.
std::tm calendar(long long ms, bool utc) {
  const auto t = split_ms(ms).first;
  std::tm tm{};
  if (utc)
    gmtime_r(&t, &tm);
  else
    localtime_r(&t, &tm);
  return tm;
}

}  // namespace

std::string rfc3339_utc(long long ms) {
  const std::tm tm = calendar(ms, true);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, split_ms(ms).second);
}

std::string local_time(long long ms) {
  const std::tm tm = calendar(ms, false);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

bool is_time_key(std::string_view key) { return key == "time" || key.ends_with("_at"); }

nlohmann::json with_rfc3339_times(const nlohmann::json& j) {
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(with_rfc3339_times(v));
    return out;
  }
  if (!j.is_object()) return j;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : j.items()) {
    if (key == "params")  // a jail's verbatim jail(8) parameters: never rewritten
      out[key] = value;
    else if (is_time_key(key) && value.is_number_integer())
      out[key] = rfc3339_utc(value.get<long long>());
    else
      out[key] = with_rfc3339_times(value);
  }
  return out;
}

}  // namespace jaild::client
