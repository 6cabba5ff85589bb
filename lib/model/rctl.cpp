#include "lib/model/rctl.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include "lib/model/validate.h"

namespace jaild::model {
namespace {

// rctl(8), RESOURCES.
constexpr std::array<std::string_view, 25> resources{
    "cputime",   "datasize",   "stacksize", "coredumpsize", "memoryuse",
    "memorylocked", "maxproc", "openfiles", "vmemoryuse",   "pseudoterminals",
    "swapuse",   "nthr",       "msgqqueued", "msgqsize",    "nmsgq",
    "nsem",      "nsemop",     "nshm",      "shmsize",      "wallclock",
    "pcpu",      "readbps",    "writebps",  "readiops",     "writeiops"};

// The kernel's racct flags: only these can be denied (RACCT_DENIABLE)...
bool deniable(std::string_view r) {
  return r != "cputime" && r != "wallclock" && r != "readbps" && r != "writebps" &&
         r != "readiops" && r != "writeiops";
}
// ...and only the I/O rates can be throttled (RACCT_DECAYING, minus pcpu).
bool throttleable(std::string_view r) {
  return r == "readbps" || r == "writebps" || r == "readiops" || r == "writeiops";
}

// signal(3) names that rctl(8) accepts after "sig".
constexpr std::array<std::string_view, 31> signals{
    "hup",  "int",  "quit", "ill",  "trap",   "abrt", "emt",  "fpe",  "kill",   "bus",  "segv",
    "sys",  "pipe", "alrm", "term", "urg",    "stop", "tstp", "cont", "chld",   "ttin", "ttou",
    "io",   "xcpu", "xfsz", "vtalrm", "prof", "winch", "info", "usr1", "usr2"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool is_rctl_resource(std::string_view resource) {
  return std::find(resources.begin(), resources.end(), resource) != resources.end();
}

std::string rctl_rule::to_string() const {
  std::string out = resource + ":" + action + "=" + amount_text;
  if (!per.empty()) out += "/" + per;
  return out;
}

std::optional<rctl_rule> parse_rctl_rule(std::string_view text, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<rctl_rule> {
    if (problem) *problem = std::move(why);
    return std::nullopt;
  };
  const std::string quoted = "'" + std::string(text) + "'";
  auto colon = text.find(':');
  auto equals = text.find('=');
  if (colon == std::string_view::npos || equals == std::string_view::npos || equals < colon)
    return fail(quoted + " is not an RCTL rule of the form resource:action=amount[/per], "
                         "e.g. memoryuse:deny=512M");
  if (text.find(':', colon + 1) < equals)
    return fail(quoted + " has a subject; write the rule without it (jaild adds jail:NAME:)");

  rctl_rule rule;
  rule.resource = lower(text.substr(0, colon));
  rule.action = lower(text.substr(colon + 1, equals - colon - 1));
  std::string_view value = text.substr(equals + 1);
  if (auto slash = value.find('/'); slash != std::string_view::npos) {
    rule.per = lower(value.substr(slash + 1));
    value = value.substr(0, slash);
    if (rule.per != "process" && rule.per != "user" && rule.per != "loginclass" &&
        rule.per != "jail")
      return fail(quoted + ": '/" + rule.per +
                  "' is not one of /process, /user, /loginclass, /jail");
  }
  if (!is_rctl_resource(rule.resource))
    return fail(quoted + ": '" + rule.resource +
                "' is not an RCTL resource (see rctl(8): memoryuse, vmemoryuse, maxproc, "
                "openfiles, pcpu, cputime, ...)");

  const std::string& a = rule.action;
  if (a == "deny") {
    if (!deniable(rule.resource))
      return fail(quoted + ": the kernel cannot deny " + rule.resource +
                  "; use log, devctl or a signal" +
                  (throttleable(rule.resource) ? std::string(", or throttle") : std::string()));
  } else if (a == "throttle") {
    if (!throttleable(rule.resource))
      return fail(quoted + ": throttle works only on readbps, writebps, readiops, writeiops");
  } else if (a.starts_with("sig")) {
    std::string_view sig = std::string_view(a).substr(3);
    if (std::find(signals.begin(), signals.end(), sig) == signals.end())
      return fail(quoted + ": '" + a + "' is not a signal action (sigterm, sigkill, ...)");
  } else if (a != "log" && a != "devctl") {
    return fail(quoted + ": '" + a +
                "' is not an RCTL action (deny, log, devctl, throttle, sigNAME)");
  }

  std::string why;
  auto amount = check::parse_rctl_amount(value, &why);
  if (!amount) return fail(quoted + ": " + why);
  if (rule.resource == "pcpu" && *amount > 100000)
    return fail(quoted + ": pcpu is a percentage of one CPU; " + std::string(value) +
                " is more than any machine has");
  rule.amount = *amount;
  rule.amount_text = std::string(value);
  return rule;
}

}  // namespace jaild::model
