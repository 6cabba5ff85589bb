// libFuzzer target for the jail.conf importer (tests/fuzz/run jailconf SECONDS builds
// and runs it). Any input may be refused with a jaild::error; anything else
// that escapes (another exception, a crash, a sanitizer report) is a bug. And
// what imports must survive an export and a second import unchanged.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/jailconf/jailconf.h"
#include "lib/model/error.h"

namespace {

std::vector<jaild::model::jail_spec> by_name(
    const std::vector<jaild::jailconf::imported_jail>& in) {
  std::vector<jaild::model::jail_spec> out;
  for (const auto& j : in) out.push_back(j.spec);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

[[noreturn]] void fail(const char* what, const std::string& detail, const std::string& text) {
  std::fprintf(stderr, "jailconf fuzz: %s: %s\n--- export ---\n%s\n", what, detail.c_str(),
               text.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes resolve against a tiny in-memory tree: globs, missing files and
  // self-inclusion are all reachable, the disk is not.
  jaild::jailconf::memory_loader files({
      {"/fuzz/jail.conf.d/a.conf", "inc { path = /inc; persist; }\n"},
      {"/fuzz/jail.conf.d/b.conf", "$x = 1;\n.include \"a.conf\";\n"},
      {"/fuzz/jail.conf", std::string(text)},
  });
  std::vector<jaild::jailconf::imported_jail> first;
  try {
    first = jaild::jailconf::import_text(text, "/fuzz/jail.conf", files);
  } catch (const jaild::error&) {
    return 0;  // refused, with a message: fine
  }
  const auto specs = by_name(first);
  const std::string exported = jaild::jailconf::write_jail_conf(specs);
  jaild::jailconf::memory_loader none;
  std::vector<jaild::jailconf::imported_jail> second;
  try {
    second = jaild::jailconf::import_text(exported, "/fuzz/export.conf", none);
  } catch (const jaild::error& e) {
    fail("the export does not import", e.what(), exported);
  }
  const auto again = by_name(second);
  if (again.size() != specs.size()) fail("the export has another number of jails", "", exported);
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (!(again[i] == specs[i]))
      fail("a jail changed through export and import",
           jaild::model::spec_to_json(specs[i]).dump() + "\n" +
               jaild::model::spec_to_json(again[i]).dump(),
           exported);
  return 0;
}
