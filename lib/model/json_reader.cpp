#include "lib/model/json_reader.h"

#include <fmt/format.h>

namespace jaild::model {

std::string_view json_type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    default: return "value";
  }
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

json_reader::json_reader(const nlohmann::json& object, std::string where, std::string what)
    : object_(object), where_(std::move(where)) {
  if (!object_.is_object())
    throw error(errc::invalid_type,
                fmt::format("{} must be a JSON object, not {}", what, json_type_name(object_)),
                where_);
}

std::string json_reader::pointer(std::string_view key) const {
  return where_ + "/" + pointer_escape(key);
}

void json_reader::fail(errc code, std::string_view key, std::string detail) const {
  throw error(code, std::move(detail), pointer(key));
}

bool json_reader::has(std::string_view key) const {
  auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

const nlohmann::json* json_reader::raw(std::string_view key) {
  taken_.emplace(key);
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> json_reader::string(std::string_view key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_string())
    fail(errc::invalid_type, key,
         fmt::format("'{}' must be a string, not {}", key, json_type_name(*v)));
  return v->get<std::string>();
}

std::optional<std::vector<std::string>> json_reader::strings(std::string_view key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_array())
    fail(errc::invalid_type, key,
         fmt::format("'{}' must be an array of strings, not {}", key, json_type_name(*v)));
  std::vector<std::string> out;
  out.reserve(v->size());
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    if (!item.is_string())
      throw error(errc::invalid_type,
                  fmt::format("'{}' must be an array of strings; element {} is {}", key, i,
                              json_type_name(item)),
                  pointer(key) + "/" + std::to_string(i));
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<bool> json_reader::boolean(std::string_view key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean())
    fail(errc::invalid_type, key,
         fmt::format("'{}' must be true or false, not {}", key, json_type_name(*v)));
  return v->get<bool>();
}

std::optional<std::int64_t> json_reader::integer(std::string_view key) {
  const auto* v = raw(key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      fail(errc::invalid_value, key, fmt::format("'{}' is too large", key));
    return static_cast<std::int64_t>(v->get<std::uint64_t>());
  }
  if (!v->is_number_integer())
    fail(errc::invalid_type, key,
         fmt::format("'{}' must be an integer, not {}", key, json_type_name(*v)));
  return v->get<std::int64_t>();
}

const nlohmann::json* json_reader::object(std::string_view key) {
  const auto* v = raw(key);
  if (v && !v->is_object())
    fail(errc::invalid_type, key,
         fmt::format("'{}' must be an object, not {}", key, json_type_name(*v)));
  return v;
}

const nlohmann::json* json_reader::array(std::string_view key) {
  const auto* v = raw(key);
  if (v && !v->is_array())
    fail(errc::invalid_type, key,
         fmt::format("'{}' must be an array, not {}", key, json_type_name(*v)));
  return v;
}

void json_reader::finish(std::string_view hint) {
  for (const auto& [key, value] : object_.items()) {
    if (taken_.contains(key)) continue;
    std::string detail = fmt::format("unknown field '{}'", key);
    if (!hint.empty()) detail += fmt::format("; {}", hint);
    fail(errc::unknown_field, key, std::move(detail));
  }
}

}  // namespace jaild::model
