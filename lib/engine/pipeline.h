// The start and stop pipelines (DESIGN.md section 3), in jail(8)'s order,
// shared by both platforms. Each host call journals its own steps; these
// functions decide the order and, when a step fails, undo the steps already
// done in reverse.
#pragma once

#include <vector>

#include "lib/host/host.h"

namespace jaild::engine {

// A ledger that also remembers, in order, what one operation created, so
// that a failed start can undo exactly that.
class tracking_ledger : public host::ledger {
 public:
  explicit tracking_ledger(host::ledger& durable) : durable_(durable) {}
  void record(const host::object& obj) override;
  void forget(const host::object& obj) override;
  const std::vector<host::object>& created() const { return created_; }

 private:
  host::ledger& durable_;
  std::vector<host::object> created_;
};

// Start: exec.prepare, aliases, mounts, exec.prestart, interfaces, create,
// exec.created, limits and cpuset, attach interfaces, NAT and published
// ports, exec.start (inside),
// exec.poststart. On failure: removes the jail if it was created, runs
// exec.poststop if exec.prestart had begun, destroys what this run created
// (newest first), runs exec.release if exec.prepare had begun, and rethrows
// the first error. Returns the running jail.
host::running_jail start_pipeline(host::host& h, const host::jail_context& ctx,
                             host::journal& steps, tracking_ledger& objects);

struct stop_options {
  // Continue past failing exec.prestop / exec.stop hooks (jail(8) aborts the
  // removal when one fails; `force` removes the jail anyway, like jail -R).
  bool force = false;
  // The jail is already gone (it crashed): skip the hooks that run inside it.
  bool already_gone = false;
};

// Stop: exec.prestop, exec.stop (inside), SIGTERM / stop.timeout / SIGKILL and
// removal, exec.poststop, destroy `objects` newest first, exec.release.
// Throws when a prestop or stop hook fails and !force (nothing is removed).
// Failures after removal are journaled and collected: the objects that could
// not be destroyed stay in the ledger for the reconciler, and the first such
// error is rethrown at the end.
void stop_pipeline(host::host& h, const host::jail_context& ctx, const host::running_jail& jail,
              const std::vector<host::object>& objects, host::journal& steps,
              host::ledger& ledger, const stop_options& options);

// Destroys `objects` newest first; returns the first error ("" when none).
std::string destroy_all(host::host& h, const std::vector<host::object>& objects,
                        host::step_sinks sinks);

}  // namespace jaild::engine
