#include "lib/model/spec_document.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "lib/model/error.h"
#include "lib/model/json_reader.h"

namespace jaild::model {
namespace {

using nlohmann::json;

jail_spec decode(const json& spec, const std::string& file, const std::string& at) {
  try {
    return spec_from_json(spec);
  } catch (const error& e) {
    std::string name;
    if (spec.is_object())
      if (auto it = spec.find("name"); it != spec.end() && it->is_string())
        name = it->get<std::string>();
    const auto where = at + e.field();
    throw error(e.code(),
                name.empty()
                    ? fmt::format("{}: {}: {}", file, where.empty() ? "/" : where, e.what())
                    : fmt::format("{}: jail '{}' ({}): {}", file, name, where.empty() ? "/" : where,
                                  e.what()),
                where);
  }
}

}  // namespace

bool is_json_spec_file(std::string_view text, std::string_view file) {
  if (file.ends_with(".json")) return true;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) return c == '{' || c == '[';
  return false;
}

json parse_spec_file(std::string_view text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 2, column 7: syntax error ..."
    const std::string what = e.what();
    unsigned line = 0, column = 0;
    const auto at = what.find("at line ");
    const auto rest = what.find(": ", at == std::string::npos ? 0 : at);
    if (at != std::string::npos && rest != std::string::npos &&
        std::sscanf(what.c_str() + at, "at line %u, column %u", &line, &column) == 2)
      throw error(errc::malformed_json,
                  fmt::format("{}:{}:{}: not JSON: {}", file, line, column, what.substr(rest + 2)));
    auto cut = what.find("] ");
    throw error(errc::malformed_json,
                fmt::format("{}: not JSON: {}", file,
                            cut == std::string::npos ? what : what.substr(cut + 2)));
  }
}

std::vector<jail_spec> specs_from_document(const json& doc, const std::string& file) {
  std::vector<jail_spec> out;
  if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i)
      out.push_back(decode(doc[i], file, "/" + std::to_string(i)));
    return out;
  }
  if (!doc.is_object())
    throw error(
        errc::invalid_type,
        fmt::format("{}: a spec file holds a spec, a list of specs or {{\"jails\": [...]}}, "
                    "not {}",
                    file, json_type_name(doc)));
  const auto jails = doc.find("jails");
  if (jails == doc.end()) return {decode(doc, file, "")};
  if (!jails->is_array())
    throw error(errc::invalid_type,
                fmt::format("{}: 'jails' must be a list, not {}", file, json_type_name(*jails)),
                "/jails");
  if (doc.size() != 1)
    throw error(errc::unknown_field,
                fmt::format("{}: beside 'jails' a spec file has nothing", file));
  for (std::size_t i = 0; i < jails->size(); ++i) {
    const auto& element = (*jails)[i];
    const auto at = "/jails/" + std::to_string(i);
    // An element of GET /v1/jails: its spec, its status ignored.
    if (element.is_object() && element.contains("spec"))
      out.push_back(decode(element["spec"], file, at + "/spec"));
    else
      out.push_back(decode(element, file, at));
  }
  return out;
}

}  // namespace jaild::model
