// jailctl apply -f FILE end to end: a real jaild, jailctl on its socket. The
// diff comes first; --dry-run stops there and changes nothing; an apply
// creates and changes field by field; a second one finds nothing to do; a
// bad file is refused with where it is wrong, exit status 1, and leaves the
// database as it was. Starting the jails of a file is in the system tests
// (tests/system/engine_system_test.cpp), which run real jails.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;
using Catch::Contains;
using Catch::StartsWith;
using nlohmann::json;

namespace {

const std::string two_jails = R"(# two jails, as jail(8) reads them
path = "/jails/$name";
exec.start = "/bin/sh /etc/rc";
persist;

db {
	$jaild_limits = "memoryuse:deny=1G";
}

web {
	host.hostname = web.example.org;
	depend = db;
}
)";

struct apply_fixture {
  daemon_fixture d;
  temp_dir files{"jaild-apply"};

  apply_fixture() {
    d.start();
    for (const char* jail : {"db", "web"}) d.root(jail);
  }

  // Written with its /jails/NAME paths turned into roots that exist.
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (files / name).string();
    std::ofstream(path) << d.rooted(text);
    return path;
  }

  json spec(const std::string& name) { return d.curl("GET", "/v1/jails/" + name).json()["spec"]; }
};

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("apply: a dry run shows the diff and changes nothing", "[integration]") {
  apply_fixture f;
  const auto conf = f.write("jail.conf", two_jails);
  const auto before = f.d.dump_database();
  auto r = f.d.jailctl({"apply", "-f", conf, "--dry-run"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "+ jail db (create)\n"
        "+ jail web (create)\n"
        "dry run: 2 to create, 0 to change, 0 unchanged; nothing stored\n");
  CHECK(f.d.dump_database() == before);
  CHECK(f.d.curl("GET", "/v1/jails").json()["jails"].empty());

  // A dry run of a change shows the change and keeps the old spec.
  REQUIRE(f.d.jailctl({"apply", "-f", conf}).status == 0);
  const auto applied = f.d.dump_database();
  r = f.d.jailctl({"apply", "-n", "-f", f.write("jail.conf", replaced(two_jails, "1G", "2G"))});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "~ jail db: limits.memoryuse:deny 1G -> 2G\n"
        "= jail web (unchanged)\n"
        "dry run: 0 to create, 1 to change, 1 unchanged; nothing stored\n");
  CHECK(f.d.dump_database() == applied);
  CHECK(f.spec("db")["limits"] == json::array({"memoryuse:deny=1G"}));
}

TEST_CASE("apply: creates, changes field by field, and a second apply has nothing to do",
          "[integration]") {
  apply_fixture f;
  const auto conf = f.write("jail.conf", two_jails);
  auto r = f.d.jailctl({"apply", "-f", conf});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "+ jail db (create)\n"
        "+ jail web (create)\n"
        "applied: 2 created, 0 changed, 0 unchanged\n");
  CHECK(f.spec("db")["limits"] == json::array({"memoryuse:deny=1G"}));
  CHECK(f.spec("web")["depend"] == json::array({"db"}));

  auto changed = replaced(replaced(two_jails, "1G", "2G"), "web.example.org", "www.example.org");
  changed = replaced(changed, "depend = db;", "depend = db;\n\tallow.raw_sockets;");
  r = f.d.jailctl({"apply", "-f", f.write("jail.conf", changed)});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "~ jail db: limits.memoryuse:deny 1G -> 2G\n"
        "~ jail web: hostname web.example.org -> www.example.org\n"
        "~ jail web: params.allow.raw_sockets (unset) -> true\n"
        "applied: 0 created, 2 changed, 0 unchanged\n");
  CHECK(f.spec("db")["limits"] == json::array({"memoryuse:deny=2G"}));
  CHECK(f.spec("web")["hostname"] == "www.example.org");

  // The same file again: nothing to do, and nothing is recorded.
  const auto before = f.d.dump_database();
  r = f.d.jailctl({"apply", "-f", conf});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "= jail db (unchanged)\n"
        "= jail web (unchanged)\n"
        "applied: 0 created, 0 changed, 2 unchanged\n");
  CHECK(f.d.dump_database() == before);
}

