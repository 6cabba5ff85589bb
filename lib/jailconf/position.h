// Where something is in jail.conf text, and the error that points there.
// Every message about a jail.conf file starts with FILE:LINE:COL so that an
// editor (or a person) can jump to the place.
#pragma once

#include <memory>
#include <string>

#include "lib/model/error.h"

namespace jaild::jailconf {

struct position {
  std::shared_ptr<const std::string> file;  // shared: every token of a file points at one name
  int line = 1;
  int column = 1;  // in characters (UTF-8 code points), tabs count one

  // "jail.conf:12:5" ("<input>:12:5" when the text has no file name).
  std::string to_string() const;
};

// Throws jaild::error(code, "FILE:LINE:COL: message").
[[noreturn]] void fail_at(const position& where, const std::string& message,
                          errc code = errc::jailconf_syntax);

// Text quoted for a message: printable ASCII as is, other bytes escaped, and
// cut after 60 characters so one huge value cannot flood a log line.
std::string quote_text(std::string_view text);

}  // namespace jaild::jailconf
