// The API's own measurements for /metrics: requests by method, route pattern
// and status, and a latency histogram per route. Routes are counted by their
// pattern ("/v1/jails/{name}"), never the raw path, so a scanner cannot grow
// the series without bound.
//
// Thread-safety: observe() and render() may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace jaild::api {

class request_metrics {
 public:
  static constexpr std::array<double, 14> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,   5,     10};

  void observe(const std::string& method, const std::string& route, unsigned status,
               double seconds);
  // jaild_http_requests_total and jaild_http_request_duration_seconds, in the
  // Prometheus text format.
  std::string render() const;

 private:
  struct histogram {
    std::array<std::uint64_t, buckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, histogram> latency_;
};

// A label value escaped for the text format.
std::string prom_label(const std::string& value);

}  // namespace jaild::api
