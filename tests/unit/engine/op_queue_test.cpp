// The per-jail operation queue on its own: a test's list stands in for the
// workers, so every step is explicit and nothing sleeps or races.
#include "lib/engine/op_queue.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

using jaild::engine::op_queue;

namespace {

// Posted tasks wait in `posted` until the test runs them; each records its id.
struct bench {
  std::deque<op_queue::task> posted;
  std::vector<std::string> ran;
  op_queue q{[this](op_queue::task t) { posted.push_back(std::move(t)); }};

  void push(const std::string& lane, const std::string& id, std::vector<std::string> after = {}) {
    q.push(lane, id, after, [this, id] { ran.push_back(id); });
  }
  // Runs every posted task, then ends each (as run_operation does).
  void run_posted() {
    while (!posted.empty()) {
      auto t = std::move(posted.front());
      posted.pop_front();
      t();
    }
  }
  void end(const std::string& id) { q.finished(id); }
};

}  // namespace

TEST_CASE("op_queue: one operation per lane at a time, in order", "[engine][queue]") {
  bench b;
  b.push("a", "1");
  b.push("a", "2");
  b.push("b", "3");
  CHECK(b.posted.size() == 2);  // the heads of a and b; 2 waits without a thread
  b.run_posted();
  CHECK(b.ran == std::vector<std::string>{"1", "3"});
  CHECK(b.q.depth("a") == 2);
  CHECK(b.q.running("a") == "1");
  b.end("1");
  CHECK(b.posted.size() == 1);
  b.run_posted();
  CHECK(b.ran.back() == "2");
  b.end("2");
  b.end("3");
  CHECK(b.q.depth("a") == 0);
  CHECK(b.q.running("a").empty());
  CHECK(b.posted.empty());
}

TEST_CASE("op_queue: an operation waits for its prerequisites on other lanes",
          "[engine][queue]") {
  bench b;
  b.push("top", "stop-top");
  b.push("base", "stop-base", {"stop-top"});
  b.push("base", "start-base");  // behind stop-base in its lane
  b.run_posted();
  CHECK(b.ran == std::vector<std::string>{"stop-top"});
  CHECK(b.q.running("base").empty());
  CHECK(b.q.depth("base") == 2);
  b.end("stop-top");
  b.run_posted();
  CHECK(b.ran == std::vector<std::string>{"stop-top", "stop-base"});
  b.end("stop-base");
  b.run_posted();
  CHECK(b.ran.back() == "start-base");
  b.end("start-base");
  CHECK(b.posted.empty());
}

TEST_CASE("op_queue: a finished or unknown prerequisite is not waited for", "[engine][queue]") {
  bench b;
  b.push("x", "1");
  b.run_posted();
  b.end("1");
  b.push("y", "2", {"1", "never-queued"});
  CHECK(b.posted.size() == 1);
  b.run_posted();
  CHECK(b.ran.back() == "2");
}

TEST_CASE("op_queue: many cascades need no thread each", "[engine][queue]") {
  // 100 chains top_i <- base_i: every base's stop waits for its top's stop.
  // All 200 are queued before any runs; the list of posted tasks is all the
  // "workers" there are, and it never holds more than what may run.
  bench b;
  constexpr int n = 100;
  for (int i = 0; i < n; ++i) {
    b.push("top" + std::to_string(i), "t" + std::to_string(i));
    b.push("base" + std::to_string(i), "b" + std::to_string(i), {"t" + std::to_string(i)});
  }
  CHECK(b.posted.size() == n);  // only the tops may run
  b.run_posted();
  for (int i = 0; i < n; ++i) b.end("t" + std::to_string(i));
  CHECK(b.posted.size() == n);  // now every base
  b.run_posted();
  for (int i = 0; i < n; ++i) b.end("b" + std::to_string(i));
  CHECK(b.ran.size() == 2 * n);
  for (int i = 0; i < n; ++i) {
    auto t = std::find(b.ran.begin(), b.ran.end(), "t" + std::to_string(i));
    auto s = std::find(b.ran.begin(), b.ran.end(), "b" + std::to_string(i));
    CHECK(t < s);
  }
}

TEST_CASE("op_queue: a continuation runs once what it waits for has ended",
          "[engine][queue]") {
  bench b;
  bool continued = false;
  b.push("a", "stop");
  b.q.then({"stop"}, [&] { continued = true; });
  b.run_posted();
  CHECK_FALSE(continued);
  CHECK(b.q.pending("stop"));
  b.end("stop");
  CHECK_FALSE(b.q.pending("stop"));
  b.run_posted();
  CHECK(continued);
  bool at_once = false;
  b.q.then({"stop"}, [&] { at_once = true; });
  b.run_posted();
  CHECK(at_once);
}

TEST_CASE("op_queue: an operation that leaves before its turn frees its place",
          "[engine][queue]") {
  bench b;
  b.push("a", "1");
  b.push("a", "2");
  b.push("a", "3");
  b.end("2");  // cancelled while queued
  b.run_posted();
  b.end("1");
  b.run_posted();
  CHECK(b.ran == std::vector<std::string>{"1", "3"});
}
