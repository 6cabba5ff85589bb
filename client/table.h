// Column-aligned tables for jailctl's default output (like jls and iocage list).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace jaild::client {

// How tables print, from jailctl's global flags.
struct table_style {
  bool header = true;                // --no-header turns it off
  std::vector<std::string> columns;  // --columns NAME,JID: only these, in this order
};

class table {
 public:
  explicit table(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  // Columns are separated by two spaces; the last column is not padded.
  void print(std::ostream& out, bool with_header = true) const;
  // As the user asked: column selection (case-insensitive names; an unknown
  // name throws std::invalid_argument listing the known ones) and header.
  void print(std::ostream& out, const table_style& style) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace jaild::client
