#include "lib/jailconf/evaluator.h"

#include <fmt/format.h>

#include <array>
#include <map>
#include <unordered_map>

namespace jaild::jailconf {
namespace {

// Limits that keep a hostile or broken file from using unbounded time or
// memory: jail(8) has none, but it does not serve an API.
constexpr std::size_t max_total_params = 2'000'000;  // summed over all jails
constexpr std::size_t max_value_bytes = 256 * 1024;
constexpr int max_variable_depth = 64;

// jail(8)'s own parameter names (config.c, intparams): a $variable may not
// have one of these names, whether or not the jail sets the parameter.
constexpr std::array<std::string_view, 44> jail8_params{
    "allow.dying",   "command",         "depend",          "exec.clean",
    "exec.consolelog", "exec.fib",      "exec.jail_user",  "exec.poststart",
    "exec.poststop", "exec.prepare",    "exec.prestart",   "exec.prestop",
    "exec.release",  "exec.created",    "exec.start",      "exec.stop",
    "exec.system_jail_user", "exec.system_user", "exec.timeout", "interface",
    "ip_hostname",   "mount",           "mount.devfs",     "mount.fdescfs",
    "mount.procfs",  "mount.fstab",     "stop.timeout",    "vnet.interface",
    "allow.chflags", "allow.mount",     "allow.raw_sockets", "allow.set_hostname",
    "allow.socket_af", "allow.sysvipc", "devfs_ruleset",   "host.hostname",
    "ip4.addr",      "ip6.addr",        "jid",             "name",
    "path",          "persist",         "securelevel",     "vnet"};

bool no_prefixed(std::string_view with, std::string_view without) {
  return with.size() >= 2 && with.substr(0, 2) == "no" && with.substr(2) == without;
}

// A key that two names share whenever same_option() holds: every component
// without its leading "no"s.
std::string option_key(std::string_view name) {
  std::string key;
  while (true) {
    auto dot = name.find('.');
    std::string_view part = name.substr(0, dot);
    while (part.size() >= 2 && part.substr(0, 2) == "no") part.remove_prefix(2);
    key += part;
    if (dot == std::string_view::npos) break;
    key += '.';
    name.remove_prefix(dot + 1);
  }
  return key;
}

struct entry {
  std::string name;
  bool variable = false;
  bool immutable = false;
  std::vector<word> words;
  position pos;
};

class jail_evaluator {
 public:
  jail_evaluator(const block& self, std::size_t& budget) : self_(self), budget_(budget) {}

  void add_implied_name() {
    entry e;
    // jail(8): a block named by a non-zero number sets the jid, not the name.
    const bool numeric = !self_.name.empty() &&
                         self_.name.find_first_not_of("0123456789") == std::string::npos &&
                         self_.name.find_first_not_of('0') != std::string::npos;
    e.name = numeric ? "jid" : "name";
    e.immutable = true;
    e.pos = self_.pos;
    word w;
    w.pos = self_.pos;
    w.pieces.push_back(piece{false, self_.name, self_.pos});
    e.words.push_back(std::move(w));
    insert(std::move(e));
  }

  void add(const statement& s) {
    if (++budget_ > max_total_params)
      fail_at(s.pos, "the file is too large to evaluate (more than 2,000,000 parameters over "
                     "all jails)");
    auto it = by_key_.find(option_key(s.name));
    if (it != by_key_.end()) {
      for (std::size_t index : it->second) {
        entry& old = entries_[index];
        if (!same_option(old.name, s.name)) continue;
        if (old.variable != s.variable)
          fail_at(s.pos, fmt::format("jail '{}': variable '${}' cannot have the same name as a "
                                     "parameter",
                                     self_.name, s.name));
        if (old.immutable)
          fail_at(s.pos, fmt::format("jail '{}': parameter '{}' cannot be set; it comes from the "
                                     "jail's block name",
                                     self_.name, old.name));
        old.name = s.name;
        old.pos = s.pos;
        if (s.op != assign_op::append || s.values.empty()) old.words.clear();
        old.words.insert(old.words.end(), s.values.begin(), s.values.end());
        return;
      }
    }
    if (s.variable) {
      for (auto p : jail8_params)
        if (same_option(p, s.name))
          fail_at(s.pos, fmt::format("variable '${}' cannot have the same name as the jail(8) "
                                     "parameter '{}'",
                                     s.name, p));
    }
    entry e;
    e.name = s.name;
    e.variable = s.variable;
    e.words = s.values;
    e.pos = s.pos;
    insert(std::move(e));
  }

  evaluated_jail finish() {
    for (std::size_t i = 0; i < entries_.size(); ++i) by_name_.emplace(entries_[i].name, i);
    resolved_.resize(entries_.size());
    state_.assign(entries_.size(), state::pending);
    for (std::size_t i = 0; i < entries_.size(); ++i) resolve(i, 0);
    evaluated_jail out;
    out.name = self_.name;
    out.pos = self_.pos;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      param p{entries_[i].name, std::move(resolved_[i]), entries_[i].pos};
      (entries_[i].variable ? out.variables : out.params).push_back(std::move(p));
    }
    return out;
  }

 private:
  enum class state { pending, active, done };

  void insert(entry e) {
    by_key_[option_key(e.name)].push_back(entries_.size());
    entries_.push_back(std::move(e));
  }

