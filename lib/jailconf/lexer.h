// The jail.conf(5) lexer. It follows jail(8)'s lexical rules (usr.sbin/jail/
// jaillex.l) without being a port of them:
//
// - blanks are spaces and tabs; newlines end lines; '#', '//' and '/* */'
//   comments count as blanks, anywhere outside a string;
// - a word is a run of adjacent pieces with no blank between them: unquoted
//   text, '...' (escapes, no variables), "..." (escapes and variables),
//   $name and ${name} (variables), so "a"b$c is one word;
// - escapes are C's (\n, \t, octal, \xHH, ...); a backslash before a newline
//   joins the lines;
// - the punctuation is { } ; , = and +=.
//
// A character jail(8) would refuse (a carriage return, a byte outside ASCII
// in an unquoted word, ...) is an error with its position.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lib/jailconf/syntax.h"

namespace jaild::jailconf {

enum class token_kind { word, open_brace, close_brace, semicolon, comma, equals, plus_equals, end };

struct token {
  token_kind kind = token_kind::end;
  position pos;
  jailconf::word word;  // for token_kind::word
};

// The name of a kind of token for messages ("';'", "a word", "end of file").
std::string token_kind_name(token_kind kind);

// A token as a message shows it: "'loghost'", "'{'", "end of file".
std::string describe(const token& t);

class lexer {
 public:
  // `text` must outlive the lexer.
  lexer(std::shared_ptr<const std::string> file, std::string_view text);

  token next();

 private:
  char peek(std::size_t ahead = 0) const;
  bool at_end() const { return offset_ >= text_.size(); }
  void advance();  // one byte, keeping line and column
  position here() const;

  void skip_block_comment();
  void skip_line();
  // Reads a backslash escape (the backslash is current) and appends what it
  // stands for to `out` (nothing for a backslash-newline).
  void read_escape(std::string& out);
  void read_quoted(char quote, word& w);
  void read_variable(word& w, bool in_double_quotes);
  void read_bare(word& w);
  void append_literal(word& w, const position& at, std::string text);

  std::shared_ptr<const std::string> file_;
  std::string_view text_;
  std::size_t offset_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace jaild::jailconf
