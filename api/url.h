// Splitting and decoding request targets ("/v1/jails/web?force=true").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace jaild::api {

// Percent-decodes; nullopt when an escape is malformed or decodes to NUL.
// '+' stays '+' (it means space only in form bodies, which the API does not take).
std::optional<std::string> percent_decode(std::string_view text);

// Splits a target into path (still encoded) and decoded query parameters.
// Returns false on a malformed target.
bool split_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string>& query);

// Percent-encodes a path segment (for Location headers and the client).
std::string percent_encode(std::string_view text);

}  // namespace jaild::api
