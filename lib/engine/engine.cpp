// The engine's desired state, status publication and events.
#include "lib/engine/engine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "lib/engine/naming.h"
#include "lib/engine/runtime.h"
#include "lib/model/address.h"
#include "lib/model/error.h"
#include "lib/model/json_reader.h"
#include "lib/model/port.h"
#include "lib/plan/graph.h"

namespace jaild::engine {
namespace {

std::vector<plan::node> nodes_of(const std::vector<model::jail_spec>& specs) {
  std::vector<plan::node> out;
  out.reserve(specs.size());
  for (const auto& s : specs) out.push_back({s.name, s.priority, s.depend});
  return out;
}

}  // namespace

engine::engine(store::store& db, host::host& platform, engine_options options)
    : store_(db),
      host_(platform),
      instance_tag_(db.instance_tag()),
      options_(std::move(options)),
      events_(db),
      launcher_(options_.parallel_starts),
      queue_(std::make_unique<op_queue>([this](op_queue::task t) { sched_->post(std::move(t)); })),
      sched_(std::make_unique<scheduler>(std::max(options_.workers, options_.parallel_starts + 2))) {}

engine::~engine() { shutdown(); }

void engine::shutdown() {
  if (shutting_down_.exchange(true)) return;
  // Watchers first, so that no exit is handled while the workers stop.
  std::vector<host::running_jail> watched;
  {
    guard lock(runtime_mutex_);
    for (auto& [name, rt] : runtimes_)
      if (rt->handle) watched.push_back(*rt->handle);
  }
  for (const auto& j : watched) host_.unwatch(j);
  sched_->stop();
}

// ---------------------------------------------------------------------------
// Snapshot and status.

std::shared_ptr<const snapshot> engine::current() const { return status_.current(); }

model::jail_status engine::status_of(const jail_runtime& rt) const {
  model::jail_status s;
  s.state = rt.state;
  if (rt.handle) s.jid = rt.handle->jid;
  s.started_at = rt.started_ms;
  s.restarts = rt.restarts;
  s.health = rt.health;
  s.last_error = rt.last_error;
  s.operation = rt.current_op;
  s.warnings = rt.warnings;
  s.drift = rt.drift;
  if (rt.state == model::jail_state::running || rt.state == model::jail_state::starting ||
      rt.state == model::jail_state::stopping) {
    if (rt.applied) s.ports = rt.applied->ports;
    for (const auto& itf : rt.interfaces) {
      s.addresses.insert(s.addresses.end(), itf.ip4.begin(), itf.ip4.end());
      s.addresses.insert(s.addresses.end(), itf.ip6.begin(), itf.ip6.end());
    }
    // What the jail's DHCP and SLAAC clients obtained (addresses.cpp).
    s.addresses.insert(s.addresses.end(), rt.dynamic_addresses.begin(), rt.dynamic_addresses.end());
    if (auto entry = current()->find(rt.name)) {
      for (const auto* list : {&entry->spec.ip4, &entry->spec.ip6})
        for (const auto& a : *list)
          if (auto parsed = model::parse_jail_address(a, list == &entry->spec.ip6, nullptr)) {
            parsed->iface.clear();
            s.addresses.push_back(parsed->to_string());
          }
    }
  }
  return s;
}

void engine::publish_status(const std::string& name) {
  // Caller holds runtime_mutex_.
  auto it = runtimes_.find(name);
  if (it == runtimes_.end()) return;
  status_.set_status(name, status_of(*it->second));
}

std::shared_ptr<engine::jail_runtime> engine::runtime_of(const std::string& name) {
  // Caller holds runtime_mutex_.
  auto& slot = runtimes_[name];
  if (!slot) {
    slot = std::make_shared<jail_runtime>();
    slot->name = name;
  }
  return slot;
}

void engine::persist_runtime(jail_runtime& rt, std::optional<model::event> ev) {
  store::runtime_row row;
  row.name = rt.name;
  row.state = std::string(model::jail_state_name(rt.state));
  row.desired = rt.desired;
  row.instance = rt.instance;
  row.handle = rt.handle ? host::running_jail_to_json(*rt.handle) : nlohmann::json::object();
  row.interfaces = nlohmann::json::array();
  for (const auto& i : rt.interfaces)
    row.interfaces.push_back({{"host_end", i.host_end},
                              {"jail_end", i.jail_end},
                              {"bridge", i.bridge},
                              {"bridge_ip4", i.bridge_ip4},
                              {"bridge_ip6", i.bridge_ip6},
                              {"nat", i.nat ? nlohmann::json(*i.nat) : nlohmann::json(nullptr)},
                              {"subnet4", i.subnet4},
                              {"ip4", i.ip4},
                              {"ip6", i.ip6},
                              {"defaultrouter", i.defaultrouter},
                              {"defaultrouter6", i.defaultrouter6},
                              {"mac", i.mac},
                              {"vlan", i.vlan ? nlohmann::json(*i.vlan) : nlohmann::json(nullptr)},
                              {"dhcp4", i.dhcp4},
                              {"lease4", i.lease4},
                              {"slaac6", i.slaac6}});
  row.started_ms = rt.started_ms;
  row.restarts = rt.restarts;
  row.last_exit = rt.last_exit;
  row.last_error = rt.last_error;
  events_.stored([&] { return store_.save_runtime(row, std::move(ev)); });
}

void engine::set_state(jail_runtime& rt, model::jail_state next, const std::string& reason) {
  // Caller holds runtime_mutex_.
  const auto from = rt.state;
  rt.state = next;
  model::event ev;
  ev.type = "jail.state";
  ev.jail = rt.name;
  ev.data = {{"from", model::jail_state_name(from)},
             {"to", model::jail_state_name(next)},
             {"reason", reason}};
  if (rt.handle) ev.data["jid"] = rt.handle->jid;
  persist_runtime(rt, from == next ? std::nullopt : std::optional<model::event>(ev));
  publish_status(rt.name);
}

engine::counters engine::totals() const {
  guard lock(runtime_mutex_);
  return totals_;
}

std::map<std::string, engine::counters> engine::jail_totals() const {
  guard lock(runtime_mutex_);
  std::map<std::string, counters> out;
  for (const auto& [name, rt] : runtimes_) out[name] = rt->counts;
  return out;
}

std::string engine::new_operation_id() {
  return "op-" + base36(store_.next_counter("operation"));
}

std::vector<host::object> engine::objects_of(const std::string& jail) {
  std::vector<host::object> out;
  for (const auto& row : store_.ledger_rows()) {
    if (row.owner != jail) continue;
    auto kind = host::object_kind_from_name(row.kind);
    if (!kind) continue;
    out.push_back({*kind, row.owner, row.key, row.attrs});
  }
  return out;
}

host::jail_context engine::context_for(const model::jail_spec& spec,
                                       const jail_runtime& rt) const {
  host::jail_context ctx;
  ctx.spec = spec;
  ctx.instance = rt.instance;
  ctx.interfaces = rt.interfaces;
  ctx.run_dir = options_.state_dir / "run" / spec.name;
  // Every jail has a console log, where jail(8) would have /dev/null.
  if (ctx.spec.exec.consolelog.empty()) ctx.spec.exec.consolelog = console_log_path(spec.name);
  if (spec.root) ctx.root = root_request_for(spec);
  return ctx;
}

std::filesystem::path engine::console_log_path(const std::string& name) const {
  return options_.state_dir / "log" / (name + ".log");
}

// ---------------------------------------------------------------------------
// Desired state.

void engine::load() {
  guard write_lock(write_mutex_);
  guard lock(runtime_mutex_);
  snapshot::map jails;
  for (auto& stored : store_.load_jails()) {
    jail_entry entry;
    entry.spec = std::move(stored.spec);
    entry.created_ms = stored.created_ms;
    entry.updated_ms = stored.updated_ms;
    entry.generation = stored.generation;
    auto rt = runtime_of(entry.spec.name);
    try {
      rt->warnings = host_.check(entry.spec);
    } catch (const error& e) {
      // Stored before the host changed (a module unloaded, a tunable reset):
      // keep the spec, say why it cannot run.
      rt->last_error = e.what();
    }
    auto name = entry.spec.name;
    jails.emplace(std::move(name), make_entry(std::move(entry)));
  }
  // The last known runtime state; reconcile() checks it against the kernel.
  for (const auto& row : store_.load_runtime()) {
    if (!jails.count(row.name)) continue;
    auto rt = runtime_of(row.name);
    rt->state = model::jail_state_from_name(row.state).value_or(model::jail_state::stopped);
    rt->desired = row.desired;
    rt->instance = row.instance;
    if (row.handle.is_object() && row.handle.contains("jid"))
      rt->handle = host::running_jail_from_json(row.handle);
    for (const auto& i : row.interfaces) {
      host::resolved_interface r;
      r.host_end = i.value("host_end", "");
      r.jail_end = i.value("jail_end", "");
      r.bridge = i.value("bridge", "");
      r.bridge_ip4 = i.value("bridge_ip4", std::vector<std::string>{});
      r.bridge_ip6 = i.value("bridge_ip6", std::vector<std::string>{});
      if (auto nat = i.find("nat"); nat != i.end() && nat->is_string()) r.nat = nat->get<std::string>();
      r.subnet4 = i.value("subnet4", "");
      r.ip4 = i.value("ip4", std::vector<std::string>{});
      r.ip6 = i.value("ip6", std::vector<std::string>{});
      r.defaultrouter = i.value("defaultrouter", "");
      r.defaultrouter6 = i.value("defaultrouter6", "");
      r.mac = i.value("mac", "");
      if (auto vlan = i.find("vlan"); vlan != i.end() && vlan->is_number_integer())
        r.vlan = vlan->get<int>();
      r.dhcp4 = i.value("dhcp4", false);
      r.lease4 = i.value("lease4", "");
      r.slaac6 = i.value("slaac6", false);
      rt->interfaces.push_back(std::move(r));
    }
    rt->started_ms = row.started_ms;
    rt->restarts = row.restarts;
    rt->last_exit = row.last_exit;
    if (rt->last_error.empty()) rt->last_error = row.last_error;
  }
  for (auto& [name, entry] : jails) {
    jail_entry e = *entry;
    e.status = status_of(*runtimes_.at(name));
    entry = make_entry(std::move(e));
  }
  {
    guard rel(releases_mutex_);
    for (const auto& j : store_.load_releases()) {
      auto r = model::release_from_json(j);
      releases_[r.name] = std::move(r);
    }
  }
  std::size_t network_count = 0;
  {
    guard nets(networks_mutex_);
    for (const auto& [name, spec] : store_.load_networks()) {
      try {
        networks_[name] = model::network_from_json(spec);
      } catch (const error& e) {
        spdlog::error("stored network '{}' cannot be read: {}", name, e.what());
      }
    }
    network_count = networks_.size();
  }
  // Leases of jails that are gone are released, and jails whose interfaces
  // lack the leases their networks give get them (an older jaild wrote a
  // spec and its leases in two transactions, and a crash could come between).
  std::set<std::string> leased;
  for (const auto& l : store_.leases()) leased.insert(l.jail);
  for (const auto& j : leased)
    if (!jails.count(j)) store_.set_leases(j, {});
  repair_leases(jails);
  spdlog::info("loaded {} jail spec(s) and {} network(s) from {}", jails.size(),
               network_count, store_.path().string());
  status_.replace(std::move(jails));
}

std::shared_ptr<const jail_entry> engine::require(const std::string& name) const {
  auto entry = current()->find(name);
  if (!entry) throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
  return entry;
}

void engine::check_graph(const std::vector<model::jail_spec>& specs) const {
  auto cycle = plan::find_cycle(nodes_of(specs));
  if (!cycle.empty())
    throw error(errc::dependency_cycle,
                "depend forms a cycle: " + plan::describe_cycle(cycle) +
                    "; remove one of these dependencies",
                "/depend");
}

std::vector<model::event> engine::apply_specs(
    const std::vector<store::store::jail_change>& requested, bool dry_run) {
  using change = store::store::jail_change;
  auto changes = requested;  // check_root_change may carry a root over
  guard write_lock(write_mutex_);
  auto snap = current();
  // Jails being deleted take no new operation from the check on; if the
  // change is refused after all, they take them again.
  std::vector<std::shared_ptr<jail_runtime>> deleting;
  struct undo_deleting {
    engine& e;
    std::vector<std::shared_ptr<jail_runtime>>& list;
    bool done = false;
    ~undo_deleting() {
      if (done) return;
      guard lock(e.runtime_mutex_);
      for (auto& rt : list) rt->deleting = false;
    }
  } undo{*this, deleting};
  std::map<std::string, model::jail_spec> next;
  for (const auto& [name, entry] : snap->jails()) next.emplace(name, entry->spec);
  std::map<std::string, std::vector<std::string>> warnings;
  for (auto& c : changes) {
    const auto& name = c.spec.name;
    switch (c.what) {
      case change::kind::create:
        if (next.count(name))
          throw error(errc::jail_exists, fmt::format("a jail named '{}' exists", name), "/name");
        break;
      case change::kind::replace:
      case change::kind::remove:
        if (!next.count(name))
          throw error(errc::jail_not_found, fmt::format("no jail named '{}'", name));
        break;
    }
    if (c.what == change::kind::remove) {
      guard lock(runtime_mutex_);
      auto rt = runtime_of(name);
      if (rt->state != model::jail_state::stopped && rt->state != model::jail_state::failed &&
          rt->state != model::jail_state::crashloop)
        throw error(errc::jail_running,
                    fmt::format("jail '{}' is {}; stop it first, or delete with force=true", name,
                                model::jail_state_name(rt->state)));
      // A start may have read the spec and not yet said so in the state.
      if (busy(name))
        throw error(errc::operation_in_progress,
                    fmt::format("jail '{}' has an operation under way; delete it when that has "
                                "ended",
                                name));
      rt->deleting = true;
      deleting.push_back(rt);
      next.erase(name);
      continue;
    }
    model::jail_spec spec = c.spec;
    const auto old = next.find(name);
    check_root_change(spec, c.what == change::kind::replace && old != next.end() ? &old->second
                                                                                 : nullptr);
    model::validate_spec(spec);
    warnings[name] = host_.check(spec);
    next[name] = spec;
    c.spec = std::move(spec);
  }
  // A jail cannot go while another jail left depends on it.
  for (const auto& c : changes) {
    if (c.what != change::kind::remove) continue;
    std::vector<std::string> dependents;
    for (const auto& [name, s] : next)
      if (std::find(s.depend.begin(), s.depend.end(), c.spec.name) != s.depend.end())
        dependents.push_back(name);
    if (!dependents.empty())
      throw error(errc::dependents_exist,
                  fmt::format("{} depend{} on '{}'; change {} first, or delete with force=true "
                              "(which drops '{}' from their depend)",
                              fmt::join(dependents, ", "), dependents.size() == 1 ? "s" : "",
                              c.spec.name, dependents.size() == 1 ? "it" : "them", c.spec.name));
  }
  std::vector<model::jail_spec> all;
  for (auto& [name, s] : next) all.push_back(s);
  check_graph(all);
  for (const auto& c : changes)
    if (c.what != change::kind::remove) model::check_published_ports(all, next.at(c.spec.name));
  const auto leases = plan_leases(next, changes);
  if (dry_run) return {};

  const auto events = events_.stored([&] { return store_.apply(changes, leases); });

  // From the snapshot as it is now, not as it was read above: statuses that
  // other jails published while this wrote the store must stay. (Every
  // publisher holds runtime_mutex_.)
  guard lock(runtime_mutex_);
  const auto latest = current();
  auto jails = latest->jails();
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    const auto& name = c.spec.name;
    if (c.what == change::kind::remove) {
      jails.erase(name);
      if (auto it = runtimes_.find(name); it != runtimes_.end()) cancel_timers(*it->second);
      runtimes_.erase(name);
      continue;
    }
    auto rt = runtime_of(name);
    rt->warnings = warnings[name];
    jail_entry entry;
    if (auto old = latest->find(name)) entry = *old;
    entry.spec = c.spec;
    entry.updated_ms = events[i].time_ms;
    if (c.what == change::kind::create) {
      entry.created_ms = events[i].time_ms;
      entry.generation = 1;
    } else {
      entry.generation += 1;
    }
    entry.status = status_of(*rt);
    jails[name] = make_entry(std::move(entry));
  }
  undo.done = true;
  status_.replace(std::move(jails));
  return events;
}

