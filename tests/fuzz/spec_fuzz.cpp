// libFuzzer target for JSON spec decoding (tests/fuzz/run spec SECONDS builds
// and runs it): any bytes, parsed as JSON, decoded strictly into a jail spec
// with every validator, then the whole-spec rules. Any input may be refused
// with a jaild::error; anything else that escapes (another exception, a crash,
// a sanitizer report) is a bug. And whatever decodes must encode and decode
// again to an equal spec, whose encoding is the same JSON.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "lib/model/error.h"
#include "lib/model/jail_spec.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "spec fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* begin = reinterpret_cast<const char*>(data);
  const auto j = nlohmann::json::parse(begin, begin + size, nullptr, false);
  if (j.is_discarded()) return 0;  // not JSON: the API answers malformed_json before decoding
  jaild::model::jail_spec spec;
  try {
    spec = jaild::model::spec_from_json(j);
    jaild::model::validate_spec(spec);
  } catch (const jaild::error&) {
    return 0;  // refused, with a message: fine
  }
  const auto encoded = jaild::model::spec_to_json(spec);
  jaild::model::jail_spec again;
  try {
    again = jaild::model::spec_from_json(encoded);
    jaild::model::validate_spec(again);
  } catch (const jaild::error& e) {
    fail("an encoded spec does not decode", std::string(e.what()) + "\n" + encoded.dump());
  }
  if (!(again == spec)) fail("a spec changed through encode and decode", encoded.dump());
  if (jaild::model::spec_to_json(again) != encoded)
    fail("a spec's encoding changed through decode and encode", encoded.dump());
  return 0;
}
