#include "lib/jailconf/lexer.h"

#include <fmt/format.h>

#include "lib/model/hex.h"

namespace jaild::jailconf {
namespace {

// Characters of an unquoted word besides the few with a meaning of their own
// ('$', '\\', '*', '+', '/'), as jail(8) accepts them.
bool is_bare(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_': case '!': case '%': case '&': case '(': case ')': case '-': case '.': case ':':
    case '<': case '>': case '?': case '@': case '[': case ']': case '^': case '`': case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

std::string token_kind_name(token_kind kind) {
  switch (kind) {
    case token_kind::word: return "a word";
    case token_kind::open_brace: return "'{'";
    case token_kind::close_brace: return "'}'";
    case token_kind::semicolon: return "';'";
    case token_kind::comma: return "','";
    case token_kind::equals: return "'='";
    case token_kind::plus_equals: return "'+='";
    case token_kind::end: return "end of file";
  }
  return "a token";
}

std::string describe(const token& t) {
  if (t.kind != token_kind::word) return token_kind_name(t.kind);
  std::string text;
  for (const auto& p : t.word.pieces) text += p.variable ? "${" + p.text + "}" : p.text;
  return quote_text(text);
}

lexer::lexer(std::shared_ptr<const std::string> file, std::string_view text)
    : file_(std::move(file)), text_(text) {}

char lexer::peek(std::size_t ahead) const {
  return offset_ + ahead < text_.size() ? text_[offset_ + ahead] : '\0';
}

void lexer::advance() {
  if (at_end()) return;
  const char c = text_[offset_++];
  if (c == '\n') {
    ++line_;
    column_ = 1;
  } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
    ++column_;  // continuation bytes of a UTF-8 character do not move the column
  }
}

position lexer::here() const { return position{file_, line_, column_}; }

void lexer::skip_line() {
  while (!at_end() && peek() != '\n') advance();
}

void lexer::skip_block_comment() {
  const position start = here();
  advance();  // '/'
  advance();  // '*'
  while (!at_end()) {
    if (peek() == '*' && peek(1) == '/') {
      advance();
      advance();
      return;
    }
    advance();
  }
  fail_at(start, "unterminated comment: '/*' has no '*/'");
}

void lexer::read_escape(std::string& out) {
  const position at = here();
  advance();  // the backslash
  if (at_end()) {
    out += '\\';  // a lone backslash at the very end is itself
    return;
  }
  const char c = peek();
  if (c >= '0' && c <= '7') {
    int value = 0;
    for (int i = 0; i < 3 && peek() >= '0' && peek() <= '7'; ++i) {
      value = value * 8 + (peek() - '0');
      advance();
    }
    if ((value & 0xff) == 0) fail_at(at, "a value cannot contain a NUL character");
    out += static_cast<char>(value & 0xff);
    return;
  }
  advance();
  switch (c) {
    case 'a': out += '\a'; return;
    case 'b': out += '\b'; return;
    case 'f': out += '\f'; return;
    case 'n': out += '\n'; return;
    case 'r': out += '\r'; return;
    case 't': out += '\t'; return;
    case 'v': out += '\v'; return;
    case '\n': return;  // a backslash at the end of a line continues the value
    case 'x': {
      int value = 0;
      int digits = 0;
      while (digits < 2 && model::hex_value(peek()) >= 0) {
        value = value * 16 + model::hex_value(peek());
        advance();
        ++digits;
      }
      if (value == 0)
        fail_at(at, digits == 0 ? "'\\x' needs one or two hex digits"
                                : "a value cannot contain a NUL character");
      out += static_cast<char>(value);
      return;
    }
    default:
      out += c;
      return;
  }
}

void lexer::append_literal(word& w, const position& at, std::string text) {
  if (!w.pieces.empty() && !w.pieces.back().variable) {
    w.pieces.back().text += text;
    return;
  }
  w.pieces.push_back(piece{false, std::move(text), at});
}

void lexer::read_variable(word& w, bool in_double_quotes) {
  const position at = here();
  if (peek(1) == '{') {
    advance();  // '$'
    advance();  // '{'
    std::string name;
    while (true) {
      const char c = peek();
      if (at_end() || c == '\n' || c == '{' || (in_double_quotes && c == '"'))
        fail_at(at, "unterminated variable: '${' has no '}' on the same line");
      if (c == '}') {
        advance();
        break;
      }
      if (c == '\0') fail_at(here(), "a variable name cannot contain a NUL character");
      if (c == '\\') {
        read_escape(name);
      } else {
        name += c;
        advance();
      }
    }
    if (name.empty()) fail_at(at, "'${}' names no variable");
    w.pieces.push_back(piece{true, std::move(name), at});
    return;
  }
  if (is_name_start(peek(1))) {
    advance();  // '$'
    std::string name;
    while (is_name_char(peek())) {
      name += peek();
      advance();
    }
    w.pieces.push_back(piece{true, std::move(name), at});
    return;
  }
  advance();
  append_literal(w, at, "$");  // a '$' that starts no variable is itself
}

void lexer::read_quoted(char quote, word& w) {
  const position start = here();
  advance();  // the opening quote
  std::string text;
  position text_at = here();
  bool produced = false;  // a variable was read: "" alone must still give an empty value
  while (true) {
    if (at_end())
      fail_at(start, quote == '"' ? "unterminated string: '\"' has no closing '\"'"
                                  : "unterminated string: \"'\" has no closing \"'\"");
    const char c = peek();
    if (c == quote) {
      advance();
      break;
    }
    if (c == '\0') fail_at(here(), "a value cannot contain a NUL character");
    if (c == '\\') {
      read_escape(text);
    } else if (quote == '"' && c == '$' && (peek(1) == '{' || is_name_start(peek(1)))) {
      // Variables expand in double quotes only ('...' keeps '$' as it is).
      if (!text.empty()) append_literal(w, text_at, std::move(text));
      text.clear();
      read_variable(w, true);
      produced = true;
      text_at = here();
    } else {
      text += c;
      advance();
    }
  }
  if (!text.empty() || !produced) append_literal(w, text_at, std::move(text));
}

void lexer::read_bare(word& w) {
  const position at = here();
  std::string text;
  while (is_bare(peek())) {
    text += peek();
    advance();
  }
  append_literal(w, at, std::move(text));
}

token lexer::next() {
  // Blanks and comments.
  while (!at_end()) {
    const char c = peek();
    if (c == ' ' || c == '\t' || c == '\n') {
      advance();
    } else if (c == '#' || (c == '/' && peek(1) == '/')) {
      skip_line();
    } else if (c == '/' && peek(1) == '*') {
      skip_block_comment();
    } else {
      break;
    }
  }
  token t;
  t.pos = here();
  if (at_end()) return t;

  auto punct = [&](token_kind kind, int length) {
    t.kind = kind;
    for (int i = 0; i < length; ++i) advance();
    return t;
  };
  switch (peek()) {
    case '{': return punct(token_kind::open_brace, 1);
    case '}': return punct(token_kind::close_brace, 1);
    case ';': return punct(token_kind::semicolon, 1);
    case ',': return punct(token_kind::comma, 1);
    case '=': return punct(token_kind::equals, 1);
    case '+':
      if (peek(1) == '=') return punct(token_kind::plus_equals, 2);
      break;
    default: break;
  }

  // A word: pieces until a blank, a comment, punctuation or the end.
  t.kind = token_kind::word;
  t.word.pos = t.pos;
  while (!at_end()) {
    const char c = peek();
    if (c == '"' || c == '\'') {
      read_quoted(c, t.word);
    } else if (c == '$') {
      read_variable(t.word, false);
    } else if (c == '\\') {
      const position at = here();
      std::string text;
      read_escape(text);
      append_literal(t.word, at, std::move(text));
    } else if (c == '*' || (c == '/' && peek(1) != '/' && peek(1) != '*') ||
               (c == '+' && peek(1) != '=')) {
      append_literal(t.word, here(), std::string(1, c));
      advance();
    } else if (is_bare(c)) {
      read_bare(t.word);
    } else {
      break;
    }
  }
  if (!t.word.pieces.empty()) return t;

  // Nothing a word can start with.
  const auto u = static_cast<unsigned char>(peek());
  if (peek() == '\r')
    fail_at(t.pos, "carriage return: jail(8) reads only LF line ends (convert the file with "
                   "'tr -d \\\\r')");
  if (u >= 0x80)
    fail_at(t.pos, "a character outside ASCII must be inside quotes");
  if (u < 0x20 || u == 0x7f)
    fail_at(t.pos, fmt::format("unexpected control character \\x{:02x}", u));
  fail_at(t.pos, fmt::format("unexpected character '{}'", peek()));
}

}  // namespace jaild::jailconf