std::shared_ptr<const jail_entry> engine::create_jail(const model::jail_spec& spec) {
  if (spec.root) return create_with_root(spec);
  create_jail_spec(spec);
  return require(spec.name);
}

void engine::create_jail_spec(const model::jail_spec& spec) {
  model::event ev;
  ev.type = "jail.created";
  ev.jail = spec.name;
  if (spec.root)
    ev.data = {{"root", {{"release", spec.root->release},
                         {"mode", model::root_mode_name(spec.root->mode)}}}};
  apply_specs({{store::store::jail_change::kind::create, spec, ev}});
}

std::shared_ptr<const jail_entry> engine::replace_jail(const model::jail_spec& spec) {
  auto old = require(spec.name);
  if (old->spec == spec) return old;  // nothing to change, nothing to record
  model::event ev;
  ev.type = "jail.updated";
  ev.jail = spec.name;
  apply_specs({{store::store::jail_change::kind::replace, spec, ev}});
  if (auto op = apply_live(spec.name)) op->wait();
  return require(spec.name);
}

std::shared_ptr<const jail_entry> engine::patch_jail(const std::string& name,
                                                     const nlohmann::json& patch) {
  if (!patch.is_object())
    throw error(errc::invalid_type,
                fmt::format("a merge patch must be a JSON object, not {}",
                            model::json_type_name(patch)));
  if (auto it = patch.find("name"); it != patch.end() && *it != nlohmann::json(name))
    throw error(errc::invalid_value, "a jail cannot be renamed by a patch", "/name");
  auto old = require(name);
  nlohmann::json merged = model::spec_to_json(old->spec);
  merged.merge_patch(patch);
  return replace_jail(model::spec_from_json(merged));
}

