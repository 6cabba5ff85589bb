#include "lib/model/spec_document.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::model;
using nlohmann::json;

namespace {

std::vector<std::string> names(const std::vector<jail_spec>& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.name);
  return out;
}

// The error a document throws, as "code field detail".
std::string refusal(const std::string& text) {
  try {
    specs_from_document(parse_spec_file(text, "/etc/jails.json"), "/etc/jails.json");
  } catch (const error& e) {
    return std::string(errc_name(e.code())) + " " + e.field() + " " + e.what();
  }
  return "accepted";
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("spec document: JSON by name or by its first character", "[model]") {
  CHECK(is_json_spec_file("{\"name\":\"a\"}", "/x/jail.conf"));
  CHECK(is_json_spec_file("\n  [ ]", "<request>"));
  CHECK(is_json_spec_file("web { path = /j; }", "/x/jails.json"));
  CHECK_FALSE(is_json_spec_file("# jails\nweb { path = /j; }", "/etc/jail.conf"));
  CHECK_FALSE(is_json_spec_file("", "<request>"));
  CHECK_FALSE(is_json_spec_file("  ", "-"));
}

TEST_CASE("spec document: one spec, a list, or {\"jails\": [...]} as GET /v1/jails answers",
          "[model]") {
  const std::string f = "/etc/jails.json";
  CHECK(names(specs_from_document(json::parse(R"({"name":"a","path":"/j/a"})"), f)) ==
        strings{"a"});
  CHECK(names(specs_from_document(
            json::parse(R"([{"name":"b","path":"/j/b"},{"name":"a","path":"/j/a"}])"), f)) ==
        strings{"b", "a"});
  CHECK(names(specs_from_document(json::parse(R"({"jails":[{"name":"a","path":"/j/a"},
        {"spec":{"name":"b","path":"/j/b"},"status":{"state":"running"}}]})"),
                                  f)) == strings{"a", "b"});
  CHECK(specs_from_document(json::parse("[]"), f).empty());
}

TEST_CASE("spec document: refusals say where, in the file and in the document", "[model]") {
  CHECK(
      refusal("{\n  \"name\": \"a\",\n  \"path\": x\n}")
          .starts_with(
              "malformed_json  /etc/jails.json:3:11: not JSON: syntax error while parsing value"));
  CHECK(refusal("[{\"name\":\"a\",\"path\":\"/j\"}")
            .starts_with("malformed_json  /etc/jails.json:1:26: not JSON: "));
  CHECK(refusal(R"([{"name":"a","path":"/j"},{"name":"b","path":"/j","limits":["ram:deny=1"]}])")
            .starts_with("invalid_value /1/limits/0 /etc/jails.json: jail 'b' (/1/limits/0): "));
  CHECK(refusal(R"({"jails":[{"spec":{"name":"b","path":"/j","priority":"high"}}]})")
            .starts_with("invalid_type /jails/0/spec/priority /etc/jails.json: jail 'b' "
                         "(/jails/0/spec/priority): "));
  CHECK(refusal(R"({"path":"/j"})").starts_with("missing_field /name /etc/jails.json: /name: "));
  CHECK(refusal(R"({"name":"a","path":"/j","colour":"red"})")
            .starts_with("unknown_field /colour /etc/jails.json: jail 'a' (/colour): "));
  CHECK(refusal("42").starts_with("invalid_type  /etc/jails.json: a spec file holds"));
  CHECK(refusal(R"({"jails":{}})").starts_with("invalid_type /jails /etc/jails.json: 'jails'"));
  CHECK(refusal(R"({"jails":[],"more":1})").starts_with("unknown_field  /etc/jails.json: beside"));
}
