// Errors on the wire: application/problem+json (RFC 9457) with a stable
// `code`. The one table from error code to HTTP status lives in problem.cpp;
// handlers never pick a status for an error themselves.
#pragma once

#include <string_view>

#include "api/request.h"
#include "lib/model/error.h"

namespace jaild::api {

unsigned http_status(errc code);

// A problem+json response for `e`; `instance` is the request path.
response problem(const jaild::error& e, std::string_view instance = {});
response problem(errc code, std::string detail, std::string_view instance = {});

}  // namespace jaild::api
