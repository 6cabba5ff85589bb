#include "lib/jailconf/parser.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild::jailconf;

namespace {

document parse_text(const std::string& text) {
  memory_loader none;
  return parse(text, "/etc/jail.conf", none);
}

std::string parse_error(const std::string& text, source_loader* loader = nullptr) {
  memory_loader none;
  try {
    parse(text, "/etc/jail.conf", loader ? *loader : none);
  } catch (const jaild::error& e) {
    CHECK(e.code() == jaild::errc::jailconf_syntax);
    return e.what();
  }
  return "no error";
}

// Blocks as "name{stmt;stmt}" with statements as "name op values".
std::string shape(const document& d) {
  std::string out;
  for (const auto& b : d.blocks) {
    out += b.name + "{";
    for (const auto& s : b.statements) {
      out += (s.variable ? "$" : "") + s.name;
      out += s.op == assign_op::flag ? "" : s.op == assign_op::assign ? "=" : "+=";
      for (std::size_t i = 0; i < s.values.size(); ++i) {
        if (i) out += ",";
        for (const auto& p : s.values[i].pieces) out += p.variable ? "$" + p.text : p.text;
      }
      out += ";";
    }
    out += "}";
  }
  return out;
}

}  // namespace

TEST_CASE("parser: blocks, statements and global sections", "[jailconf]") {
  struct row {
    const char* text;
    const char* expected;
  };
  const row rows[] = {
      {"", ""},
      {";;", ""},
      {"a {}", "a{}"},
      {"a { ; }", "a{}"},
      {"a { b; c = 1; d += 2, 3; e 4; }", "a{b;c=1;d+=2,3;e=4;}"},
      {"$j = \"/jail\"; path = \"$j/$name\";", "*{$j=/jail;path=$j/$name;}"},
      // Globals after a jail start a new "*" section; consecutive ones share it.
      {"g1; a {} g2; g3;", "*{g1;}a{}*{g2;g3;}"},
      // A "*" block followed by globals: one section, as jail(8) appends to it.
      {"* { w; } g;", "*{w;g;}"},
      {"foo.* { x; }", "foo.*{x;}"},
      {"\"quoted name\" { \"p.q\" = v; }", "quoted name{p.q=v;}"},
      {"a { allow.noraw_sockets; }", "a{allow.noraw_sockets;}"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(shape(parse_text(r.text)) == r.expected);
  }
}

TEST_CASE("parser: errors say where and what was expected", "[jailconf]") {
  struct row {
    const char* text;
    const char* expected;
  };
  const row rows[] = {
      // The book's example without the ';' after host.hostname.
      {"host.hostname=\"$name.mwl.io\"\nloghost {\n}",
       "/etc/jail.conf:2:1: expected ';' after the value of 'host.hostname', found 'loghost'"},
      {"a { b = 1 }", "/etc/jail.conf:1:11: expected ';' after the value of 'b', found '}'"},
      {"a { b = ; }", "/etc/jail.conf:1:9: expected a value after '=' for 'b', found ';'"},
      {"a { b += 1, ; }", "/etc/jail.conf:1:13: expected a value after ',' in the list of 'b'"},
      {"a {\n b;\n",
       "/etc/jail.conf:3:1: end of file inside jail 'a' (opened at /etc/jail.conf:1:1)"},
      {"a { b { } }", "/etc/jail.conf:1:7: jail blocks cannot be nested (inside 'a')"},
      {"= 1;", "/etc/jail.conf:1:1: expected a jail name or a parameter, found '='"},
      {"a { = 1; }", "/etc/jail.conf:1:5: expected a parameter or '}' in jail 'a', found '='"},
      {"a = 1, 2 b;", "/etc/jail.conf:1:10: expected ';' after the value of 'a', found 'b'"},
      {"$x {}", "/etc/jail.conf:1:1: a jail name cannot contain a variable ($x)"},
      {"a$x = 1;", "/etc/jail.conf:1:2: a parameter name cannot contain a variable ($x)"},
      {"a { .include \"x\"; }",
       "/etc/jail.conf:1:5: '.include' is allowed only outside jail blocks"},
      {".include $f;", "/etc/jail.conf:1:10: the file name of '.include' must be literal"},
      {".include \"x\"", "/etc/jail.conf:1:13: expected ';' after the file name of '.include'"},
      {"a b c;", "/etc/jail.conf:1:5: expected ';' after the value of 'a', found 'c'"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK_THAT(parse_error(r.text), Catch::StartsWith(r.expected));
  }
}

TEST_CASE("parser: .include reads files and globs relative to the including file", "[jailconf]") {
  memory_loader files({
      {"/etc/jail.conf.d/a.conf", "a { x = 1; }"},
      {"/etc/jail.conf.d/b.conf", "b { x = 2; }\n.include \"../common/tail.conf\";"},
      {"/etc/jail.conf.d/notes.txt", "this is not jail.conf"},
      {"/etc/common/tail.conf", "tail;"},
      {"/etc/loop.conf", ".include \"loop.conf\";"},
  });
  auto doc = parse("g;\n.include \"jail.conf.d/*.conf\";\n.include \"/nowhere/*.conf\";\nz {}",
                   "/etc/jail.conf", files);
  CHECK(shape(doc) == "*{g;}a{x=1;}b{x=2;}*{tail;}z{}");
  // Positions name the file each statement came from.
  CHECK(doc.blocks[2].pos.to_string() == "/etc/jail.conf.d/b.conf:1:1");

  CHECK_THAT(parse_error(".include \"missing.conf\";", &files),
             Catch::StartsWith("/etc/jail.conf:1:10: cannot include: cannot read "
                               "'/etc/missing.conf'"));
  CHECK_THAT(parse_error(".include \"loop.conf\";", &files),
             Catch::Contains("nested more than 32 deep"));
  memory_loader none;
  try {
    parse(".include \"x.conf\";", "request", none);
    FAIL("a relative include without a known directory was accepted");
  } catch (const jaild::error& e) {
    CHECK_THAT(e.what(), Catch::Contains("needs to know the directory of the including file"));
  }
}
