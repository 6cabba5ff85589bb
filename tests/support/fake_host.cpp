#include "tests/support/fake_host.h"

#include <system_error>
#include <thread>

#include "lib/model/error.h"
#if defined(__linux__)
#include "lib/host/linux/exec_stream.h"
#endif

namespace jaild::test {

using namespace ::jaild::host;

std::vector<std::string> fake_host::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::set<std::string> fake_host::live_objects() const {
  std::lock_guard lock(mutex_);
  return live_;
}

void fake_host::fail_at(std::string step) {
  std::lock_guard lock(mutex_);
  fail_at_ = std::move(step);
}

void fake_host::slow_at(std::string step, std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  slow_[std::move(step)] = d;
}

void fake_host::exec_results(const std::string& jail, std::vector<int> codes) {
  std::lock_guard lock(mutex_);
  exec_codes_[jail] = std::move(codes);
}

void fake_host::crash(const std::string& jail, int status) {
  std::function<void(exit_info)> cb;
  {
    std::lock_guard lock(mutex_);
    running_.erase(jail);
    if (auto it = watchers_.find(jail); it != watchers_.end()) {
      cb = std::move(it->second);
      watchers_.erase(it);
    }
  }
  if (cb) cb({status, true});
}

void fake_host::vanish(const std::string& jail) {
  std::lock_guard lock(mutex_);
  running_.erase(jail);
  watchers_.erase(jail);
}

int fake_host::max_concurrent_creates() const {
  std::lock_guard lock(mutex_);
  return max_creating_;
}

bool fake_host::running(const std::string& jail) const {
  std::lock_guard lock(mutex_);
  return running_.contains(jail);
}

void fake_host::pause(const std::string& name) {
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [prefix, d] : slow_)
      if (name.rfind(prefix, 0) == 0) delay = d;
  }
  if (delay.count()) std::this_thread::sleep_for(delay);
}

void fake_host::step(const std::string& name, step_sinks* sinks) {
  bool fail = false;
  pause(name);
  {
    std::lock_guard lock(mutex_);
    calls_.push_back(name);
    if (!fail_at_.empty() && name.rfind(fail_at_, 0) == 0) {
      fail = true;
      fail_at_.clear();
    }
  }
  if (sinks) {
    step_record r;
    r.step = name;
    r.argv = {"fake", name};
    r.status = fail ? 1 : 0;
    if (fail) r.error = "injected failure";
    sinks->steps.record(r);
  }
  if (fail) throw error(errc::host_failure, "injected failure at " + name);
}

void fake_host::create(object obj, step_sinks sinks) {
  sinks.objects.record(obj);
  std::lock_guard lock(mutex_);
  live_.insert(std::string(object_kind_name(obj.kind)) + ":" + obj.key);
}

platform_info fake_host::info() {
  platform_info p;
  p.platform = "fake";
  p.kernel = "Fake 1.0";
  p.cpus = 2;
  return p;
}

std::vector<std::string> fake_host::check(const model::jail_spec& spec) {
  pause("check " + spec.name);  // not a call: nothing changes on a host
  if (!refuse_check.empty() && spec.name == refuse_check)
    throw error(errc::invalid_value, "refused by the fake host's check", "/cpuset");
  return warnings;
}

std::set<std::string> fake_host::roots() const {
  std::lock_guard lock(mutex_);
  return roots_;
}

std::set<std::string> fake_host::release_dirs() const {
  std::lock_guard lock(mutex_);
  return release_dirs_;
}

namespace {
// Provisioning calls have a journal and no ledger: they make no ledger objects.
struct no_ledger : ledger {
  void record(const object&) override {}
  void forget(const object&) override {}
};
}  // namespace

release_contents fake_host::import_release(const release_import& r, journal& steps) {
  no_ledger l;
  step_sinks sinks{steps, l};
  step("import_release " + r.name, &sinks);
  std::lock_guard lock(mutex_);
  release_dirs_.insert(r.target.string());
  return {"directory", "", 100, 10};
}

void fake_host::remove_release(const std::filesystem::path& dir, journal& steps) {
  no_ledger l;
  step_sinks sinks{steps, l};
  step("remove_release " + dir.string(), &sinks);
  std::lock_guard lock(mutex_);
  release_dirs_.erase(dir.string());
}

storage_info fake_host::storage(const std::filesystem::path&) {
  return {"fakefs", "copy", true, true, ""};
}

void fake_host::make_root(const root_request& r, journal& steps) {
  no_ledger l;
  step_sinks sinks{steps, l};
  step("make_root " + r.jail + " " + std::string(model::root_mode_name(r.mode)), &sinks);
  std::lock_guard lock(mutex_);
  roots_.insert(r.path.string());
}

