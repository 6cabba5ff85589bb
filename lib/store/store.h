// jaild's memory: the desired state (jail specs) and the record of what jaild
// did (events, operations, ledger, networks and leases, API tokens), in one SQLite file.
//
// WAL mode, one connection. Spec changes commit with synchronous=FULL (on disk
// when they return); runtime records (ledger, operations, state events) with
// synchronous=NORMAL, which survives a crash of jaild but not a power loss,
// and a power loss also removes the kernel state they describe. The file is
// locked for the life of the store (a POSIX record lock on DB.lock, owned by
// the process and never inherited by its children), so a second jaild on the
// same state directory is refused with a clear message. Schema changes are
// numbered migrations; the file is copied to DB.vN.bak before a migration
// touches it.
//
// Thread-safety: every method may be called from any thread; calls are
// serialised on one mutex. Event pages (read_events) are read on a second,
// read-only connection with a mutex of its own, so that event streams never
// wait for writers, and writers never wait for them (WAL readers see the
// last commit).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/event.h"
#include "lib/model/jail_spec.h"
#include "lib/store/token_table.h"

namespace SQLite {
class Database;
}

namespace jaild::store {

// The runtime row of one jail (table runtime).
struct runtime_row {
  std::string name;
  std::string state = "stopped";
  std::string desired = "stopped";
  std::string instance;
  nlohmann::json handle = nlohmann::json::object();
  nlohmann::json interfaces = nlohmann::json::array();
  std::optional<std::int64_t> started_ms;
  int restarts = 0;
  std::optional<int> last_exit;
  std::string last_error;
};

// One ledger entry (table ledger). Kinds and attrs are the Host port's.
struct ledger_row {
  std::int64_t seq = 0;
  std::string kind;
  std::string key;
  std::string owner;
  nlohmann::json attrs = nlohmann::json::object();
  std::int64_t created_ms = 0;
};

// One operation (table operations).
struct operation_row {
  std::string id;
  std::string jail;
  std::string kind;
  std::string state;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> started_ms;
  std::optional<std::int64_t> finished_ms;
  std::string error;
  nlohmann::json steps = nlohmann::json::array();
};

// One lease (table leases).
struct lease_row {
  std::string network;
  std::string address;   // without prefix
  std::string jail;
  int interface = 0;
  int family = 4;
  std::int64_t created_ms = 0;

  bool operator==(const lease_row&) const = default;
};

// One root jaild made (table roots).
struct root_row {
  std::string jail;
  std::string path;
  std::string private_dir;
  std::string release;
  std::string mode;            // thick | thin | clone
  std::string state = "making";  // making | made
  std::int64_t created_ms = 0;

  bool operator==(const root_row&) const = default;
};

struct stored_jail {
  model::jail_spec spec;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t generation = 0;  // +1 on every change of the spec
};

// The length of store::instance_tag(): 36^5 (60 million) tags, short enough
// that "e9a_" + tag + 6 more characters fits an interface name (15).
inline constexpr std::size_t instance_tag_length = 5;

// Pure: the tag of an instance id (its first 64 bits in base 36, the last
// instance_tag_length digits).
std::string instance_tag_of(std::string_view instance_id);

class store : public token_table {
 public:
  // Opens the database at `path`, creating it (and its directory) when
  // missing, and migrates it to the newest schema. Throws jaild::error:
  //   store_locked        another jaild holds the file,
  //   store_newer_schema  the file was written by a newer jaild,
  //   store_unavailable   the file cannot be opened or is not a jaild database.
  static std::unique_ptr<store> open(const std::filesystem::path& path);
  ~store() override;

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

  // Several jail changes in one transaction (jail.conf import is all or
  // nothing), with the address leases of the jails they touch (jail -> every
  // row it holds from now on), so that no crash can leave a spec without its
  // leases or leases of a spec that was never written.
  struct jail_change {
    enum class kind { create, replace, remove } what;
    model::jail_spec spec;  // for remove only spec.name is used
    model::event ev;
  };
  std::vector<model::event> apply(
      const std::vector<jail_change>& changes,
      const std::map<std::string, std::vector<lease_row>>& leases = {});

  // Events. Every write of an event also prunes what falls outside the
  // retention: all but the newest `keep`, and those older than `max_age`
  // (zero: no age limit). The newest event's seq is never reused.
  struct event_retention {
    std::size_t keep = 100'000;
    std::chrono::seconds max_age{std::chrono::hours(24 * 30)};
  };
  // Sets the retention and prunes at once.
  void set_event_retention(event_retention retention);
  model::event append_event(model::event ev);
  // Events with seq > after, oldest first, at most `limit`.
  std::vector<model::event> events_after(std::int64_t after, std::size_t limit);
  // The seq of the newest event ever written (0: none), pruned or not.
  std::int64_t last_event_seq();

