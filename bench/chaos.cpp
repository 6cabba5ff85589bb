// Chaos (issue 8, point 6): random lifecycle operations through the API of a
// real jaild on real Linux jails, while jaild is killed with SIGKILL at random
// moments (in the middle of operations too) and started again. At the end the
// desired state must hold, and after every jail is deleted nothing may be left
// on the host: no veth, bridge, cgroup, mount, address alias, network
// namespace or process of the run's jails. Prints `leaks: N` with a line per
// leak and every mismatch of desired state; exits 1 when there is any.
//
//   jaild_chaos [--ops N] [--seed S] [--jails N] [--clients N] [--kill-rate P]
//               [--verbose]
//
// Several clients send operations at once (each its own share of --ops, each
// with its own random sequence from the seed). Before any client's request, a
// kill is armed with probability --kill-rate: a thread sends SIGKILL to jaild
// after 0-300 ms, while that request and the other clients' are in flight or
// just after. The client that armed it then starts jaild again, once no
// request is in flight, and re-reads what jaild has.
//
// Root only; builds its busybox-static root file systems and starts jaild on
// a temporary state directory and socket with the system tests' helpers
// (tests/system/system_support.h, tests/support/daemon_fixture.h). Every name
// the run gives a host object starts with systest::prefix() ("jt<pid>"); the
// veth pairs jaild names after its instance ids ("e0a_<id>"), which are the
// tag of this run's own database followed by its counter values. The same seed replays the same
// sequence of operations (the timing of kills against the daemon's threads is
// not reproducible). Whatever the run leaves behind is removed after it is
// counted, pass or fail.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lib/store/store.h"
#include "tests/support/daemon_fixture.h"
#include "tests/system/system_support.h"

namespace {

using namespace jaild;
using namespace std::chrono_literals;
using nlohmann::json;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct options {
  int ops = 500;
  std::uint64_t seed = 0;
  int jails = 10;
  int clients = 2;
  double kill_rate = 0.08;
  bool verbose = false;
};

std::string base36(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), digits[v % 36]);
    v /= 36;
  } while (v);
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// ---------------------------------------------------------------------------
// What is on the host.

struct link_info {
  std::string name, kind, master;
};

// `ip -d -j link show`: every interface with its kind and master.
std::vector<link_info> host_links() {
  std::vector<link_info> out;
  const auto r = systest::run({"ip", "-d", "-j", "link", "show"});
  const auto list = json::parse(r.output.empty() ? "[]" : r.output, nullptr, false);
  if (!list.is_array()) return out;
  for (const auto& l : list) {
    link_info i;
    i.name = l.value("ifname", "");
    i.master = l.value("master", "");
    if (auto li = l.find("linkinfo"); li != l.end()) i.kind = li->value("info_kind", "");
    out.push_back(i);
  }
  return out;
}

// Cgroup directories "<prefix>-*" below a "jaild-<tag>" (or legacy "jaild")
// directory, in every hierarchy.
std::vector<fs::path> jail_cgroups(const std::string& prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& top : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (top.is_symlink(ec) || !top.is_directory(ec)) continue;
    for (auto it = fs::recursive_directory_iterator(
             top.path(), fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
      const auto leaf = it->path().filename().string();
      const auto parent = it->path().parent_path().filename().string();
      if (leaf.rfind(prefix + "-", 0) == 0 && parent.rfind("jaild", 0) == 0) {
        out.push_back(it->path());
        it.disable_recursion_pending();
      }
    }
  }
  return out;
}

