// Times as jailctl prints them. jaild's JSON carries times as milliseconds
// since the epoch (`time`, `started_at`, `finished_at`, `created_at`, ...);
// `--json` shows them as RFC 3339 in UTC, tables in the local time zone.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace jaild::client {

// "2026-12-03T15:04:05.123Z"
std::string rfc3339_utc(long long ms);
// "2026-12-03 16:04:05" in the local time zone (TZ), to the second.
std::string local_time(long long ms);
// Whether a member of jaild's JSON holds a time: "time" or a name ending in "_at".
bool is_time_key(std::string_view key);
// A copy of `j` in which every integer time member is an RFC 3339 string
// (a spec's `params`, jail(8)'s verbatim parameters, excepted).
nlohmann::json with_rfc3339_times(const nlohmann::json& j);

}  // namespace jaild::client
