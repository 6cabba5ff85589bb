#include "client/table.h"

#include <algorithm>

namespace jaild::client {

table::table(std::vector<std::string> header) : header_(std::move(header)) {}

void table::add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void table::print(std::ostream& out, bool with_header) const {
  std::vector<std::size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  if (with_header) measure(header_);
  for (const auto& r : rows_) measure(r);
  auto emit = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << '\n';
  };
  if (with_header) emit(header_);
  for (const auto& r : rows_) emit(r);
}

}  // namespace jaild::client
