// A file of jail specs in JSON, as `jailctl apply -f` and POST
// /v1/jails/import read it: one spec, a list of specs, or {"jails": [...]}
// whose elements are specs or {"spec": {...}, "status": ...} objects as
// GET /v1/jails answers them (the status is ignored), so that a saved list
// applies back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/model/jail_spec.h"

namespace jaild::model {

// Whether a spec file is JSON rather than jail.conf: its name ends in
// ".json", or its first character that is not white space is '{' or '['
// (which no jail.conf can start with).
bool is_json_spec_file(std::string_view text, std::string_view file);

// Parses `text`; text that is not JSON throws jaild::error(malformed_json)
// whose detail starts with FILE:LINE:COL.
nlohmann::json parse_spec_file(std::string_view text, const std::string& file);

// The specs of a parsed document, in its order, each decoded by
// spec_from_json. An invalid spec throws the validator's jaild::error with
// the detail "FILE: jail 'NAME' (POINTER): ..." and the JSON pointer into
// the document as field.
std::vector<jail_spec> specs_from_document(const nlohmann::json& doc, const std::string& file);

}  // namespace jaild::model
