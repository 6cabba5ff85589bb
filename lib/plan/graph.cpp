#include "lib/plan/graph.h"

#include <algorithm>
#include <functional>
#include <map>

namespace jaild::plan {
namespace {

using index = std::map<std::string, const node*, std::less<>>;

index by_name(const std::vector<node>& nodes) {
  index out;
  for (const auto& n : nodes) out.emplace(n.name, &n);
  return out;
}

// Orders names by priority, then name.
void sort_by_priority(std::vector<std::string>& names, const index& idx) {
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    const int pa = idx.count(a) ? idx.at(a)->priority : 99;
    const int pb = idx.count(b) ? idx.at(b)->priority : 99;
    return pa != pb ? pa < pb : a < b;
  });
}

}  // namespace

std::vector<std::string> find_cycle(const std::vector<node>& nodes) {
  const auto idx = by_name(nodes);
  enum class mark { none, active, done };
  std::map<std::string, mark, std::less<>> marks;
  std::vector<std::string> path;
  std::vector<std::string> cycle;

  std::function<bool(const node&)> visit = [&](const node& n) {
    marks[n.name] = mark::active;
    path.push_back(n.name);
    auto deps = n.depend;
    std::sort(deps.begin(), deps.end());  // deterministic report
    for (const auto& d : deps) {
      auto it = idx.find(d);
      if (it == idx.end()) continue;
      const mark m = marks[d];
      if (m == mark::active) {
        auto from = std::find(path.begin(), path.end(), d);
        cycle.assign(from, path.end());
        cycle.push_back(d);
        return true;
      }
      if (m == mark::none && visit(*it->second)) return true;
    }
    path.pop_back();
    marks[n.name] = mark::done;
    return false;
  };

  std::vector<const node*> order;
  for (const auto& n : nodes) order.push_back(&n);
  std::sort(order.begin(), order.end(),
            [](const node* a, const node* b) { return a->name < b->name; });
  for (const node* n : order)
    if (marks[n->name] == mark::none && visit(*n)) return cycle;
  return {};
}

std::string describe_cycle(const std::vector<std::string>& cycle) {
  std::string out;
  for (const auto& n : cycle) out += (out.empty() ? "" : " -> ") + n;
  return out;
}

std::vector<std::vector<std::string>> start_waves(const std::vector<node>& nodes,
                                                  const std::set<std::string>& only) {
  const auto idx = by_name(nodes);
  auto planned = [&](const std::string& n) {
    return idx.count(n) && (only.empty() || only.count(n));
  };
  std::map<std::string, int, std::less<>> level;
  std::function<int(const std::string&)> depth = [&](const std::string& n) -> int {
    if (auto it = level.find(n); it != level.end()) return it->second;
    level[n] = 0;  // guards against a cycle the caller did not check
    int d = 0;
    for (const auto& dep : idx.at(n)->depend)
      if (planned(dep)) d = std::max(d, depth(dep) + 1);
    level[n] = d;
    return d;
  };
  std::vector<std::vector<std::string>> waves;
  for (const auto& n : nodes) {
    if (!planned(n.name)) continue;
    const auto d = static_cast<std::size_t>(depth(n.name));
    if (waves.size() <= d) waves.resize(d + 1);
    waves[d].push_back(n.name);
  }
  for (auto& w : waves) sort_by_priority(w, idx);
  return waves;
}

std::vector<std::string> with_dependencies(const std::vector<node>& nodes,
                                           const std::string& target) {
  const auto idx = by_name(nodes);
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    if (!seen.insert(n).second) return;
    if (auto it = idx.find(n); it != idx.end()) {
      auto deps = it->second->depend;
      sort_by_priority(deps, idx);
      for (const auto& d : deps) visit(d);
    }
    out.push_back(n);
  };
  visit(target);
  return out;
}

std::vector<std::string> dependents_of(const std::vector<node>& nodes, const std::string& target) {
  std::map<std::string, std::vector<std::string>, std::less<>> users;
  for (const auto& n : nodes)
    for (const auto& d : n.depend) users[d].push_back(n.name);
  // Everything that reaches `target` through depend...
  std::set<std::string> found;
  std::vector<std::string> todo{target};
  while (!todo.empty()) {
    auto n = todo.back();
    todo.pop_back();
    for (const auto& u : users[n])
      if (u != target && found.insert(u).second) todo.push_back(u);
  }
  // ...in reverse start order: each jail stops before what it depends on.
  std::vector<std::string> ordered;
  if (found.empty()) return ordered;
  auto waves = start_waves(nodes, found);
  for (auto it = waves.rbegin(); it != waves.rend(); ++it)
    ordered.insert(ordered.end(), it->rbegin(), it->rend());
  return ordered;
}

std::vector<std::string> missing_dependencies(const std::vector<node>& nodes,
                                              const std::string& name) {
  const auto idx = by_name(nodes);
  std::vector<std::string> out;
  auto it = idx.find(name);
  if (it == idx.end()) return out;
  for (const auto& d : it->second->depend)
    if (!idx.count(d)) out.push_back(d);
  return out;
}

}  // namespace jaild::plan
