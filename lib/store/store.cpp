#include "lib/store/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/store/migrations.h"

namespace jaild::store {
namespace {

using jaild::errc;
using jaild::error;

// The state lock is a POSIX record lock (fcntl F_SETLK), not flock(2): a
// record lock belongs to the process and is never inherited, so no child of
// jaild (a hook, an exec that waits for its command) can keep it after jaild
// dies, and F_GETLK names the process that holds it.
// The database file and the files SQLite keeps beside it: mode 0600.
void restrict_to_owner(const std::filesystem::path& db_path) {
  const int fd = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    throw error(errc::store_unavailable,
                fmt::format("cannot open database {}: {}", db_path.string(), std::strerror(errno)));
  ::fchmod(fd, 0600);
  ::close(fd);
  for (const char* suffix : {"-wal", "-shm"}) {
    const auto side = db_path.string() + suffix;
    ::chmod(side.c_str(), 0600);  // absent: nothing to do
  }
}

int take_lock(const std::filesystem::path& db_path) {
  const auto lock_path = db_path.string() + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    throw error(errc::store_unavailable,
                fmt::format("cannot open lock file {}: {}", lock_path, std::strerror(errno)));
  struct flock whole {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &whole) != 0) {
    const int err = errno;
    struct flock holder = whole;
    std::string who = "another process";
    if (::fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK)
      who = fmt::format("another jaild (pid {})", holder.l_pid);
    ::close(fd);
    if (err == EAGAIN || err == EACCES)
      throw error(errc::store_locked,
                  fmt::format("{} is using {}; stop it first, or give this one another "
                              "--state-dir",
                              who, db_path.string()));
    throw error(errc::store_unavailable,
                fmt::format("cannot lock {}: {}", lock_path, std::strerror(err)));
  }
  // The pid, for a person looking at the file.
  const auto pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // Only informational; the lock itself is held.
  }
  return fd;
}

// Turns an SQLite failure while opening into a sentence an admin can act on.
[[noreturn]] void open_failed(const std::filesystem::path& path, const SQLite::Exception& e) {
  const int code = e.getErrorCode();
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    throw error(errc::store_unavailable,
                fmt::format("{} is not a jaild database ({}); move it away or point "
                            "--state-dir elsewhere",
                            path.string(), e.what()));
  if (code == SQLITE_CANTOPEN || code == SQLITE_PERM || code == SQLITE_READONLY ||
      code == SQLITE_AUTH)
    throw error(errc::store_unavailable,
                fmt::format("cannot open database {}: {}", path.string(), e.what()));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    throw error(errc::store_locked,
                fmt::format("database {} is locked by another process", path.string()));
  throw error(errc::store_unavailable,
              fmt::format("database {}: {}", path.string(), e.what()));
}

model::jail_spec decode_spec(const std::string& name, const std::string& text) {
  try {
    return model::spec_from_json(nlohmann::json::parse(text));
  } catch (const std::exception& e) {
    throw error(errc::store_unavailable,
                fmt::format("stored spec of jail '{}' cannot be read: {}", name, e.what()));
  }
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int store::newest_schema_version() { return migrations().back().version; }

store::store(std::filesystem::path path, int lock_fd, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), lock_fd_(lock_fd), db_(std::move(db)) {}

store::~store() {
  reader_.reset();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::unique_ptr<store> store::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (std::filesystem::is_directory(path))
    throw error(errc::store_unavailable,
                fmt::format("cannot open database {}: it is a directory", path.string()));

  const int lock_fd = take_lock(path);
  // Specs, token hashes and the ledger are root's alone: the file is made
  // 0600 before SQLite opens it (its -wal and -shm files take the mode of
  // the database), and one that an older jaild left wider is narrowed.
  restrict_to_owner(path);
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path.string(),
                                            SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE |
                                                SQLite::OPEN_FULLMUTEX);
    db->setBusyTimeout(5000);
    // Any read proves the file is a database (SQLITE_NOTADB otherwise).
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=FULL");  // the default; runtime writes lower it (see write())
    db->exec("PRAGMA foreign_keys=ON");
  } catch (const SQLite::Exception& e) {
    ::close(lock_fd);
    open_failed(path, e);
  }
  std::unique_ptr<store> s(new store(path, lock_fd, std::move(db)));
  try {
    s->migrate();
    s->reader_ = std::make_unique<SQLite::Database>(
        path.string(), SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX);
    s->reader_->setBusyTimeout(5000);
  } catch (const SQLite::Exception& e) {
    open_failed(path, e);
  }
  return s;
}

