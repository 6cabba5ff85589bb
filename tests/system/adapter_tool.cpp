// jaild_adapter_tool NAME ROOT: starts a persistent jail named NAME on ROOT
// through a fresh Linux adapter, prints {"jail": ..., "objects": [...]} and
// exits, leaving the jail running. The adoption test uses it as a jaild that
// went away.
#include <iostream>

#include "tests/system/system_support.h"

using namespace jaild;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: jaild_adapter_tool NAME ROOT\n";
    return 2;
  }
  try {
    systest::harness h;
    host::jail_context ctx;
    ctx.spec.name = argv[1];
    ctx.spec.path = argv[2];
    ctx.instance = "adopt1";
    auto j = h.adapter().create_jail(ctx, h.sinks());
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& o : h.ledger().live())
      objects.push_back({{"kind", host::object_kind_name(o.kind)},
                         {"owner", o.owner},
                         {"key", o.key},
                         {"attrs", o.attrs}});
    std::cout << nlohmann::json{{"jail", host::running_jail_to_json(j)}, {"objects", objects}}
              << "\n";
    // The harness must not clean up: the jail outlives this process.
    for (const auto& o : h.ledger().live()) h.ledger().forget(o);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
