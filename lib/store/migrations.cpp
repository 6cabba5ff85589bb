#include "lib/store/migrations.h"

#include <array>

namespace jaild::store {
namespace {

constexpr std::array<migration, 1> all{{
    {1, "jails and events",
     R"sql(
CREATE TABLE jails (
  name        TEXT PRIMARY KEY NOT NULL,
  spec        TEXT NOT NULL,              -- JSON, model::spec_to_json
  created_ms  INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL,
  generation  INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, only grows
  time_ms  INTEGER NOT NULL,
  type     TEXT NOT NULL,
  jail     TEXT NOT NULL DEFAULT '',
  data     TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX events_by_jail ON events (jail, seq);
)sql"},
}};

}  // namespace

std::span<const migration> migrations() { return all; }

}  // namespace jaild::store
