// GET /ui, /ui/app.js, /ui/style.css: the status page (api/ui.h). The files
// hold no data and are served to anyone who reaches the listener; what the
// page shows it reads from the API with the viewer's credentials.
#include "api/service.h"
#include "api/ui.h"

namespace jaild::api {
namespace {

response ui_response(std::string_view name) {
  const ui_file* f = find_ui_file(name);
  response r;
  r.content_type = std::string(f->content_type);
  r.body = std::string(f->body);
  // Nothing but jaild's own files and API: no inline script, no other origin,
  // no framing, no referrer (a token may be in the fragment on first load).
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                         "form-action 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

void service::add_ui_routes() {
  for (const auto& [pattern, file] : {std::pair{"/ui", "index.html"},
                                      std::pair{"/ui/app.js", "app.js"},
                                      std::pair{"/ui/style.css", "style.css"}}) {
    route r{"GET", pattern, role::viewer, run_on::io,
            [name = std::string(file)](request&) { return ui_response(name); },
            std::string("The status page: ") + file};
    r.anyone = true;
    router_.add(std::move(r));
  }
}

}  // namespace jaild::api
