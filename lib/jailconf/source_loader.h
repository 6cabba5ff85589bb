// Where the files named by `.include` come from. The parser asks a loader,
// so that the daemon reads the file system, tests read a map in memory, and
// the fuzzer reads nothing at all.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace jaild::jailconf {

class source_loader {
 public:
  virtual ~source_loader() = default;

  // The files that an absolute glob pattern matches, sorted; empty when none
  // does (as glob(3) without GLOB_NOCHECK).
  virtual std::vector<std::string> glob(const std::string& pattern) = 0;

  // The text of an absolute path. Throws jaild::error (any code; the parser
  // adds the position of the `.include`) when it cannot be read.
  virtual std::string read(const std::string& path) = 0;
};

// Reads the local file system: regular files of at most `max_bytes`.
class file_loader : public source_loader {
 public:
  explicit file_loader(std::size_t max_bytes = 1024 * 1024) : max_bytes_(max_bytes) {}
  std::vector<std::string> glob(const std::string& pattern) override;
  std::string read(const std::string& path) override;

 private:
  std::size_t max_bytes_;
};

// Files held in memory (tests, and text sent to the API with its includes).
class memory_loader : public source_loader {
 public:
  memory_loader() = default;
  explicit memory_loader(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  void add(std::string path, std::string text) { files_[std::move(path)] = std::move(text); }
  std::vector<std::string> glob(const std::string& pattern) override;
  std::string read(const std::string& path) override;

 private:
  std::map<std::string, std::string> files_;
};

// Whether a pattern has glob(3) magic characters (*, ? or [).
bool has_glob_magic(const std::string& pattern);

}  // namespace jaild::jailconf