// Processes of the run's jails: in their cgroups (by /proc/PID/cgroup), or
// their jaild-init wherever it is ("jaild-init persist jail=NAME --"). A
// zombie is not one: it holds nothing but its PID, and is its parent's to
// reap (the inits of a SIGKILLed jaild are the host's PID 1's), though its
// /proc/PID/cgroup still names the unified directory it died in.
std::vector<pid_t> jail_processes(const std::string& prefix) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = read_file(e.path() / "stat");
    if (auto close = stat.rfind(')'); close != std::string::npos && close + 2 < stat.size() &&
                                      stat[close + 2] == 'Z')
      continue;
    auto cmdline = read_file(e.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const auto cgroup = read_file(e.path() / "cgroup");
    if ((cgroup.find("/jaild") != std::string::npos &&
         cgroup.find("/" + prefix + "-") != std::string::npos) ||
        (cmdline.rfind("jaild-init ", 0) == 0 &&
         cmdline.find(" jail=" + prefix + "-") != std::string::npos))
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

std::string ns_of(pid_t pid, const char* ns) {
  std::error_code ec;
  return fs::read_symlink(fs::path("/proc") / std::to_string(pid) / "ns" / ns, ec).string();
}

// Lines of a mountinfo file (the host's, or a jail init's) with one of `needles`.
std::vector<std::string> mount_lines_with(const std::vector<std::string>& needles,
                                          const std::string& mountinfo = "/proc/self/mountinfo") {
  std::vector<std::string> out;
  std::istringstream in(read_file(mountinfo));
  for (std::string line; std::getline(in, line);)
    for (const auto& n : needles)
      if (line.find(n) != std::string::npos) {
        out.push_back(line);
        break;
      }
  return out;
}

// Addresses on host interfaces ("lo 127.1.2.3/32") that start with one of `prefixes`.
std::vector<std::string> addresses_with(const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  const auto r = systest::run({"ip", "-j", "addr", "show"});
  const auto list = json::parse(r.output.empty() ? "[]" : r.output, nullptr, false);
  if (!list.is_array()) return out;
  for (const auto& l : list) {
    auto infos = l.find("addr_info");
    if (infos == l.end()) continue;
    for (const auto& a : *infos) {
      const std::string addr = a.value("local", "");
      for (const auto& p : prefixes)
        if (addr.rfind(p, 0) == 0)
          out.push_back(l.value("ifname", "") + " " + addr + "/" +
                        std::to_string(a.value("prefixlen", 0)));
    }
  }
  return out;
}

// "64M" -> 67108864.
std::uint64_t rctl_amount(const std::string& s) {
  std::uint64_t n = std::stoull(s);
  switch (s.back()) {
    case 'K': return n << 10;
    case 'M': return n << 20;
    case 'G': return n << 30;
    default: return n;
  }
}

// ---------------------------------------------------------------------------
// The run.

// One jail of the run, as the run believes it to be.
struct slot {
  std::string name;
  std::unique_ptr<systest::rootfs> root;
  std::optional<bool> defined = false;            // nullopt: a request about it got no answer
  std::optional<std::string> desired = "stopped";  // "running" | "stopped" | nullopt
  json spec;                                       // as last accepted
};

struct tally {
  int sent = 0, accepted = 0, refused = 0, lost = 0;
};

class chaos {
 public:
  explicit chaos(const options& o) : o_(o) {}

  int run() {
    systest::require_prerequisites();
    prefix_ = systest::prefix();
    bridge_ = prefix_ + "cb";
    choose_subnet();
    lo_prefix_ = fmt::format("127.{}.{}.", 100 + ::getpid() % 100, (::getpid() / 100) % 250);
    for (int i = 0; i < o_.jails; ++i) {
      slot s;
      s.name = fmt::format("{}-c{}", prefix_, i);
      s.root = std::make_unique<systest::rootfs>(fmt::format("c{}", i));
      slots_.push_back(std::move(s));
    }
    std::cout << fmt::format(
        "chaos: seed {} ops {} jails {} clients {} kill-rate {} prefix {} bridge {} subnet {}\n",
        o_.seed, o_.ops, o_.jails, o_.clients, o_.kill_rate, prefix_, bridge_, subnet_)
              << std::flush;
    const auto began = steady::now();
    int status = 0;
    try {
      start_daemon();
      make_network();
      std::vector<std::thread> clients;
      for (int k = 0; k < o_.clients; ++k)
        clients.emplace_back([this, k] {
          rng.seed(o_.seed * 1000003 + static_cast<std::uint64_t>(k));
          for (int i = k; i < o_.ops; i += o_.clients) {
            try {
              step(i);
            } catch (const std::exception& e) {
              problem(fmt::format("op {}: {}", i, e.what()));
            }
          }
        });
      for (auto& c : clients) c.join();
      ensure_daemon();
      finish();
    } catch (const std::exception& e) {
      problem("the run stopped: " + std::string(e.what()));
    }
    teardown();
    const auto secs = std::chrono::duration<double>(steady::now() - began).count();
    count_leaks();
    remove_leaks();

    std::cout << "\nchaos: seed " << o_.seed << "\n";
    std::cout << fmt::format("ops: {} sent, {} accepted, {} refused, {} lost to a kill\n",
                             total_.sent, total_.accepted, total_.refused, total_.lost);
    for (const auto& [kind, t] : by_kind_)
      std::cout << fmt::format("  {:8} {:4} sent {:4} accepted {:4} refused {:4} lost\n", kind,
                               t.sent, t.accepted, t.refused, t.lost);
    std::cout << "refusals by code:";
    for (const auto& [code, n] : codes_) std::cout << " " << code << "=" << n;
    std::cout << "\n";
    std::cout << "host failures (refusals that name a failed host step): " << host_failures_.size()
              << "\n";
    for (const auto& h : host_failures_) std::cout << "  " << h.substr(0, 300) << "\n";
    std::cout << fmt::format("kills: {} (with a request in flight {}), jaild starts: {}\n",
                             kills_.load(), kills_mid_request_.load(), starts_);
    std::cout << fmt::format("duration: {:.1f} s\n", secs);
    if (start_ms_.size() > 1) {
      // The first start is of an empty state directory: not a recovery.
      std::vector<double> restarts(start_ms_.begin() + 1, start_ms_.end());
      std::sort(restarts.begin(), restarts.end());
      const auto at = [&](double q) {
        return restarts[std::min(restarts.size() - 1,
                                 static_cast<std::size_t>(q * static_cast<double>(restarts.size())))];
      };
      std::cout << fmt::format(
          "restart to answering API (reconcile included): median {:.0f} ms, p99 {:.0f} ms, max "
          "{:.0f} ms over {} restarts\n",
          at(0.5), at(0.99), restarts.back(), restarts.size());
    }
    std::cout << "mismatches: " << problems_.size() << "\n";
    for (const auto& p : problems_) std::cout << "  " << p << "\n";
    std::cout << "leaks: " << leaks_.size() << "\n";
    for (const auto& l : leaks_) std::cout << "  " << l << "\n";
    if (!problems_.empty() || !leaks_.empty()) {
      status = 1;
      std::cout << "replay with: --seed " << o_.seed << " --ops " << o_.ops << " --jails "
                << o_.jails << " --clients " << o_.clients << " --kill-rate " << o_.kill_rate
                << "\n";
      // The whole log outlives the state directory, for a look at what led there.
      const auto kept = fs::temp_directory_path() / ("jaild_chaos." + prefix_ + ".log");
      std::ofstream(kept) << saved_log_;
      std::cout << "jaild's log (every incarnation): " << kept.string() << "\n";
    }
    return status;
  }

 private:
  // -------------------------------------------------------------------------
  // The daemon.

  void start_daemon() {
    const auto began = steady::now();
    daemon_.start({"--log-level", "debug"});
    // The socket file answering a connect is not enough: until the new jaild
    // has bound its own, a connect may reach what is left of the killed one.
    // From exec to a health check that answers: reconciling included.
    const auto until = steady::now() + 60s;
    while (!healthy() && steady::now() < until) std::this_thread::sleep_for(10ms);
    if (!healthy()) problem("jaild started again but /v1/health does not answer within 60 s");
    start_ms_.push_back(std::chrono::duration<double, std::milli>(steady::now() - began).count());
    ++starts_;
    counter_start_ = counter_start_ < 0 ? instance_counter() : counter_start_;
    if (tag_.empty()) tag_ = instance_tag();
  }

  bool healthy() { return daemon_.curl("GET", "/v1/health").status == 200; }

  void ensure_daemon() {
    if (!daemon_.process().running()) {
      daemon_.process().wait(10s);
      start_daemon();
      resync();
    }
  }

  // This run's jaild's tag ("" for a jaild from before instance tags).
  std::string instance_tag() {
    auto r = test::run({"sqlite3", "-readonly", daemon_.database().string(),
                        "SELECT id FROM instance"});
    const auto id = trim(r.out);
    return id.size() == 32 ? store::instance_tag_of(id) : "";
  }

  std::int64_t instance_counter() {
    auto r = test::run({"sqlite3", "-readonly", daemon_.database().string(),
                        "SELECT value FROM counters WHERE name = 'instance'"});
    const auto text = trim(r.out);
    return text.empty() ? 0 : std::stoll(text);
  }

  // -------------------------------------------------------------------------
  // Set-up.

  void choose_subnet() {
    // A /24 that no route of the host names yet (only the default route matches).
    for (int a = 200; a < 250; ++a) {
      const auto b = (::getpid() + a) % 250;
      const auto net = fmt::format("10.{}.{}", a, b);
      auto r = systest::run({"ip", "-o", "route", "show", "match", net + ".1"});
      bool free = true;
      std::istringstream in(r.output);
      for (std::string line; std::getline(in, line);)
        if (line.rfind("default", 0) != 0) free = false;
      if (free && addresses_with({net + "."}).empty()) {
        net_prefix_ = net + ".";
        subnet_ = net + ".0/24";
        return;
      }
    }
    throw std::runtime_error("no free 10.x.y.0/24 for the test network");
  }

  void make_network() {
    network_ = prefix_ + "net";
    auto r = daemon_.curl("POST", "/v1/networks",
                          json{{"name", network_},
                               {"bridge", bridge_},
                               {"ip4", subnet_},
                               {"description", "jaild_chaos"}}
                              .dump());
    if (r.status != 201) throw std::runtime_error("POST /v1/networks: " + r.body);
  }

  // -------------------------------------------------------------------------
  // Operations.

  // Each client thread draws from its own generator.
  static thread_local std::mt19937_64 rng;
  static int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  static bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

  json random_spec(int i) {
    auto& s = slots_[static_cast<std::size_t>(i)];
    json spec = {{"name", s.name}, {"path", s.root->path().string()}};
    spec["stop_timeout"] = "5s";
    json exec = {{"timeout", "20s"}};
    if (chance(0.4)) exec["start"] = {fmt::format("sleep 0.{}", pick(3))};
    if (chance(0.15)) exec["prestop"] = {"true"};
    spec["exec"] = exec;
    if (chance(0.5)) {
      spec["vnet"] = {{"interfaces", {{{"network", network_}}}}};
    } else if (chance(0.3)) {
      spec["ip4"] = {fmt::format("lo|{}{}/32", lo_prefix_, 10 + i)};
    }
    if (chance(0.25))
      spec["mount"] = {{"entries",
                        {fmt::format("tmpfs {}/mnt tmpfs rw,size=1m 0 0",
                                     s.root->path().string())}}};
    spec["limits"] = random_limits();
    spec["cpuset"] = random_cpuset();
    static const char* policies[] = {"no", "on-failure", "always", "unless-stopped"};
    spec["restart"] = {{"policy", policies[pick(4)]}};
    spec["boot"] = chance(0.2);
    spec["priority"] = 1 + pick(99);
    if (chance(0.15)) {
      spec["persist"] = false;
      spec["command"] = {"/bin/sleep", "100000"};
    }
    if (i > 0 && chance(0.3)) spec["depend"] = {slots_[static_cast<std::size_t>(pick(i))].name};
    return spec;
  }

  json random_limits() {
    json limits = json::array();
    if (chance(0.5)) limits.push_back(fmt::format("memoryuse:deny={}M", 32 + 32 * pick(4)));
    if (chance(0.5)) limits.push_back(fmt::format("maxproc:deny={}", 20 + 10 * pick(5)));
    if (chance(0.4)) limits.push_back(fmt::format("pcpu:deny={}", 10 * (1 + pick(10))));
    return limits;
  }

  std::string random_cpuset() {
    static const char* sets[] = {"", "0", "1", "0-1"};
    return sets[pick(4)];
  }

  json random_patch() {
    json patch = json::object();
    switch (pick(5)) {
      case 0: patch["limits"] = random_limits(); break;
      case 1: patch["cpuset"] = random_cpuset(); break;
      case 2: patch["limits"] = random_limits(); patch["cpuset"] = random_cpuset(); break;
      case 3: {
        static const char* policies[] = {"no", "on-failure", "always", "unless-stopped"};
        patch["restart"] = {{"policy", policies[pick(4)]}};
        break;
      }
      default: patch["priority"] = 1 + pick(99); break;
    }
    return patch;
  }

  // Names of the slots `name` depends on, transitively, from the run's beliefs.
  std::set<std::string> dependencies(const std::string& name) {
    std::set<std::string> out;
    std::vector<std::string> todo{name};
    while (!todo.empty()) {
      const auto n = todo.back();
      todo.pop_back();
      for (const auto& s : slots_)
        if (s.name == n && s.spec.contains("depend"))
          for (const auto& d : s.spec["depend"])
            if (out.insert(d.get<std::string>()).second) todo.push_back(d);
    }
    return out;
  }

  std::set<std::string> dependents(const std::string& name) {
    std::set<std::string> out;
    for (const auto& s : slots_)
      if (s.defined.value_or(true) && dependencies(s.name).count(name)) out.insert(s.name);
    return out;
  }

  slot* find(const std::string& name) {
    for (auto& s : slots_)
      if (s.name == name) return &s;
    return nullptr;
  }

  void step(int index) {
    static const std::pair<const char*, int> weights[] = {
        {"start", 26}, {"stop", 18}, {"restart", 10}, {"patch", 14},
        {"delete", 7}, {"exec", 15}, {"create", 2}};
    int total = 0;
    for (const auto& w : weights) total += w.second;
    std::string kind;
    for (int r = pick(total); const auto& w : weights) {
      if (r < w.second) {
        kind = w.first;
        break;
      }
      r -= w.second;
    }
    std::string method = "POST", path, body, query, name;
    json spec, patch;
    int i = pick(o_.jails);
    {
      std::lock_guard lock(beliefs_mutex_);
      // Mostly into a jail that runs, for an exec; anything for the rest.
      if (kind == "exec" && chance(0.8)) {
        std::vector<int> running;
        for (int k = 0; k < o_.jails; ++k)
          if (slots_[static_cast<std::size_t>(k)].desired == "running") running.push_back(k);
        if (!running.empty())
          i = running[static_cast<std::size_t>(pick(static_cast<int>(running.size())))];
      }
      const auto& s = slots_[static_cast<std::size_t>(i)];
      name = s.name;
      if (s.defined == false) kind = "create";
      if (kind == "create") spec = random_spec(i);
    }
    const bool async = chance(0.4);
    if (kind == "create") {
      path = "/v1/jails";
      body = spec.dump();
    } else if (kind == "start" || kind == "restart") {
      path = "/v1/jails/" + name + "/" + kind;
      if (async) query = "?async=true";
    } else if (kind == "stop") {
      path = "/v1/jails/" + name + "/stop";
      const bool cascade = chance(0.5);
      query = cascade ? "?cascade=true" : "";
      if (async) query += query.empty() ? "?async=true" : "&async=true";
    } else if (kind == "patch") {
      method = "PATCH";
      patch = random_patch();
      path = "/v1/jails/" + name;
      body = patch.dump();
    } else if (kind == "delete") {
      method = "DELETE";
      path = "/v1/jails/" + name;
      if (chance(0.6)) query = "?force=true";
    } else {
      path = "/v1/jails/" + name + "/exec";
      body = chance(0.2) ? json{{"argv", {"sleep", "0.3"}}}.dump()
                         : json{{"argv", {"sh", "-c", "echo $$; ls /"}}}.dump();
    }
    const bool arm = chance(o_.kill_rate);
    const auto delay = std::chrono::milliseconds(chance(0.5) ? pick(30) : pick(300));

    // The request, and maybe a kill at a random moment: before, during or
    // after it, with the other clients' requests in flight too.
    std::thread killer;
    std::atomic<bool> killed{false}, answered{false};
    std::uint64_t generation = 0;
    test::http_answer r;
    {
      std::shared_lock lock(daemon_mutex_);
      generation = generation_;
      if (arm) {
        const pid_t pid = daemon_.process().pid();
        killer = std::thread([this, pid, generation, delay, &killed, &answered] {
          std::this_thread::sleep_for(delay);
          // Only the jaild of this generation: its PID is not reaped (and so
          // not reused) until a restart, which needs the lock exclusively.
          std::shared_lock inner(daemon_mutex_);
          if (generation_ == generation && ::kill(pid, SIGKILL) == 0) {
            killed = true;
            // Counted once per jaild, however many clients aimed at it.
            if (std::uint64_t expected = generation; killed_generation_.compare_exchange_strong(
                    expected, generation + 1)) {
              ++kills_;
              if (!answered) ++kills_mid_request_;
            }
          }
        });
      }
      r = daemon_.curl(method, path + query, body);
      answered = true;
    }
    if (killer.joinable()) killer.join();

    std::string code;
    if (r.status >= 400) {
      const auto problem_body = json::parse(r.body, nullptr, false);
      code = problem_body.is_object() ? problem_body.value("code", "?") : "?";
    }
    {
      std::lock_guard lock(beliefs_mutex_);
      auto& t = by_kind_[kind];
      ++t.sent;
      ++total_.sent;
      if (o_.verbose)
        std::cout << fmt::format("{:4} {:6} {} {}{} -> {} {}{}\n", index, kind, method, path,
                                 query, r.status, code, killed ? " [killed]" : "")
                  << std::flush;
      if (r.status == 0) {
        ++t.lost;
        ++total_.lost;
      } else if (r.status >= 200 && r.status < 300) {
        ++t.accepted;
        ++total_.accepted;
      } else {
        ++t.refused;
        ++total_.refused;
        ++codes_[code];
        if (code == "host_failure" || code == "timeout")
          host_failures_.push_back(fmt::format("op {} {} {} -> {}", index, kind, name, r.body));
      }
      believe(slots_[static_cast<std::size_t>(i)], kind, r.status, spec, patch);
    }
    // A refusal must be a decision, never jaild failing at its own work.
    if (code == "internal" || (r.status >= 500 && code != "host_failure" && code != "timeout" &&
                               code != "unavailable"))
      problem(fmt::format("op {} {} {}{} -> {} {}", index, kind, method, path, r.status, r.body));
    if (r.status == 0 || killed) recover(generation, fmt::format("op {} {} {}", index, kind, path));
  }

  // After a request that got no answer: jaild is started again, unless
  // another client has done so already.
  void recover(std::uint64_t generation, const std::string& what) {
    std::unique_lock lock(daemon_mutex_);
    if (generation_ != generation) return;
    if (daemon_.process().running()) {
      // Nothing killed this jaild (or the kill is still on its way).
      if (daemon_.process().wait(2s) < 0) {
        problem(what + ": no answer, and jaild still runs" + keep_stacks(what));
        return;
      }
    }
    daemon_.process().wait(10s);
    start_daemon();
    ++generation_;
    std::lock_guard beliefs(beliefs_mutex_);
    resync();
  }

  // What an answer tells about the desired state.
  void believe(slot& s, const std::string& kind, int status, const json& spec, const json& patch) {
    const bool ok = status >= 200 && status < 300;
    if (status == 0) {
      if (kind == "create" || kind == "delete") s.defined.reset();
      if (kind != "exec" && kind != "patch") s.desired.reset();
      if (kind == "patch") s.spec = json();  // unknown until read back
      return;
    }
    if (kind == "create") {
      if (ok) {
        s.defined = true;
        s.desired = "stopped";
        s.spec = spec;
      } else if (status == 409) {
        s.defined = true;
      }
    } else if (kind == "start" || kind == "restart") {
      if (ok) {
        s.desired = "running";
        for (const auto& d : dependencies(s.name))
          if (auto* dep = find(d)) dep->desired = "running";
      }
    } else if (kind == "stop") {
      if (ok) {
        s.desired = "stopped";
        for (const auto& d : dependents(s.name))
          if (auto* dep = find(d)) dep->desired = "stopped";
      }
    } else if (kind == "delete") {
      if (ok) {
        s.defined = false;
        s.desired = "stopped";
        s.spec = json();
      }
      if (status == 404) s.defined = false;
    } else if (kind == "patch") {
      if (ok && s.spec.is_object()) s.spec.merge_patch(patch);
    }
    if (status == 404 && kind != "exec") s.defined = false;
  }

  // What every thread of a jaild that does not answer is doing (gdb), kept
  // beside its log; "" when gdb is missing.
  std::string keep_stacks(const std::string& why) {
    const auto r = test::run({"gdb", "-p", std::to_string(daemon_.process().pid()), "-batch",
                              "-ex", "thread apply all bt"});
    if (r.status != 0) return {};
    const auto kept = fs::temp_directory_path() / ("jaild_chaos." + prefix_ + ".stacks");
    std::ofstream(kept, std::ios::app) << "---- " << why << "\n" << r.out;
    return " (its threads' stacks: " + kept.string() + ")";
  }

  // After a restart: what is defined, and the specs, as jaild has them.
  void resync() {
    const auto r = daemon_.curl("GET", "/v1/jails");
    if (r.status != 200)
      throw std::runtime_error("GET /v1/jails after a restart: " + std::to_string(r.status) + " " +
                               r.body + keep_stacks("GET /v1/jails after a restart"));
    const auto list = r.json();
    std::map<std::string, json> by_name;
    for (const auto& j : list["jails"]) by_name[j["spec"]["name"]] = j;
    for (auto& s : slots_) {
      auto it = by_name.find(s.name);
      s.defined = it != by_name.end();
      if (it != by_name.end()) s.spec = it->second["spec"];
      else s.spec = json();
    }
  }

  // -------------------------------------------------------------------------
  // The end: settle, check, converge, check again.

  json jails_now() {
    const auto r = daemon_.curl("GET", "/v1/jails");
    if (r.status != 200) throw std::runtime_error("GET /v1/jails: " + r.body);
    const auto list = r.json();
    json out = json::object();
    for (const auto& j : list["jails"]) out[j["spec"]["name"].get<std::string>()] = j;
    return out;
  }

  // Until no jail has an operation under way.
  json settle(std::chrono::seconds limit = 90s) {
    const auto until = steady::now() + limit;
    while (true) {
      auto all = jails_now();
      bool busy = false;
      for (const auto& item : all.items()) {
        const auto& st = item.value()["status"];
        const std::string state = st["state"];
        if (!st["operation"].is_null() || state == "starting" || state == "stopping")
          busy = true;
      }
      if (!busy) return all;
      if (steady::now() > until) {
        problem("operations did not settle within " + std::to_string(limit.count()) + " s");
        return all;
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  void finish() {
    auto all = settle();
    resync();
    // Beliefs lost to kills are what jaild reports once it has settled.
    for (auto& s : slots_) {
      if (!s.defined.value_or(false)) continue;
      const std::string state = all[s.name]["status"]["state"];
      if (!s.desired) s.desired = state == "running" ? "running" : "stopped";
    }
    // A jail that is to run needs what it depends on to run; one that depends
    // on a jail deleted meanwhile cannot start (424).
    for (auto& s : slots_) {
      if (!s.defined.value_or(false) || s.desired != "running") continue;
      bool startable = true;
      for (const auto& d : dependencies(s.name))
        if (auto* dep = find(d); !dep || !dep->defined.value_or(false)) startable = false;
      if (!startable) {
        s.desired = "stopped";
        continue;
      }
      for (const auto& d : dependencies(s.name)) find(d)->desired = "running";
    }

    // What jaild says must be what the kernel has, before anything is asked of it.
    for (const auto& s : slots_)
      if (s.defined.value_or(false)) check_real(s, all[s.name], "after the last restart");

    // Bring every jail to its desired state: stops first (dependents first), then starts.
    std::vector<const slot*> order;
    for (const auto& s : slots_)
      if (s.defined.value_or(false)) order.push_back(&s);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const auto& s = **it;
      if (s.desired != "stopped" || all[s.name]["status"]["state"] == "stopped") continue;
      auto r = daemon_.curl("POST", "/v1/jails/" + s.name + "/stop");
      if (r.status != 200) problem(fmt::format("converge: stop {}: {} {}", s.name, r.status, r.body));
    }
    for (const auto* s : order) {
      if (s->desired != "running") continue;
      auto r = daemon_.curl("POST", "/v1/jails/" + s->name + "/start");
      if (r.status != 200)
        problem(fmt::format("converge: start {}: {} {}", s->name, r.status, r.body));
    }
    all = settle();
    int running = 0;
    for (const auto* s : order) {
      const std::string state = all[s->name]["status"]["state"];
      const bool up = state == "running";
      running += up;
      if (up != (s->desired == "running"))
        problem(fmt::format("{}: desired {}, but jaild reports {} ({})", s->name, *s->desired,
                            state, all[s->name]["status"].value("last_error", "")));
      check_real(*s, all[s->name], "after converging");
    }
    std::cout << fmt::format("final desired state: {} jails defined, {} running\n", order.size(),
                             running)
              << std::flush;
  }

  // The kernel agrees with what jaild reports about one jail.
  void check_real(const slot& s, const json& jail, const std::string& when) {
    const auto& st = jail["status"];
    const auto& spec = jail["spec"];
    const std::string state = st["state"];
    auto fail = [&](const std::string& what) {
      problem(fmt::format("{} ({}): {} {}{}", s.name, when, state, what, recent_operations(s.name)));
    };
    const auto cgroups = [&] {
      std::vector<fs::path> mine;
      for (const auto& c : jail_cgroups(prefix_))
        if (c.filename().string().rfind(s.name + ".", 0) == 0) mine.push_back(c);
      return mine;
    }();
    const std::string alias =
        spec["ip4"].empty() ? "" : spec["ip4"][0].get<std::string>().substr(3);  // "lo|"
    const bool alias_there =
        !alias.empty() && !addresses_with({alias.substr(0, alias.find('/'))}).empty();
    // fstab mounts live in the jail's own mount namespace: never on the host.
    const bool has_mount = !spec["mount"]["entries"].empty();
    if (!mount_lines_with({" " + s.root->path().string() + "/"}).empty())
      fail("but the host has a mount below its root");
    if (state != "running") {
      if (!cgroups.empty()) fail("but its cgroup " + cgroups.front().string() + " exists");
      if (alias_there) fail("but its alias " + alias + " is on lo");
      return;
    }
    const auto pid = static_cast<pid_t>(st.value("jid", -1L));
    const bool mount_there =
        has_mount &&
        !mount_lines_with({" /mnt "}, "/proc/" + std::to_string(pid) + "/mountinfo").empty();
    if (pid <= 1 || !fs::exists("/proc/" + std::to_string(pid))) return fail("but its init is gone");
    const auto status = read_file("/proc/" + std::to_string(pid) + "/status");
    const auto at = status.find("NSpid:");
    const auto line = at == std::string::npos ? "" : status.substr(at, status.find('\n', at) - at);
    if (line.substr(line.find_last_of(" \t") + 1) != "1")
      fail("but its init is not PID 1 of its namespace (" + line + ")");
    for (const char* ns : {"pid", "mnt", "uts"})
      if (ns_of(pid, ns) == ns_of(::getpid(), ns))
        fail(std::string("but its init shares the host's ") + ns + " namespace");
    if (cgroups.empty()) return fail("but it has no cgroup");
    const auto leaf = cgroups.front().filename().string();
    const auto instance = leaf.substr(leaf.find('.') + 1);
    const bool drift = st.value("drift", false);
    // Limits as the spec says (a jail running with an older spec says drift).
    if (!drift) {
      std::map<std::string, std::string> want;
      for (const auto& l : spec["limits"]) {
        const std::string rule = l;
        const auto res = rule.substr(0, rule.find(':'));
        want[res] = rule.substr(rule.find('=') + 1);
      }
      const auto mem = trim(systest::read_cgroup_file(pid, "memory", "memory.limit_in_bytes"));
      const auto pids = trim(systest::read_cgroup_file(pid, "pids", "pids.max"));
      const auto quota = trim(systest::read_cgroup_file(pid, "cpu", "cpu.cfs_quota_us"));
      const auto cpus = trim(systest::read_cgroup_file(pid, "cpuset", "cpuset.cpus"));
      if (want.count("memoryuse") ? mem != std::to_string(rctl_amount(want["memoryuse"]))
                                  : mem.empty() || std::stoull(mem) < (1ull << 60))
        fail("but memory.limit_in_bytes is " + mem);
      if (pids != (want.count("maxproc") ? want["maxproc"] : "max"))
        fail("but pids.max is " + pids);
      if (quota != (want.count("pcpu") ? std::to_string(std::stoi(want["pcpu"]) * 1000) : "-1"))
        fail("but cpu.cfs_quota_us is " + quota);
      const std::string cpuset = spec["cpuset"];
      if (!cpuset.empty() && cpus != cpuset) fail("but cpuset.cpus is " + cpus);
    }
    if (!spec["vnet"].is_null()) {
      const auto host_end = "e0a_" + instance;
      bool found = false;
      for (const auto& l : host_links())
        if (l.name == host_end) {
          found = true;
          if (l.master != bridge_) fail("but " + host_end + " is not on " + bridge_);
        }
      if (!found) fail("but its veth " + host_end + " is not on the host");
      // The gateway the jail routes through is the bridge's address.
      if (addresses_with({net_prefix_ + "1"}).empty())
        fail("but the bridge " + bridge_ + " lacks the gateway " + net_prefix_ + "1");
      if (ns_of(pid, "net") == ns_of(::getpid(), "net"))
        fail("but its init shares the host's network namespace");
    }
    if (!alias.empty() && !alias_there) fail("but its alias " + alias + " is not on lo");
    if (has_mount && !mount_there) fail("but its tmpfs is not mounted");
  }

  // The jail's last operations, as a hint of how it got there.
  std::string recent_operations(const std::string& name) {
    const auto r = daemon_.curl("GET", "/v1/operations?limit=4&jail=" + name);
    if (r.status != 200) return {};
    const auto list = r.json();
    std::string out;
    for (const auto& op : list["operations"]) {
      out += fmt::format("\n      {} {} {}", op.value("kind", ""), op.value("state", ""),
                         op["error"].is_string() ? op["error"].get<std::string>() : "");
      for (const auto& step : op["steps"])
        if (step.value("status", 0) != 0 || !step.value("error", std::string()).empty())
          out += fmt::format("\n        step {} failed: {}", step.value("step", ""),
                             step["error"].is_string() ? step["error"].get<std::string>() : "");
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // Teardown and leaks.

  void teardown() {
    try {
      ensure_daemon();
      if (!healthy()) {
        daemon_.process().stop(SIGKILL);
        start_daemon();
      }
      // Dependents first, so nothing is refused for its dependents.
      for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
        auto r = daemon_.curl("DELETE", "/v1/jails/" + it->name + "?force=true");
        if (r.status != 204 && r.status != 404)
          problem(fmt::format("teardown: delete {}: {} {}", it->name, r.status, r.body));
      }
      if (!network_.empty()) daemon_.curl("DELETE", "/v1/networks/" + network_);
      if (!jails_now().empty()) problem("teardown: jails are left after deleting them all");
      counter_end_ = instance_counter();
      const int status = daemon_.stop(SIGTERM);
      if (status != 0) problem(fmt::format("jaild exited with {} on SIGTERM", status));
    } catch (const std::exception& e) {
      problem(std::string("teardown: ") + e.what());
      daemon_.process().stop(SIGKILL);
    }
    saved_log_ = daemon_.process().log();
  }

  // The veth names jaild can have given this run's jails.
  bool run_veth(const std::string& name) const {
    static const std::regex pattern("e[0-9]+[ab]_([0-9a-z]+)");
    std::smatch m;
    if (!std::regex_match(name, m, pattern)) return false;
    const auto id = m[1].str();
    for (std::int64_t k = counter_start_ + 1; k <= counter_end_; ++k)
      if (tag_ + base36(static_cast<std::uint64_t>(k)) == id) return true;
    return false;
  }

  void count_leaks() {
    if (counter_end_ < 0) counter_end_ = instance_counter();
    // What jaild itself still believed it owned (it should be nothing).
    auto ledger = test::run({"sqlite3", "-readonly", daemon_.database().string(),
                             "SELECT kind || ' ' || key || ' (' || owner || ')' FROM ledger"});
    std::istringstream rows(ledger.out);
    for (std::string row; std::getline(rows, row);)
      if (!row.empty()) problem("jaild's ledger still holds " + row);
    for (const auto& l : host_links()) {
      // Another jaild on the host may have the same instance ids: its veths
      // are on its own bridge.
      if (l.kind == "veth" && run_veth(l.name) && (l.master.empty() || l.master == bridge_))
        leak("veth " + l.name + (l.master.empty() ? "" : " on " + l.master), [n = l.name] {
          systest::run({"ip", "link", "del", n});
        });
      else if (l.name == bridge_)
        leak("bridge " + l.name, [n = l.name] { systest::run({"ip", "link", "del", n}); });
    }
    std::set<std::string> netns;
    const auto host_net = ns_of(::getpid(), "net");
    for (const auto pid : jail_processes(prefix_)) {
      const auto net = ns_of(pid, "net");
      if (!net.empty() && net != host_net && netns.insert(net).second)
        leak("network namespace " + net + " of process " + std::to_string(pid), [] {});
      leak(fmt::format("process {} ({})", pid, trim(read_file(fmt::format("/proc/{}/comm", pid)))),
           [pid] { ::kill(pid, SIGKILL); });
    }
    for (const auto& c : jail_cgroups(prefix_))
      leak("cgroup " + c.string(), [c] {
        for (int i = 0; i < 50 && ::rmdir(c.c_str()) != 0 && errno == EBUSY; ++i)
          std::this_thread::sleep_for(20ms);
      });
    std::vector<std::string> needles{" " + daemon_.state_dir().string()};
    for (const auto& s : slots_) needles.push_back(" " + s.root->path().string());
    for (const auto& line : mount_lines_with(needles)) {
      std::istringstream f(line);
      std::string id, parent, devs, root, target;
      f >> id >> parent >> devs >> root >> target;
      leak("mount " + target, [target] { ::umount2(target.c_str(), MNT_DETACH); });
    }
    for (const auto& a : addresses_with({lo_prefix_, net_prefix_})) {
      const auto dev = a.substr(0, a.find(' '));
      const auto cidr = a.substr(a.find(' ') + 1);
      leak("address " + a, [dev, cidr] { systest::run({"ip", "addr", "del", cidr, "dev", dev}); });
    }
  }

  void remove_leaks() {
    // Processes first, then what they held.
    for (auto& [what, undo] : undo_)
      if (what.rfind("process", 0) == 0) undo();
    std::this_thread::sleep_for(200ms);
    for (auto& [what, undo] : undo_)
      if (what.rfind("process", 0) != 0) undo();
  }

  void leak(const std::string& what, std::function<void()> undo) {
    leaks_.push_back(what);
    undo_.emplace_back(what, std::move(undo));
  }

  void problem(const std::string& what) {
    std::lock_guard lock(problems_mutex_);
    problems_.push_back(what);
    if (o_.verbose) std::cout << "MISMATCH " << what << "\n" << std::flush;
  }

  options o_;
  std::string prefix_, bridge_, network_, subnet_, net_prefix_, lo_prefix_;
  std::vector<slot> slots_;
  test::daemon_fixture daemon_;
  std::int64_t counter_start_ = -1, counter_end_ = -1;
  std::string tag_;
  int starts_ = 0;
  std::vector<double> start_ms_;
  std::atomic<int> kills_{0}, kills_mid_request_{0};
  // Shared by requests in flight; exclusive to start jaild again.
  std::shared_mutex daemon_mutex_;
  std::uint64_t generation_ = 0;
  std::atomic<std::uint64_t> killed_generation_{0};  // generation_ + 1 once it is killed
  // The beliefs (slots_), the tallies and host_failures_.
  std::mutex beliefs_mutex_;
  std::mutex problems_mutex_;
  tally total_;
  std::map<std::string, tally> by_kind_;
  std::map<std::string, int> codes_;
  std::vector<std::string> problems_, leaks_, host_failures_;
  std::vector<std::pair<std::string, std::function<void()>>> undo_;
  std::string saved_log_;
};

thread_local std::mt19937_64 chaos::rng;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"jaild_chaos: random lifecycle operations while jaild is killed"};
  options o;
  std::optional<std::uint64_t> seed;
  app.add_option("--ops", o.ops, "operations to send (default 500)");
  app.add_option("--seed", seed, "seed of the random choices (default: random, printed)");
  app.add_option("--jails", o.jails, "jails the operations pick from (default 10)");
  app.add_option("--clients", o.clients, "clients sending operations at once (default 2)");
  app.add_option("--kill-rate", o.kill_rate, "chance of a SIGKILL per operation (default 0.08)");
  app.add_flag("--verbose,-v", o.verbose, "print every operation");
  CLI11_PARSE(app, argc, argv);
  o.seed = seed ? *seed : std::random_device{}();
  try {
    return chaos(o).run();
  } catch (const std::exception& e) {
    std::cerr << "jaild_chaos: " << e.what() << "\n";
    return 2;
  }
}
