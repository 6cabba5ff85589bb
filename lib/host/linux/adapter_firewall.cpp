// Egress NAT and published ports, and the VLANs of a jail's ports on their
// bridges: one nftables table per running jail
// (nft_rules.h says why), written with `nft -j -f -` from an argv, the rules
// on its standard input, never through a shell; IP forwarding turned on in
// jaild's own network namespace only when a VNET jail's NAT or ports need it,
// and off again, when jaild turned it on, once no jaild's table is left there.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "lib/host/linux/adapter.h"
#include "lib/host/linux/nft_rules.h"
#include "lib/model/error.h"

namespace jaild::host::linux_host {
namespace {

// Runs nft with the document on its standard input (or `args` alone).
spawn_result run_nft(const std::vector<std::string>& args, const std::string& input) {
  spawn_request r;
  r.argv = {"nft"};
  r.argv.insert(r.argv.end(), args.begin(), args.end());
  r.env = {std::string("PATH=") + nft_path, "LC_ALL=C"};
  r.input = input;
  r.timeout = std::chrono::milliseconds(30'000);
  r.output_limit = 1 << 20;
  return run_process(r);
}

// Fails `step` with what nft said; a missing nft is a missing prerequisite.
[[noreturn]] void nft_failed(step_timer& step, const spawn_result& res, const std::string& what) {
  if (res.exit_code == 127)
    step.fail_with(res.exit_code, res.error, errc::prerequisite_missing,
                   what + ": nft is not installed (Debian: apt-get install nftables)");
  step.fail_with(res.exit_code, res.error, errc::host_failure,
                 fmt::format("{}: nft exited with status {}: {}", what, res.exit_code,
                             res.error.substr(0, res.error.find('\n'))));
}

std::string proc_sys_file(const std::string& name) {
  std::string file = "/proc/sys/" + name;
  for (auto& c : file)
    if (c == '.') c = '/';
  return file;
}

// The file in jaild's state directory that says jaild turned switch `name`
// on (it was 0), so that jaild, and only then, turns it off again when the
// namespace has no table of any jaild's left; it outlives a restart.
std::filesystem::path switch_marker(const std::filesystem::path& state_dir, const std::string& name) {
  return state_dir / ("sysctl-on." + name);
}

// Makes the marker (jaild's own 0700 state directory; a link is not followed).
int write_marker(const std::filesystem::path& marker) {
  unique_fd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno;
  return ::write(fd.get(), "1\n", 2) == 2 ? 0 : EIO;
}

// Sets a /proc/sys switch to 1 unless it is 1 already (journaled either way).
void enable_switch(step_sinks sinks, const char* step_name, const std::string& name,
                   const std::filesystem::path& state_dir) {
  step_timer step(sinks.steps, step_name, {"sysctl", "-w", name + "=1"});
  const std::string file = proc_sys_file(name);
  const auto now = read_text(file);
  if (now && now->rfind("1", 0) == 0) return step.ok("already 1");
  // The marker first: a crash in between leaves a switch jaild may turn off.
  if (const int err = write_marker(switch_marker(state_dir, name)))
    step.fail(err, switch_marker(state_dir, name).string() + ": " + errno_text(err));
  if (const int err = write_text(file, "1")) step.fail(err, file + ": " + errno_text(err));
  step.ok();
}

// The switches jaild turned on go back to 0 once no jaild (this one or
// another in the namespace) has a NAT or ports table left in it.
void release_switches(step_sinks sinks, const std::vector<std::string>& jaild_tables_left,
                      const std::filesystem::path& state_dir) {
  for (const auto& [step_name, name] :
       {std::pair<const char*, std::string>{"sysctl.ip_forward", "net.ipv4.ip_forward"},
        {"sysctl.ip6_forwarding", "net.ipv6.conf.all.forwarding"}}) {
    const auto marker = switch_marker(state_dir, name);
    std::error_code ec;
    if (!std::filesystem::exists(marker, ec)) continue;
    step_timer step(sinks.steps, step_name, {"sysctl", "-w", name + "=0"});
    if (!jaild_tables_left.empty()) {
      step.ok(fmt::format("kept: {} table(s) of jaild's left, {} the first",
                          jaild_tables_left.size(), jaild_tables_left.front()));
      continue;
    }
    const std::string file = proc_sys_file(name);
    if (const int err = write_text(file, "0")) step.fail(err, file + ": " + errno_text(err));
    std::filesystem::remove(marker, ec);
    step.ok("jaild turned it on; its last user went");
  }
}

}  // namespace

void linux_adapter::publish(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  (void)jail;
  const auto fw = firewall_of(ctx, [] {
    return default_route_interface(read_text("/proc/net/route").value_or(""));
  });
  if (fw.empty()) return;
  const std::string table = firewall_table(ctx.instance);
  const auto document = firewall_commands(table, fw).dump();
  if (fw.needs_forwarding4())
    enable_switch(sinks, "sysctl.ip_forward", "net.ipv4.ip_forward", options_.state_dir);
  if (fw.needs_forwarding6())
    enable_switch(sinks, "sysctl.ip6_forwarding", "net.ipv6.conf.all.forwarding",
                  options_.state_dir);
  // Ledgered before nft makes it, so that a crash in between leaves a row
  // the reconciler removes (a table already gone is fine).
  sinks.objects.record(
      {object_kind::firewall, ctx.spec.name, table, {{"family", "inet"}, {"table", table}}});
  step_timer step(sinks.steps, "firewall.apply", {"nft", "-j", "-f", "-", "(table inet " + table + ")"});
  spawn_result res;
  try {
    res = run_nft({"-j", "-f", "-"}, document);
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), std::string("nft: ") + e.what());
  }
  if (res.exit_code != 0) nft_failed(step, res, "table inet " + table);
  step.ok(document);
}

