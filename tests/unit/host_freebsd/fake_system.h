// A FreeBSD `system` double for the adapter's tests: it writes every call it
// gets to a transcript (the golden files are transcripts), keeps a small model
// of the host (interfaces, jails, mounts, RCTL rules) so that destroy() can be
// seen to be idempotent, and fails on demand. The ledger and journal doubles
// write to the same transcript, so the order "ledger before create" is visible.
#pragma once

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/host/freebsd/system.h"
#include "lib/host/host.h"

namespace jaild::test {

inline std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\"'\\$`|") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

class fake_system : public host::freebsd::system {
 public:
  using command = host::freebsd::command;
  using run_options = host::freebsd::run_options;
  using run_result = host::freebsd::run_result;
  using sys_result = host::freebsd::sys_result;
  using jail_param = host::freebsd::jail_param;
  using jail_set_mode = host::freebsd::jail_set_mode;
  using kernel_jail = host::freebsd::kernel_jail;
  using mounted = host::freebsd::mounted;

  std::vector<std::string>& log;
  explicit fake_system(std::vector<std::string>& transcript) : log(transcript) {}

  // The host.
  std::set<std::string> interfaces{"em0", "lo0"};
  std::map<std::string, std::vector<std::string>> addresses;    // iface -> addresses
  std::map<std::string, std::string> descriptions;              // iface -> descr
  std::map<std::string, std::vector<std::string>> members;      // bridge -> members
  std::vector<mounted> mounted_list;
  std::map<std::string, kernel_jail> jails;                     // by kernel name
  std::set<std::string> rules;                                  // RCTL, kernel form
  std::map<std::string, std::string> files;
  std::set<std::string> existing_paths;
  std::string sysctl_output;
  std::set<std::string> modules;
  std::vector<std::string> host_addrs;
  std::map<std::int64_t, std::vector<std::int64_t>> processes;  // JID -> pids
  int cpu_count = 8;
  std::int64_t next_jid = 5;
  int next_epair = 0;
  std::int64_t next_pid = 4000;
  bool racct = true;
  // pf: what `pfctl -s nat` / `pfctl -s rules` print, and the rules loaded
  // into each anchor (`pfctl -a ANCHOR -f -`; gone with -F all).
  std::string pf_nat_rules, pf_filter_rules;
  std::map<std::string, std::string> pf_anchors;
  std::string default_route_interface = "em0";
  // A FreeBSD 15.0 if_bridge and ifconfig: `ifconfig BRIDGE` prints the
  // "bridge flags" line of per-member VLAN filtering.
  bool bridge_vlans = false;

  // The first call whose transcript line contains this fails.
  std::string fail_on;
  int fail_errno = EPERM;
  // The first run() whose line contains this times out.
  std::string time_out_on;
  // Transcript lines for read-only calls (interface_exists, mounts...) too.
  bool log_queries = false;

  // Watches.
  std::map<std::int64_t, std::function<void(host::exit_info)>> watches;
  // The devfs rulesets that exist (the base system's loaded at boot).
  std::set<int> devfs_sets{1, 2, 3, 4, 5};

  // --------------------------------------------------------------------------

  run_result run(const command& cmd, const run_options& o) override {
    std::string line = (cmd.jail >= 0 ? "run[jail " + std::to_string(cmd.jail) + "] " : "run ") +
                       joined(cmd.argv);
    if (!o.output_file.empty()) line += " >> " + o.output_file + below(o);
    if (!o.user.empty()) line += " (as " + o.user + ")";
    const bool query = cmd.argv.size() >= 2 &&
                       ((cmd.argv[0] == "/sbin/ifconfig" &&
                         (cmd.argv[1] == "-g" || cmd.argv.size() == 2)) ||
                        cmd.argv[0] == "/sbin/sysctl" || cmd.argv[1] == "list" ||
                        (cmd.argv[0] == "/sbin/pfctl" && cmd.argv[1] == "-s"));
    if (!query || log_queries) log.push_back(line);
    run_result r;
    if (!time_out_on.empty() && line.find(time_out_on) != std::string::npos) {
      time_out_on.clear();
      r.timed_out = true;
      r.status = 137;
      return r;
    }
    if (should_fail(line)) {
      r.status = 1;
      r.error = "simulated failure";
      return r;
    }
    const auto& a = cmd.argv;
    if (a.size() == 5 && a[0] == "/sbin/pfctl" && a[1] == "-a" && a[3] == "-f") pf_anchors[a[2]] = o.input;
    effect(cmd, r);
    return r;
  }

