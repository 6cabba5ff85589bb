// The jail.conf(5) parser: recursive descent over the lexer's tokens into a
// syntax tree (syntax.h). The grammar is jail(8)'s (usr.sbin/jail/jailparse.y):
//
//   file       = { ';' | include | block | statement ';' }
//   include    = ".include" WORD ';'          (top level; a literal file name or glob)
//   block      = WORD '{' { ';' | statement ';' } '}'
//   statement  = name [ ( '=' | '+=' ) values | values ]
//   name       = WORD (literal) | $VARIABLE
//   values     = WORD { ',' WORD }
//
// Statements outside any block go to an implicit "*" block, which is the one
// before them when that one is a "*" block too, as jail(8) does.
//
// `.include` names a file or a glob; a relative name is taken relative to the
// directory of the including file (so that file's name must have one). A glob
// that matches nothing includes nothing; a plain name that does not exist is
// an error. Includes nest at most 32 deep (jail(8)'s limit).
#pragma once

#include <string>
#include <string_view>

#include "lib/jailconf/source_loader.h"
#include "lib/jailconf/syntax.h"

namespace jaild::jailconf {

inline constexpr int max_include_depth = 32;

// Parses `text`, whose name for messages (and base for relative includes) is
// `file_name`. Throws jaild::error (jailconf_syntax) at the first error.
document parse(std::string_view text, const std::string& file_name, source_loader& loader);

}  // namespace jaild::jailconf
