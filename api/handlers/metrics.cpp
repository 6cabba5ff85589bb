// GET /metrics: jaild, its jails and its API in the Prometheus text format
// (version 0.0.4). Jail usage is read from the host on each scrape, on the
// blocking pool.
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

#include "api/metrics.h"
#include "api/service.h"

namespace jaild::api {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

double process_rss_bytes() {
#if defined(__linux__)
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
#else
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024.0;  // peak, in KiB on FreeBSD
#endif
}

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
                 family(out, "jaild_process_resident_memory_bytes", "gauge",
                        "Resident memory of the jaild process.");
                 out += fmt::format("jaild_process_resident_memory_bytes {:.0f}\n",
                                    process_rss_bytes());
                 rusage ru{};
                 getrusage(RUSAGE_SELF, &ru);
                 family(out, "jaild_process_cpu_seconds_total", "counter",
                        "CPU time used by the jaild process.");
                 out += fmt::format(
                     "jaild_process_cpu_seconds_total {:.3f}\n",
                     static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);

                 std::map<std::string, int> by_state;
                 for (auto s : {model::jail_state::stopped, model::jail_state::starting,
                                model::jail_state::running, model::jail_state::stopping,
                                model::jail_state::failed, model::jail_state::crashloop})
                   by_state[std::string(model::jail_state_name(s))] = 0;
                 for (const auto& [name, e] : snap->jails())
                   ++by_state[std::string(model::jail_state_name(e->status.state))];
                 family(out, "jaild_jails", "gauge", "Defined jails by state.");
                 for (const auto& [state, n] : by_state)
                   out += fmt::format("jaild_jails{{state=\"{}\"}} {}\n", state, n);

                 family(out, "jaild_jail_state", "gauge",
                        "1 for the state each jail is in (stopped, starting, running, stopping, "
                        "failed, crashloop).");
                 for (const auto& [name, e] : snap->jails())
                   out += fmt::format("jaild_jail_state{{jail=\"{}\",state=\"{}\"}} 1\n",
                                      prom_label(name), model::jail_state_name(e->status.state));
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
                        "1 healthy, 0 unhealthy or starting; only jails with a health check.");
                 for (const auto& [name, e] : snap->jails())
                   if (e->spec.health)
                     out += fmt::format("jaild_jail_healthy{{jail=\"{}\",health=\"{}\"}} {}\n",
                                        prom_label(name), model::health_state_name(e->status.health),
                                        e->status.health == model::health_state::healthy ? 1 : 0);
                 family(out, "jaild_jail_start_time_seconds", "gauge",
                        "When the running jail started (Unix time).");
                 for (const auto& [name, e] : snap->jails())
                   if (e->status.started_at && e->status.state == model::jail_state::running)
                     out += fmt::format("jaild_jail_start_time_seconds{{jail=\"{}\"}} {:.3f}\n",
                                        prom_label(name),
                                        static_cast<double>(*e->status.started_at) / 1000.0);
                 family(out, "jaild_jail_usage", "gauge",
                        "Resource use of running jails in RCTL names: memoryuse and vmemoryuse "
                        "in bytes, pcpu in percent of one CPU, cputime in seconds, maxproc and "
                        "openfiles as counts.");
                 for (const auto& [name, e] : snap->jails()) {
                   if (e->status.state != model::jail_state::running) continue;
                   std::map<std::string, double> usage;
                   try {
                     usage = engine_.stats(name);
                   } catch (const std::exception&) {
                     continue;  // stopped meanwhile
                   }
                   for (const auto& [resource, value] : usage)
                     out += fmt::format("jaild_jail_usage{{jail=\"{}\",resource=\"{}\"}} {}\n",
                                        prom_label(name), prom_label(resource), value);
                 }
                 const auto t = engine_.totals();
                 for (auto [metric, help, value] :
                      {std::tuple{"jaild_jail_starts_total", "Jail starts that succeeded.", t.starts},
                       std::tuple{"jaild_jail_start_failures_total", "Jail starts that failed.",
                                  t.start_failures},
                       std::tuple{"jaild_jail_stops_total", "Jail stops.", t.stops},
                       std::tuple{"jaild_jail_crashes_total",
                                  "Jails that ended without being asked to.", t.crashes}}) {
                   family(out, metric, "counter", help);
                   out += fmt::format("{} {}\n", metric, value);
                 }
                 family(out, "jaild_events_last_sequence", "gauge",
                        "Sequence number of the newest stored event.");
                 out += fmt::format("jaild_events_last_sequence {}\n",
                                    engine_.database().last_event_seq());
                 out += metrics_->render();
                 return text_response(200, "text/plain; version=0.0.4; charset=utf-8",
                                      std::move(out));
               },
               "Prometheus metrics: jails, usage, restarts, health, API requests and latency"});
}

}  // namespace jaild::api
