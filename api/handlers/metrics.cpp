// GET /metrics: jaild, its jails and its API in the Prometheus text format
// (version 0.0.4), by Prometheus's conventions: base units, one metric per
// quantity, states as 0/1 series. Jail usage is read from the host on each
// scrape, on the blocking pool.
#include <fmt/format.h>

#include "api/metrics.h"
#include "api/process_metrics.h"
#include "api/service.h"

namespace jaild::api {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// RCTL's names for what a jail uses, as Prometheus metrics in base units,
// one metric per quantity. Rates (pcpu, readbps, ...) are left out: a rate
// belongs to the query (rate(jaild_jail_cpu_seconds_total[1m])), not to the
// scrape, whose interval the exporter does not know.
struct usage_metric {
  const char* resource;
  const char* name;
  const char* type;
  const char* help;
};
constexpr usage_metric usage_metrics[] = {
    {"memoryuse", "jaild_jail_memory_bytes", "gauge", "Resident memory of a running jail's processes."},
    {"vmemoryuse", "jaild_jail_virtual_memory_bytes", "gauge", "Address space of a running jail's processes."},
    {"swapuse", "jaild_jail_swap_bytes", "gauge", "Swap used by a running jail."},
    {"cputime", "jaild_jail_cpu_seconds_total", "counter", "CPU time used by a running jail's processes."},
    {"maxproc", "jaild_jail_processes", "gauge", "Processes in a running jail."},
    {"nthr", "jaild_jail_threads", "gauge", "Threads in a running jail."},
    {"openfiles", "jaild_jail_open_files", "gauge", "Open file descriptors in a running jail."},
    {"pseudoterminals", "jaild_jail_pseudoterminals", "gauge", "Pseudo-terminals a running jail holds."},
};

constexpr model::jail_state all_states[] = {model::jail_state::stopped,  model::jail_state::starting,
                                            model::jail_state::running,  model::jail_state::stopping,
                                            model::jail_state::failed,   model::jail_state::crashloop};
constexpr model::health_state check_states[] = {model::health_state::starting,
                                                model::health_state::healthy,
                                                model::health_state::unhealthy};

}  // namespace

