// Column-aligned tables for jailctl's default output (like jls and iocage list).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace jaild::client {

class table {
 public:
  explicit table(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  // Columns are separated by two spaces; the last column is not padded.
  void print(std::ostream& out, bool with_header = true) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace jaild::client