void engine::delete_jail(const std::string& name, bool force, bool keep_root) {
  require(name);
  {
    guard lock(runtime_mutex_);
    if (auto it = runtimes_.find(name); it != runtimes_.end() && !it->second->held.empty())
      throw error(errc::operation_in_progress,
                  fmt::format("jail '{}' is {}; delete it when that is done", name,
                              it->second->held));
  }
  if (force) {
    stop_options_api o;
    o.force = true;
    o.cascade = true;
    o.reason = "deleted with force=true";
    auto op = stop(name, o);
    op->wait();
    if (op->state() == op_state::failed)
      throw error(op->error_code(), "cannot stop '" + name + "' before deleting it: " + op->error());
  }
  model::jail_spec spec;
  spec.name = name;
  model::event ev;
  ev.type = "jail.deleted";
  ev.jail = name;
  std::vector<store::store::jail_change> changes{
      {store::store::jail_change::kind::remove, spec, ev}};
  // With force, the jails that depend on it stop depending on it, in the
  // same write (apply_specs refuses the delete otherwise).
  if (force)
    for (const auto& [other, entry] : current()->jails()) {
      auto& depend = entry->spec.depend;
      if (std::find(depend.begin(), depend.end(), name) == depend.end()) continue;
      model::jail_spec changed = entry->spec;
      std::erase(changed.depend, name);
      model::event updated;
      updated.type = "jail.updated";
      updated.jail = other;
      updated.data = {{"reason", "dependency '" + name + "' deleted with force=true"}};
      changes.push_back({store::store::jail_change::kind::replace, changed, updated});
    }
  const auto root = store_.find_root(name);
  if (root && !keep_root) {
    // Every refusal first (running, busy, dependents), then the root, then
    // the definition: a root that cannot go (something is mounted in it)
    // leaves the jail as it was.
    apply_specs(changes, true);
    {
      guard lock(runtime_mutex_);
      if (busy(name))
        throw error(errc::operation_in_progress,
                    fmt::format("jail '{}' has an operation under way; delete it when that has "
                                "ended",
                                name));
      runtime_of(name)->deleting = true;  // no start from here on
    }
    host::root_request r;
    r.jail = name;
    r.path = root->path;
    r.private_dir = root->private_dir;
    try {
      run_provision(name, "remove the root jaild made at " + root->path,
                    [&](host::journal& steps) { host_.remove_root(r, steps); });
    } catch (...) {
      guard lock(runtime_mutex_);
      runtime_of(name)->deleting = false;
      throw;
    }
  }
  apply_specs(changes);
  store_.delete_runtime(name);
  if (root) store_.delete_root(name);
}