int store::schema_version() {
  std::lock_guard lock(mutex_);
  return db_->execAndGet("PRAGMA user_version").getInt();
}

void store::migrate() {
  const int current = db_->execAndGet("PRAGMA user_version").getInt();
  const int newest = newest_schema_version();
  if (current > newest)
    throw error(errc::store_newer_schema,
                fmt::format("{} has schema version {}, newer than this jaild knows ({}); run "
                            "the newer jaild, or restore a backup ({}.vN.bak)",
                            path_.string(), current, newest, path_.string()));
  if (current == newest) return;
  if (current > 0) {
    // A copy of the file as it was, before this jaild changes it.
    const auto backup = fmt::format("{}.v{}.bak", path_.string(), current);
    std::filesystem::remove(backup);
    SQLite::Statement vacuum(*db_, "VACUUM INTO ?");
    vacuum.bind(1, backup);
    vacuum.exec();
    ::chmod(backup.c_str(), 0600);
  }
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    SQLite::Transaction tx(*db_);
    db_->exec(std::string(m.sql));
    db_->exec(fmt::format("PRAGMA user_version = {}", m.version));
    tx.commit();
  }
}

std::vector<stored_jail> store::load_jails() {
  std::lock_guard lock(mutex_);
  std::vector<stored_jail> out;
  SQLite::Statement q(*db_,
                      "SELECT name, spec, created_ms, updated_ms, generation FROM jails "
                      "ORDER BY name");
  while (q.executeStep()) {
    stored_jail j;
    j.spec = decode_spec(q.getColumn(0).getString(), q.getColumn(1).getString());
    j.created_ms = q.getColumn(2).getInt64();
    j.updated_ms = q.getColumn(3).getInt64();
    j.generation = q.getColumn(4).getInt64();
    out.push_back(std::move(j));
  }
  return out;
}

model::event store::insert_event(model::event ev) {
  if (ev.time_ms == 0) ev.time_ms = now_ms();
  SQLite::Statement ins(*db_,
                        "INSERT INTO events (time_ms, type, jail, data) VALUES (?, ?, ?, ?)");
  ins.bind(1, ev.time_ms);
  ins.bind(2, ev.type);
  ins.bind(3, ev.jail);
  ins.bind(4, ev.data.dump());
  ins.exec();
  ev.seq = db_->getLastInsertRowid();
  prune_events(ev.seq);
  return ev;
}

// Both deletes walk the primary key from its low end and stop at once when
// nothing is due, so pruning on every insert costs two index probes.
void store::prune_events(std::int64_t newest) {
  if (retention_.keep > 0 && newest > static_cast<std::int64_t>(retention_.keep)) {
    SQLite::Statement by_count(*db_, "DELETE FROM events WHERE seq <= ?");
    by_count.bind(1, newest - static_cast<std::int64_t>(retention_.keep));
    by_count.exec();
  }
  if (retention_.max_age.count() > 0) {
    // Times only grow with seq (one writer), so what is too old is a prefix.
    SQLite::Statement by_age(*db_,
                             "DELETE FROM events WHERE seq < COALESCE((SELECT seq FROM events "
                             "WHERE time_ms >= ? ORDER BY seq LIMIT 1), ?)");
    // int64_t: libc++'s milliseconds count is long long, which FreeBSD's
    // int64_t (long) is not, and SQLiteCpp's bind overloads would be ambiguous.
    const std::int64_t cutoff =
        now_ms() - static_cast<std::int64_t>(
                       std::chrono::duration_cast<std::chrono::milliseconds>(retention_.max_age)
                           .count());
    by_age.bind(1, cutoff);
    by_age.bind(2, newest);  // the newest stays, whatever its age
    by_age.exec();
  }
}

void store::set_event_retention(event_retention retention) {
  std::lock_guard lock(mutex_);
  retention_ = retention;
  const auto newest =
      db_->execAndGet("SELECT COALESCE(MAX(seq), 0) FROM events").getInt64();
  if (newest > 0) write(false, [&] { prune_events(newest); });
}

