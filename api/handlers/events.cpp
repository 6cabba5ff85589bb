// GET /v1/events: every stored event as Server-Sent Events, id = sequence
// number. A client that reconnects with Last-Event-ID (or ?since=SEQ) gets
// everything after it and then the live stream, with no gap and no
// duplicate, or a `reset` event when what it asks for is no longer stored
// (api/event_feed.h).
#include "api/event_feed.h"
#include "api/service.h"

namespace jaild::api {

void service::add_event_routes() {
  feeds_ = std::make_shared<feed_hub>(options_.events);
  router_.add({"GET", "/v1/events", role::viewer, run_on::pool,
               [this](request& req) {
                 std::int64_t since = -1;
                 std::string text = req.header("last-event-id");
                 if (auto it = req.query.find("since"); it != req.query.end()) text = it->second;
                 if (!text.empty()) {
                   try {
                     std::size_t used = 0;
                     since = std::stoll(text, &used);
                     if (used != text.size() || since < 0) throw std::invalid_argument("");
                   } catch (const std::exception&) {
                     throw error(errc::bad_request,
                                 "Last-Event-ID and since take an event sequence number");
                   }
                 }
                 if (since < 0) since = engine_.last_event_seq();  // live only
                 auto it = req.query.find("jail");
                 auto feed = std::make_shared<event_feed>(
                     engine_, feeds_, since, it == req.query.end() ? "" : it->second,
                     req.flag("follow", true));
                 feed->open();
                 feeds_->add(feed);
                 response r;
                 r.content_type = "text/event-stream";
                 r.stream = feed;
                 return r;
               },
               "Server-Sent Events: every state change and operation, resumable (follow=false ends after the backlog)"});
}

}  // namespace jaild::api
