// Dependency ordering of jails, as pure functions over (name, priority,
// depend). jail(8)'s `depend` is the edge: a jail starts after every jail it
// depends on is ready, and stops before them. Ties are broken by priority
// (lower first, iocage's rule) and then by name, so every plan is
// deterministic.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace jaild::plan {

struct node {
  std::string name;
  int priority = 99;
  std::vector<std::string> depend;
};

// A cycle through `depend`, as the list of names from a jail back to itself
// ("a", "b", "c", "a"), or empty when there is none. Dependencies on jails
// that are not in `nodes` are not edges (they are reported at start).
std::vector<std::string> find_cycle(const std::vector<node>& nodes);

// "a -> b -> c -> a"
std::string describe_cycle(const std::vector<std::string>& cycle);

// Start waves: wave 0 holds the jails that depend on nothing in the set,
// wave k those whose dependencies are all in earlier waves. Within a wave,
// by priority then name. Only jails named in `only` are planned (all when
// `only` is empty); a dependency outside the plan is taken as satisfied.
// Requires an acyclic graph (find_cycle first).
std::vector<std::vector<std::string>> start_waves(const std::vector<node>& nodes,
                                                  const std::set<std::string>& only = {});

// `target` and everything it depends on, transitively, dependencies first
// (a valid start order). Names not in `nodes` are included as they are
// named, so the caller can report them.
std::vector<std::string> with_dependencies(const std::vector<node>& nodes,
                                           const std::string& target);

// Every jail that depends on `target`, transitively, dependents first (a valid
// stop order before stopping `target`).
std::vector<std::string> dependents_of(const std::vector<node>& nodes, const std::string& target);

// Dependencies of `name` that are not defined in `nodes`.
std::vector<std::string> missing_dependencies(const std::vector<node>& nodes,
                                              const std::string& name);

}  // namespace jaild::plan
