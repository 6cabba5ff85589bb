#include "lib/jailconf/evaluator.h"

#include <catch2/catch.hpp>

#include "lib/jailconf/parser.h"
#include "lib/model/error.h"

using namespace jaild::jailconf;

namespace {

std::vector<evaluated_jail> eval(const std::string& text) {
  memory_loader none;
  return evaluate(parse(text, "/etc/jail.conf", none));
}

// One jail's parameters as "name=v1|v2;..." in jail(8)'s order, variables last as "$v=...".
std::string params_of(const std::string& text, const std::string& jail) {
  for (const auto& j : eval(text)) {
    if (j.name != jail) continue;
    std::string out;
    auto add = [&](const param& p, const char* prefix) {
      out += prefix + p.name;
      if (!p.values.empty()) out += "=";
      for (std::size_t i = 0; i < p.values.size(); ++i) out += (i ? "|" : "") + p.values[i].text;
      out += ";";
    };
    for (const auto& p : j.params) add(p, "");
    for (const auto& v : j.variables) add(v, "$");
    return out;
  }
  return "no jail " + jail;
}

std::string eval_error(const std::string& text) {
  try {
    eval(text);
  } catch (const jaild::error& e) {
    CHECK(e.code() == jaild::errc::jailconf_syntax);
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("evaluator: defaults, overrides, += and wildcard placement", "[jailconf]") {
  struct row {
    const char* text;
    const char* jail;
    const char* expected;
  };
  const row rows[] = {
      {"a {}", "a", "name=a;"},
      // Globals above the jail are defaults the jail overrides.
      {"p = 1; a { p = 2; }", "a", "name=a;p=2;"},
      // A wildcard below every jail always wins.
      {"a { p = 2; } * { p = 3; }", "a", "name=a;p=3;"},
      {"a { p = 2; } p = 3;", "a", "name=a;p=3;"},
      // ... but only for jails above it.
      {"p = 1; a { } p = 3; b { }", "b", "name=b;p=3;"},
      // '=' in a jail replaces an inherited list; '+=' appends to it (the book's exec.created).
      {"exec.created = \"logger $name\"; exec.created += \"cpuset -c -j $name -l 2-5\";"
       "logdb { exec.created = \"logger logdb\"; exec.created += \"cpuset -j logdb -cl 6-7\"; }",
       "logdb", "name=logdb;exec.created=logger logdb|cpuset -j logdb -cl 6-7;"},
      {"exec.prestart = \"logger $name\"; loghost { exec.prestart += \"jib addm loghost e0\"; }",
       "loghost", "name=loghost;exec.prestart=logger loghost|jib addm loghost e0;"},
      {"a { ip4.addr += 1.1.1.1; ip4.addr += 2.2.2.2; }", "a", "name=a;ip4.addr=1.1.1.1|2.2.2.2;"},
      // A flag replaces; the "no" form is the same parameter and keeps the last name written.
      {"allow.mount; a { allow.nomount; }", "a", "name=a;allow.nomount;"},
      {"a { allow.mount = 1; allow.mount; }", "a", "name=a;allow.mount;"},
      {"mount.devfs; a { mount.nodevfs; }", "a", "name=a;mount.nodevfs;"},
      // Partial wildcards match hierarchical names only.
      {"foo.* { x = 1; } foo.bar { } foo { }", "foo.bar", "name=foo.bar;x=1;"},
      {"foo.* { x = 1; } foo.bar { } foo { }", "foo", "name=foo;"},
      // A numeric block name is a jid.
      {"5 { }", "5", "jid=5;"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(params_of(r.text, r.jail) == r.expected);
  }
}

TEST_CASE("evaluator: variables and parameters used as variables", "[jailconf]") {
  struct row {
    const char* text;
    const char* jail;
    const char* expected;
  };
  const row rows[] = {
      {"$j = \"/jail\"; path = \"$j/$name\"; loghost { }", "loghost",
       "name=loghost;path=/jail/loghost;$j=/jail;"},
      {"host.hostname = \"$name.mwl.io\"; path = \"/jail/${host.hostname}\"; a { }", "a",
       "name=a;host.hostname=a.mwl.io;path=/jail/a.mwl.io;"},
      // A1: used in the block before it is defined.
      {"v { vnet.interface = \"${if}b\"; $id = \"60\"; $if = \"epair${id}\"; }", "v",
       "name=v;vnet.interface=epair60b;$id=60;$if=epair60;"},
      // Single quotes do not expand.
      {"a { exec.start = 'echo $HOME'; }", "a", "name=a;exec.start=echo $HOME;"},
      {"a { exec.start = \"echo \\$HOME\"; }", "a", "name=a;exec.start=echo $HOME;"},
      // A list substitutes as a whole value.
      {"$addrs = 10.0.0.1, 10.0.0.2; a { ip4.addr = $addrs; }", "a",
       "name=a;ip4.addr=10.0.0.1|10.0.0.2;$addrs=10.0.0.1|10.0.0.2;"},
      // Each jail expands the global statements with its own values.
      {"exec.consolelog = \"/var/tmp/$name\"; a {} b {}", "b",
       "name=b;exec.consolelog=/var/tmp/b;"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(params_of(r.text, r.jail) == r.expected);
  }
}

TEST_CASE("evaluator: refuses what jail(8) refuses", "[jailconf]") {
  struct row {
    const char* text;
    const char* expected;
  };
  const row rows[] = {
      // A2's epair${jid}: no jid exists when the file is read.
      {"vnet.interface = \"epair${jid}b\";\nwebserver { }",
       "/etc/jail.conf:1:24: jail 'webserver': variable 'jid' used in 'vnet.interface' is not "
       "defined"},
      {"a { p = \"$nope\"; }",
       "/etc/jail.conf:1:10: jail 'a': variable 'nope' used in 'p' is not "
       "defined"},
      {"a { $x = \"$y\"; $y = \"$x\"; }", "jail 'a': variable loop"},
      {"a { $x = 1, 2; p = \"a$x\"; }", "jail 'a': 'x' is a list of 2 values"},
      {"a { $path = 1; }",
       "/etc/jail.conf:1:5: variable '$path' cannot have the same name as the "
       "jail(8) parameter 'path'"},
      {"a { x = 1; $x = 2; }",
       "/etc/jail.conf:1:12: jail 'a': variable '$x' cannot have the same "
       "name as a parameter"},
      {"a { name = b; }", "/etc/jail.conf:1:5: jail 'a': parameter 'name' cannot be set"},
      {"a { } a { }",
       "/etc/jail.conf:1:7: jail 'a' is defined twice (first at /etc/jail.conf:1:1)"},
      {"a { $e; p = $e; }",
       "jail 'a': variable 'e' used in 'p' is not defined (it is set without "
       "a value)"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK_THAT(eval_error(r.text), Catch::Contains(r.expected));
  }
}

TEST_CASE("evaluator: bounded on hostile input", "[jailconf]") {
  // 40 doublings would be a terabyte; the size limit stops it early.
  std::string text = "a { $v0 = \"xx\";";
  for (int i = 1; i <= 40; ++i)
    text += " $v" + std::to_string(i) + " = \"$v" + std::to_string(i - 1) + "$v" +
            std::to_string(i - 1) + "\";";
  text += " }";
  CHECK_THAT(eval_error(text), Catch::Contains("grows beyond"));

  // Written last-first, so that resolving the first variable walks the whole chain.
  std::string chain = "a {";
  for (int i = 100; i >= 1; --i)
    chain += " $v" + std::to_string(i) + " = $v" + std::to_string(i - 1) + ";";
  chain += " $v0 = x; }";
  CHECK_THAT(eval_error(chain), Catch::Contains("nested more than 64 deep"));
}

TEST_CASE("evaluator: same_option is jail(8)'s equalopts", "[jailconf]") {
  CHECK(same_option("allow.mount", "allow.mount"));
  CHECK(same_option("allow.nomount", "allow.mount"));
  CHECK(same_option("allow.mount", "allow.nomount"));
  CHECK(same_option("persist", "nopersist"));
  CHECK(same_option("allow.mount.nodevfs", "allow.mount.devfs"));
  CHECK(same_option("noallow.mount", "allow.mount"));
  CHECK_FALSE(same_option("allow.mount", "allow.mountx"));
  CHECK_FALSE(same_option("allow.nomount", "allow.nodevfs"));
  CHECK_FALSE(same_option("nofoo.nobar", "foo.bar"));
  CHECK(is_wildcard_name("*"));
  CHECK(is_wildcard_name("foo.*"));
  CHECK_FALSE(is_wildcard_name("foo*"));
  CHECK(wildcard_matches("foo.bar.baz", "foo.*"));
  CHECK(wildcard_matches("anything", "*"));
  CHECK_FALSE(wildcard_matches("foo", "foo.*"));
  CHECK(wildcard_matches("a.x.c", "a.*.c"));
}
