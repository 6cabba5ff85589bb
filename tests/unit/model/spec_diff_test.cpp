#include "lib/model/spec_diff.h"

#include <catch2/catch.hpp>

#include <set>

using namespace jaild::model;
using nlohmann::json;

namespace {

jail_spec spec(const std::string& text) {
  return spec_from_json(json::parse(text));
}

// "field: before -> after" per change, values as JSON.
std::vector<std::string> lines(const std::vector<field_change>& diff) {
  std::vector<std::string> out;
  for (const auto& c : diff)
    out.push_back(c.field + ": " + c.before.dump() + " -> " + c.after.dump());
  return out;
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("spec diff: equal specs have none, scalars are one change each", "[model]") {
  const auto a = spec(R"({"name":"db","path":"/j/db","hostname":"db.example.org"})");
  CHECK(diff_specs(a, a).empty());
  const auto b = spec(R"({"name":"db","path":"/j/db2","hostname":"db.example.org","boot":true,
                          "priority":10})");
  CHECK(lines(diff_specs(a, b)) ==
        strings{R"(path: "/j/db" -> "/j/db2")", "priority: 99 -> 10", "boot: false -> true"});
}

TEST_CASE("spec diff: limits are keyed by resource and action, the amount is the value",
          "[model]") {
  const auto a = spec(R"({"name":"db","path":"/j","limits":["memoryuse:deny=1G","maxproc:deny=100",
                          "pcpu:deny=50/process"]})");
  const auto b = spec(R"({"name":"db","path":"/j","limits":["memoryuse:deny=2G",
                          "pcpu:deny=60/process","openfiles:deny=1024"]})");
  CHECK(lines(diff_specs(a, b)) == strings{
                                       R"(limits.maxproc:deny: "100" -> null)",
                                       R"(limits.memoryuse:deny: "1G" -> "2G")",
                                       R"(limits.pcpu:deny/process: "50" -> "60")",
                                       R"(limits.openfiles:deny: null -> "1024")",
                                   });
  // The same rules in another order: the list changed, and says so whole.
  const auto c = spec(R"({"name":"db","path":"/j","limits":["maxproc:deny=100",
                          "memoryuse:deny=1G","pcpu:deny=50/process"]})");
  REQUIRE_FALSE(a == c);
  CHECK(lines(diff_specs(a, c)) ==
        strings{R"(limits: ["memoryuse:deny=1G","maxproc:deny=100","pcpu:deny=50/process"] -> )"
                R"(["maxproc:deny=100","memoryuse:deny=1G","pcpu:deny=50/process"])"});
}

TEST_CASE("spec diff: objects key by key, lists of values whole, interfaces one by one",
          "[model]") {
  const auto a = spec(R"({"name":"web","path":"/j","params":{"allow.raw_sockets":true},
    "exec":{"start":["/bin/sh /etc/rc"]},
    "vnet":{"interfaces":[{"bridge":"br0","ip4":["10.0.0.2/24"]}]}})");
  const auto b = spec(R"({"name":"web","path":"/j","params":{"enforce_statfs":1},
    "exec":{"start":["/bin/sh /etc/rc","/usr/local/bin/app"],"timeout":"2m"},
    "vnet":{"interfaces":[{"bridge":"br0","ip4":["10.0.0.3/24"]},{"bridge":"br1"}]},
    "health":{"tcp":"80"}})");
  CHECK(lines(diff_specs(a, b)) ==
        strings{
            "params.allow.raw_sockets: true -> null",
            "params.enforce_statfs: null -> 1",
            R"(exec.start: ["/bin/sh /etc/rc"] -> ["/bin/sh /etc/rc","/usr/local/bin/app"])",
            R"(exec.timeout: "1m" -> "2m")",
            R"(vnet.interfaces[0].ip4: ["10.0.0.2/24"] -> ["10.0.0.3/24"])",
            R"(vnet.interfaces[1]: null -> )" + spec_to_json(b)["vnet"]["interfaces"][1].dump(),
            "health: null -> " + spec_to_json(b)["health"].dump(),
        });
  // And back: the same fields, before and after swapped.
  const auto back = diff_specs(b, a);
  const auto forth = diff_specs(a, b);
  REQUIRE(back.size() == forth.size());
  std::set<std::string> fields_back, fields_forth;
  for (std::size_t i = 0; i < back.size(); ++i) {
    fields_back.insert(back[i].field);
    fields_forth.insert(forth[i].field);
  }
  CHECK(fields_back == fields_forth);
}

TEST_CASE("spec diff: empty exactly when the specs are equal", "[model]") {
  const std::vector<std::string> specs{
      R"({"name":"a","path":"/j"})",
      R"({"name":"a","path":"/j","limits":["memoryuse:deny=1G"]})",
      R"({"name":"a","path":"/j","limits":["memoryuse:deny=1g"]})",
      R"({"name":"a","path":"/j","cpuset":"0-1"})",
      R"({"name":"a","path":"/j","restart":"on-failure:3"})",
      R"({"name":"a","path":"/j","restart":"on-failure:4"})",
      R"({"name":"a","path":"/j","health":{"exec":["/bin/true"]}})",
      R"({"name":"a","path":"/j","health":{"exec":["/bin/true"],"retries":4}})",
      R"({"name":"a","path":"/j","vnet":{"interfaces":[]}})",
      R"({"name":"a","path":"/j","vnet":{"interfaces":[{"bridge":"b0"}]}})",
      R"({"name":"a","path":"/j","mount":{"devfs":true,"devfs_ruleset":4}})",
      R"({"name":"a","path":"/j","params":{"x.y":[1,2]}})",
      R"({"name":"a","path":"/j","params":{"x.y":[2,1]}})",
  };
  for (const auto& x : specs)
    for (const auto& y : specs) {
      INFO(x << " vs " << y);
      const auto a = spec(x);
      const auto b = spec(y);
      CHECK(diff_specs(a, b).empty() == (a == b));
    }
}