  // One page of the stored events, for a stream that reads the backlog a
  // page at a time (on the read connection, never blocking a writer).
  struct event_page {
    std::vector<model::event> events;  // seq > after (of `jail` when given), oldest first
    std::int64_t oldest = 1;           // the oldest seq still stored (last + 1 when none is)
    std::int64_t last = 0;             // the newest seq ever written
  };
  event_page read_events(std::int64_t after, std::size_t limit, const std::string& jail = {});

  // Runtime rows. save_runtime writes the row and, when given, its event in
  // one transaction. These writes use synchronous=NORMAL: everything they
  // describe is kernel state, which a power loss removes as well.
  std::vector<runtime_row> load_runtime();
  std::optional<model::event> save_runtime(const runtime_row& row,
                                           std::optional<model::event> ev = std::nullopt);
  void delete_runtime(const std::string& name);

  // The ledger.
  void ledger_add(const ledger_row& row);
  void ledger_remove(const std::string& kind, const std::string& key);
  std::vector<ledger_row> ledger_rows();  // oldest first

  // Operations. save_operation inserts or replaces the whole row.
  void save_operation(const operation_row& op);
  std::optional<operation_row> load_operation(const std::string& id);
  // Newest first; `jail` "" = all; `unfinished_only` = queued or running.
  std::vector<operation_row> list_operations(const std::string& jail, std::size_t limit,
                                             bool unfinished_only = false);
  // Keeps the newest `keep` finished operations.
  void prune_operations(std::size_t keep);

  // Networks (stored as JSON) and their leases. Network writes are durable
  // and carry their event, like spec writes.
  std::vector<std::pair<std::string, nlohmann::json>> load_networks();
  model::event save_network(const std::string& name, const nlohmann::json& spec, model::event ev);
  model::event delete_network(const std::string& name, model::event ev);
  std::vector<lease_row> leases(const std::string& network = {});
  // Replaces every lease of `jail` with `rows` in one transaction.
  void set_leases(const std::string& jail, const std::vector<lease_row>& rows);

  // API tokens. save_token inserts a new row (durably); revoke_token sets
  // revoked_ms once and returns false when no token has that id.
  void save_token(const token_row& token) override;
  std::vector<token_row> load_tokens() override;  // oldest first
  bool revoke_token(const std::string& id, std::int64_t when_ms) override;

  // This jaild's own id (32 hex digits), made with the database and kept
  // across restarts and migrations; and its short tag: instance_tag_length
  // characters of [0-9a-z], which the names of jaild's host objects carry.
  std::string instance_id();
  std::string instance_tag();
  // Releases (JSON, model::release_to_json) and the roots made from them
  // (provisioning.cpp). Release writes are durable and carry their event.
  std::vector<nlohmann::json> load_releases();  // by name
  model::event save_release(const std::string& name, const nlohmann::json& data,
                            model::event ev);
  model::event delete_release(const std::string& name, model::event ev);
  std::vector<root_row> load_roots();
  std::optional<root_row> find_root(const std::string& jail);
  // Inserts or replaces the row, durably (it guards a host change).
  void save_root(const root_row& row);
  void delete_root(const std::string& jail);

  // A counter that only grows (instance ids): returns the next value.
  std::int64_t next_counter(const std::string& name);

  // Runs `fn` inside one write transaction (committed when fn returns, rolled
  // back when it throws). For the store's own later tables.
  void transaction(const std::function<void(SQLite::Database&)>& fn);

 private:
  store(std::filesystem::path path, int lock_fd, std::unique_ptr<SQLite::Database> db);
  void migrate();
  // Runs fn in a transaction; durable=false commits with synchronous=NORMAL.
  void write(bool durable, const std::function<void()>& fn);
  // Inserts the event and prunes by the retention. Inside write().
  model::event insert_event(model::event ev);
  void prune_events(std::int64_t newest);
  // Replaces the leases of each jail in `leases`; old rows all go first, so an
  // address may move from one jail to another. Inside write().
  void write_leases(const std::map<std::string, std::vector<lease_row>>& leases);
  void write_change(const jail_change& change);

  std::filesystem::path path_;
  int lock_fd_;
  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;
  bool durable_ = true;  // the synchronous mode the connection is in
  event_retention retention_;  // guarded by mutex_

  std::mutex reader_mutex_;                  // guards reader_
  std::unique_ptr<SQLite::Database> reader_;  // read-only: event pages
};

std::int64_t now_ms();

}  // namespace jaild::store