void service::add_metrics_routes() {
  router_.add({"GET", "/metrics", role::viewer, run_on::pool,
               [this](request&) {
                 auto snap = engine_.current();
                 std::string out;
                 family(out, "jaild_build_info", "gauge", "Version and platform of this jaild.");
                 out += fmt::format("jaild_build_info{{version=\"{}\",platform=\"{}\"}} 1\n",
                                    JAILD_VERSION, JAILD_PLATFORM_NAME);
                 family(out, "jaild_uptime_seconds", "gauge", "Seconds since jaild started.");
                 out += fmt::format("jaild_uptime_seconds {}\n",
                                    std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::steady_clock::now() - started_)
                                        .count());
                 out += process_metrics();

                 std::map<std::string, int> by_state;
                 for (auto s : all_states) by_state[std::string(model::jail_state_name(s))] = 0;
                 for (const auto& [name, e] : snap->jails())
                   ++by_state[std::string(model::jail_state_name(e->status.state))];
                 family(out, "jaild_jails", "gauge", "Defined jails by state.");
                 for (const auto& [state, n] : by_state)
                   out += fmt::format("jaild_jails{{state=\"{}\"}} {}\n", state, n);

                 // One series per jail and possible state, 1 for the state it
                 // is in: a query or an alert never misses a state that has
                 // no series yet.
                 family(out, "jaild_jail_state", "gauge",
                        "1 for the state a jail is in, 0 for the others (stopped, starting, "
                        "running, stopping, failed, crashloop).");
                 for (const auto& [name, e] : snap->jails())
                   for (auto s : all_states)
                     out += fmt::format("jaild_jail_state{{jail=\"{}\",state=\"{}\"}} {}\n",
                                        prom_label(name), model::jail_state_name(s),
                                        e->status.state == s ? 1 : 0);
                 family(out, "jaild_jail_up", "gauge", "1 when the jail is running.");
                 for (const auto& [name, e] : snap->jails())
                   out += fmt::format("jaild_jail_up{{jail=\"{}\"}} {}\n", prom_label(name),
                                      e->status.state == model::jail_state::running ? 1 : 0);
                 family(out, "jaild_jail_restarts_total", "counter",
                        "Restarts by the jail's restart policy.");
                 for (const auto& [name, e] : snap->jails())
                   out += fmt::format("jaild_jail_restarts_total{{jail=\"{}\"}} {}\n",
                                      prom_label(name), e->status.restarts);
                 family(out, "jaild_jail_healthy", "gauge",
                        "1 when the jail's health check passes, else 0; only jails with a check.");
                 for (const auto& [name, e] : snap->jails())
                   if (e->spec.health)
                     out += fmt::format("jaild_jail_healthy{{jail=\"{}\"}} {}\n", prom_label(name),
                                        e->status.health == model::health_state::healthy ? 1 : 0);
                 family(out, "jaild_jail_health_state", "gauge",
                        "1 for the health a checked jail is in, 0 for the others (starting, "
                        "healthy, unhealthy); a stopped jail has 0 for all three.");
                 for (const auto& [name, e] : snap->jails())
                   if (e->spec.health)
                     for (auto h : check_states)
                       out += fmt::format("jaild_jail_health_state{{jail=\"{}\",state=\"{}\"}} {}\n",
                                          prom_label(name), model::health_state_name(h),
                                          e->status.health == h ? 1 : 0);
                 family(out, "jaild_jail_start_time_seconds", "gauge",
                        "When the running jail started (Unix time).");
                 for (const auto& [name, e] : snap->jails())
                   if (e->status.started_at && e->status.state == model::jail_state::running)
                     out += fmt::format("jaild_jail_start_time_seconds{{jail=\"{}\"}} {:.3f}\n",
                                        prom_label(name),
                                        static_cast<double>(*e->status.started_at) / 1000.0);

                 std::map<std::string, std::map<std::string, double>> usage;
                 for (const auto& [name, e] : snap->jails()) {
                   if (e->status.state != model::jail_state::running) continue;
                   try {
                     usage[name] = engine_.stats(name);
                   } catch (const std::exception&) {
                     // stopped meanwhile
                   }
                 }
                 for (const auto& m : usage_metrics) {
                   family(out, m.name, m.type, m.help);
                   for (const auto& [name, values] : usage)
                     if (auto v = values.find(m.resource); v != values.end())
                       out += fmt::format("{}{{jail=\"{}\"}} {}\n", m.name, prom_label(name),
                                          v->second);
                 }

                 const auto per_jail = engine_.jail_totals();
                 using counters = engine::engine::counters;
                 for (auto [metric, help, field] :
                      {std::tuple{"jaild_jail_starts_total", "Starts of the jail that succeeded.",
                                  &counters::starts},
                       std::tuple{"jaild_jail_start_failures_total", "Starts of the jail that failed.",
                                  &counters::start_failures},
                       std::tuple{"jaild_jail_stops_total", "Stops of the jail.", &counters::stops},
                       std::tuple{"jaild_jail_crashes_total",
                                  "Times the jail ended without being asked to.", &counters::crashes}}) {
                   family(out, metric, "counter", help);
                   for (const auto& [name, e] : snap->jails()) {
                     auto c = per_jail.find(name);
                     out += fmt::format("{}{{jail=\"{}\"}} {}\n", metric, prom_label(name),
                                        c == per_jail.end() ? 0 : c->second.*field);
                   }
                 }
                 family(out, "jaild_events_last_sequence", "gauge",
                        "Sequence number of the newest stored event.");
                 out += fmt::format("jaild_events_last_sequence {}\n",
                                    engine_.last_event_seq());
                 out += metrics_->render();
                 return text_response(200, "text/plain; version=0.0.4; charset=utf-8",
                                      std::move(out));
               },
               "Prometheus metrics: jails, usage, restarts, health, API requests and latency"});
}

}  // namespace jaild::api
