#include "lib/jailconf/parser.h"

#include <fmt/format.h>

#include "lib/jailconf/lexer.h"

namespace jaild::jailconf {
namespace {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? "/" : path.substr(0, slash);
}

class parser {
 public:
  parser(source_loader& loader, document& doc) : loader_(loader), doc_(doc) {}

  void parse_file(std::string_view text, const std::string& file_name, int depth) {
    lexer lex(std::make_shared<const std::string>(file_name), text);
    while (true) {
      token t = lex.next();
      switch (t.kind) {
        case token_kind::end: return;
        case token_kind::semicolon: continue;
        case token_kind::word: break;
        default:
          fail_at(t.pos, "expected a jail name or a parameter, found " + describe(t));
      }
      if (t.word.is_literal() && t.word.literal() == ".include") {
        include(lex, t, file_name, depth);
        continue;
      }
      token after = lex.next();
      if (after.kind == token_kind::open_brace) {
        parse_block(lex, t);
        continue;
      }
      statement s = parse_statement(lex, t, after, nullptr);
      if (doc_.blocks.empty() || doc_.blocks.back().name != "*")
        doc_.blocks.push_back(block{"*", s.pos, {}});
      doc_.blocks.back().statements.push_back(std::move(s));
    }
  }

 private:
  // `first` is the name; `after` the token that follows it. Consumes the ';'.
  statement parse_statement(lexer& lex, const token& first, token after, const block* in) {
    statement s;
    s.pos = first.pos;
    const auto& pieces = first.word.pieces;
    if (pieces.size() == 1 && pieces[0].variable) {
      s.variable = true;
      s.name = pieces[0].text;
    } else if (first.word.is_literal()) {
      s.name = first.word.literal();
      if (s.name.empty()) fail_at(first.pos, "a parameter name cannot be empty");
    } else {
      for (const auto& p : pieces)
        if (p.variable)
          fail_at(p.pos, "a parameter name cannot contain a variable ($" + p.text +
                             "); only values are expanded");
    }
    const std::string what = (s.variable ? "$" : "") + s.name;
    switch (after.kind) {
      case token_kind::semicolon:
        s.op = assign_op::flag;
        return s;
      case token_kind::equals:
      case token_kind::plus_equals: {
        s.op = after.kind == token_kind::equals ? assign_op::assign : assign_op::append;
        token v = lex.next();
        if (v.kind != token_kind::word)
          fail_at(v.pos, fmt::format("expected a value after {} for '{}', found {}",
                                     token_kind_name(after.kind), what, describe(v)));
        after = read_values(lex, std::move(v), s, what);
        break;
      }
      case token_kind::word:
        s.op = assign_op::assign;  // "name value;" is jail(8)'s shorthand for "name = value;"
        after = read_values(lex, std::move(after), s, what);
        break;
      case token_kind::open_brace:
        fail_at(after.pos, in ? fmt::format("jail blocks cannot be nested (inside '{}')", in->name)
                              : "a jail name must be a plain word");
      default:
        fail_at(after.pos, fmt::format("expected '=', '+=', a value or ';' after '{}', found {}",
                                       what, describe(after)));
    }
    if (after.kind != token_kind::semicolon)
      fail_at(after.pos,
              fmt::format("expected ';' after the value of '{}', found {}", what, describe(after)));
    return s;
  }

  // Reads `first` and any ", WORD" after it; returns the token after the list.
  token read_values(lexer& lex, token first, statement& s, const std::string& what) {
    s.values.push_back(std::move(first.word));
    while (true) {
      token t = lex.next();
      if (t.kind != token_kind::comma) return t;
      token v = lex.next();
      if (v.kind != token_kind::word)
        fail_at(v.pos, fmt::format("expected a value after ',' in the list of '{}', found {}", what,
                                   describe(v)));
      s.values.push_back(std::move(v.word));
    }
  }

  void parse_block(lexer& lex, const token& name) {
    if (!name.word.is_literal()) {
      for (const auto& p : name.word.pieces)
        if (p.variable) fail_at(p.pos, "a jail name cannot contain a variable ($" + p.text + ")");
    }
    block b;
    b.name = name.word.literal();
    b.pos = name.pos;
    if (b.name.empty()) fail_at(name.pos, "a jail name cannot be empty");
    while (true) {
      token t = lex.next();
      switch (t.kind) {
        case token_kind::close_brace:
          doc_.blocks.push_back(std::move(b));
          return;
        case token_kind::semicolon: continue;
        case token_kind::end:
          fail_at(t.pos, fmt::format("end of file inside jail '{}' (opened at {}): expected '}}'",
                                     b.name, b.pos.to_string()));
        case token_kind::word: break;
        default:
          fail_at(t.pos, fmt::format("expected a parameter or '}}' in jail '{}', found {}", b.name,
                                     describe(t)));
      }
      if (t.word.is_literal() && t.word.literal() == ".include")
        fail_at(t.pos, "'.include' is allowed only outside jail blocks");
      token after = lex.next();
      b.statements.push_back(parse_statement(lex, t, std::move(after), &b));
    }
  }

  void include(lexer& lex, const token& directive, const std::string& file_name, int depth) {
    token target = lex.next();
    if (target.kind != token_kind::word)
      fail_at(target.pos, "expected a file name after '.include', found " + describe(target));
    for (const auto& p : target.word.pieces)
      if (p.variable)
        fail_at(p.pos, "the file name of '.include' must be literal: jail(8) expands no "
                       "variables there");
    token end = lex.next();
    if (end.kind != token_kind::semicolon)
      fail_at(end.pos, "expected ';' after the file name of '.include', found " + describe(end));

    std::string pattern = target.word.literal();
    if (pattern.empty()) fail_at(target.pos, "'.include' needs a file name");
    if (pattern.front() != '/') {
      const auto dir = directory_of(file_name);
      if (dir.empty())
        fail_at(target.pos, fmt::format("relative '.include \"{}\"' needs to know the directory of "
                                        "the including file; give the file's path",
                                        pattern));
      pattern = (dir == "/" ? "" : dir) + "/" + pattern;
    }
    if (depth + 1 > max_include_depth)
      fail_at(directive.pos, fmt::format("'.include' nested more than {} deep (does a file include "
                                         "itself?)",
                                         max_include_depth));
    std::vector<std::string> files;
    try {
      files = has_glob_magic(pattern) ? loader_.glob(pattern) : std::vector<std::string>{pattern};
    } catch (const error& e) {
      fail_at(target.pos, std::string("cannot include: ") + e.what());
    }
    for (const auto& path : files) {
      std::string text;
      try {
        text = loader_.read(path);
      } catch (const error& e) {
        fail_at(target.pos, std::string("cannot include: ") + e.what());
      }
      parse_file(text, path, depth + 1);
    }
  }

  source_loader& loader_;
  document& doc_;
};

}  // namespace

document parse(std::string_view text, const std::string& file_name, source_loader& loader) {
  document doc;
  parser(loader, doc).parse_file(text, file_name, 0);
  return doc;
}

}  // namespace jaild::jailconf