  void resolve(std::size_t index, int depth) {
    if (state_[index] == state::done) return;
    state_[index] = state::active;
    const entry& e = entries_[index];
    std::vector<value> out;
    for (const word& w : e.words) {
      const bool whole = w.pieces.size() == 1 && w.pieces[0].variable;
      std::string text;
      bool spread = false;
      for (const piece& p : w.pieces) {
        if (!p.variable) {
          text += p.text;
          continue;
        }
        const std::vector<value>& values = lookup(p, e, depth);
        if (values.size() > 1) {
          if (!whole)
            fail_at(p.pos, fmt::format("jail '{}': '{}' is a list of {} values; a list can only "
                                       "be substituted as a whole value, not inside '{}'",
                                       self_.name, p.text, values.size(), e.name));
          out.insert(out.end(), values.begin(), values.end());
          spread = true;
          break;
        }
        text += values.front().text;
        if (text.size() > max_value_bytes)
          fail_at(p.pos, fmt::format("jail '{}': the value of '{}' grows beyond {} bytes",
                                     self_.name, e.name, max_value_bytes));
      }
      if (!spread) out.push_back(value{std::move(text), w.pos});
    }
    resolved_[index] = std::move(out);
    state_[index] = state::done;
  }

  const std::vector<value>& lookup(const piece& p, const entry& user, int depth) {
    auto it = by_name_.find(p.text);
    if (it == by_name_.end() || entries_[it->second].words.empty()) {
      std::string hint;
      if (p.text == "jid")
        hint = " (jail(8) knows a jail's jid only when the jail is named by a number or sets "
               "jid; it is assigned when the jail is created, after this file is read)";
      else if (it != by_name_.end())
        hint = " (it is set without a value)";
      fail_at(p.pos, fmt::format("jail '{}': variable '{}' used in '{}' is not defined{}",
                                 self_.name, p.text, user.name, hint));
    }
    const std::size_t target = it->second;
    if (state_[target] == state::active)
      fail_at(p.pos, fmt::format("jail '{}': variable loop: '{}' depends on itself", self_.name,
                                 p.text));
    if (depth >= max_variable_depth)
      fail_at(p.pos, fmt::format("jail '{}': variables nested more than {} deep", self_.name,
                                 max_variable_depth));
    resolve(target, depth + 1);
    return resolved_[target];
  }

  const block& self_;
  std::size_t& budget_;
  std::vector<entry> entries_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_key_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::vector<std::vector<value>> resolved_;
  std::vector<state> state_;
};

}  // namespace

bool same_option(std::string_view a, std::string_view b) {
  if (a == b || no_prefixed(a, b) || no_prefixed(b, a)) return true;
  while (true) {
    auto dot = a.find('.');
    if (dot == std::string_view::npos) return false;
    if (b.substr(0, dot + 1) != a.substr(0, dot + 1)) return false;
    a.remove_prefix(dot + 1);
    b.remove_prefix(dot + 1);
    if (no_prefixed(a, b) || no_prefixed(b, a)) return true;
  }
}

bool is_wildcard_name(std::string_view name) {
  for (std::size_t star = name.find('*'); star != std::string_view::npos;
       star = name.find('*', star + 1)) {
    const bool starts = star == 0 || name[star - 1] == '.';
    const bool ends = star + 1 == name.size() || name[star + 1] == '.';
    if (starts && ends) return true;
  }
  return false;
}

bool wildcard_matches(std::string_view jail, std::string_view wildcard) {
  // A "*" component matches one component of the jail's name; a final "*"
  // matches one or more.
  while (true) {
    auto jdot = jail.find('.');
    auto wdot = wildcard.find('.');
    if (jdot == std::string_view::npos || wdot == std::string_view::npos) break;
    const auto jpart = jail.substr(0, jdot);
    const auto wpart = wildcard.substr(0, wdot);
    if (jpart != wpart && wpart != "*") return false;
    jail.remove_prefix(jdot + 1);
    wildcard.remove_prefix(wdot + 1);
  }
  return jail == wildcard || wildcard == "*";
}

const param* evaluated_jail::find(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

const param* evaluated_jail::find_variable(std::string_view n) const {
  for (const auto& p : variables)
    if (p.name == n) return &p;
  return nullptr;
}

std::vector<evaluated_jail> evaluate(const document& doc) {
  std::vector<const block*> wild;
  std::vector<std::size_t> wild_seq;
  std::map<std::string, position, std::less<>> seen;
  for (std::size_t i = 0; i < doc.blocks.size(); ++i) {
    const block& b = doc.blocks[i];
    if (is_wildcard_name(b.name)) {
      wild.push_back(&b);
      wild_seq.push_back(i);
      continue;
    }
    auto [it, fresh] = seen.emplace(b.name, b.pos);
    if (!fresh)
      fail_at(b.pos, fmt::format("jail '{}' is defined twice (first at {})", b.name,
                                 it->second.to_string()));
  }

  std::vector<evaluated_jail> out;
  std::size_t budget = 0;
  for (std::size_t i = 0; i < doc.blocks.size(); ++i) {
    const block& self = doc.blocks[i];
    if (is_wildcard_name(self.name)) continue;
    jail_evaluator j(self, budget);
    j.add_implied_name();
    bool did_self = false;
    auto add_own = [&] {
      for (const auto& s : self.statements) j.add(s);
      did_self = true;
    };
    for (std::size_t w = 0; w < wild.size(); ++w) {
      if (i < wild_seq[w] && !did_self) add_own();
      if (wildcard_matches(self.name, wild[w]->name))
        for (const auto& s : wild[w]->statements) j.add(s);
    }
    if (!did_self) add_own();
    out.push_back(j.finish());
  }
  return out;
}

}  // namespace jaild::jailconf