std::string engine::console_log(const std::string& name, std::size_t max_bytes) {
  require(name);
  std::ifstream in(console_log_path(name), std::ios::binary | std::ios::ate);
  if (!in) return {};
  const auto size = static_cast<std::size_t>(in.tellg());
  const auto from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string out(size - from, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

nlohmann::json engine::boot_plan() const {
  auto snap = current();
  std::vector<plan::node> nodes;
  std::set<std::string> boot;
  for (const auto& [name, entry] : snap->jails()) {
    nodes.push_back({name, entry->spec.priority, entry->spec.depend});
    if (entry->spec.boot) boot.insert(name);
  }
  nlohmann::json waves = nlohmann::json::array();
  if (!boot.empty()) {
    // The boot jails and what they depend on.
    std::set<std::string> planned;
    for (const auto& b : boot)
      for (const auto& n : plan::with_dependencies(nodes, b))
        if (snap->find(n)) planned.insert(n);
    for (const auto& w : plan::start_waves(nodes, planned)) waves.push_back(w);
  }
  nlohmann::json all = nlohmann::json::array();
  for (const auto& w : plan::start_waves(nodes)) all.push_back(w);
  return {{"waves", waves}, {"all_waves", all}, {"parallel_starts", options_.parallel_starts}};
}

}  // namespace jaild::engine