  std::int64_t spawn(const command& cmd, const run_options& o, std::string* why) override {
    std::string line = "spawn[jail " + std::to_string(cmd.jail) + "] " + joined(cmd.argv);
    if (!o.output_file.empty()) line += " >> " + o.output_file + below(o);
    log.push_back(line);
    if (should_fail(line)) {
      *why = "simulated failure";
      return -1;
    }
    auto pid = next_pid++;
    processes[cmd.jail].push_back(pid);
    return pid;
  }

  std::unique_ptr<host::exec_session> open_stream(const command& cmd, const run_options& o,
                                                  const host::stream_options& stream,
                                                  std::string* why) override {
    std::string line = "stream[jail " + std::to_string(cmd.jail) + "] " +
                       (cmd.login ? std::string("(login shell)") : joined(cmd.argv));
    if (stream.tty)
      line += " tty " + std::to_string(stream.rows) + "x" + std::to_string(stream.cols);
    if (!o.user.empty()) line += " (as " + o.user + ")";
    if (!o.cwd.empty()) line += " in " + o.cwd;
    log.push_back(line);
    stream_env = o.env;
    *why = "simulated: the fake starts no process";
    return nullptr;
  }
  sys_result kill_in_jail(std::int64_t jid, std::int64_t pid, int sig) override {
    const std::string line = "kill_in_jail " + std::to_string(jid) + " " + std::to_string(pid) +
                             " " + std::to_string(sig);
    log.push_back(line);
    // A PID the fake does not know in that jail is not found, as the kernel's
    // prison_check makes it.
    const auto& known = processes[jid];
    if (pid != -1 && std::find(known.begin(), known.end(), pid) == known.end())
      return {ESRCH, "no process " + std::to_string(pid) + " in the jail"};
    return {};
  }
  std::map<std::string, std::string> stream_env;  // the last open_stream's environment

  std::vector<std::int64_t> jail_processes(std::int64_t jid) override { return processes[jid]; }
  void kill_process(std::int64_t pid, int signal) override {
    log.push_back("kill " + std::to_string(signal) + " " + std::to_string(pid));
  }
  bool wait_exited(const std::vector<std::int64_t>& pids, std::chrono::milliseconds t) override {
    log.push_back("wait " + std::to_string(pids.size()) + " processes " +
                  std::to_string(t.count()) + "ms");
    for (auto& [jid, list] : processes)
      for (auto p : pids) list.erase(std::remove(list.begin(), list.end(), p), list.end());
    return true;
  }

  std::int64_t jail_set(const std::vector<jail_param>& params, jail_set_mode mode,
                        sys_result* result) override {
    std::vector<std::string> parts;
    for (const auto& p : params) parts.push_back(p.name + "=" + p.value);
    std::string line = std::string("jail_set ") +
                       (mode == jail_set_mode::create ? "JAIL_CREATE " : "JAIL_UPDATE ") +
                       joined(parts);
    log.push_back(line);
    if (should_fail(line)) {
      *result = {fail_errno, "simulated failure"};
      return -1;
    }
    *result = {};
    if (mode == jail_set_mode::update) return 0;
    kernel_jail kj;
    kj.jid = next_jid++;
    for (const auto& p : params) {
      if (p.name == "name") kj.name = p.value;
      if (p.name == "path") kj.path = p.value;
      if (p.name == "meta") kj.meta = p.value;
    }
    jails[kj.name] = kj;
    return kj.jid;
  }

