// Errors on the wire: application/problem+json (RFC 9457) with a stable
// `code`. The one table from error code to HTTP status lives in problem.cpp;
// handlers never pick a status for an error themselves.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "api/request.h"
#include "lib/model/error.h"

namespace jaild::api {

unsigned http_status(errc code);

// A problem+json response for `e`; `instance` is the request path; `extra`
// members are added to the problem object (e.g. "operation" for a failed start).
response problem(const jaild::error& e, std::string_view instance = {},
                 const nlohmann::json& extra = nlohmann::json::object());
response problem(errc code, std::string detail, std::string_view instance = {});

}  // namespace jaild::api