TEST_CASE("apply: JSON files, from a file or standard input, and what jailctl list saved",
          "[integration]") {
  apply_fixture f;
  const std::string jails = R"({"jails": [
    {"name": "db", "path": "/jails/db", "limits": ["maxproc:deny=100"]},
    {"name": "web", "path": "/jails/web", "depend": ["db"], "priority": 20}
  ]})";
  auto r = f.d.jailctl({"apply", "-f", f.write("jails.json", jails)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "+ jail db (create)\n+ jail web (create)\n"
        "applied: 2 created, 0 changed, 0 unchanged\n");

  // One spec on standard input.
  r = f.d.jailctl({"apply", "-f", "-"}, f.d.rooted(R"({"name": "web", "path": "/jails/web",
                                            "depend": ["db"], "priority": 10})"));
  REQUIRE(r.status == 0);
  CHECK(r.out == "~ jail web: priority 20 -> 10\napplied: 0 created, 1 changed, 0 unchanged\n");

  // jailctl --json list is a file that applies back to the same state.
  const auto saved = f.write("saved.json", f.d.jailctl({"--json", "list"}).out);
  const auto before = f.d.dump_database();
  r = f.d.jailctl({"apply", "-f", saved});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "= jail db (unchanged)\n= jail web (unchanged)\n"
        "applied: 0 created, 0 changed, 2 unchanged\n");
  CHECK(f.d.dump_database() == before);

  // --json prints the plan and what was started.
  r = f.d.jailctl({"--json", "apply", "-f", saved, "--dry-run"});
  REQUIRE(r.status == 0);
  const auto out = json::parse(r.out);
  CHECK(out["plan"]["format"] == "json");
  CHECK(out["plan"]["summary"]["unchanged"] == 2);
  CHECK(out["started"] == json::array());
}

TEST_CASE("apply: a bad file is refused with where it is wrong, and nothing changes",
          "[integration]") {
  apply_fixture f;
  REQUIRE(f.d.jailctl({"apply", "-f", f.write("jail.conf", two_jails)}).status == 0);
  const auto before = f.d.dump_database();
  struct bad {
    std::string name, text, message;
  };
  const std::vector<bad> files{
      // jail(8)'s syntax: the position of the token that is wrong.
      {"syntax.conf", replaced(two_jails, "depend = db;", "depend = db"),
       "syntax.conf:13:1: expected ';' after the value of 'depend', found '}' [jailconf_syntax]"},
      // A value jaild refuses, in the second jail; the first jail's valid change is not made.
      {"value.conf",
       replaced(replaced(two_jails, "1G", "2G"), "depend = db;",
                "depend = db; ip4.addr = 10.0.0.300;"),
       "value.conf:12:26: jail 'web': '10.0.0.300' is not"},
      {"cycle.conf", replaced(two_jails, "$jaild_limits", "depend = web; $jaild_limits"),
       "depend forms a cycle"},
      {"syntax.json", "{\"jails\": [\n  {\"name\": \"db\", \"path\": \"/var/db/x\",}\n]}",
       "syntax.json:2:38: not JSON: "},
      {"value.json", R"([{"name": "db", "path": "/jails/db", "limits": ["memoryuse:deny=2G"]},
                         {"name": "web", "path": "/jails/web", "priority": "first"}])",
       "value.json: jail 'web' (/1/priority): "},
      {"ghost.json", R"({"name": "web", "path": "/jails/web", "depend": ["ghost"]})",
       "jail 'web' depends on 'ghost', which is neither in the import nor a jail of jaild"},
  };
  for (const auto& b : files) {
    const auto path = f.write(b.name, b.text);
    for (const bool dry_run : {true, false}) {
      INFO(b.name << (dry_run ? " --dry-run" : ""));
      auto r = dry_run ? f.d.jailctl({"apply", "-f", path, "--dry-run"})
                       : f.d.jailctl({"apply", "-f", path});
      CHECK(r.status == 1);
      CHECK(r.out.empty());
      CHECK_THAT(r.err, StartsWith("jailctl: ") && Contains(b.message));
      CHECK(f.d.dump_database() == before);
    }
  }
  // A file that is not there is bad usage, and nothing is sent.
  auto r = f.d.jailctl({"apply", "-f", (f.files / "missing.conf").string()});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("cannot read"));
  CHECK(f.d.dump_database() == before);
}

TEST_CASE(
    "apply: the boot jails of the file are started unless --no-start; a failed start "
    "is reported with its steps and exit status 1",
    "[integration]") {
  apply_fixture f;
  const std::string conf = "nowhere { path = /nonexistent/nowhere; persist; $jaild_boot; }\n";
  auto r = f.d.jailctl({"apply", "--no-start", "-f", f.write("jail.conf", conf)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "+ jail nowhere (create)\napplied: 1 created, 0 changed, 0 unchanged\n");
  CHECK(f.d.curl("GET", "/v1/operations?jail=nowhere").json()["operations"].empty());

  // Without --no-start the boot jail is started: here it cannot be (no root directory).
  r = f.d.jailctl({"apply", "-f", f.write("jail.conf", conf)});
  CHECK(r.status == 1);
  CHECK(r.out == "= jail nowhere (unchanged)\napplied: 0 created, 0 changed, 1 unchanged\n");
  CHECK_THAT(r.err, StartsWith("jailctl: nowhere: ") && Contains("the steps: jailctl op op-"));
  auto ops = f.d.curl("GET", "/v1/operations?jail=nowhere").json()["operations"];
  REQUIRE(ops.size() == 1);
  CHECK(ops[0]["kind"] == "start");
  CHECK(ops[0]["state"] == "failed");

  // --start-all and --no-start contradict each other.
  r = f.d.jailctl({"apply", "--no-start", "--start-all", "-f", f.write("jail.conf", conf)});
  CHECK(r.status == 2);
}
