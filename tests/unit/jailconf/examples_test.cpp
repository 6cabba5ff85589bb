// Every jail.conf example in etc/examples (the seeds' examples, one scenario
// a file) imports, exports and imports again to the same specs.
#include <catch2/catch.hpp>

#include <filesystem>

#include "lib/jailconf/jailconf.h"
#include "lib/model/error.h"

using namespace jaild;
using namespace jaild::jailconf;

namespace {

std::filesystem::path examples_dir() {
  return std::filesystem::path(JAILD_SOURCE_DIR) / "etc" / "examples";
}

std::vector<std::filesystem::path> example_files() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir()))
    if (entry.is_regular_file() && entry.path().extension() == ".conf") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// By name: an import keeps the file's order, an export sorts.
std::vector<model::jail_spec> specs_of(const std::vector<imported_jail>& jails) {
  std::vector<model::jail_spec> out;
  for (const auto& j : jails) out.push_back(j.spec);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace

TEST_CASE("examples: import -> export -> import gives identical specs", "[jailconf]") {
  const auto files = example_files();
  REQUIRE(files.size() >= 15);
  for (const auto& path : files) {
    INFO("example " << path.filename().string());
    file_loader disk;
    std::vector<imported_jail> first;
    try {
      first = import_text(disk.read(path.string()), path.string(), disk);
    } catch (const error& e) {
      FAIL_CHECK("import failed: " << e.what());
      continue;
    }
    CHECK_FALSE(first.empty());
    const auto specs = specs_of(first);
    const std::string text = write_jail_conf(specs);
    INFO("export:\n" << text);
    memory_loader nothing;  // an export includes no file
    std::vector<imported_jail> second;
    try {
      second = import_text(text, "/export/jail.conf", nothing);
    } catch (const error& e) {
      FAIL_CHECK("the export does not import: " << e.what());
      continue;
    }
    const auto again = specs_of(second);
    REQUIRE(again.size() == specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
      INFO("jail " << specs[i].name << "\nfirst:  " << model::spec_to_json(specs[i])
                   << "\nsecond: " << model::spec_to_json(again[i]));
      CHECK(specs[i] == again[i]);
    }
    // The export is deterministic and a fixed point.
    CHECK(write_jail_conf(specs) == text);
    CHECK(write_jail_conf(again) == text);
  }
}
