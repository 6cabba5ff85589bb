// Evaluation: the parameters that jail(8) would use for each jail of a
// document (usr.sbin/jail/config.c, load_config and add_param):
//
// - a jail starts with `name` (its block's name);
// - it takes the statements of its own block and of every wildcard block
//   that matches its name, in file order: wildcards above the jail first,
//   then the jail's own block, then wildcards below it, so that later
//   definitions override earlier ones;
// - "=" replaces what the jail has so far, "+=" appends, a valueless
//   statement ("allow.mount;") replaces; "allow.nomount" and "allow.mount"
//   are the same parameter (the name last written is kept);
// - then every $variable and ${parameter} is substituted, per jail, whatever
//   order the statements came in; a list substitutes only as a whole value.
//
// The errors jail(8) reports for a jail (an undefined variable, a loop, a
// variable named like a parameter, ...) are errors here, with the position
// of the text that caused them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/jailconf/syntax.h"

namespace jaild::jailconf {

struct value {
  std::string text;
  position pos;  // of the text it came from (a variable's own definition when substituted whole)
};

struct param {
  std::string name;            // as last written: "allow.noraw_sockets", "exec.start"
  std::vector<value> values;   // empty for "name;"
  position pos;                // of the statement that last set it
};

struct evaluated_jail {
  std::string name;
  position pos;                  // of its block
  std::vector<param> params;     // in jail(8)'s order; `name` first
  std::vector<param> variables;  // the $variables, names without '$'

  const param* find(std::string_view name) const;           // exact name
  const param* find_variable(std::string_view name) const;  // exact name, no '$'
};

// The jails of `doc` (wildcard blocks are not jails), in file order.
std::vector<evaluated_jail> evaluate(const document& doc);

// jail(8)'s equalopts(): whether two parameter names are the same parameter,
// one perhaps with "no" before one of its components.
bool same_option(std::string_view a, std::string_view b);

// Whether a block name is a wildcard ("*", "foo.*"), and whether it matches a jail.
bool is_wildcard_name(std::string_view name);
bool wildcard_matches(std::string_view jail, std::string_view wildcard);

}  // namespace jaild::jailconf