void fake_host::remove_root(const root_request& r, journal& steps) {
  no_ledger l;
  step_sinks sinks{steps, l};
  step("remove_root " + r.jail, &sinks);
  std::lock_guard lock(mutex_);
  roots_.erase(r.path.string());
}

void fake_host::run_host_hook(const jail_context& ctx, std::string_view stage,
                              const std::string& command, step_sinks sinks) {
  step("hook." + std::string(stage) + " " + ctx.spec.name + " " + command, &sinks);
}

void fake_host::start_main(const jail_context& ctx, const running_jail& jail, step_sinks sinks) {
  (void)jail;
  step("start_main " + ctx.spec.name, &sinks);
}

void fake_host::clear_persist(const jail_context& ctx, const running_jail& jail,
                              step_sinks sinks) {
  (void)jail;
  step("clear_persist " + ctx.spec.name, &sinks);
}

void fake_host::add_aliases(const jail_context& ctx, step_sinks sinks) {
  step("add_aliases " + ctx.spec.name, &sinks);
  for (const auto& a : ctx.spec.ip4) create({object_kind::alias, ctx.spec.name, a, {}}, sinks);
}

void fake_host::mount_filesystems(const jail_context& ctx, step_sinks sinks) {
  step("mount_filesystems " + ctx.spec.name, &sinks);
  if (ctx.spec.mount.devfs)
    create({object_kind::mount, ctx.spec.name, ctx.spec.path + "/dev", {}}, sinks);
}

void fake_host::create_interfaces(const jail_context& ctx, step_sinks sinks) {
  step("create_interfaces " + ctx.spec.name, &sinks);
  for (const auto& i : ctx.interfaces)
    create({object_kind::epair, ctx.spec.name, i.host_end,
            {{"bridge", i.bridge},
             {"ip4", i.ip4},
             {"ip6", i.ip6},
             {"mac", i.mac},
             {"defaultrouter", i.defaultrouter},
             {"bridge_ip4", i.bridge_ip4},
             {"dhcp4", i.dhcp4},
             {"lease4", i.lease4},
             {"slaac6", i.slaac6}}},
           sinks);
}

running_jail fake_host::create_jail(const jail_context& ctx, step_sinks sinks) {
  create({object_kind::jail, ctx.spec.name, ctx.spec.name, {}}, sinks);
  {
    std::lock_guard lock(mutex_);
    max_creating_ = std::max(max_creating_, ++creating_);
  }
  try {
    step("create_jail " + ctx.spec.name, &sinks);
  } catch (...) {
    std::lock_guard lock(mutex_);
    --creating_;
    throw;
  }
  std::lock_guard lock(mutex_);
  --creating_;
  running_.insert(ctx.spec.name);
  running_jail j;
  j.name = ctx.spec.name;
  j.jid = next_jid_++;
  j.token = "fake";
  handles_[j.name] = j;
  return j;
}

void fake_host::apply_limits(const jail_context& ctx, const running_jail&, step_sinks sinks) {
  step("apply_limits " + ctx.spec.name, &sinks);
  if (!ctx.spec.limits.empty())
    create({object_kind::rctl, ctx.spec.name, ctx.spec.name, {}}, sinks);
}

void fake_host::attach_interfaces(const jail_context& ctx, const running_jail&, step_sinks sinks) {
  step("attach_interfaces " + ctx.spec.name, &sinks);
}

void fake_host::publish(const jail_context& ctx, const running_jail&, step_sinks sinks) {
  // As the adapters: nothing to do (and nothing recorded) without NAT or ports.
  bool nat = false;
  for (const auto& i : ctx.interfaces) nat = nat || i.nat.has_value();
  if (!nat && ctx.spec.ports.empty()) return;
  std::string ports;
  for (const auto& i : ctx.interfaces)
    if (i.nat) ports += " nat(" + i.subnet4 + (i.nat->empty() ? "" : " via " + *i.nat) + ")";
  for (const auto& p : ctx.spec.ports) ports += " " + p;
  step("publish " + ctx.spec.name + ports, &sinks);
  create({object_kind::firewall, ctx.spec.name, "fw-" + ctx.spec.name, {{"ports", ctx.spec.ports}}},
         sinks);
}

void fake_host::run_jail_hook(const jail_context& ctx, const running_jail&,
                              std::string_view stage, const std::string& command,
                              step_sinks sinks) {
  step("jailhook." + std::string(stage) + " " + ctx.spec.name + " " + command, &sinks);
}