  std::optional<kernel_jail> jail_find(const std::string& name) override {
    if (log_queries) log.push_back("jail_find " + name);
    auto it = jails.find(name);
    if (it == jails.end()) return std::nullopt;
    return it->second;
  }
  std::vector<kernel_jail> jail_list() override {
    std::vector<kernel_jail> out;
    for (const auto& [name, kj] : jails) out.push_back(kj);
    return out;
  }
  sys_result jail_remove(std::int64_t jid) override {
    const std::string line = "jail_remove " + std::to_string(jid);
    log.push_back(line);
    if (should_fail(line)) return {fail_errno, "simulated failure"};
    for (auto it = jails.begin(); it != jails.end(); ++it)
      if (it->second.jid == jid) {
        jails.erase(it);
        processes.erase(jid);
        return {};
      }
    return {ESRCH, "no jail with JID " + std::to_string(jid)};
  }

  sys_result rctl_add_rule(const std::string& rule) override {
    const std::string line = "rctl_add_rule " + rule;
    log.push_back(line);
    if (!racct) return {ENOSYS, ""};
    if (should_fail(line)) return {fail_errno, "simulated failure"};
    rules.insert(rule);
    return {};
  }
  sys_result rctl_remove_rule(const std::string& filter) override {
    log.push_back("rctl_remove_rule " + filter);
    if (!racct) return {ENOSYS, ""};
    std::size_t n = 0;
    for (auto it = rules.begin(); it != rules.end();)
      if (it->starts_with(filter)) {
        it = rules.erase(it);
        ++n;
      } else {
        ++it;
      }
    return n ? sys_result{} : sys_result{ESRCH, "No such process"};
  }
  std::string racct_output = "cputime=0,memoryuse=1048576,pcpu=3,maxproc=2,";
  sys_result rctl_get_racct(const std::string& filter, std::string* out) override {
    log.push_back("rctl_get_racct " + filter);
    if (!racct) return {ENOSYS, ""};
    *out = racct_output;
    return {};
  }
  sys_result rctl_get_rules(const std::string& filter, std::string* out) override {
    log.push_back("rctl_get_rules " + filter);
    if (!racct) return {ENOSYS, ""};
    out->clear();
    for (const auto& r : rules)
      if (r.starts_with(filter)) *out += r + "/jail,";  // the kernel appends the per
    return {};
  }
  sys_result cpuset_set_jail(std::int64_t jid, const std::vector<int>& cpus) override {
    std::string list;
    for (int c : cpus) list += (list.empty() ? "" : ",") + std::to_string(c);
    const std::string line = "cpuset_setaffinity CPU_LEVEL_CPUSET CPU_WHICH_JAIL " +
                             std::to_string(jid) + " " + list;
    log.push_back(line);
    if (should_fail(line)) return {fail_errno, "simulated failure"};
    return {};
  }

