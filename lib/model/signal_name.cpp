#include "lib/model/signal_name.h"

#include <signal.h>

#include <cctype>
#include <utility>

namespace jaild::model {
namespace {

// POSIX's signals that are sent, not raised by a fault: a process is never
// "sent" SIGSEGV or SIGFPE by an operator.
const std::vector<std::pair<std::string, int>>& table() {
  static const std::vector<std::pair<std::string, int>> t = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"ALRM", SIGALRM},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"WINCH", SIGWINCH}, {"PIPE", SIGPIPE}};
  return t;
}

}  // namespace

std::optional<int> signal_number(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.starts_with("SIG")) upper.erase(0, 3);
  for (const auto& [n, number] : table())
    if (n == upper) return number;
  return std::nullopt;
}

std::string signal_name(int number) {
  for (const auto& [n, value] : table())
    if (value == number) return n;
  return {};
}

const std::vector<std::string>& signal_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [n, number] : table()) v.push_back(n);
    return v;
  }();
  return names;
}

}  // namespace jaild::model
