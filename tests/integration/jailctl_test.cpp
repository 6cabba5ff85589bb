// jailctl as a daily tool (issue 19): warnings and --strict for unknown
// parameters, the structured-field flags, command= split like jail.conf,
// events -f from now and line by line, RFC 3339 times, wait, and shell
// completion written from the command tree. A real jaild on its socket.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/daemon_fixture.h"

using namespace jaild::test;
using nlohmann::json;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("jailctl: a mistyped parameter is a warning with the nearest name, --strict refuses",
          "[integration]") {
  daemon_fixture d;
  d.start();
  auto r = d.jailctl({"create", "ty", "path=" + d.root("ty"), "prioirty=5"});
  REQUIRE(r.status == 0);
  CHECK(r.err ==
        "jailctl: warning: 'prioirty' is neither a spec field nor a jail(8) parameter; did you "
        "mean 'priority'? (kept as a jail(8) parameter; --strict refuses it)\n");
  // A value jail(8) refuses for one of its own parameters is refused here.
  r = d.jailctl({"create", "tz", "path=" + d.root("tz"), "allow.raw_sockets=ture"});
  CHECK(r.status == 2);
  CHECK(r.err == "jailctl: allow.raw_sockets takes true or false, not 'ture'; did you mean "
                 "'true'?\n");
  const auto before = d.dump_database();
  r = d.jailctl({"set", "ty", "--strict", "enforce_statfs=1", "prioirty=6"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("did you mean 'priority'? (refused: --strict)"));
  CHECK(d.dump_database() == before);
  r = d.jailctl({"--strict", "set", "ty", "priority=6"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
}

TEST_CASE("jailctl: --vnet, --network, --health, --restart and command= make the fields",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.curl("POST", "/v1/networks", R"({"name":"lan","bridge":"jdbr7","ip4":"10.213.7.0/24"})").status ==
          201);
  REQUIRE(d.jailctl({"create", "db", "path=" + d.root("db")}).status == 0);
  auto r = d.jailctl({"create", "net", "path=" + d.root("net"), "--network", "lan", "--vnet",
                      "jdbr9:10.213.8.5/24", "--health", "tcp:80", "--restart", "on-failure:3",
                      "--depend", "db", "command=/bin/sleep 600"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto spec = json::parse(d.jailctl({"--json", "show", "net"}).out)["spec"];
  REQUIRE(spec["vnet"]["interfaces"].size() == 2);
  CHECK(spec["vnet"]["interfaces"][0]["bridge"] == "jdbr9");
  CHECK(spec["vnet"]["interfaces"][0]["ip4"] == json::array({"10.213.8.5/24"}));
  CHECK(spec["vnet"]["interfaces"][1]["network"] == "lan");
  CHECK(spec["health"]["tcp"] == "80");
  CHECK(spec["restart"]["policy"] == "on-failure");
  CHECK(spec["restart"]["max_retries"] == 3);
  CHECK(spec["depend"] == json::array({"db"}));
  CHECK(spec["command"] == json::array({"/bin/sleep", "600"}));
  // The same line in a jail.conf makes the same argv.
  r = d.jailctl({"apply", "--no-start", "-f", "-"},
                "conf { path = \"" + d.root("conf") + "\"; command = \"/bin/sleep 600\"; }\n");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(d.jailctl({"--json", "show", "conf"}).out)["spec"]["command"] ==
        spec["command"]);
  // A bad short form is a usage error, and jaild's own refusals still come through.
  r = d.jailctl({"create", "bad", "path=" + d.root("bad"), "--health", "ping"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("--health takes tcp:[HOST:]PORT"));
  r = d.jailctl({"create", "bad", "path=" + d.root("bad"), "--restart", "sometimes"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("restart policy 'sometimes'"));
}

TEST_CASE("jailctl: --json events -f starts now and writes each event as it comes",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "old", "path=" + d.root("old")}).status == 0);
  const auto log = d.state_dir() / "events.out";
  background follow({jailctl_binary(), "--socket", d.socket().string(), "--json", "events", "-f"},
                    log);
  // Changes until the follower has printed one: stdout is a file, so a
  // block-buffered jailctl would print nothing for a long time.
  std::vector<json> lines;
  for (int i = 0; i < 200 && lines.empty(); ++i) {
    REQUIRE(d.jailctl({"set", "old", "priority=" + std::to_string(10 + i)}).status == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    lines = json_lines(read_file(log));
  }
  REQUIRE_FALSE(lines.empty());
  for (const auto& e : lines) {
    CHECK(e["type"] != "jail.created");  // the history is not replayed
    CHECK(e["jail"] == "old");
    // RFC 3339, UTC, to the millisecond.
    CHECK(e["time"].get<std::string>().size() == 24);
    CHECK(e["time"].get<std::string>().ends_with("Z"));
  }
  follow.stop(15);
  // --since replays, and without -f the history is printed.
  auto r = d.jailctl({"--json", "events", "--since", "0"});
  const auto replayed = json_lines(r.out);
  CHECK(std::any_of(replayed.begin(), replayed.end(),
                    [](const json& e) { return e["type"] == "jail.created"; }));
  r = d.jailctl({"events"});
  CHECK_THAT(r.out, Contains("jail.created"));
}

TEST_CASE("jailctl: times are RFC 3339 in --json and local time in tables", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web"), "exec.prestart=exit 7"}).status ==
          0);
  CHECK(d.jailctl({"start", "web"}).status == 1);
  auto ops = json::parse(d.jailctl({"--json", "ops", "web"}).out)["operations"];
  REQUIRE_FALSE(ops.empty());
  const std::string started = ops[0]["started_at"];
  CHECK(started.size() == 24);
  CHECK(started[10] == 'T');
  // The raw API keeps milliseconds.
  CHECK(d.curl("GET", "/v1/operations?jail=web").json()["operations"][0]["started_at"].is_number());
  // A table shows the operation's start in the zone TZ names.
  auto table = run({jailctl_binary(), "--socket", d.socket().string(), "ops", "web"}, {},
                   {{"TZ", "UTC"}});
  CHECK_THAT(table.out, Contains(started.substr(0, 10) + " " + started.substr(11, 8)));
}

TEST_CASE("jailctl: wait --for running|stopped", "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web"), "exec.prestart=exit 7"}).status ==
          0);
  auto r = d.jailctl({"wait", "web", "--for", "stopped"});
  CHECK(r.status == 0);
  r = d.jailctl({"wait", "web", "--for", "running", "--timeout", "0.3"});
  CHECK(r.status == 1);
  CHECK(r.err == "jailctl: web: still stopped after 0.3\n");
  // A start that fails ends the wait for running with the jail's error.
  REQUIRE(d.jailctl({"start", "--async", "web"}).status == 0);
  r = d.jailctl({"wait", "web"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, StartsWith("jailctl: web: failed"));
  r = d.jailctl({"wait", "web", "--for", "sleeping"});
  CHECK(r.status == 2);
  r = d.jailctl({"wait", "nope"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("jail_not_found"));
}

TEST_CASE("jailctl: bash completion from the command tree, jail names from jaild",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web")}).status == 0);
  REQUIRE(d.jailctl({"create", "db", "path=" + d.root("db")}).status == 0);
  auto script = d.jailctl({"completion", "bash"});
  REQUIRE(script.status == 0);
  const auto file = d.state_dir() / "jailctl.bash";
  std::ofstream(file) << script.out;
  // COMP_WORDS as bash fills them for the line typed so far; prints COMPREPLY.
  auto complete = [&](const std::vector<std::string>& words) {
    std::string line;
    for (const auto& w : words) line += " '" + w + "'";
    std::string program = "source '" + file.string() + "'; COMP_WORDS=(" + line +
                          "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                          "; _jailctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
    return run({"bash", "--norc", "-c", program}).out;
  };
  const auto sock = d.socket().string();
  CHECK(complete({jailctl_binary(), "sh"}) == "show\n");
  CHECK(complete({jailctl_binary(), "wa"}) == "wait\n");
  CHECK(complete({jailctl_binary(), "--socket", sock, "show", "w"}) == "web\n");
  CHECK(complete({jailctl_binary(), "--socket", sock, "start", ""}) == "db\nweb\n");
  CHECK_THAT(complete({jailctl_binary(), "create", "--net"}), Contains("--network"));
  CHECK_THAT(complete({jailctl_binary(), "--js"}), Contains("--json"));
  // zsh's script is written from the same tree.
  auto zsh = d.jailctl({"completion", "zsh"});
  REQUIRE(zsh.status == 0);
  CHECK_THAT(zsh.out, StartsWith("#compdef jailctl"));
  const auto zsh_file = d.state_dir() / "_jailctl";
  std::ofstream(zsh_file) << zsh.out;
  auto parsed = run({"zsh", "-n", zsh_file.string()});
  INFO(parsed.err);
  CHECK(parsed.status == 0);
  CHECK_THAT(zsh.out, Contains("'wait:wait until a jail is running or stopped"));
  CHECK_THAT(zsh.out, Contains("'--network[a VNET interface leased from this managed network, "
                               "repeatable]:value:_files'"));
}

TEST_CASE("labels: set from jailctl, selected by the server, kept through jail.conf",
          "[integration]") {
  daemon_fixture d;
  d.start();
  REQUIRE(d.jailctl({"create", "web", "path=" + d.root("web"), "--label", "team=web",
                     "--label", "nomad.alloc=7f3a"}).status == 0);
  REQUIRE(d.jailctl({"create", "api", "path=" + d.root("api"), "labels.team=web"}).status == 0);
  REQUIRE(d.jailctl({"create", "db", "path=" + d.root("db"), "labels.team=data",
                     "exec.prestart=exit 7"}).status == 0);
  CHECK(d.jailctl({"start", "db"}).status == 1);  // failed: a state to select on
  auto names = [](const json& body) {
    std::vector<std::string> out;
    for (const auto& j : body["jails"]) out.push_back(j["spec"]["name"]);
    return out;
  };
  using v = std::vector<std::string>;
  CHECK(names(d.curl("GET", "/v1/jails?label=team=web").json()) == v{"api", "web"});
  CHECK(names(d.curl("GET", "/v1/jails?label=team=web,nomad.alloc").json()) == v{"web"});
  CHECK(names(d.curl("GET", "/v1/jails?label=nomad.alloc=7f3a").json()) == v{"web"});
  CHECK(names(d.curl("GET", "/v1/jails?state=failed").json()) == v{"db"});
  CHECK(names(d.curl("GET", "/v1/jails?state=stopped&label=team").json()) == v{"api", "web"});
  CHECK(names(d.curl("GET", "/v1/jails?label=team=ops").json()).empty());
  CHECK(names(d.curl("GET", "/v1/jails").json()).size() == 3);
  auto bad = d.curl("GET", "/v1/jails?state=sleeping");
  CHECK(bad.status == 400);
  CHECK(bad.json()["code"] == "bad_request");
  CHECK(d.curl("GET", "/v1/jails?label=-x").status == 400);

  auto r = d.jailctl({"list", "-l", "team=web", "--no-header", "--columns", "name"});
  CHECK(r.out == "api\nweb\n");
  r = d.jailctl({"list", "-l", "team=web", "-l", "nomad.alloc=7f3a", "--no-header", "--columns",
                 "name"});
  CHECK(r.out == "web\n");
  r = d.jailctl({"ls", "--state", "failed", "--no-header", "--columns", "name"});
  CHECK(r.out == "db\n");
  // A bad label is refused with the field, and nothing changes.
  const auto before = d.dump_database();
  r = d.jailctl({"set", "web", "labels.-x=1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("label key '-x'") && Contains("[invalid_value]"));
  CHECK(d.dump_database() == before);
  // Removing one label.
  REQUIRE(d.jailctl({"set", "web", "labels.nomad.alloc="}).status == 0);
  CHECK(json::parse(d.jailctl({"--json", "show", "web"}).out)["spec"]["labels"] ==
        json{{"team", "web"}});
  // jail.conf export and import keep them.
  auto exported = d.curl("GET", "/v1/jails/export");
  CHECK_THAT(exported.body, Contains("$jaild_labels = \"team=data\";"));
  REQUIRE(d.jailctl({"destroy", "api"}).status == 0);
  auto plan = d.curl("POST", "/v1/jails/import?dry_run=true", exported.body, "text/plain").json();
  for (const auto& j : plan["jails"])
    if (j["name"] == "api") CHECK(j["spec"]["labels"] == json{{"team", "web"}});
}
