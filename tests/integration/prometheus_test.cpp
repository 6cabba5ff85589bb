// Debian's Prometheus scraping a live jaild over HTTPS with a viewer token:
// the target is up and jaild's series are in Prometheus's own storage.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <thread>

#include "tests/integration/https_support.h"

using namespace jaild::test;
using nlohmann::json;

namespace {

std::string fmt_percent(unsigned char c) {
  static const char* hex = "0123456789ABCDEF";
  return {'%', hex[c >> 4], hex[c & 15]};
}

}  // namespace

TEST_CASE("metrics: Prometheus scrapes jaild over HTTPS and sees the target up",
          "[integration]") {
  https_daemon h;
  h.start();
  REQUIRE(h.d.curl("POST", "/v1/jails", h.d.rooted(R"({"name":"web","path":"/jails/web"})")).status == 201);
  const auto token = h.token("viewer");

  temp_dir prom{"jaild-prom"};
  std::ofstream(prom / "token") << token;
  std::ofstream(prom / "prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
         "scrape_configs:\n"
         "  - job_name: jaild\n"
         "    scheme: https\n"
         "    tls_config:\n      ca_file: "
      << h.ca.ca_cert().string()
      << "\n    authorization:\n      type: Bearer\n      credentials_file: "
      << (prom / "token").string() << "\n    static_configs:\n      - targets: ['127.0.0.1:"
      << h.port << "']\n";
  const auto web_port = free_port();
  const std::string api = "http://127.0.0.1:" + std::to_string(web_port);
  background prometheus({"/usr/bin/prometheus", "--config.file=" + (prom / "prometheus.yml").string(),
                         "--storage.tsdb.path=" + (prom / "data").string(),
                         "--web.listen-address=127.0.0.1:" + std::to_string(web_port)},
                        prom / "prometheus.log");

  auto escape = [](const std::string& text) {
    std::string out;
    for (unsigned char c : text)
      out += std::isalnum(c) || c == '_' || c == '.' ? std::string(1, static_cast<char>(c))
                                                     : fmt_percent(c);
    return out;
  };
  auto get = [&](const std::string& path) {
    auto r = run({"curl", "-sS", "--max-time", "2", api + path});
    auto j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? json() : j;
  };
  bool up = false;
  json targets;
  for (int i = 0; i < 300 && !up; ++i) {  // up to 30 s: Prometheus starts, then scrapes each second
    targets = get("/api/v1/targets");
    if (targets.is_object())
      for (const auto& t : targets["data"]["activeTargets"]) up = up || t["health"] == "up";
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(targets.dump() << "\n" << prometheus.log().substr(0, 4000));
  REQUIRE(up);

  // The series are in Prometheus's storage (a scrape of the up target has landed).
  json result;
  for (int i = 0; i < 50; ++i) {
    // The series that is 1 of the jail's six (one per state).
    result = get("/api/v1/query?query=jaild_jail_state%7Bjail%3D%22web%22%7D%20%3D%3D%201");
    if (result.is_object() && !result["data"]["result"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(result.is_object());
  REQUIRE(result["data"]["result"].size() == 1);
  CHECK(result["data"]["result"][0]["metric"]["state"] == "stopped");
  for (const char* series : {"jaild_build_info", "jaild_http_requests_total",
                             "jaild_http_request_duration_seconds_bucket", "jaild_jail_up",
                             "jaild_jail_starts_total", "process_cpu_seconds_total"}) {
    INFO(series);
    auto q = get(std::string("/api/v1/query?query=") + series);
    CHECK_FALSE(q["data"]["result"].empty());
  }
  // etc/monitoring's dashboard and alert rules: every query is valid PromQL
  // for this Prometheus, and every jaild metric they name is one jaild has.
  const auto scraped = h.d.curl("GET", "/metrics").body;
  std::vector<std::string> queries;
  auto dashboard = json::parse(std::ifstream(std::string(JAILD_SOURCE_DIR) +
                                             "/etc/monitoring/jaild-grafana-dashboard.json"));
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel["targets"]) queries.push_back(target["expr"]);
  std::ifstream rules(std::string(JAILD_SOURCE_DIR) + "/etc/monitoring/jaild-alerts.yml");
  for (std::string line; std::getline(rules, line);) {
    auto at = line.find("expr: ");
    if (at == std::string::npos) continue;
    std::string expr = line.substr(at + 6);
    if (expr == "|")  // a block: the indented lines that follow
      for (expr.clear(); std::getline(rules, line) && line.find(':') == std::string::npos;)
        expr += line + " ";
    queries.push_back(expr);
  }
  REQUIRE(queries.size() > 10);
  const std::regex metric_name("\\b(jaild_[a-z_]+|process_[a-z_]+)");
  for (auto q : queries) {
    for (auto [from, to] : {std::pair{"$__rate_interval", "1m"}, std::pair{"$instance", ".*"},
                            std::pair{"$jail", ".*"}})
      for (auto at = q.find(from); at != std::string::npos; at = q.find(from))
        q.replace(at, std::string(from).size(), to);
    INFO(q);
    auto answer = get("/api/v1/query?query=" + escape(q));
    CHECK(answer["status"] == "success");
    for (std::sregex_iterator it(q.begin(), q.end(), metric_name), end; it != end; ++it) {
      std::string name = (*it)[1];
      if (name.ends_with("_bucket")) name.resize(name.size() - 7);
      INFO(name);
      CHECK(scraped.find("# TYPE " + name + " ") != std::string::npos);
    }
  }
  prometheus.stop(15);
}
