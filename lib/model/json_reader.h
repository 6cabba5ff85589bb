// A strict reader over one JSON object: each field is taken with its expected
// type, and finish() refuses any field that nobody took. Errors name the field
// by JSON pointer, so a client learns exactly which field was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/model/error.h"

namespace jaild::model {

class json_reader {
 public:
  // `where` is the JSON pointer of `object` itself ("" for the document root).
  json_reader(const nlohmann::json& object, std::string where, std::string what = "object");

  bool has(std::string_view key) const;
  const nlohmann::json* raw(std::string_view key);  // nullptr when absent or null

  std::optional<std::string> string(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key);
  // A nested object; nullptr when absent or null.
  const nlohmann::json* object(std::string_view key);
  const nlohmann::json* array(std::string_view key);

  // Throws unknown_field for every key that was not read. `hint` is added to the message.
  void finish(std::string_view hint = {});

  std::string pointer(std::string_view key) const;

  [[noreturn]] void fail(errc code, std::string_view key, std::string detail) const;

 private:
  const nlohmann::json& object_;
  std::string where_;
  std::set<std::string, std::less<>> taken_;
};

// The JSON type name as a client would say it: "string", "number", "object"...
std::string_view json_type_name(const nlohmann::json& j);

// Serialises compactly; invalid UTF-8 (from a client or a command's output)
// becomes U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& j);

// Escapes a key for a JSON pointer (RFC 6901).
std::string pointer_escape(std::string_view key);

}  // namespace jaild::model