void store::write_change(const jail_change& change) {
  const auto& spec = change.spec;
  const auto now = change.ev.time_ms ? change.ev.time_ms : now_ms();
  switch (change.what) {
    case jail_change::kind::create: {
      SQLite::Statement q(*db_,
                          "INSERT INTO jails (name, spec, created_ms, updated_ms) "
                          "VALUES (?, ?, ?, ?)");
      q.bind(1, spec.name);
      q.bind(2, model::spec_to_json(spec).dump());
      q.bind(3, now);
      q.bind(4, now);
      try {
        q.exec();
      } catch (const SQLite::Exception& e) {
        if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY)
          throw error(errc::jail_exists, fmt::format("a jail named '{}' exists", spec.name),
                      "/name");
        throw;
      }
      break;
    }
    case jail_change::kind::replace: {
      SQLite::Statement q(*db_,
                          "UPDATE jails SET spec = ?, updated_ms = ?, generation = generation + 1 "
                          "WHERE name = ?");
      q.bind(1, model::spec_to_json(spec).dump());
      q.bind(2, now);
      q.bind(3, spec.name);
      if (q.exec() == 0)
        throw error(errc::jail_not_found, fmt::format("no jail named '{}'", spec.name));
      break;
    }
    case jail_change::kind::remove: {
      SQLite::Statement q(*db_, "DELETE FROM jails WHERE name = ?");
      q.bind(1, spec.name);
      if (q.exec() == 0)
        throw error(errc::jail_not_found, fmt::format("no jail named '{}'", spec.name));
      break;
    }
  }
}

void store::write(bool durable, const std::function<void()>& fn) {
  if (durable != durable_) {
    db_->exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    durable_ = durable;
  }
  SQLite::Transaction tx(*db_);
  fn();
  tx.commit();
}

std::vector<model::event> store::apply(
    const std::vector<jail_change>& changes,
    const std::map<std::string, std::vector<lease_row>>& leases) {
  std::lock_guard lock(mutex_);
  std::vector<model::event> out;
  write(true, [&] {
    for (const auto& change : changes) {
      write_change(change);
      out.push_back(insert_event(change.ev));
    }
    write_leases(leases);
  });
  return out;
}

model::event store::create_jail(const model::jail_spec& spec, model::event ev) {
  return apply({{jail_change::kind::create, spec, std::move(ev)}}).front();
}

model::event store::replace_jail(const model::jail_spec& spec, model::event ev) {
  return apply({{jail_change::kind::replace, spec, std::move(ev)}}).front();
}

model::event store::delete_jail(const std::string& name, model::event ev) {
  model::jail_spec spec;
  spec.name = name;
  return apply({{jail_change::kind::remove, spec, std::move(ev)}}).front();
}

model::event store::append_event(model::event ev) {
  std::lock_guard lock(mutex_);
  write(false, [&] { ev = insert_event(std::move(ev)); });
  return ev;
}

