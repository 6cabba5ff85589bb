// Releases and jail roots in the model: strict decoding with a pointer to the
// field at fault, and the spec's `root` round trip.
#include "lib/model/release.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"
#include "lib/model/jail_spec.h"

using namespace jaild;
using nlohmann::json;

namespace {

// "CODE /field" of what decoding `j` throws, "ok" when it does not.
template <typename Decode>
std::string refusal(Decode decode, const json& j) {
  try {
    decode(j);
  } catch (const error& e) {
    return std::string(errc_name(e.code())) + " " + e.field();
  }
  return "ok";
}

std::string field_of(const json& j) { return refusal(model::release_request_from_json, j); }
std::string spec_field_of(const json& j) { return refusal(model::spec_from_json, j); }

}  // namespace

TEST_CASE("release: names that can never be a path, an option or ..", "[model]") {
  CHECK(model::check_release_name("14.1-RELEASE").empty());
  CHECK(model::check_release_name("bookworm_2024.1").empty());
  for (const char* bad : {"", "..", ".hidden", "-rf", "a/b", "a b", "x\n"})
    CHECK_FALSE(model::check_release_name(bad).empty());
  CHECK_FALSE(model::check_release_name(std::string(65, 'a')).empty());
}

TEST_CASE("release: a request is decoded strictly", "[model]") {
  auto r = model::release_request_from_json(
      {{"name", "bb"}, {"source", "/srv/rootfs.tar.zst"}, {"sha256", std::string(64, 'A')}});
  CHECK(r.name == "bb");
  CHECK(r.source == "/srv/rootfs.tar.zst");
  CHECK(r.sha256 == std::string(64, 'a'));  // stored lower-case
  CHECK(field_of({{"source", "/x"}}) == "missing_field /name");
  CHECK(field_of({{"name", "bb"}}) == "missing_field /source");
  CHECK(field_of({{"name", "../x"}, {"source", "/x"}}) == "invalid_value /name");
  CHECK(field_of({{"name", "bb"}, {"source", "relative/x"}}) == "invalid_value /source");
  CHECK(field_of({{"name", "bb"}, {"source", "/x"}, {"sha256", "abc"}}) == "invalid_value /sha256");
  CHECK(field_of({{"name", "bb"}, {"source", "/x"}, {"url", "http://x"}}) == "unknown_field /url");
  CHECK(field_of(json::array()) == "invalid_type ");
}

TEST_CASE("release: the stored form reads back the same", "[model]") {
  model::release r{"bb", "/srv/bb.tar", "archive", std::string(64, 'b'), "busybox",
                   "/var/db/jaild/releases/bb", 1234, 56, 1700000000000, "", "", json::object()};
  CHECK(model::release_from_json(model::release_to_json(r)) == r);
  CHECK_FALSE(model::release_to_json(r).contains("profile"));
  model::release t = r;
  t.kind = "template";
  t.jail = "web";
  t.base = "bb";
  t.profile = {{"cpuset", "0"}, {"exec", {{"start", {"/bin/sh /etc/rc"}}}}};
  CHECK(model::release_from_json(model::release_to_json(t)) == t);
}

TEST_CASE("template: a request is decoded strictly, its profile as spec fields", "[model]") {
  auto r = model::template_request_from_json(
      {{"name", "web-1"}, {"jail", "web"}, {"profile", {{"cpuset", "0-1"}}}});
  CHECK(r.name == "web-1");
  CHECK(r.jail == "web");
  CHECK(r.profile == json{{"cpuset", "0-1"}});
  CHECK(model::template_request_from_json({{"name", "t"}, {"jail", "web"}}).profile ==
        json::object());
  auto field_of = [](const json& j) { return refusal(model::template_request_from_json, j); };
  CHECK(field_of({{"jail", "web"}}) == "missing_field /name");
  CHECK(field_of({{"name", "t"}}) == "missing_field /jail");
  CHECK(field_of({{"name", "../t"}, {"jail", "web"}}) == "invalid_value /name");
  CHECK(field_of({{"name", "t"}, {"jail", "web"}, {"profile", 3}}) == "invalid_type /profile");
  CHECK(field_of({{"name", "t"}, {"jail", "web"}, {"profile", {{"path", "/x"}}}}) ==
        "invalid_value /profile/path");
  CHECK(field_of({{"name", "t"}, {"jail", "web"}, {"profile", {{"root", {{"release", "bb"}}}}}}) ==
        "invalid_value /profile/root");
  CHECK(field_of({{"name", "t"}, {"jail", "web"}, {"profile", {{"cpuset", "x"}}}}) ==
        "invalid_value /profile/cpuset");
  CHECK(field_of({{"name", "t"}, {"jail", "web"}, {"profile", {{"colour", "red"}}}}) ==
        "unknown_field /profile/colour");
  CHECK(field_of({{"name", "t"}, {"jail", "web"}, {"size", 1}}) == "unknown_field /size");
}

TEST_CASE("jail spec: root, with path left out for jaild to give", "[model]") {
  auto s = model::spec_from_json({{"name", "web"}, {"root", {{"release", "bb"}, {"mode", "thin"}}}});
  REQUIRE(s.root);
  CHECK(s.root->release == "bb");
  CHECK(s.root->mode == model::root_mode::thin);
  CHECK(s.path.empty());
  s.path = "/jails/web";
  CHECK(model::spec_from_json(model::spec_to_json(s)) == s);
  CHECK(model::spec_to_json(s)["root"] == json{{"release", "bb"}, {"mode", "thin"}});
  // Without a root the spec has none in its JSON, and path is still required.
  CHECK_FALSE(model::spec_to_json(model::spec_from_json({{"name", "a"}, {"path", "/a"}}))
                  .contains("root"));
  CHECK(spec_field_of({{"name", "a"}}) == "missing_field /path");
  CHECK(spec_field_of({{"name", "a"}, {"root", {{"mode", "thick"}}}}) ==
        "missing_field /root/release");
  CHECK(spec_field_of({{"name", "a"}, {"root", {{"release", "bb"}, {"mode", "fat"}}}}) ==
        "invalid_value /root/mode");
  CHECK(spec_field_of({{"name", "a"}, {"root", {{"release", "../bb"}}}}) ==
        "invalid_value /root/release");
  CHECK(spec_field_of({{"name", "a"}, {"root", {{"release", "bb"}, {"size", 1}}}}) ==
        "unknown_field /root/size");
  // From a template the release may be left out (it is the template's).
  auto t = model::spec_from_json({{"name", "a"}, {"path", "/a"}, {"root", {{"template", "t-1"}}}});
  CHECK(t.root->template_name == "t-1");
  CHECK(t.root->release.empty());
  CHECK(t.root->source() == "t-1");
  CHECK(model::spec_from_json(model::spec_to_json(t)) == t);
  CHECK(spec_field_of({{"name", "a"}, {"root", {{"template", "../t"}}}}) ==
        "invalid_value /root/template");
  CHECK(model::spec_from_json({{"name", "a"}, {"root", {{"release", "bb"}}}}).root->mode ==
        model::root_mode::thick);
}
