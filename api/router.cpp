#include "api/router.h"

#include "api/url.h"

namespace jaild::api {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace

std::string_view role_name(role r) {
  switch (r) {
    case role::viewer: return "viewer";
    case role::operator_role: return "operator";
    case role::admin: return "admin";
  }
  return "viewer";
}

void router::add(route r) {
  compiled c;
  for (auto seg : split_path(r.pattern)) c.segments.emplace_back(seg);
  routes_.push_back(std::move(r));
  compiled_.push_back(std::move(c));
}

router::match router::find(std::string_view method, std::string_view path) const {
  match m;
  // A trailing slash is not another resource: "/v1/jails/" is not "/v1/jails".
  if (path.size() > 1 && path.back() == '/') return m;
  const auto parts = split_path(path);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& segs = compiled_[i].segments;
    if (segs.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      const auto& seg = segs[k];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        // Parameters are decoded after splitting, so "%2F" cannot add a segment.
        auto value = percent_decode(parts[k]);
        if (!value) return match{};
        params.emplace(seg.substr(1, seg.size() - 2), std::move(*value));
      } else {
        ok = seg == parts[k];
      }
    }
    if (!ok) continue;
    if (routes_[i].method == method) {
      m.found = &routes_[i];
      m.params = std::move(params);
      return m;
    }
    m.allowed.push_back(routes_[i].method);
  }
  return m;
}

}  // namespace jaild::api
