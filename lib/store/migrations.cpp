#include "lib/store/migrations.h"

#include <array>

namespace jaild::store {
namespace {

constexpr std::array<migration, 6> all{{
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
    {2, "runtime state, operations, ledger, counters",
     R"sql(
-- What jaild knows of each jail's current incarnation in the kernel.
CREATE TABLE runtime (
  name        TEXT PRIMARY KEY NOT NULL,
  state       TEXT NOT NULL,            -- model::jail_state name
  desired     TEXT NOT NULL,            -- running | stopped: what the user last asked for
  instance    TEXT NOT NULL DEFAULT '', -- id of this incarnation; host object names derive from it
  handle      TEXT NOT NULL DEFAULT '{}',  -- host::running_jail as JSON
  interfaces  TEXT NOT NULL DEFAULT '[]',  -- resolved VNET interfaces as JSON
  started_ms  INTEGER,
  restarts    INTEGER NOT NULL DEFAULT 0,
  last_exit   INTEGER,
  last_error  TEXT NOT NULL DEFAULT ''
) STRICT;

-- Operations (start, stop, restart) and their journal: jaild's `jail -v`.
CREATE TABLE operations (
  id          TEXT PRIMARY KEY NOT NULL,
  jail        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  state       TEXT NOT NULL,            -- queued | running | succeeded | failed
  created_ms  INTEGER NOT NULL,
  started_ms  INTEGER,
  finished_ms INTEGER,
  error       TEXT NOT NULL DEFAULT '',
  steps       TEXT NOT NULL DEFAULT '[]'  -- JSON array of host::step_record
) STRICT;
CREATE INDEX operations_by_jail ON operations (jail, created_ms);

-- Every host object jaild creates, written before it is created and removed
-- after it is destroyed, so that a crash leaves nothing a restart cannot find.
CREATE TABLE ledger (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order; destroyed in reverse
  kind        TEXT NOT NULL,
  key         TEXT NOT NULL,
  owner       TEXT NOT NULL DEFAULT '',
  attrs       TEXT NOT NULL DEFAULT '{}',
  created_ms  INTEGER NOT NULL,
  UNIQUE (kind, key)
) STRICT;

CREATE TABLE counters (
  name   TEXT PRIMARY KEY NOT NULL,
  value  INTEGER NOT NULL
) STRICT;
)sql"},
    {3, "managed networks and address leases",
     R"sql(
CREATE TABLE networks (
  name        TEXT PRIMARY KEY NOT NULL,
  spec        TEXT NOT NULL,              -- JSON, model::network_to_json
  created_ms  INTEGER NOT NULL
) STRICT;

-- One address of a network leased to one interface of one jail; kept across
-- restarts of the jail, released when the jail or its interface goes.
CREATE TABLE leases (
  network     TEXT NOT NULL,
  address     TEXT NOT NULL,
  jail        TEXT NOT NULL,
  interface   INTEGER NOT NULL,           -- index in the jail's vnet.interfaces
  family      INTEGER NOT NULL,           -- 4 or 6
  created_ms  INTEGER NOT NULL,
  PRIMARY KEY (network, address),
  UNIQUE (jail, interface, family)
) STRICT;
)sql"},
    {4, "API tokens",
     R"sql(
-- Bearer tokens for the HTTPS API. Only a SHA-256 of the secret is kept; the
-- secret itself is shown once, when the token is created. A revoked token
-- keeps its row (revoked_ms set), so that the audit log's names stay meaningful.
CREATE TABLE tokens (
  id             TEXT PRIMARY KEY NOT NULL,  -- public part of the token, 16 hex digits
  name           TEXT NOT NULL,
  role           TEXT NOT NULL,              -- viewer | operator | admin
  secret_sha256  TEXT NOT NULL,              -- hex
  created_ms     INTEGER NOT NULL,
  created_by     TEXT NOT NULL DEFAULT '',
  expires_ms     INTEGER,                    -- NULL = never
  revoked_ms     INTEGER                     -- NULL = valid
) STRICT;
)sql"},
    {5, "this jaild's own id",
     R"sql(
-- The id of this jaild instance, drawn once when the database is made (or
-- upgraded to this version) and never changed: restarts and later migrations
-- keep it. The names of host objects jaild makes (veth and epair ends, cgroup
-- parents, bridge marks) carry a short tag of it, so that two jailds sharing
-- a host never pick the same name nor take each other's objects for theirs.
CREATE TABLE instance (
  one  INTEGER PRIMARY KEY CHECK (one = 1),
  id   TEXT NOT NULL                         -- 32 hex digits
) STRICT;
INSERT INTO instance (one, id) VALUES (1, lower(hex(randomblob(16))));
)sql"},
    {6, "releases and the roots jaild made",
     R"sql(
-- Releases added with POST /v1/releases: jaild's own copy under the releases
-- directory, described as JSON (model::release_to_json).
CREATE TABLE releases (
  name        TEXT PRIMARY KEY NOT NULL,
  data        TEXT NOT NULL,
  created_ms  INTEGER NOT NULL
) STRICT;

-- The roots jaild made for jails, written before the root is made (state
-- 'making') and marked 'made' with the jail's spec: jaild removes a root only
-- when it has a row here, so it never removes one it did not make, and a
-- crash while making one leaves a row that says what to remove.
CREATE TABLE roots (
  jail         TEXT PRIMARY KEY NOT NULL,
  path         TEXT NOT NULL,
  private_dir  TEXT NOT NULL,
  release      TEXT NOT NULL,
  mode         TEXT NOT NULL,             -- thick | thin | clone
  state        TEXT NOT NULL,             -- making | made
  created_ms   INTEGER NOT NULL
) STRICT;
)sql"},
}};

}  // namespace

std::span<const migration> migrations() { return all; }

}  // namespace jaild::store
