// The engine's private record of each jail in the kernel and under
// supervision. Every field is guarded by engine::runtime_mutex_; host calls
// are never made while that mutex is held.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "lib/engine/engine.h"

namespace jaild::engine {

// A jail that is not up nor on its way up or down: stopped, failed or in
// crashloop.
inline bool is_down(model::jail_state s) {
  return s == model::jail_state::stopped || s == model::jail_state::failed ||
         s == model::jail_state::crashloop;
}

struct engine::jail_runtime {
  std::string name;
  model::jail_state state = model::jail_state::stopped;
  std::string desired = "stopped";  // running | stopped: the user's last word
  std::string instance;             // this incarnation; host object names derive from it
  std::optional<host::running_jail> handle;
  std::vector<host::resolved_interface> interfaces;
  std::optional<std::int64_t> started_ms;
  int restarts = 0;                 // restarts by policy, shown in the status
  counters counts;                  // this jail's share of engine::totals_, for /metrics
  std::optional<int> last_exit;
  std::string last_error;
  std::vector<std::string> warnings;  // from host::check
  // The spec the running jail was started with, with live changes folded in;
  // drift = the stored spec differs from it in a field only a restart applies.
  std::optional<model::jail_spec> applied;
  bool drift = false;

  // Supervision.
  model::health_state health = model::health_state::none;
  int health_failures = 0;
  std::string health_detail;
  std::uint64_t restart_timer = 0;
  std::uint64_t health_timer = 0;
  // What the jail's DHCP and SLAAC clients obtained, as last looked up
  // (addresses.cpp), and the timer of the next look.
  std::vector<std::string> dynamic_addresses;
  std::uint64_t address_timer = 0;
  int address_looks = 0;
  int backoff_step = 0;             // consecutive quick crashes
  int policy_retries = 0;           // restarts since the last start a user asked for
  std::deque<std::chrono::steady_clock::time_point> restart_times;  // for crashloop
  std::chrono::steady_clock::time_point up_since{};

  // A delete has found the jail idle and is removing its definition: no new
  // operation may begin (engine::apply_specs).
  bool deleting = false;
  // What holds the jail stopped, and not deleted, until it is done: a
  // template being copied from its root (templates.cpp), a snapshot being
  // taken or rolled back, an archive being written (snapshots.cpp,
  // archives.cpp). "" = nothing. Said in the refusals: "being ...".
  std::string held;

  // The operation running now (its turn in the jail's op_queue lane).
  std::string current_op;
};


}  // namespace jaild::engine
