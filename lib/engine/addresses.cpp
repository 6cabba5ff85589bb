// The addresses a jail's own DHCP and SLAAC clients obtain (model/
// dynamic_address.h) are the jail's doing, not jaild's: jaild looks them up on
// the host (host::dynamic_addresses: a netlink dump in the jail's namespace
// on Linux) and shows them in the status, next to the addresses it set
// itself. Only jails with such interfaces are looked at: every second for the
// first minute of each start, when a client is getting its lease, then every
// ten seconds for renewals and changes.
#include <spdlog/spdlog.h>

#include "lib/engine/engine.h"
#include "lib/engine/runtime.h"
#include "lib/model/dynamic_address.h"

namespace jaild::engine {
namespace {

constexpr int quick_looks = 60;
constexpr std::chrono::milliseconds quick_interval{1000};
constexpr std::chrono::milliseconds slow_interval{10'000};

}  // namespace

void engine::watch_addresses(const std::string& name, const std::string& instance) {
  auto entry = current()->find(name);
  if (!entry || !model::has_dynamic_address(entry->spec)) return;
  guard lock(runtime_mutex_);
  auto it = runtimes_.find(name);
  if (it == runtimes_.end() || it->second->instance != instance) return;
  auto& rt = *it->second;
  if (rt.address_timer) sched_->cancel(rt.address_timer);
  rt.dynamic_addresses.clear();
  rt.address_looks = 0;
  rt.address_timer = sched_->after(std::chrono::milliseconds(0), [this, name, instance] {
    look_up_addresses(name, instance);
  });
}

void engine::look_up_addresses(const std::string& name, const std::string& instance) {
  if (shutting_down_) return;
  host::jail_context ctx;
  host::running_jail handle;
  {
    guard lock(runtime_mutex_);
    auto it = runtimes_.find(name);
    auto entry = current()->find(name);
    if (it == runtimes_.end() || !entry) return;
    auto& rt = *it->second;
    if (rt.instance != instance || !rt.handle || is_down(rt.state)) return;
    rt.address_timer = 0;
    ctx = context_for(rt.applied ? *rt.applied : entry->spec, rt);
    handle = *rt.handle;
  }
  std::optional<std::vector<std::string>> found;
  try {
    found = host_.dynamic_addresses(ctx, handle);
  } catch (const std::exception& e) {
    spdlog::debug("addresses of jail {}: {}", name, e.what());
  }
  guard lock(runtime_mutex_);
  auto it = runtimes_.find(name);
  if (it == runtimes_.end()) return;
  auto& rt = *it->second;
  if (rt.instance != instance || !rt.handle || is_down(rt.state)) return;
  if (found && *found != rt.dynamic_addresses) {
    rt.dynamic_addresses = std::move(*found);
    publish_status(name);
  }
  const auto next = ++rt.address_looks < quick_looks ? quick_interval : slow_interval;
  rt.address_timer =
      sched_->after(next, [this, name, instance] { look_up_addresses(name, instance); });
}

}  // namespace jaild::engine
