// The status page's files (api/ui/: index.html, app.js, style.css), built
// into jaild by api/ui_embed.py and served at /ui (handlers/ui.cpp).
#pragma once

#include <string_view>

namespace jaild::api {

struct ui_file {
  std::string_view name;          // "index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

// The file of that name, or nullptr.
const ui_file* find_ui_file(std::string_view name);

}  // namespace jaild::api
