// The store's releases and roots (migration 5): what POST /v1/releases added
// and which jail roots jaild made, so that it removes only those.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "lib/model/error.h"
#include "lib/store/store.h"

namespace jaild::store {
namespace {

nlohmann::json parsed(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

root_row root_of(SQLite::Statement& q) {
  root_row r;
  r.jail = q.getColumn(0).getString();
  r.path = q.getColumn(1).getString();
  r.private_dir = q.getColumn(2).getString();
  r.release = q.getColumn(3).getString();
  r.mode = q.getColumn(4).getString();
  r.state = q.getColumn(5).getString();
  r.created_ms = q.getColumn(6).getInt64();
  return r;
}

constexpr const char* root_columns =
    "SELECT jail, path, private_dir, release, mode, state, created_ms FROM roots";

}  // namespace

std::vector<nlohmann::json> store::load_releases() {
  std::lock_guard lock(mutex_);
  std::vector<nlohmann::json> out;
  SQLite::Statement q(*db_, "SELECT data FROM releases ORDER BY name");
  while (q.executeStep()) out.push_back(parsed(q.getColumn(0).getString()));
  return out;
}

model::event store::save_release(const std::string& name, const nlohmann::json& data,
                                 model::event ev) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_, "INSERT INTO releases (name, data, created_ms) VALUES (?, ?, ?)");
    q.bind(1, name);
    q.bind(2, data.dump());
    q.bind(3, now_ms());
    q.exec();
    ev = insert_event(std::move(ev));
  });
  return ev;
}

model::event store::delete_release(const std::string& name, model::event ev) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_, "DELETE FROM releases WHERE name = ?");
    q.bind(1, name);
    if (q.exec() == 0)
      throw error(errc::release_not_found, fmt::format("no release named '{}'", name));
    ev = insert_event(std::move(ev));
  });
  return ev;
}

std::vector<root_row> store::load_roots() {
  std::lock_guard lock(mutex_);
  std::vector<root_row> out;
  SQLite::Statement q(*db_, std::string(root_columns) + " ORDER BY jail");
  while (q.executeStep()) out.push_back(root_of(q));
  return out;
}

std::optional<root_row> store::find_root(const std::string& jail) {
  std::lock_guard lock(mutex_);
  SQLite::Statement q(*db_, std::string(root_columns) + " WHERE jail = ?");
  q.bind(1, jail);
  if (!q.executeStep()) return std::nullopt;
  return root_of(q);
}

void store::save_root(const root_row& row) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_,
                        "INSERT OR REPLACE INTO roots (jail, path, private_dir, release, mode, "
                        "state, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, row.jail);
    q.bind(2, row.path);
    q.bind(3, row.private_dir);
    q.bind(4, row.release);
    q.bind(5, row.mode);
    q.bind(6, row.state);
    q.bind(7, row.created_ms ? row.created_ms : now_ms());
    q.exec();
  });
}

void store::delete_root(const std::string& jail) {
  std::lock_guard lock(mutex_);
  write(true, [&] {
    SQLite::Statement q(*db_, "DELETE FROM roots WHERE jail = ?");
    q.bind(1, jail);
    q.exec();
  });
}

}  // namespace jaild::store