void linux_adapter::isolate_vlans(const jail_context& ctx, step_sinks sinks) {
  std::vector<vlan_port> ports;
  for (const auto& i : ctx.interfaces)
    if (i.vlan) ports.push_back({i.host_end, *i.vlan});
  if (ports.empty()) return;
  const std::string table = firewall_table(ctx.instance);
  const auto document = vlan_commands(table, ports).dump();
  // Ledgered before nft makes it (see publish()); its key names the family,
  // since the jail's inet table of NAT and ports has the same name.
  sinks.objects.record({object_kind::firewall, ctx.spec.name, "bridge " + table,
                        {{"family", "bridge"}, {"table", table}}});
  step_timer step(sinks.steps, "vlan.apply",
                  {"nft", "-j", "-f", "-", "(table bridge " + table + ")"});
  spawn_result res;
  try {
    res = run_nft({"-j", "-f", "-"}, document);
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), std::string("nft: ") + e.what());
  }
  if (res.exit_code != 0) nft_failed(step, res, "table bridge " + table);
  step.ok(document);
}

void linux_adapter::destroy_firewall(const object& obj, step_sinks sinks) {
  const std::string table = obj.attrs.value("table", obj.key);
  const std::string family = obj.attrs.value("family", "inet");
  step_timer step(sinks.steps, "firewall.remove", {"nft", "delete", "table", family, table});
  // Only a table of this jaild's own name is ever deleted.
  const std::string prefix = firewall_table_prefix(options_.instance_tag);
  if (table.rfind(prefix, 0) != 0) {
    step.ok("not a table of this jaild (" + prefix + "*): left as it is");
    sinks.objects.forget(obj);
    return;
  }
  spawn_result res;
  // Every jaild's NAT and ports tables in the namespace (family inet), but
  // this one: when none is left, the forwarding jaild turned on goes off.
  std::vector<std::string> others;
  bool gone = false;
  try {
    res = run_nft({"-j", "list", "tables"}, "");
    if (res.exit_code != 0) nft_failed(step, res, "listing tables");
    std::vector<std::string> present;
    try {
      present = tables_of(res.output, prefix, family);
      others = tables_of(res.output, firewall_table_prefix(""), "inet");
    } catch (const std::invalid_argument& e) {
      step.fail(EPROTO, e.what());
    }
    others.erase(std::remove(others.begin(), others.end(), table), others.end());
    gone = std::find(present.begin(), present.end(), table) == present.end();
    if (!gone) res = run_nft({"-j", "-f", "-"}, delete_table_command(table, family).dump());
  } catch (const std::system_error& e) {
    step.fail(e.code().value(), std::string("nft: ") + e.what());
  }
  if (!gone && res.exit_code != 0) nft_failed(step, res, "table " + family + " " + table);
  step.ok(gone ? "already gone" : "");
  sinks.objects.forget(obj);
  if (family == "inet") release_switches(sinks, others, options_.state_dir);
}

}  // namespace jaild::host::linux_host
