// The Server-Sent Event streams of GET /v1/events: one event_feed per
// client, and the feed_hub that all of them share.
//
// A feed reads the stored backlog a page at a time, and only when its client
// has taken the page before (so a slow client costs one page of memory, and
// a backlog of any length holds no lock and no thread while it is sent).
// Then it follows the live events. A client that falls more than a queue's
// length behind the live events goes back to reading pages from the store
// where it was; a client that asks for events the retention has pruned (or
// that the store never had) gets a `reset` event first, telling it to reload
// the state and go on from the reset's id. No event is ever skipped
// silently.
//
// Threads. Page reads run on the hub's reader threads, never on the API's
// blocking pool or an I/O thread; live events arrive on the thread that
// emitted them; next() and cancel() come from the I/O threads. Each feed's
// state is guarded by its own mutex, never held while a deliver callback or
// a store read runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/request.h"
#include "lib/engine/engine.h"

namespace jaild::api {

struct feed_limits {
  std::size_t page = 256;          // events read from the store at a time
  std::size_t queue = 1024;        // live events waiting for a slow client, then it reads pages
  std::size_t live_backlog = 4096;  // live events kept while the backlog is read, then re-read
  std::chrono::seconds keepalive{15};
  unsigned readers = 2;            // threads reading pages for every feed
};

class feed_hub;

class event_feed : public body_stream, public std::enable_shared_from_this<event_feed> {
 public:
  // `since`: the stream starts after this seq. `jail` "" = every jail.
  // `follow` false ends the stream once the backlog is sent.
  event_feed(engine::engine& eng, std::weak_ptr<feed_hub> hub, std::int64_t since,
             std::string jail, bool follow);
  ~event_feed() override;

  // Subscribes to the live events; the backlog is read when the client asks.
  void open();

  void next(std::function<void(std::optional<std::string>)> deliver) override;
  void cancel() override;

  // A comment line keeps proxies from closing an idle stream and lets the
  // server notice a client that went away.
  void keepalive();
  bool cancelled() const;

 private:
  struct frame {
    std::int64_t seq;  // the seq the client has seen once it has this frame
    std::string text;
  };
  enum class mode { backlog, live };
  using deliverer = std::function<void(std::optional<std::string>)>;

  void push(const model::event& e);
  // On a reader thread: one page from the store.
  void read_page();
  // What to hand to a waiting client, or whether to read on. Caller holds mutex_.
  struct action {
    deliverer deliver;
    std::optional<std::string> chunk;
    bool read = false;
  };
  action settle();
  void run(action a);
  // Caller holds mutex_.
  void enqueue(const model::event& e);
  void reset_to(std::int64_t seq, const std::string& reason, std::int64_t asked,
                std::int64_t oldest);

  engine::engine& engine_;
  std::weak_ptr<feed_hub> hub_;
  const std::string jail_;
  const bool follow_;
  feed_limits limits_;  // the hub's
  std::uint64_t subscription_ = 0;

  mutable std::mutex mutex_;
  mode mode_ = mode::backlog;
  bool reading_ = false;          // a page read is scheduled or under way
  std::int64_t cursor_;           // the newest seq dealt with (queued or filtered out)
  std::int64_t delivered_;        // the seq of the last frame handed to the client
  std::deque<frame> queue_;
  std::vector<model::event> live_;  // live events that came while the backlog was read
  bool live_overflowed_ = false;    // ... too many: read the store once more
  deliverer waiting_;
  bool ended_ = false;
  bool cancelled_ = false;
};

// Every open feed: their reader threads and the thread that sends their
// keepalives.
class feed_hub : public std::enable_shared_from_this<feed_hub> {
 public:
  explicit feed_hub(feed_limits limits = {});
  ~feed_hub();
  feed_hub(const feed_hub&) = delete;
  feed_hub& operator=(const feed_hub&) = delete;

  const feed_limits& limits() const { return limits_; }
  void add(const std::shared_ptr<event_feed>& feed);
  // Runs `task` on a reader thread, in the order asked.
  void read_later(std::function<void()> task);

 private:
  void keepalives();
  void reader();

  const feed_limits limits_;
  std::mutex mutex_;
  std::condition_variable cv_;        // keepalive thread
  std::condition_variable work_cv_;   // reader threads
  bool stopping_ = false;
  std::vector<std::weak_ptr<event_feed>> feeds_;
  std::deque<std::function<void()>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace jaild::api
