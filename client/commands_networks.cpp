// jailctl network create|list|show|delete: managed networks and their leases.
#include <iostream>

#include <fmt/format.h>

#include "client/cli.h"
#include "client/table.h"

namespace jaild::client {

void add_network_commands(CLI::App& app, context& ctx) {
  auto* net = app.add_subcommand("network", "managed networks: bridges with subnets (IPAM)");
  net->alias("net");
  net->require_subcommand(1);

  static std::string name, bridge, ip4, gateway4, ip6, gateway6, description, nat;
  static bool dhcp = false;
  auto* create = net->add_subcommand("create", "define a network");
  create->add_option("name", name, "network name")->required();
  create->add_option("--bridge", bridge, "host bridge interface, e.g. jailnet0")->required();
  create->add_option("--ip4", ip4, "IPv4 subnet, e.g. 10.20.0.0/24");
  create->add_option("--gateway4", gateway4, "IPv4 gateway (default: the first address)");
  create->add_option("--ip6", ip6, "IPv6 subnet");
  create->add_option("--gateway6", gateway6, "IPv6 gateway (default: the first address)");
  create->add_option("--description", description, "free text");
  create->add_option("--nat", nat,
                     "masquerade the jails' IPv4 out of this uplink interface ('default': the "
                     "default route's)");
  create->add_flag("--dhcp", dhcp,
                   "serve DHCP on the bridge: interfaces with ip4 dhcp get their leases");
  create->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      nlohmann::json body = {{"name", name}, {"bridge", bridge}};
      if (!ip4.empty()) body["ip4"] = ip4;
      if (!gateway4.empty()) body["gateway4"] = gateway4;
      if (!ip6.empty()) body["ip6"] = ip6;
      if (!gateway6.empty()) body["gateway6"] = gateway6;
      if (!description.empty()) body["description"] = description;
      if (nat == "default")
        body["nat"] = true;
      else if (!nat.empty())
        body["nat"] = {{"uplink", nat}};
      if (dhcp) body["dhcp"] = true;
      auto r = api.call("POST", "/v1/networks", &body);
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("created network {} on {} (gateway {})\n", name, bridge,
                               r.value("gateway4", "") + r.value("gateway6", ""));
      return 0;
    };
  });

  auto* list = net->add_subcommand("list", "list networks");
  list->alias("ls");
  list->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/networks");
      if (ctx.json_output) return print_json(r), 0;
      table t({"NAME", "BRIDGE", "IP4", "GATEWAY4", "IP6", "NAT", "LEASES"});
      for (const auto& n : r["networks"]) {
        // nat: false, true (the default route's interface) or {"uplink": IF}.
        const nlohmann::json mode = n.contains("nat") ? n["nat"] : nlohmann::json(false);
        const std::string nat_text = mode.is_object() ? mode.value("uplink", "-")
                                     : mode == true   ? "default"
                                                      : "-";
        t.add({n.value("name", ""), n.value("bridge", ""), text_or_dash(n["ip4"]),
               text_or_dash(n["gateway4"]), text_or_dash(n["ip6"]), nat_text,
               std::to_string(n["leases"].size())});
      }
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  auto* show = net->add_subcommand("show", "a network and its leases");
  show->add_option("name", name, "network name")->required();
  show->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      auto r = api.call("GET", "/v1/networks/" + url_escape(name));
      if (ctx.json_output) return print_json(r), 0;
      std::cout << fmt::format("{}: bridge {}, {} via {}{}\n", r.value("name", ""),
                               r.value("bridge", ""), text_or_dash(r["ip4"]),
                               text_or_dash(r["gateway4"]),
                               r.value("ip6", "").empty()
                                   ? ""
                                   : fmt::format(", {} via {}", r.value("ip6", ""),
                                                 r.value("gateway6", "")));
      table t({"ADDRESS", "JAIL", "INTERFACE"});
      for (const auto& l : r["leases"])
        t.add({l.value("address", ""), l.value("jail", ""),
               std::to_string(l.value("interface", 0))});
      t.print(std::cout, ctx.style);
      return 0;
    };
  });

  auto* del = net->add_subcommand("delete", "delete a network no jail uses");
  del->alias("rm");
  del->add_option("name", name, "network name")->required();
  del->callback([&ctx] {
    ctx.run = [&ctx](api_client& api) {
      api.call("DELETE", "/v1/networks/" + url_escape(name));
      if (!ctx.json_output) std::cout << "deleted network " << name << "\n";
      return 0;
    };
  });
}

}  // namespace jaild::client
