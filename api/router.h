// Routes as data: method, path pattern, the role a caller needs, where the
// handler runs, and the handler. The shared work (access, body parsing,
// error rendering) is done once in service.cpp, not in each handler.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"

namespace jaild::api {

// Roles, weakest first (DESIGN.md section 7).
enum class role { viewer, operator_role, admin };
std::string_view role_name(role r);

// Where a handler runs: cheap reads from the snapshot run on the I/O thread;
// anything that may block (SQLite, the host) runs on the blocking pool; what
// may take as long as a command or a lifecycle operation (exec, a synchronous
// start) runs on threads of its own, within the caller's share of them, so
// that it never holds the pool that every other request needs. With
// ?async=true a lifecycle request is short and runs on the pool.
enum class run_on { io, pool, long_work };

using handler = std::function<response(request&)>;

struct route {
  std::string method;     // "GET", "POST", ...
  std::string pattern;    // "/v1/jails/{name}/start"
  role needs = role::viewer;
  run_on where = run_on::io;
  handler handle;
  std::string summary;    // one line; docs/openapi.yaml must document the route (tests/unit/api/openapi_test.cpp)
  bool audited = false;   // a GET that the audit log records all the same (the streaming exec)
  // Served without a credential: the status page's files, which hold no data.
  bool anyone = false;
};

class router {
 public:
  void add(route r);

  struct match {
    const route* found = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods of the path when the method did not match
  };
  match find(std::string_view method, std::string_view path) const;

  const std::vector<route>& routes() const { return routes_; }

 private:
  struct compiled {
    std::vector<std::string> segments;  // "{name}" marks a parameter
  };
  std::vector<route> routes_;
  std::vector<compiled> compiled_;
};

}  // namespace jaild::api
