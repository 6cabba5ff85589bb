// The syntax tree of a jail.conf file, as the parser builds it: blocks of
// statements whose values are still unexpanded (variables are substituted
// per jail, by the evaluator). Plain value types; every piece keeps its
// position so that any later error can point at the text that caused it.
#pragma once

#include <string>
#include <vector>

#include "lib/jailconf/position.h"

namespace jaild::jailconf {

// One part of a value: literal text, or a variable reference ($x, ${x}).
struct piece {
  bool variable = false;
  std::string text;  // the literal text, or the variable's name
  position pos;
};

// A value: adjacent pieces with no blank between them ("$j/$name" is one
// word of three pieces; "a" "b" are two words).
struct word {
  std::vector<piece> pieces;
  position pos;

  bool is_literal() const;
  // The text of a literal word (all pieces literal).
  std::string literal() const;
};

enum class assign_op {
  flag,    // "name;"
  assign,  // "name = v, ...;" or "name v;"
  append,  // "name += v, ...;"
};

struct statement {
  std::string name;       // without the '$' of a variable
  bool variable = false;  // "$name = ..."
  assign_op op = assign_op::flag;
  std::vector<word> values;
  position pos;           // of the name
};

// A jail definition or a wildcard section. Statements outside any block
// belong to an implicit "*" block, as in jail(8).
struct block {
  std::string name;
  position pos;
  std::vector<statement> statements;
};

struct document {
  std::vector<block> blocks;  // in file order, includes expanded in place
};

}  // namespace jaild::jailconf
