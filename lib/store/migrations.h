// The schema, as numbered migrations. Migration N takes a database at version
// N-1 to version N. Published migrations never change: a new table or column
// is a new migration at the end.
#pragma once

#include <span>
#include <string_view>

namespace jaild::store {

struct migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

std::span<const migration> migrations();

}  // namespace jaild::store
