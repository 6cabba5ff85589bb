#include "api/event_feed.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lib/model/json_reader.h"
#include "lib/store/store.h"

namespace jaild::api {
namespace {

std::string sse_frame(const model::event& e) {
  return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.type,
                     model::dump_json(model::event_to_json(e)));
}

}  // namespace

event_feed::event_feed(engine::engine& eng, std::weak_ptr<feed_hub> hub, std::int64_t since,
                       std::string jail, bool follow)
    : engine_(eng),
      hub_(std::move(hub)),
      jail_(std::move(jail)),
      follow_(follow),
      cursor_(since),
      delivered_(since) {
  if (auto h = hub_.lock()) limits_ = h->limits();
}

event_feed::~event_feed() { cancel(); }

void event_feed::open() {
  std::weak_ptr<event_feed> self = shared_from_this();
  subscription_ = engine_.subscribe([self](const model::event& e) {
    if (auto feed = self.lock()) feed->push(e);
  });
}

void event_feed::next(deliverer deliver) {
  action a;
  {
    std::lock_guard lock(mutex_);
    waiting_ = std::move(deliver);
    a = settle();
  }
  run(std::move(a));
}

void event_feed::cancel() {
  deliverer d;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    d = std::move(waiting_);
    queue_.clear();
    live_.clear();
  }
  if (subscription_) engine_.unsubscribe(subscription_);
  if (d) d(std::nullopt);
}

void event_feed::keepalive() {
  deliverer d;
  {
    std::lock_guard lock(mutex_);
    d = std::move(waiting_);
  }
  if (d) d(std::string(": keepalive\n\n"));
}

bool event_feed::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

void event_feed::push(const model::event& e) {
  action a;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || ended_) return;
    if (mode_ == mode::backlog) {
      // Kept to be merged once the backlog is read; when too many come, the
      // store has them all, and the next page reads them.
      if (live_overflowed_) return;
      if (live_.size() >= limits_.live_backlog) {
        live_.clear();
        live_overflowed_ = true;
        return;
      }
      live_.push_back(e);
      return;
    }
    if (e.seq <= cursor_) return;
    if (queue_.size() >= limits_.queue) {
      // A client this far behind reads the store again from where it is,
      // rather than holding an ever longer queue here.
      queue_.clear();
      cursor_ = delivered_;
      mode_ = mode::backlog;
      live_.clear();
      live_overflowed_ = false;
      return;
    }
    enqueue(e);
    a = settle();
  }
  run(std::move(a));
}

void event_feed::read_page() {
  std::int64_t after = 0;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    after = cursor_;
  }
  store::store::event_page page;
  try {
    page = engine_.read_events(after, limits_.page, jail_);
  } catch (const std::exception& e) {
    spdlog::warn("event stream: cannot read events after {}: {}", after, e.what());
    cancel();
    return;
  }
  action a;
  {
    std::lock_guard lock(mutex_);
    reading_ = false;
    if (cancelled_) return;
    if (cursor_ > page.last)
      reset_to(page.last, "unknown", cursor_, page.oldest);
    else if (cursor_ < page.oldest - 1)
      reset_to(page.oldest - 1, "pruned", cursor_, page.oldest);
    for (const auto& e : page.events) enqueue(e);
    if (page.events.size() < limits_.page) {
      // Everything stored up to page.last is dealt with (with a jail filter,
      // the other jails' events too); what came after is in live_.
      cursor_ = std::max(cursor_, page.last);
      if (live_overflowed_) {
        live_overflowed_ = false;  // read once more: the store has what was not kept
      } else {
        std::sort(live_.begin(), live_.end(),
                  [](const model::event& x, const model::event& y) { return x.seq < y.seq; });
        for (const auto& e : live_) enqueue(e);
        live_.clear();
        mode_ = mode::live;
        ended_ = !follow_;  // follow=false: the backlog, then the end
      }
    }
    a = settle();
  }
  run(std::move(a));
}

event_feed::action event_feed::settle() {
  action a;
  if (!waiting_) return a;
  if (cancelled_) {
    a.deliver = std::move(waiting_);
  } else if (!queue_.empty()) {
    a.deliver = std::move(waiting_);
    delivered_ = queue_.front().seq;
    a.chunk = std::move(queue_.front().text);
    queue_.pop_front();
  } else if (ended_) {
    a.deliver = std::move(waiting_);
  } else if (mode_ == mode::backlog && !reading_) {
    reading_ = true;
    a.read = true;
  }
  return a;
}

void event_feed::run(action a) {
  if (a.deliver) a.deliver(std::move(a.chunk));
  if (!a.read) return;
  auto hub = hub_.lock();
  if (!hub) return cancel();  // the server stops
  hub->read_later([self = shared_from_this()] { self->read_page(); });
}

void event_feed::enqueue(const model::event& e) {
  if (e.seq <= cursor_) return;  // already dealt with (backlog and live overlap)
  cursor_ = e.seq;
  if (!jail_.empty() && e.jail != jail_) return;
  queue_.push_back({e.seq, sse_frame(e)});
}

// The client asked for events the store no longer has (or never had): it
// must reload the state and go on after `seq`, the reset's id.
void event_feed::reset_to(std::int64_t seq, const std::string& reason, std::int64_t asked,
                          std::int64_t oldest) {
  model::event reset;
  reset.seq = seq;
  reset.time_ms = store::now_ms();
  reset.type = "reset";
  reset.jail = jail_;
  reset.data = {
      {"reason", reason},
      {"after", asked},
      {"oldest", oldest},
      {"detail", reason == "pruned"
                     ? fmt::format("events after {} up to {} are no longer stored; reload the "
                                   "state (GET /v1/jails) and go on from this event",
                                   asked, oldest - 1)
                     : fmt::format("no event {} was ever stored here (the newest is {}); reload "
                                   "the state (GET /v1/jails) and go on from this event",
                                   asked, seq)}};
  cursor_ = seq;
  queue_.push_back({seq, sse_frame(reset)});
}

feed_hub::feed_hub(feed_limits limits) : limits_(limits) {
  threads_.emplace_back([this] { keepalives(); });
  for (unsigned i = 0; i < std::max(1u, limits_.readers); ++i)
    threads_.emplace_back([this] { reader(); });
}

feed_hub::~feed_hub() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
  // Feeds whose reads never ran go with their tasks, outside the lock.
  std::deque<std::function<void()>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(work_);
  }
}

void feed_hub::add(const std::shared_ptr<event_feed>& feed) {
  std::lock_guard lock(mutex_);
  feeds_.push_back(feed);
}

void feed_hub::read_later(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    work_.push_back(std::move(task));
  }
  work_cv_.notify_one();
}

void feed_hub::reader() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
    if (stopping_) return;
    auto task = std::move(work_.front());
    work_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // a feed may end here: not under the lock
    lock.lock();
  }
}

// Feeds are taken and let go outside the lock: the last reference to a feed
// unsubscribes it from the engine, whose emitting thread may be waiting for
// this lock (a feed's read_later).
void feed_hub::keepalives() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, limits_.keepalive);
    if (stopping_) break;
    std::erase_if(feeds_, [](const std::weak_ptr<event_feed>& f) { return f.expired(); });
    const auto feeds = feeds_;
    lock.unlock();
    for (const auto& weak : feeds)
      if (auto f = weak.lock(); f && !f->cancelled()) f->keepalive();
    lock.lock();
  }
}

}  // namespace jaild::api
