#include "lib/host/interface_names.h"

#include <catch2/catch.hpp>

#include "lib/model/validate.h"

using namespace jaild::host;

TEST_CASE("interface names: both ends derive from the instance id", "[host]") {
  auto n = vnet_interface_names("7f3a", 0);
  CHECK(n.host_end == "e0a_7f3a");
  CHECK(n.jail_end == "e0b_7f3a");
  n = vnet_interface_names("7f3a", 12);
  CHECK(n.host_end == "e12a_7f3a");
  CHECK(n.jail_end == "e12b_7f3a");
}

TEST_CASE("interface names: a long or odd id becomes a stable hash that fits", "[host]") {
  struct row {
    const char* instance;
    std::size_t index;
  };
  for (auto r : {row{"0123456789abcdef", 0}, row{"with-dash", 3}, row{"", 0}, row{"a.b", 1},
                 row{"0123456789a", 99}}) {
    INFO(r.instance << " #" << r.index);
    auto n = vnet_interface_names(r.instance, r.index);
    CHECK(n.host_end.size() <= 15);
    CHECK(jaild::model::check::interface_name(n.host_end).empty());
    CHECK(jaild::model::check::interface_name(n.jail_end).empty());
    CHECK(n.host_end != n.jail_end);
    CHECK(vnet_interface_names(r.instance, r.index).host_end == n.host_end);  // stable
  }
  CHECK(vnet_interface_names("0123456789abcdef", 0).host_end !=
        vnet_interface_names("0123456789abcdeg", 0).host_end);
  CHECK(vnet_interface_names("01234567890", 0).host_end == "e0a_01234567890");  // exactly 15
}

TEST_CASE("interface names: two jailds' instance ids never give the same names", "[host]") {
  // An instance id is the jaild's tag (5 characters) and a counter in base
  // 36: with six counter digits the names still fit, unhashed.
  CHECK(vnet_interface_names("k3f9q1", 0).host_end == "e0a_k3f9q1");
  CHECK(vnet_interface_names("k3f9qzzzzzz", 9).host_end == "e9a_k3f9qzzzzzz");
  CHECK(vnet_interface_names("k3f9q1", 0).host_end != vnet_interface_names("p0x7a1", 0).host_end);
}
