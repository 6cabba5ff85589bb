#include "api/request.h"

#include "lib/model/error.h"

namespace jaild::api {

std::string request::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

bool request::flag(std::string_view name, bool fallback) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return fallback;
  if (it->second.empty() || it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  throw error(errc::bad_request,
              "query parameter '" + std::string(name) + "' must be true or false, not '" +
                  it->second + "'");
}

}  // namespace jaild::api