namespace {

std::string json_text(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

nlohmann::json json_column(const SQLite::Column& c, nlohmann::json fallback) {
  auto j = nlohmann::json::parse(c.getString(), nullptr, false);
  return j.is_discarded() ? fallback : j;
}

template <typename T>
void bind_optional(SQLite::Statement& q, int index, const std::optional<T>& v) {
  if (v)
    q.bind(index, *v);
  else
    q.bind(index);
}

std::optional<std::int64_t> optional_int64(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

}  // namespace

std::vector<runtime_row> store::load_runtime() {
  std::lock_guard lock(mutex_);
  std::vector<runtime_row> out;
  SQLite::Statement q(*db_,
                      "SELECT name, state, desired, instance, handle, interfaces, started_ms, "
                      "restarts, last_exit, last_error FROM runtime ORDER BY name");
  while (q.executeStep()) {
    runtime_row r;
    r.name = q.getColumn(0).getString();
    r.state = q.getColumn(1).getString();
    r.desired = q.getColumn(2).getString();
    r.instance = q.getColumn(3).getString();
    r.handle = json_column(q.getColumn(4), nlohmann::json::object());
    r.interfaces = json_column(q.getColumn(5), nlohmann::json::array());
    r.started_ms = optional_int64(q.getColumn(6));
    r.restarts = q.getColumn(7).getInt();
    if (!q.getColumn(8).isNull()) r.last_exit = q.getColumn(8).getInt();
    r.last_error = q.getColumn(9).getString();
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<model::event> store::save_runtime(const runtime_row& r,
                                                std::optional<model::event> ev) {
  std::lock_guard lock(mutex_);
  write(false, [&] {
    SQLite::Statement q(*db_,
                        "INSERT OR REPLACE INTO runtime (name, state, desired, instance, handle, "
                        "interfaces, started_ms, restarts, last_exit, last_error) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, r.name);
    q.bind(2, r.state);
    q.bind(3, r.desired);
    q.bind(4, r.instance);
    q.bind(5, json_text(r.handle));
    q.bind(6, json_text(r.interfaces));
    bind_optional(q, 7, r.started_ms);
    q.bind(8, r.restarts);
    bind_optional(q, 9, r.last_exit);
    q.bind(10, r.last_error);
    q.exec();
    if (ev) ev = insert_event(std::move(*ev));
  });
  return ev;
}

void store::delete_runtime(const std::string& name) {
  std::lock_guard lock(mutex_);
  write(false, [&] {
    SQLite::Statement q(*db_, "DELETE FROM runtime WHERE name = ?");
    q.bind(1, name);
    q.exec();
  });
}

void store::ledger_add(const ledger_row& row) {
  std::lock_guard lock(mutex_);
  write(false, [&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO ledger (kind, key, owner, attrs, created_ms) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET "
                        "owner = excluded.owner, attrs = excluded.attrs");
    q.bind(1, row.kind);
    q.bind(2, row.key);
    q.bind(3, row.owner);
    q.bind(4, json_text(row.attrs));
    q.bind(5, row.created_ms ? row.created_ms : now_ms());
    q.exec();
  });
}

void store::ledger_remove(const std::string& kind, const std::string& key) {
  std::lock_guard lock(mutex_);
  write(false, [&] {
    SQLite::Statement q(*db_, "DELETE FROM ledger WHERE kind = ? AND key = ?");
    q.bind(1, kind);
    q.bind(2, key);
    q.exec();
  });
}

std::vector<ledger_row> store::ledger_rows() {
  std::lock_guard lock(mutex_);
  std::vector<ledger_row> out;
  SQLite::Statement q(*db_,
                      "SELECT seq, kind, key, owner, attrs, created_ms FROM ledger ORDER BY seq");
  while (q.executeStep()) {
    ledger_row r;
    r.seq = q.getColumn(0).getInt64();
    r.kind = q.getColumn(1).getString();
    r.key = q.getColumn(2).getString();
    r.owner = q.getColumn(3).getString();
    r.attrs = json_column(q.getColumn(4), nlohmann::json::object());
    r.created_ms = q.getColumn(5).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

void store::save_operation(const operation_row& op) {
  std::lock_guard lock(mutex_);
  write(false, [&] {
    SQLite::Statement q(*db_,
                        "INSERT OR REPLACE INTO operations (id, jail, kind, state, created_ms, "
                        "started_ms, finished_ms, error, steps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, op.id);
    q.bind(2, op.jail);
    q.bind(3, op.kind);
    q.bind(4, op.state);
    q.bind(5, op.created_ms);
    bind_optional(q, 6, op.started_ms);
    bind_optional(q, 7, op.finished_ms);
    q.bind(8, op.error);
    q.bind(9, json_text(op.steps));
    q.exec();
  });
}

namespace {

operation_row read_operation(SQLite::Statement& q) {
  operation_row op;
  op.id = q.getColumn(0).getString();
  op.jail = q.getColumn(1).getString();
  op.kind = q.getColumn(2).getString();
  op.state = q.getColumn(3).getString();
  op.created_ms = q.getColumn(4).getInt64();
  op.started_ms = optional_int64(q.getColumn(5));
  op.finished_ms = optional_int64(q.getColumn(6));
  op.error = q.getColumn(7).getString();
  op.steps = json_column(q.getColumn(8), nlohmann::json::array());
  return op;
}

constexpr const char* operation_columns =
    "SELECT id, jail, kind, state, created_ms, started_ms, finished_ms, error, steps "
    "FROM operations ";

}  // namespace

std::optional<operation_row> store::load_operation(const std::string& id) {
  std::lock_guard lock(mutex_);
  SQLite::Statement q(*db_, std::string(operation_columns) + "WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_operation(q);
}

std::vector<operation_row> store::list_operations(const std::string& jail, std::size_t limit,
                                                  bool unfinished_only) {
  std::lock_guard lock(mutex_);
  std::string sql = std::string(operation_columns) + "WHERE (? = '' OR jail = ?)";
  if (unfinished_only) sql += " AND state IN ('queued', 'running')";
  sql += " ORDER BY created_ms DESC, rowid DESC LIMIT ?";
  SQLite::Statement q(*db_, sql);
  q.bind(1, jail);
  q.bind(2, jail);
  q.bind(3, static_cast<std::int64_t>(limit));
  std::vector<operation_row> out;
  while (q.executeStep()) out.push_back(read_operation(q));
  return out;
}

void store::prune_operations(std::size_t keep) {
  std::lock_guard lock(mutex_);
  write(false, [&] {
    SQLite::Statement q(*db_,
                        "DELETE FROM operations WHERE state IN ('succeeded', 'failed') AND rowid "
                        "NOT IN (SELECT rowid FROM operations ORDER BY created_ms DESC, rowid DESC "
                        "LIMIT ?)");
    q.bind(1, static_cast<std::int64_t>(keep));
    q.exec();
  });
}

std::vector<std::pair<std::string, nlohmann::json>> store::load_networks() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, nlohmann::json>> out;
  SQLite::Statement q(*db_, "SELECT name, spec FROM networks ORDER BY name");
  while (q.executeStep())
    out.emplace_back(q.getColumn(0).getString(),
                     json_column(q.getColumn(1), nlohmann::json::object()));
  return out;
}

model::event store::save_network(const std::string& name, const nlohmann::json& spec,
                                 model::event ev) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO networks (name, spec, created_ms) VALUES (?, ?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET spec = excluded.spec");
    q.bind(1, name);
    q.bind(2, json_text(spec));
    q.bind(3, now_ms());
    q.exec();
    ev = insert_event(std::move(ev));
  });
  return ev;
}

model::event store::delete_network(const std::string& name, model::event ev) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_, "DELETE FROM networks WHERE name = ?");
    q.bind(1, name);
    if (q.exec() == 0)
      throw error(errc::network_not_found, fmt::format("no network named '{}'", name));
    SQLite::Statement l(*db_, "DELETE FROM leases WHERE network = ?");
    l.bind(1, name);
    l.exec();
    ev = insert_event(std::move(ev));
  });
  return ev;
}

std::vector<lease_row> store::leases(const std::string& network) {
  std::lock_guard lock(mutex_);
  std::vector<lease_row> out;
  SQLite::Statement q(*db_,
                      "SELECT network, address, jail, interface, family, created_ms FROM leases "
                      "WHERE (? = '' OR network = ?) ORDER BY network, jail, interface, family");
  q.bind(1, network);
  q.bind(2, network);
  while (q.executeStep()) {
    lease_row r;
    r.network = q.getColumn(0).getString();
    r.address = q.getColumn(1).getString();
    r.jail = q.getColumn(2).getString();
    r.interface = q.getColumn(3).getInt();
    r.family = q.getColumn(4).getInt();
    r.created_ms = q.getColumn(5).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

void store::save_token(const token_row& t) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO tokens (id, name, role, secret_sha256, created_ms, created_by, "
                        "expires_ms, revoked_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, t.id);
    q.bind(2, t.name);
    q.bind(3, t.role);
    q.bind(4, t.secret_sha256);
    q.bind(5, t.created_ms ? t.created_ms : now_ms());
    q.bind(6, t.created_by);
    bind_optional(q, 7, t.expires_ms);
    bind_optional(q, 8, t.revoked_ms);
    q.exec();
  });
}

std::vector<token_row> store::load_tokens() {
  std::lock_guard lock(mutex_);
  std::vector<token_row> out;
  SQLite::Statement q(*db_,
                      "SELECT id, name, role, secret_sha256, created_ms, created_by, expires_ms, "
                      "revoked_ms FROM tokens ORDER BY created_ms, rowid");
  while (q.executeStep()) {
    token_row t;
    t.id = q.getColumn(0).getString();
    t.name = q.getColumn(1).getString();
    t.role = q.getColumn(2).getString();
    t.secret_sha256 = q.getColumn(3).getString();
    t.created_ms = q.getColumn(4).getInt64();
    t.created_by = q.getColumn(5).getString();
    t.expires_ms = optional_int64(q.getColumn(6));
    t.revoked_ms = optional_int64(q.getColumn(7));
    out.push_back(std::move(t));
  }
  return out;
}

void store::set_leases(const std::string& jail, const std::vector<lease_row>& rows) {
  std::lock_guard lock(mutex_);
  write(true, [&] { write_leases({{jail, rows}}); });
}

void store::write_leases(const std::map<std::string, std::vector<lease_row>>& leases) {
  for (const auto& [jail, rows] : leases) {
    SQLite::Statement del(*db_, "DELETE FROM leases WHERE jail = ?");
    del.bind(1, jail);
    del.exec();
  }
  for (const auto& [jail, rows] : leases) {
    for (const auto& r : rows) {
      SQLite::Statement q(*db_,
                          "INSERT INTO leases (network, address, jail, interface, family, "
                          "created_ms) VALUES (?, ?, ?, ?, ?, ?)");
      q.bind(1, r.network);
      q.bind(2, r.address);
      q.bind(3, jail);
      q.bind(4, r.interface);
      q.bind(5, r.family);
      q.bind(6, r.created_ms ? r.created_ms : now_ms());
      q.exec();
    }
  }
}

bool store::revoke_token(const std::string& id, std::int64_t when_ms) {
  std::lock_guard lock(mutex_);
  bool found = false;
  write(true, [&] {
    SQLite::Statement q(*db_,
                        "UPDATE tokens SET revoked_ms = COALESCE(revoked_ms, ?) WHERE id = ?");
    q.bind(1, when_ms);
    q.bind(2, id);
    found = q.exec() > 0;
  });
  return found;
}

std::string instance_tag_of(std::string_view instance_id) {
  std::uint64_t v = 0;
  for (char c : instance_id.substr(0, 16)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(instance_tag_length, '0');
  for (std::size_t i = instance_tag_length; i-- > 0; v /= 36) out[i] = digits[v % 36];
  return out;
}

std::string store::instance_id() {
  std::lock_guard lock(mutex_);
  return db_->execAndGet("SELECT id FROM instance WHERE one = 1").getString();
}

std::string store::instance_tag() { return instance_tag_of(instance_id()); }

std::int64_t store::next_counter(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::int64_t value = 0;
  write(false, [&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO "
                        "UPDATE SET value = value + 1 RETURNING value");
    q.bind(1, name);
    q.executeStep();
    value = q.getColumn(0).getInt64();
  });
  return value;
}

namespace {

// The rows of a query over `seq, time_ms, type, jail, data`.
std::vector<model::event> event_rows(SQLite::Statement& q) {
  std::vector<model::event> out;
  while (q.executeStep()) {
    model::event ev;
    ev.seq = q.getColumn(0).getInt64();
    ev.time_ms = q.getColumn(1).getInt64();
    ev.type = q.getColumn(2).getString();
    ev.jail = q.getColumn(3).getString();
    ev.data = nlohmann::json::parse(q.getColumn(4).getString(), nullptr, false);
    if (ev.data.is_discarded()) ev.data = nlohmann::json::object();
    out.push_back(std::move(ev));
  }
  return out;
}

// AUTOINCREMENT keeps the highest seq ever given in sqlite_sequence, which
// pruning does not lower.
std::int64_t newest_seq(SQLite::Database& db) {
  return db
      .execAndGet("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)")
      .getInt64();
}

}  // namespace

std::vector<model::event> store::events_after(std::int64_t after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  SQLite::Statement q(*db_,
                      "SELECT seq, time_ms, type, jail, data FROM events WHERE seq > ? "
                      "ORDER BY seq LIMIT ?");
  q.bind(1, after);
  q.bind(2, static_cast<std::int64_t>(limit));
  return event_rows(q);
}

std::int64_t store::last_event_seq() {
  std::lock_guard lock(mutex_);
  return newest_seq(*db_);
}

store::event_page store::read_events(std::int64_t after, std::size_t limit,
                                     const std::string& jail) {
  std::lock_guard lock(reader_mutex_);
  event_page page;
  // One read transaction: the page, the oldest and the newest of one commit.
  SQLite::Transaction tx(*reader_);
  page.last = newest_seq(*reader_);
  page.oldest =
      reader_->execAndGet("SELECT COALESCE(MIN(seq), 0) FROM events").getInt64();
  if (page.oldest == 0) page.oldest = page.last + 1;
  SQLite::Statement q(*reader_,
                      jail.empty() ? "SELECT seq, time_ms, type, jail, data FROM events "
                                     "WHERE seq > ? ORDER BY seq LIMIT ?"
                                   : "SELECT seq, time_ms, type, jail, data FROM events "
                                     "WHERE seq > ? AND jail = ? ORDER BY seq LIMIT ?");
  int i = 1;
  q.bind(i++, after);
  if (!jail.empty()) q.bind(i++, jail);
  q.bind(i, static_cast<std::int64_t>(limit));
  page.events = event_rows(q);
  tx.commit();
  return page;
}

void store::transaction(const std::function<void(SQLite::Database&)>& fn) {
  std::lock_guard lock(mutex_);
  write(true, [&] { fn(*db_); });
}

}  // namespace jaild::store
