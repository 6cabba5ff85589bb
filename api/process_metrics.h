// The standard process_* metrics every Prometheus client library exports
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics),
// for jaild itself, so that the usual dashboards and alerts work unchanged.
#pragma once

#include <string>

namespace jaild::api {

// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds,
// process_open_fds and process_max_fds, as far as the platform has them, in
// the text format with their HELP and TYPE lines.
std::string process_metrics();

}  // namespace jaild::api
