#include "lib/engine/pipeline.h"

#include <spdlog/spdlog.h>

#include "lib/model/error.h"

namespace jaild::engine {
namespace {

void host_hooks(host::host& h, const host::jail_context& ctx, std::string_view stage,
                const std::vector<std::string>& commands, host::step_sinks sinks) {
  for (const auto& c : commands) h.run_host_hook(ctx, stage, c, sinks);
}

void jail_hooks(host::host& h, const host::jail_context& ctx, const host::running_jail& jail,
                std::string_view stage, const std::vector<std::string>& commands,
                host::step_sinks sinks) {
  for (const auto& c : commands) h.run_jail_hook(ctx, jail, stage, c, sinks);
}

// Runs a cleanup step that must not stop the cleanup: its failure is already
// journaled by the adapter; here it is only remembered.
template <typename F>
void best_effort(std::string& first_error, F&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    if (first_error.empty()) first_error = e.what();
  }
}

}  // namespace

void tracking_ledger::record(const host::object& obj) {
  durable_.record(obj);
  created_.push_back(obj);
}

void tracking_ledger::forget(const host::object& obj) {
  durable_.forget(obj);
  std::erase(created_, obj);
}

std::string destroy_all(host::host& h, const std::vector<host::object>& objects,
                        host::step_sinks sinks) {
  std::string first;
  for (auto it = objects.rbegin(); it != objects.rend(); ++it)
    best_effort(first, [&] { h.destroy(*it, sinks); });
  return first;
}

host::running_jail start_pipeline(host::host& h, const host::jail_context& ctx,
                             host::journal& steps, tracking_ledger& objects) {
  const host::step_sinks sinks{steps, objects};
  const auto& exec = ctx.spec.exec;
  bool prepare_begun = false, prestart_begun = false;
  std::optional<host::running_jail> jail;
  try {
    prepare_begun = !exec.prepare.empty();
    host_hooks(h, ctx, "prepare", exec.prepare, sinks);
    h.add_aliases(ctx, sinks);
    h.mount_filesystems(ctx, sinks);
    prestart_begun = !exec.prestart.empty();
    host_hooks(h, ctx, "prestart", exec.prestart, sinks);
    h.create_interfaces(ctx, sinks);
    jail = h.create_jail(ctx, sinks);
    host_hooks(h, ctx, "created", exec.created, sinks);
    h.apply_limits(ctx, *jail, sinks);
    h.attach_interfaces(ctx, *jail, sinks);
    h.publish(ctx, *jail, sinks);
    jail_hooks(h, ctx, *jail, "start", exec.start, sinks);
    h.start_main(ctx, *jail, sinks);  // jail(8)'s `command`
    host_hooks(h, ctx, "poststart", exec.poststart, sinks);
    h.clear_persist(ctx, *jail, sinks);  // as jail(8), after poststart
    return *jail;
  } catch (const std::exception& e) {
    spdlog::warn("jail {}: start failed ({}); undoing what was done", ctx.spec.name, e.what());
    std::string ignored;
    if (jail) {
      best_effort(ignored, [&] { h.stop_jail(ctx, *jail, sinks); });
    }
    if (prestart_begun)
      best_effort(ignored, [&] { host_hooks(h, ctx, "poststop", exec.poststop, sinks); });
    const auto created = objects.created();  // a copy: destroy() forgets as it goes
    destroy_all(h, created, sinks);
    if (prepare_begun)
      best_effort(ignored, [&] { host_hooks(h, ctx, "release", exec.release, sinks); });
    throw;
  }
}

void stop_pipeline(host::host& h, const host::jail_context& ctx, const host::running_jail& jail,
              const std::vector<host::object>& objects, host::journal& steps,
              host::ledger& ledger, const stop_options& options) {
  const host::step_sinks sinks{steps, ledger};
  const auto& exec = ctx.spec.exec;
  std::string first;
  if (!options.already_gone) {
    if (options.force) {
      best_effort(first, [&] { host_hooks(h, ctx, "prestop", exec.prestop, sinks); });
      best_effort(first, [&] { jail_hooks(h, ctx, jail, "stop", exec.stop, sinks); });
      first.clear();  // forced: hook failures do not fail the stop
    } else {
      host_hooks(h, ctx, "prestop", exec.prestop, sinks);
      jail_hooks(h, ctx, jail, "stop", exec.stop, sinks);
    }
  }
  best_effort(first, [&] { h.stop_jail(ctx, jail, sinks); });
  best_effort(first, [&] { host_hooks(h, ctx, "poststop", exec.poststop, sinks); });
  if (auto e = destroy_all(h, objects, sinks); first.empty()) first = e;
  best_effort(first, [&] { host_hooks(h, ctx, "release", exec.release, sinks); });
  if (!first.empty()) throw error(errc::host_failure, first);
}

}  // namespace jaild::engine
