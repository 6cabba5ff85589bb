// GET /v1/events: every stored event as Server-Sent Events, id = sequence
// number. A client that reconnects with Last-Event-ID (or ?since=SEQ) gets
// everything after it and then the live stream, with no gap and no
// duplicate: the feed subscribes first, replays the backlog from the store,
// and drops live events it has already sent.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "api/service.h"
#include "lib/model/json_reader.h"

namespace jaild::api {
namespace {

std::string sse_frame(const model::event& e) {
  return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.type,
                     model::dump_json(model::event_to_json(e)));
}

}  // namespace

// One client's stream.
class event_feed : public body_stream, public std::enable_shared_from_this<event_feed> {
 public:
  event_feed(engine::engine& eng, std::int64_t since, std::string jail, bool follow)
      : engine_(eng), last_sent_(since), jail_(std::move(jail)), follow_(follow) {}

  ~event_feed() override { cancel(); }

  void open() {
    {
      std::lock_guard lock(mutex_);
      replaying_ = true;
    }
    std::weak_ptr<event_feed> self = shared_from_this();
    subscription_ = engine_.subscribe([self](const model::event& e) {
      if (auto feed = self.lock()) feed->push(e);
    });
    // Replay what was stored after `since`. Live events that arrive meanwhile
    // wait in live_ and are merged after, without the ones replayed.
    std::int64_t cursor = last_sent_;
    while (true) {
      auto batch = engine_.database().events_after(cursor, 1000);
      if (batch.empty()) break;
      std::lock_guard lock(mutex_);
      for (auto& e : batch) {
        cursor = e.seq;
        enqueue(std::move(e));
      }
    }
    {
      std::lock_guard lock(mutex_);
      for (const auto& e : live_) enqueue(e);
      live_.clear();
      replaying_ = false;
      ended_ = !follow_;  // follow=false: the backlog, then the end
    }
    if (!follow_) engine_.unsubscribe(subscription_);
  }

  void next(std::function<void(std::optional<std::string>)> deliver) override {
    std::unique_lock lock(mutex_);
    if (cancelled_ || (ended_ && queue_.empty())) return deliver(std::nullopt);
    if (!queue_.empty()) {
      auto chunk = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      return deliver(std::move(chunk));
    }
    waiting_ = std::move(deliver);
  }

  void cancel() override {
    std::function<void(std::optional<std::string>)> d;
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return;
      cancelled_ = true;
      d = std::move(waiting_);
    }
    engine_.unsubscribe(subscription_);
    if (d) d(std::nullopt);
  }

  // A comment line keeps proxies from closing an idle stream and lets the
  // server notice a client that went away.
  void keepalive() {
    std::function<void(std::optional<std::string>)> d;
    {
      std::lock_guard lock(mutex_);
      d = std::move(waiting_);
    }
    if (d) d(std::string(": keepalive\n\n"));
  }

  bool cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }

 private:
  void push(const model::event& e) {
    std::function<void(std::optional<std::string>)> d;
    std::string chunk;
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return;
      if (replaying_) {
        live_.push_back(e);
        return;
      }
      enqueue(e);
      if (!waiting_ || queue_.empty()) return;
      d = std::move(waiting_);
      chunk = std::move(queue_.front());
      queue_.pop_front();
    }
    d(std::move(chunk));
  }

  // Caller holds mutex_.
  void enqueue(const model::event& e) {
    if (e.seq <= last_sent_) return;  // already sent (backlog and live overlap)
    last_sent_ = e.seq;
    if (!jail_.empty() && e.jail != jail_) return;
    if (queue_.size() >= 10000) {  // a reader this far behind is dropped, not buffered forever
      cancelled_ = true;
      queue_.clear();
      return;
    }
    queue_.push_back(sse_frame(e));
  }

  engine::engine& engine_;
  std::uint64_t subscription_ = 0;
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;
  std::vector<model::event> live_;  // live events that arrived during the replay
  bool replaying_ = false;
  std::function<void(std::optional<std::string>)> waiting_;
  std::int64_t last_sent_;
  std::string jail_;
  bool follow_;
  bool ended_ = false;
  bool cancelled_ = false;
};

// Every open feed, and one thread that sends their keepalives.
class feed_hub {
 public:
  explicit feed_hub(std::chrono::seconds interval)
      : thread_([this, interval] { run(interval); }) {}
  ~feed_hub() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void add(const std::shared_ptr<event_feed>& feed) {
    std::lock_guard lock(mutex_);
    feeds_.push_back(feed);
  }

 private:
  void run(std::chrono::seconds interval) {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      cv_.wait_for(lock, interval);
      if (stopping_) break;
      std::vector<std::shared_ptr<event_feed>> live;
      for (auto it = feeds_.begin(); it != feeds_.end();) {
        if (auto f = it->lock(); f && !f->cancelled()) {
          live.push_back(f);
          ++it;
        } else {
          it = feeds_.erase(it);
        }
      }
      lock.unlock();
      for (auto& f : live) f->keepalive();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::weak_ptr<event_feed>> feeds_;
  std::thread thread_;
};

void service::add_event_routes() {
  feeds_ = std::make_shared<feed_hub>(std::chrono::seconds(15));
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
                 if (since < 0) since = engine_.database().last_event_seq();  // live only
                 auto it = req.query.find("jail");
                 auto feed = std::make_shared<event_feed>(
                     engine_, since, it == req.query.end() ? "" : it->second,
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
