// Signals by name, as kill(1) takes them ("HUP", "SIGHUP", "hup"), for the
// signal API and the streaming exec's signal message. Names, not numbers,
// are the wire format: numbers differ between FreeBSD and Linux.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jaild::model {

// The platform's number of a signal a jail may be sent; nullopt for a name
// not in the list (signal_names()).
std::optional<int> signal_number(std::string_view name);

// The name of a number signal_number() returns ("HUP"); "" for another.
std::string signal_name(int number);

// "HUP", "INT", ...: the names signal_number() takes, without "SIG".
const std::vector<std::string>& signal_names();

}  // namespace jaild::model