  bool interface_exists(const std::string& name) override { return interfaces.contains(name); }
  std::vector<std::string> interface_addresses(const std::string& name) override {
    return addresses[name];
  }
  std::vector<std::string> host_addresses() override { return host_addrs; }
  std::vector<mounted> mounts() override { return mounted_list; }
  // lstat(2): what `symlinks`, `missing` and `plain_files` say, else a directory.
  host::path_kind lstat_kind(const std::string& path) override {
    if (log_queries) log.push_back("lstat " + path);
    if (symlinks.contains(path)) return host::path_kind::symlink;
    if (missing.contains(path)) return host::path_kind::missing;
    if (plain_files.contains(path)) return host::path_kind::other;
    return host::path_kind::directory;
  }
  std::set<std::string> symlinks;
  std::set<std::string> missing;
  std::set<std::string> plain_files;
  std::map<std::string, std::string> digests;    // path -> what sha256 -q prints
  std::optional<std::string> read_file(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  bool path_exists(const std::string& path) override {
    return existing_paths.contains(path) || files.contains(path);
  }
  sys_result remove_file(const std::string& path) override {
    log.push_back("unlink " + path);
    return files.erase(path) ? sys_result{} : sys_result{ENOENT, "No such file or directory"};
  }
  // FreeBSD 13 and 14 unless a test says otherwise.
  host::freebsd::kernel_features kernel_has;
  host::freebsd::kernel_features features() override { return kernel_has; }
  bool module_loaded(const std::string& name) override { return modules.contains(name); }
  std::string kernel() override { return "FreeBSD 14.1-RELEASE"; }
  std::string hostname() override { return "host"; }
  int cpus() override { return cpu_count; }
  bool watch(std::int64_t jid, const std::string& name, std::int64_t main_pid,
             std::function<void(host::exit_info)> on_exit) override {
    log.push_back("watch " + std::to_string(jid) + " " + name + " main_pid=" +
                  std::to_string(main_pid));
    watches[jid] = std::move(on_exit);
    return true;
  }
  void unwatch(std::int64_t jid) override {
    log.push_back("unwatch " + std::to_string(jid));
    watches.erase(jid);
  }

 private:
  // " (below /jails/web)" when the log lies below the root it is opened under.
  static std::string below(const run_options& o) {
    return host::path_below(o.output_root, o.output_file) ? " (below " + o.output_root + ")" : "";
  }

  bool should_fail(const std::string& line) {
    if (fail_on.empty() || line.find(fail_on) == std::string::npos) return false;
    fail_on.clear();
    return true;
  }

  // What the commands do to the modelled host.
  void effect(const command& cmd, run_result& r) {
    const auto& a = cmd.argv;
    if (a.empty()) return;
    if (a[0] == "/sbin/devfs" && a.size() == 3 && a[2] == "showsets")
      for (int n : devfs_sets) r.output += std::to_string(n) + "\n";
    if (a[0] == "/sbin/devfs" && a.size() >= 5 && a[2] == "-s" && a[4] == "add")
      devfs_sets.insert(std::stoi(a[3]));
    if (a[0] == "/sbin/devfs" && a.size() == 5 && a[4] == "delset") devfs_sets.erase(std::stoi(a[3]));
    if (a[0] == "/sbin/pfctl" && a.size() == 3 && a[1] == "-s")
      r.output = a[2] == "nat" ? pf_nat_rules : pf_filter_rules;
    if (a[0] == "/sbin/pfctl" && a.size() == 5 && a[3] == "-F") pf_anchors.erase(a[2]);
    if (a[0] == "/sbin/route" && a.size() == 4 && a[3] == "default")
      r.output = "  interface: " + default_route_interface + "\n";
    if (a[0] == "/sbin/sha256") {
      r.output = digests[a.back()] + "\n";
      return;
    }
    if (a[0] == "/sbin/ifconfig" && cmd.jail < 0) {
      if (a.size() >= 3 && a[1] == "-g" && a[2] == "epair") {
        for (const auto& i : interfaces)
          if (i.starts_with("epair") || i.starts_with("e0") || i.starts_with("e1"))
            r.output += i + "\n";
        return;
      }
      if (a.size() == 2) {
        if (!interfaces.contains(a[1])) {
          r.status = 1;
          r.error = "ifconfig: interface " + a[1] + " does not exist";
          return;
        }
        r.output = a[1] + ": flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n";
        if (descriptions.contains(a[1])) r.output += "\tdescription: " + descriptions[a[1]] + "\n";
        if (bridge_vlans && a[1].starts_with("bridge")) r.output += "\tbridge flags=0<>\n";
        for (const auto& m : members[a[1]])
          r.output += "\tmember: " + m + " flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n";
        return;
      }
      if (a.size() >= 3 && a[1] == "epair" && a[2] == "create") {
        const auto n = "epair" + std::to_string(next_epair++);
        interfaces.insert(n + "a");
        interfaces.insert(n + "b");
        for (std::size_t i = 3; i + 1 < a.size(); ++i)
          if (a[i] == "descr") descriptions[n + "a"] = a[i + 1];
        r.output = n + "a\n";
        return;
      }
      if (a.size() >= 3 && a[2] == "create") {  // bridgeN create
        interfaces.insert(a[1]);
        return;
      }
      if (a.size() >= 5 && a[1] == "bridge" && a[2] == "create" && a[3] == "name") {
        interfaces.insert(a[4]);
        return;
      }
      if (a.size() >= 4 && a[2] == "name") {
        interfaces.erase(a[1]);
        interfaces.insert(a[3]);
        if (descriptions.contains(a[1])) {
          descriptions[a[3]] = descriptions[a[1]];
          descriptions.erase(a[1]);
        }
        return;
      }
      if (a.size() >= 4 && a[2] == "addm") {
        members[a[1]].push_back(a[3]);
        return;
      }
      if (a.size() >= 3 && a[2] == "destroy") {
        interfaces.erase(a[1]);
        std::string peer = a[1];
        // An epair goes with both ends.
        if (peer.size() > 1 && (peer.back() == 'a' || peer.back() == 'b')) {
          peer.back() = peer.back() == 'a' ? 'b' : 'a';
          interfaces.erase(peer);
        }
        if (a[1].size() > 3 && a[1][2] == 'a') {  // e0a_x -> e0b_x
          std::string b = a[1];
          b[2] = 'b';
          interfaces.erase(b);
        }
        for (auto& [br, list] : members) list.erase(std::remove(list.begin(), list.end(), a[1]), list.end());
        return;
      }
      if (a.size() >= 4 && a[2] == "vnet") {
        interfaces.erase(a[1]);
        return;
      }
      if (a.size() >= 5 && (a[2] == "inet" || a[2] == "inet6")) {
        std::string addr = a[3].substr(0, a[3].find('/'));
        auto& list = addresses[a[1]];
        if (a.back() == "-alias")
          list.erase(std::remove(list.begin(), list.end(), addr), list.end());
        else
          list.push_back(addr);
        return;
      }
      return;
    }
    if (a[0] == "/sbin/mount" && a.size() >= 4) {
      mounted_list.push_back({a.back(), a[2]});
      return;
    }
    if (a[0] == "/sbin/umount" && a.size() >= 2) {
      mounted_list.erase(std::remove_if(mounted_list.begin(), mounted_list.end(),
                                        [&](const mounted& m) { return m.point == a[1]; }),
                         mounted_list.end());
      return;
    }
    if (a[0] == "/sbin/sysctl") {
      r.output = sysctl_output;
      return;
    }
    if (a[0] == "/sbin/zfs" && a.size() >= 2 && a[1] == "list") {
      r.status = existing_paths.contains("zfs:" + a.back()) ? 0 : 1;
      return;
    }
  }
};

// The ledger and journal doubles: they write to the transcript too.
class recording_ledger final : public host::ledger {
 public:
  explicit recording_ledger(std::vector<std::string>& transcript) : log(transcript) {}
  std::vector<std::string>& log;
  std::vector<host::object> live;   // recorded and not forgotten, in order

  void record(const host::object& obj) override {
    log.push_back("ledger.record " + std::string(host::object_kind_name(obj.kind)) + " " +
                  obj.key + (obj.owner.empty() ? "" : " owner=" + obj.owner) + " " +
                  obj.attrs.dump());
    auto it = std::find_if(live.begin(), live.end(), [&](const host::object& o) {
      return o.kind == obj.kind && o.key == obj.key;
    });
    if (it == live.end())
      live.push_back(obj);
    else
      *it = obj;
  }
  void forget(const host::object& obj) override {
    log.push_back("ledger.forget " + std::string(host::object_kind_name(obj.kind)) + " " + obj.key);
    live.erase(std::remove_if(live.begin(), live.end(),
                              [&](const host::object& o) {
                                return o.kind == obj.kind && o.key == obj.key;
                              }),
               live.end());
  }
};

class recording_journal final : public host::journal {
 public:
  std::vector<host::step_record> steps;
  void record(const host::step_record& s) override { steps.push_back(s); }
};

}  // namespace jaild::test
