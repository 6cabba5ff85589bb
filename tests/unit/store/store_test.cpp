#include "lib/store/store.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "lib/model/error.h"
#include "lib/store/migrations.h"
#include "tests/support/temp_dir.h"

using namespace jaild;
using jaild::test::temp_dir;

namespace {

model::jail_spec spec(const std::string& name) {
  model::jail_spec s;
  s.name = name;
  s.path = "/jails/" + name;
  s.params = {{"allow.raw_sockets", true}};
  return s;
}

model::event ev(const std::string& type, const std::string& jail) {
  model::event e;
  e.type = type;
  e.jail = jail;
  return e;
}

errc open_error(const std::filesystem::path& p) {
  try {
    store::store::open(p);
  } catch (const error& e) {
    INFO(e.what());
    return e.code();
  }
  FAIL("opened");
  return errc::internal;
}

// Runs a raw SQL statement on the file, outside the store.
void raw_sql(const std::filesystem::path& p, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::string run_sql_scalar(const std::string& p, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
  sqlite3_exec(
      db, sql.c_str(),
      [](void* o, int, char** values, char**) {
        *static_cast<std::string*>(o) = values[0] ? values[0] : "";
        return 0;
      },
      &out, nullptr);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("store: a new database is migrated to the newest schema", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "state" / "jaild.db");
  CHECK(db->schema_version() == store::store::newest_schema_version());
  CHECK(db->load_jails().empty());
  CHECK(db->last_event_seq() == 0);
}

TEST_CASE("store: migrations are numbered 1..N without gaps", "[store]") {
  int expected = 1;
  for (const auto& m : store::migrations()) {
    CHECK(m.version == expected++);
    CHECK_FALSE(m.description.empty());
  }
}

TEST_CASE("store: jails and events persist across reopening", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  std::int64_t seq_after_delete = 0;
  {
    auto db = store::store::open(path);
    auto e1 = db->create_jail(spec("web"), ev("jail.created", "web"));
    auto e2 = db->create_jail(spec("db"), ev("jail.created", "db"));
    CHECK(e2.seq > e1.seq);
    auto changed = spec("web");
    changed.priority = 5;
    auto e3 = db->replace_jail(changed, ev("jail.updated", "web"));
    auto e4 = db->delete_jail("db", ev("jail.deleted", "db"));
    CHECK(e4.seq > e3.seq);
    seq_after_delete = e4.seq;
  }
  auto db = store::store::open(path);
  auto jails = db->load_jails();
  REQUIRE(jails.size() == 1);
  CHECK(jails[0].spec.name == "web");
  CHECK(jails[0].spec.priority == 5);
  CHECK(jails[0].spec.params == nlohmann::json{{"allow.raw_sockets", true}});
  CHECK(jails[0].generation == 2);
  auto events = db->events_after(0, 100);
  REQUIRE(events.size() == 4);
  CHECK(events[0].type == "jail.created");
  CHECK(events[3].type == "jail.deleted");
  for (std::size_t i = 1; i < events.size(); ++i) CHECK(events[i].seq > events[i - 1].seq);
  // Sequence numbers only grow, even after reopening.
  auto next = db->append_event(ev("daemon.started", ""));
  CHECK(next.seq > seq_after_delete);
  CHECK(db->events_after(seq_after_delete, 10).size() == 1);
}

TEST_CASE("store: CRUD refusals change nothing", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  db->create_jail(spec("web"), ev("jail.created", "web"));
  const auto seq = db->last_event_seq();
  try {
    db->create_jail(spec("web"), ev("jail.created", "web"));
    FAIL("duplicate accepted");
  } catch (const error& e) {
    CHECK(e.code() == errc::jail_exists);
  }
  try {
    db->replace_jail(spec("nope"), ev("jail.updated", "nope"));
    FAIL("missing jail replaced");
  } catch (const error& e) {
    CHECK(e.code() == errc::jail_not_found);
  }
  try {
    db->delete_jail("nope", ev("jail.deleted", "nope"));
    FAIL("missing jail deleted");
  } catch (const error& e) {
    CHECK(e.code() == errc::jail_not_found);
  }
  CHECK(db->last_event_seq() == seq);  // no event from a refused write
  CHECK(db->load_jails().size() == 1);
}

TEST_CASE("store: a batch is all or nothing", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  db->create_jail(spec("web"), ev("jail.created", "web"));
  using change = store::store::jail_change;
  std::vector<change> batch{{change::kind::create, spec("a"), ev("jail.created", "a")},
                            {change::kind::create, spec("web"), ev("jail.created", "web")}};
  CHECK_THROWS_AS(db->apply(batch), error);
  auto jails = db->load_jails();
  REQUIRE(jails.size() == 1);
  CHECK(jails[0].spec.name == "web");
}

// Found by bench/chaos.cpp: a spec and its leases were two transactions, and
// a jaild killed between them left a jail on a network with no address.
TEST_CASE("store: a batch writes its leases in the same transaction", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  using change = store::store::jail_change;
  const store::lease_row a5{"lan", "10.0.0.5", "a", 0, 4, 1};
  db->apply({{change::kind::create, spec("a"), ev("jail.created", "a")}}, {{"a", {a5}}});
  CHECK(db->load_jails().size() == 1);
  CHECK(db->leases() == std::vector<store::lease_row>{a5});

  // An address moves from one jail to another in one batch.
  const store::lease_row a6{"lan", "10.0.0.6", "a", 0, 4, 2};
  const store::lease_row b5{"lan", "10.0.0.5", "b", 0, 4, 2};
  db->apply({{change::kind::create, spec("b"), ev("jail.created", "b")}},
            {{"b", {b5}}, {"a", {a6}}});
  CHECK(db->leases("lan").size() == 2);

  // A lease that cannot be written takes the spec change with it.
  const store::lease_row taken{"lan", "10.0.0.6", "c", 0, 4, 3};
  CHECK_THROWS(db->apply({{change::kind::create, spec("c"), ev("jail.created", "c")}},
                         {{"c", {taken}}}));
  CHECK(db->load_jails().size() == 2);
  CHECK(db->leases("lan").size() == 2);
}

TEST_CASE("store: a second opener of the same file is refused clearly", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  auto first = store::store::open(path);
  // flock locks belong to the open file description: try from another process,
  // which reports the error it got through a pipe.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    std::string report = "opened";
    try {
      store::store::open(path);
    } catch (const error& e) {
      report = std::string(errc_name(e.code())) + ": " + e.what();
    }
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) report.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  waitpid(child, nullptr, 0);
  INFO(report);
  CHECK(report.starts_with("store_locked: another jaild (pid " + std::to_string(getpid()) +
                           ") is using " + path.string()));
}

TEST_CASE("store: a file from a newer jaild is refused", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  store::store::open(path).reset();
  raw_sql(path, "PRAGMA user_version = 999");
  CHECK(open_error(path) == errc::store_newer_schema);
}

TEST_CASE("store: a file that is not a database is refused", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  std::ofstream(path) << std::string(8192, 'x');
  CHECK(open_error(path) == errc::store_unavailable);
}

TEST_CASE("store: an unopenable path is refused", "[store]") {
  temp_dir dir;
  std::filesystem::create_directories(dir / "jaild.db");
  CHECK(open_error(dir / "jaild.db") == errc::store_unavailable);
}

TEST_CASE("store: an older schema is backed up, then migrated", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  {
    auto db = store::store::open(path);
    db->create_jail(spec("web"), ev("jail.created", "web"));
  }
  // Make the file look like what jaild 1 wrote: schema 1, without the later migrations' tables.
  raw_sql(path,
          "DROP TABLE runtime; DROP TABLE operations; DROP TABLE ledger; DROP TABLE counters; "
          "DROP TABLE networks; DROP TABLE leases; DROP TABLE tokens; DROP TABLE instance; "
          "DROP TABLE releases; DROP TABLE roots; PRAGMA user_version = 1;");
  auto db = store::store::open(path);
  CHECK(db->schema_version() == store::store::newest_schema_version());
  CHECK(std::filesystem::exists(path.string() + ".v1.bak"));
  CHECK(db->load_jails().size() == 1);
  CHECK(db->load_runtime().empty());  // the new tables exist
  // The backup is the old file, readable as it was.
  auto old = run_sql_scalar(path.string() + ".v1.bak", "PRAGMA user_version");
  CHECK(old == "1");
}

TEST_CASE("store: runtime rows, ledger, operations and counters persist", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  {
    auto db = store::store::open(path);
    store::runtime_row r;
    r.name = "web";
    r.state = "running";
    r.desired = "running";
    r.instance = "1a";
    r.handle = {{"jid", 7}, {"token", "x"}};
    r.started_ms = 1234;
    r.restarts = 2;
    r.last_exit = 137;
    auto e = db->save_runtime(r, ev("jail.state", "web"));
    REQUIRE(e);
    CHECK(e->seq > 0);

    db->ledger_add({0, "epair", "e0a_1a", "web", {{"bridge", "br0"}}, 0});
    db->ledger_add({0, "jail", "web", "web", {}, 0});
    db->ledger_add({0, "alias", "em0|192.0.2.5/24", "web", {}, 0});
    db->ledger_remove("jail", "web");

    store::operation_row op;
    op.id = "op-1";
    op.jail = "web";
    op.kind = "start";
    op.state = "running";
    op.created_ms = 1;
    op.steps = nlohmann::json::array({{{"step", "jail.create"}}});
    db->save_operation(op);
    op.id = "op-2";
    op.state = "succeeded";
    op.created_ms = 2;
    op.finished_ms = 3;
    db->save_operation(op);

    CHECK(db->next_counter("instance") == 1);
    CHECK(db->next_counter("instance") == 2);
  }
  auto db = store::store::open(path);
  auto rt = db->load_runtime();
  REQUIRE(rt.size() == 1);
  CHECK(rt[0].state == "running");
  CHECK(rt[0].handle["jid"] == 7);
  CHECK(rt[0].started_ms == 1234);
  CHECK(rt[0].last_exit == 137);
  CHECK(rt[0].restarts == 2);

  auto ledger = db->ledger_rows();
  REQUIRE(ledger.size() == 2);
  CHECK(ledger[0].key == "e0a_1a");  // creation order
  CHECK(ledger[0].attrs["bridge"] == "br0");
  CHECK(ledger[1].kind == "alias");

  auto ops = db->list_operations("web", 10);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].id == "op-2");  // newest first
  CHECK(db->list_operations("", 10, true).size() == 1);
  CHECK(db->load_operation("op-1")->steps[0]["step"] == "jail.create");
  CHECK_FALSE(db->load_operation("op-9"));
  db->prune_operations(0);
  CHECK(db->list_operations("", 10).size() == 1);  // the unfinished one stays

  CHECK(db->next_counter("instance") == 3);
  db->delete_runtime("web");
  CHECK(db->load_runtime().empty());
}

