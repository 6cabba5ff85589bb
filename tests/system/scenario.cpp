#include "tests/system/scenario.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>

#include "lib/store/store.h"
#include "tests/support/process.h"

namespace jaild::systest {

using nlohmann::json;

scenario::scenario(const std::string& extra_config) {
  require_prerequisites();
  baseline_ = count_host_objects();
  std::vector<std::string> flags{"--log-level", "debug"};
  if (!extra_config.empty()) {
    std::ofstream(conf_dir_ / "jaild.conf") << extra_config;
    flags.insert(flags.begin(), {"--config", (conf_dir_ / "jaild.conf").string()});
  }
  flags_ = flags;
  daemon_.start(flags_);
}

scenario::~scenario() {
  if (std::uncaught_exceptions() > 0) {
    // A failed REQUIRE is unwinding: show what jaild said.
    const auto log = daemon_.process().log();
    std::cerr << "---- end of jaild's log ----\n"
              << log.substr(log.size() > 6000 ? log.size() - 6000 : 0) << "\n";
  }
  // Stop every jail, then jaild. A jaild that died is started again on the
  // same state directory first: it adopts the jails, and then stops them.
  if (daemon_.curl("GET", "/v1/health").status != 200) {
    daemon_.process().stop(SIGKILL);
    try {
      daemon_.start(flags_);
    } catch (const std::exception& e) {
      std::cerr << "cleanup: jaild does not start again: " << e.what() << "\n";
    }
  }
  for (const auto& j : jails_)
    daemon_.curl("POST", "/v1/jails/" + j.name + "/stop?cascade=true&force=true");
  daemon_.stop();
}

void scenario::define(const std::string& short_name, json spec) {
  jail_def j{name(short_name), std::make_unique<rootfs>(name(short_name))};
  spec["name"] = j.name;
  spec["path"] = j.root->path().string();
  auto r = daemon_.curl("POST", "/v1/jails", spec.dump());
  INFO(r.body);
  REQUIRE(r.status == 201);
  jails_.push_back(std::move(j));
}

std::string scenario::root_for(const std::string& short_name) {
  jail_def j{name(short_name), std::make_unique<rootfs>(name(short_name))};
  auto path = j.root->path().string();
  jails_.push_back(std::move(j));
  return path;
}

const fs::path& scenario::root(const std::string& short_name) const {
  for (const auto& j : jails_)
    if (j.name == name(short_name)) return j.root->path();
  throw std::runtime_error("no jail " + short_name + " in this scenario");
}

json scenario::jail(const std::string& short_name) {
  return daemon_.curl("GET", "/v1/jails/" + name(short_name)).json();
}

std::string scenario::state(const std::string& short_name) {
  return jail(short_name)["status"]["state"];
}

json scenario::operations(const std::string& short_name) {
  return daemon_.curl("GET", "/v1/operations?limit=100&jail=" + name(short_name))
      .json()["operations"];
}

json scenario::last_start(const std::string& short_name) {
  for (const auto& op : operations(short_name))
    if (op["kind"] == "start") return op;
  return json();
}

void scenario::restart_daemon(int sig) {
  daemon_.stop(sig);
  daemon_.start(flags_);
}

std::string scenario::tag() {
  auto r = test::run({"sqlite3", "-readonly", daemon_.database().string(), "SELECT id FROM instance"});
  std::string id = r.out;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  CHECK(id.size() == 32);
  return id.size() == 32 ? store::instance_tag_of(id) : "";
}

}  // namespace jaild::systest
