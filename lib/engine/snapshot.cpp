#include "lib/engine/snapshot.h"

#include <nlohmann/json.hpp>

#include "lib/model/json_reader.h"

namespace jaild::engine {

std::shared_ptr<const jail_entry> make_entry(jail_entry entry) {
  nlohmann::json j = {{"spec", model::spec_to_json(entry.spec)},
                      {"status", model::status_to_json(entry.status)}};
  entry.json = model::dump_json(j);
  return std::make_shared<const jail_entry>(std::move(entry));
}

snapshot::snapshot(map jails, std::int64_t version, graph_nodes graph)
    : jails_(std::move(jails)), version_(version), graph_(std::move(graph)) {
  for (const auto& [name, entry] : jails_)
    if (entry->status.state == model::jail_state::running) ++running_;
  if (!graph_) {
    auto nodes = std::make_shared<std::vector<plan::node>>();
    nodes->reserve(jails_.size());
    for (const auto& [name, entry] : jails_)
      nodes->push_back({name, entry->spec.priority, entry->spec.depend});
    graph_ = std::move(nodes);
  }
}

std::shared_ptr<const jail_entry> snapshot::find(std::string_view name) const {
  auto it = jails_.find(name);
  return it == jails_.end() ? nullptr : it->second;
}

const std::string& snapshot::list_json() const {
  std::call_once(list_once_, [this] {
    std::size_t size = 16;
    for (const auto& [name, entry] : jails_) size += entry->json.size() + 1;
    list_json_.reserve(size);
    list_json_ = "{\"jails\":[";
    bool first = true;
    for (const auto& [name, entry] : jails_) {
      if (!first) list_json_ += ',';
      list_json_ += entry->json;
      first = false;
    }
    list_json_ += "]}";
  });
  return list_json_;
}

}  // namespace jaild::engine