TEST_CASE("store: tokens persist, revoke once, and keep their row", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  {
    auto db = store::store::open(path);
    store::token_row t;
    t.id = "0123456789abcdef";
    t.name = "ci";
    t.role = "operator";
    t.secret_sha256 = std::string(64, 'a');
    t.created_ms = 1000;
    t.created_by = "uid 0";
    t.expires_ms = 5000;
    db->save_token(t);
    t.id = "fedcba9876543210";
    t.name = "grafana";
    t.role = "viewer";
    t.created_ms = 2000;
    t.expires_ms.reset();
    db->save_token(t);
    CHECK_THROWS(db->save_token(t));  // the id is the primary key
    CHECK(db->revoke_token("fedcba9876543210", 3000));
    CHECK(db->revoke_token("fedcba9876543210", 4000));  // again: still the first time
    CHECK_FALSE(db->revoke_token("0000000000000000", 3000));
  }
  auto db = store::store::open(path);
  auto tokens = db->load_tokens();
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[0].name == "ci");
  CHECK(tokens[0].expires_ms == 5000);
  CHECK_FALSE(tokens[0].revoked_ms);
  CHECK(tokens[1].role == "viewer");
  CHECK_FALSE(tokens[1].expires_ms);
  CHECK(tokens[1].revoked_ms == 3000);
  CHECK(tokens[1].created_by == "uid 0");
}