void fake_host::stop_jail(const jail_context& ctx, const running_jail&, step_sinks sinks) {
  step("stop_jail " + ctx.spec.name, &sinks);
  std::lock_guard lock(mutex_);
  running_.erase(ctx.spec.name);
  watchers_.erase(ctx.spec.name);
}

void fake_host::destroy(const object& obj, step_sinks sinks) {
  step("destroy " + std::string(object_kind_name(obj.kind)) + ":" + obj.key, &sinks);
  {
    std::lock_guard lock(mutex_);
    live_.erase(std::string(object_kind_name(obj.kind)) + ":" + obj.key);
    if (obj.kind == object_kind::jail) running_.erase(obj.key);
  }
  sinks.objects.forget(obj);
}

void fake_host::update_limits(const jail_context& ctx, const running_jail&, step_sinks sinks) {
  step("update_limits " + ctx.spec.name, &sinks);
}

exec_result fake_host::exec(const jail_context& ctx, const running_jail& jail,
                            const exec_request& req) {
  (void)ctx;
  step("exec " + jail.name + " " + (req.argv.empty() ? "" : req.argv.front()), nullptr);
  exec_result r;
  r.output = req.input.substr(0, req.output_limit);
  r.output_cut = req.input.size() - r.output.size();
  std::lock_guard lock(mutex_);
  auto& codes = exec_codes_[jail.name];
  if (!codes.empty()) {
    r.exit_code = codes.front();
    codes.erase(codes.begin());
  }
  return r;
}

std::unique_ptr<exec_session> fake_host::open_exec(const jail_context&, const running_jail& jail,
                                                  const exec_stream_request& req) {
  step("open_exec " + jail.name + " " + (req.argv.empty() ? "" : req.argv.front()), nullptr);
#if defined(__linux__)
  ::jaild::host::linux_host::spawn_request r;
  r.argv = req.login ? std::vector<std::string>{"sh", "-l"} : req.argv;
  r.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"};
  for (const auto& [k, v] : req.env) r.env.push_back(k + "=" + v);
  try {
    return ::jaild::host::linux_host::start_exec_stream(std::move(r),
                                                         {req.tty, req.rows, req.cols});
  } catch (const std::system_error& e) {
    throw error(errc::host_failure, e.what());
  }
#else
  return ::jaild::host::host::open_exec({}, jail, req);
#endif
}

void fake_host::signal(const jail_context&, const running_jail& jail, signal_target target,
                       int sig) {
  const std::string whom = target.what == signal_target::kind::init  ? "init"
                           : target.what == signal_target::kind::all ? "all"
                                                                     : std::to_string(target.pid);
  step("signal " + jail.name + " " + whom + " " + std::to_string(sig), nullptr);
  if (target.what == signal_target::kind::pid && target.pid == 4242)
    throw error(errc::process_not_found, "no process 4242 in the jail");
}

std::map<std::string, double> fake_host::usage(const running_jail&) {
  return {{"memoryuse", 1024}, {"maxproc", 1}};
}

bool fake_host::alive(const running_jail& jail) {
  std::lock_guard lock(mutex_);
  return running_.contains(jail.name);
}

std::vector<running_jail> fake_host::list_jails() {
  std::lock_guard lock(mutex_);
  std::vector<running_jail> out;
  for (const auto& n : running_) out.push_back(handles_.at(n));
  return out;
}

bool fake_host::watch(const running_jail& jail, std::function<void(exit_info)> on_exit) {
  std::lock_guard lock(mutex_);
  if (!running_.contains(jail.name)) return false;
  watchers_[jail.name] = std::move(on_exit);
  return true;
}

void fake_host::unwatch(const running_jail& jail) {
  std::lock_guard lock(mutex_);
  watchers_.erase(jail.name);
}

}  // namespace jaild::test

namespace jaild::test {

void fake_host::set_dynamic_addresses(const std::string& jail, std::vector<std::string> addrs) {
  std::lock_guard lock(mutex_);
  dynamic_[jail] = std::move(addrs);
}

std::vector<std::string> fake_host::dynamic_addresses(const ::jaild::host::jail_context& ctx,
                                                      const ::jaild::host::running_jail& jail) {
  (void)jail;
  std::lock_guard lock(mutex_);
  auto it = dynamic_.find(ctx.spec.name);
  return it == dynamic_.end() ? std::vector<std::string>{} : it->second;
}

void fake_host::resume_services(const ::jaild::host::jail_context& ctx,
                                const ::jaild::host::running_jail& jail) {
  (void)jail;
  step("resume_services " + ctx.spec.name, nullptr);
}

}  // namespace jaild::test
