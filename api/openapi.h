// The API's OpenAPI document (docs/openapi.yaml), converted to JSON when
// jaild is built (api/openapi_embed.py), served at GET /v1/openapi.json.
#pragma once

#include <string_view>

namespace jaild::api {

std::string_view openapi_json();

}  // namespace jaild::api
