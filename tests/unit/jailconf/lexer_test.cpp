#include "lib/jailconf/lexer.h"

#include <catch2/catch.hpp>

#include "lib/model/error.h"

using namespace jaild::jailconf;

namespace {

// The tokens of `text`, each as a short string: punctuation as itself, a word
// as its pieces ("lit" for literal text, "$var" for a variable) joined by '+'.
std::vector<std::string> tokens(const std::string& text) {
  lexer lex(std::make_shared<const std::string>("t.conf"), text);
  std::vector<std::string> out;
  while (true) {
    token t = lex.next();
    if (t.kind == token_kind::end) return out;
    if (t.kind != token_kind::word) {
      out.push_back(token_kind_name(t.kind));
      continue;
    }
    std::string w;
    for (const auto& p : t.word.pieces)
      w += std::string(w.empty() ? "" : "+") + (p.variable ? "$" : "") + p.text;
    out.push_back(w);
  }
}

std::string lex_error(const std::string& text) {
  try {
    tokens(text);
  } catch (const jaild::error& e) {
    CHECK(e.code() == jaild::errc::jailconf_syntax);
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("lexer: punctuation, words and comments", "[jailconf]") {
  using v = std::vector<std::string>;
  struct row {
    const char* text;
    v expected;
  };
  const row rows[] = {
      {"a = b;", {"a", "'='", "b", "';'"}},
      {"a+=b;", {"a", "'+='", "b", "';'"}},
      {"a += b, c;", {"a", "'+='", "b", "','", "c", "';'"}},
      {"x { }", {"x", "'{'", "'}'"}},
      {"# comment\na; // more\nb; /* c\n d */ c;", {"a", "';'", "b", "';'", "c", "';'"}},
      {"path=/jail/loghost;", {"path", "'='", "/jail/loghost", "';'"}},
      {"a/*x*/b", {"a", "b"}},       // a comment separates words
      {"a#x\nb", {"a", "b"}},        // '#' ends a word and starts a comment
      {"1+2", {"1+2"}},              // '+' not followed by '=' is text
      {"* {}", {"*", "'{'", "'}'"}},
      {"foo.* {}", {"foo.*", "'{'", "'}'"}},
      {"'single $x'", {"single $x"}},  // no variables in single quotes
      {"\"double $x\"", {"double +$x"}},
      {"\"a${host.hostname}b\"", {"a+$host.hostname+b"}},
      {"$j/$name", {"$j+/+$name"}},
      {"$host.hostname", {"$host+.hostname"}},  // unbraced names stop at '.'
      {"\"a\"b'c'", {"abc"}},                    // adjacent pieces make one word
      {"\"\"", {""}},
      {"'it''s'", {"its"}},
      {"\"tab\\there\"", {"tab\there"}},
      {"\"\\101\\x42\\$x\"", {"AB$x"}},
      {"'a\\'b'", {"a'b"}},
      {"\"one \\\ntwo\"", {"one two"}},  // backslash-newline continues the line
      {"one\\\ntwo", {"onetwo"}},
      {"\"$ alone\"", {"$ alone"}},
      {"a$", {"a$"}},
      {"\"multi\nline\"", {"multi\nline"}},
      {"\"caf\xc3\xa9\"", {"caf\xc3\xa9"}},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(tokens(r.text) == r.expected);
  }
}

TEST_CASE("lexer: positions count lines and characters", "[jailconf]") {
  lexer lex(std::make_shared<const std::string>("f.conf"), "a;\n  \"\xc3\xa9\" b");
  token a = lex.next();
  CHECK(a.pos.line == 1);
  CHECK(a.pos.column == 1);
  lex.next();  // ;
  token e = lex.next();
  CHECK(e.pos.line == 2);
  CHECK(e.pos.column == 3);
  token b = lex.next();
  CHECK(b.pos.to_string() == "f.conf:2:7");  // the two-byte é counts as one column
}

TEST_CASE("lexer: refuses what jail(8) refuses, with the position", "[jailconf]") {
  struct row {
    const char* text;
    const char* expected;
  };
  const row rows[] = {
      {"a = \"open", "t.conf:1:5: unterminated string"},
      {"a = 'open", "t.conf:1:5: unterminated string"},
      {"/* never closed", "t.conf:1:1: unterminated comment"},
      {"a = ${x", "t.conf:1:5: unterminated variable"},
      {"a = \"${x\"", "t.conf:1:6: unterminated variable"},
      {"a = ${}", "t.conf:1:5: '${}' names no variable"},
      {"a;\r\n", "t.conf:1:3: carriage return"},
      {"a = caf\xc3\xa9;", "t.conf:1:8: a character outside ASCII must be inside quotes"},
      {"a = \"\\0\";", "t.conf:1:6: a value cannot contain a NUL character"},
      {"a = \"\\xg\";", "t.conf:1:6: '\\x' needs one or two hex digits"},
      {"a = \x01;", "t.conf:1:5: unexpected control character \\x01"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK_THAT(lex_error(r.text), Catch::StartsWith(r.expected));
  }
}

// Found by tests/fuzz/run jailconf: a raw NUL byte inside quotes was kept in
// the value, which the export then wrote as "\000", which no import reads.
TEST_CASE("lexer: a NUL byte inside quotes or a variable name is refused", "[jailconf]") {
  using namespace std::string_literals;
  CHECK_THAT(lex_error("a = \"x\0y\";"s),
             Catch::StartsWith("t.conf:1:7: a value cannot contain a NUL"));
  CHECK_THAT(lex_error("a = 'x\0y';"s),
             Catch::StartsWith("t.conf:1:7: a value cannot contain a NUL"));
  CHECK_THAT(lex_error("a = ${x\0y};"s),
             Catch::StartsWith("t.conf:1:8: a variable name cannot contain a NUL"));
  CHECK(lex_error("# a comment may hold \0 anything\n"s) == "no error");
}
