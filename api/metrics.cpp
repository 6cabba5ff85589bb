#include "api/metrics.h"

#include <fmt/format.h>

namespace jaild::api {

std::string prom_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void request_metrics::observe(const std::string& method, const std::string& route,
                              unsigned status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  auto& h = latency_[{method, route}];
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

std::string request_metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out =
      "# HELP jaild_http_requests_total API requests answered, by method, route and status.\n"
      "# TYPE jaild_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out += fmt::format("jaild_http_requests_total{{method=\"{}\",route=\"{}\",code=\"{}\"}} {}\n",
                       prom_label(method), prom_label(route), status, n);
  }
  out +=
      "# HELP jaild_http_request_duration_seconds Time from a request to its answer, by route.\n"
      "# TYPE jaild_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    const auto labels =
        fmt::format("method=\"{}\",route=\"{}\"", prom_label(key.first), prom_label(key.second));
    for (std::size_t i = 0; i < buckets.size(); ++i)
      out += fmt::format("jaild_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                         buckets[i], h.counts[i]);
    out += fmt::format("jaild_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                       h.count);
    out += fmt::format("jaild_http_request_duration_seconds_sum{{{}}} {}\n", labels, h.sum);
    out += fmt::format("jaild_http_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
  }
  return out;
}

}  // namespace jaild::api
