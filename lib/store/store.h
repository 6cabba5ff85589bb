// jaild's memory: the desired state (jail specs) and the record of what jaild
// did (events; later operations, ledger, leases, tokens), in one SQLite file.
//
// WAL mode, one connection, synchronous=FULL: a write returns only when it is
// on disk. The file is locked for the life of the store (an flock on
// DB.lock), so a second jaild on the same state directory is refused with a
// clear message. Schema changes are numbered migrations; the file is copied
// to DB.vN.bak before a migration touches it.
//
// Thread-safety: every method may be called from any thread; calls are
// serialised on one mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/model/event.h"
#include "lib/model/jail_spec.h"

namespace SQLite {
class Database;
}

namespace jaild::store {

struct stored_jail {
  model::jail_spec spec;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t generation = 0;  // +1 on every change of the spec
};

class store {
 public:
  // Opens the database at `path`, creating it (and its directory) when
  // missing, and migrates it to the newest schema. Throws jaild::error:
  //   store_locked        another jaild holds the file,
  //   store_newer_schema  the file was written by a newer jaild,
  //   store_unavailable   the file cannot be opened or is not a jaild database.
  static std::unique_ptr<store> open(const std::filesystem::path& path);
  ~store();

  store(const store&) = delete;
  store& operator=(const store&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int schema_version();
  static int newest_schema_version();

  // Jails. Each change writes its event in the same transaction and returns
  // that event with its sequence number.
  std::vector<stored_jail> load_jails();
  model::event create_jail(const model::jail_spec& spec, model::event ev);
  model::event replace_jail(const model::jail_spec& spec, model::event ev);
  model::event delete_jail(const std::string& name, model::event ev);

  // Several jail changes in one transaction (jail.conf import is all or nothing).
  struct jail_change {
    enum class kind { create, replace, remove } what;
    model::jail_spec spec;  // for remove only spec.name is used
    model::event ev;
  };
  std::vector<model::event> apply(const std::vector<jail_change>& changes);

  // Events.
  model::event append_event(model::event ev);
  // Events with seq > after, oldest first, at most `limit`.
  std::vector<model::event> events_after(std::int64_t after, std::size_t limit);
  std::int64_t last_event_seq();

  // Runs `fn` inside one write transaction (committed when fn returns, rolled
  // back when it throws). For the store's own later tables.
  void transaction(const std::function<void(SQLite::Database&)>& fn);

 private:
  store(std::filesystem::path path, int lock_fd, std::unique_ptr<SQLite::Database> db);
  void migrate();
  model::event insert_event(model::event ev);
  void write_change(const jail_change& change);

  std::filesystem::path path_;
  int lock_fd_;
  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
};

std::int64_t now_ms();

}  // namespace jaild::store