TEST_CASE("store: events are pruned by count and by age, their seqs never reused", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  db->set_event_retention({5, std::chrono::seconds(0)});
  for (int i = 0; i < 12; ++i) db->append_event(ev("test.tick", ""));
  auto page = db->read_events(0, 100);
  REQUIRE(page.events.size() == 5);
  CHECK(page.events.front().seq == 8);
  CHECK(page.oldest == 8);
  CHECK(page.last == 12);
  CHECK(db->last_event_seq() == 12);

}

TEST_CASE("store: events older than the retention's age are pruned, the newest kept", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  // An hour old against a one-minute limit: pruned, all but the newest event.
  db->set_event_retention({100, std::chrono::seconds(60)});
  const auto old = store::now_ms() - 3'600'000;
  for (int i = 0; i < 3; ++i) {
    auto e = ev("test.old", "");
    e.time_ms = old;
    db->append_event(e);
  }
  auto page = db->read_events(0, 100);
  REQUIRE(page.events.size() == 1);
  CHECK(page.events[0].seq == 3);
  db->append_event(ev("test.new", "web"));
  page = db->read_events(0, 100);
  REQUIRE(page.events.size() == 1);  // now the old newest is pruned too
  CHECK(page.events[0].seq == 4);
  CHECK(page.oldest == 4);

  // A page of one jail, and a page after the newest.
  db->append_event(ev("test.other", "db"));
  page = db->read_events(0, 100, "web");
  REQUIRE(page.events.size() == 1);
  CHECK(page.events[0].jail == "web");
  CHECK(page.last == 5);
  page = db->read_events(5, 100);
  CHECK(page.events.empty());
  CHECK(page.oldest == 4);
}

