#include "client/table.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

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

namespace jaild::client {

void table::print(std::ostream& out, const table_style& style) const {
  if (style.columns.empty()) return print(out, style.header);
  auto upper = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<std::size_t> pick;
  for (const auto& wanted : style.columns) {
    auto it = std::find(header_.begin(), header_.end(), upper(wanted));
    if (it == header_.end()) {
      std::string known;
      for (const auto& h : header_) known += (known.empty() ? "" : ", ") + h;
      throw std::invalid_argument("no column '" + wanted + "'; this table has " + known);
    }
    pick.push_back(static_cast<std::size_t>(it - header_.begin()));
  }
  auto project = [&](const std::vector<std::string>& row) {
    std::vector<std::string> out_row;
    for (auto i : pick) out_row.push_back(row[i]);
    return out_row;
  };
  table narrowed(project(header_));
  for (const auto& r : rows_) narrowed.add(project(r));
  narrowed.print(out, style.header);
}

}  // namespace jaild::client