TEST_CASE("store: the retention set at start-up prunes what is already stored", "[store]") {
  temp_dir dir;
  auto db = store::store::open(dir / "jaild.db");
  for (int i = 0; i < 10; ++i) db->append_event(ev("test.tick", ""));
  db->set_event_retention({3, std::chrono::hours(24)});
  auto page = db->read_events(0, 100);
  REQUIRE(page.events.size() == 3);
  CHECK(page.oldest == 8);
  CHECK(page.last == 10);
}

TEST_CASE("store: the instance id is made with the database and kept", "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  std::string id, tag;
  {
    auto db = store::store::open(path);
    id = db->instance_id();
    tag = db->instance_tag();
  }
  CHECK(id.size() == 32);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(tag.size() == store::instance_tag_length);
  CHECK(tag.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string::npos);
  auto again = store::store::open(path);  // a restart
  CHECK(again->instance_id() == id);
  CHECK(again->instance_tag() == tag);
  // Another state directory: another jaild, another id.
  temp_dir other;
  CHECK(store::store::open(other / "jaild.db")->instance_id() != id);
}

TEST_CASE("store: a database from before instance ids gets one, kept from then on",
          "[store]") {
  temp_dir dir;
  const auto path = dir / "jaild.db";
  store::store::open(path)->create_jail(spec("web"), ev("jail.created", "web"));
  raw_sql(path, "DROP TABLE instance; DROP TABLE releases; DROP TABLE roots; PRAGMA user_version = 4;");
  std::string id;
  {
    auto db = store::store::open(path);
    CHECK(db->schema_version() == store::store::newest_schema_version());
    id = db->instance_id();
    CHECK(id.size() == 32);
    CHECK(db->load_jails().size() == 1);
  }
  CHECK(store::store::open(path)->instance_id() == id);
}

TEST_CASE("store: an instance tag is the id's first 64 bits in base 36", "[store]") {
  CHECK(store::instance_tag_of("00000000000000000000000000000000") == "00000");
  CHECK(store::instance_tag_of("0000000000000023ffffffffffffffff") == "0000z");
  CHECK(store::instance_tag_of("ffffffffffffffff0000000000000000").size() == 5);
  CHECK(store::instance_tag_of("0123456789abcdef0000000000000000") !=
        store::instance_tag_of("0123456789abcdee0000000000000000"));
}
