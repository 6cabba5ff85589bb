// GET /v1/jails/{name}/logs?follow=true: the console log as it grows, as a
// chunked text/plain body. One log_follow per client; one log_watch thread
// for all of them, which looks at each waiting client's file four times a
// second (a stat and, when it grew, a read), so a client costs no thread and
// a quiet log costs nothing but the stat.
//
// The file is jaild's (in the state directory), written by the jail's init
// and rotated by copy and truncation: a file that shrank is read again from
// its start, a file that was replaced (another inode) from the start of the
// new one. It is opened with O_NOFOLLOW and O_NONBLOCK and read only when it
// is a regular file. A chunk is at most 64 KiB; nothing else is buffered.
//
// Threads: next() and cancel() come from the I/O threads, the checks from
// the watch thread; each follower's state has its own mutex, never held
// while deliver runs.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/request.h"

namespace jaild::api {

class log_follow : public body_stream, public std::enable_shared_from_this<log_follow> {
 public:
  // Starts `tail_bytes` before the end of the file as it is now.
  log_follow(std::filesystem::path path, std::uint64_t tail_bytes);
  ~log_follow() override;

  void next(std::function<void(std::optional<std::string>)> deliver) override;
  void cancel() override;

  // From the watch thread: delivers what the file has gained to a waiting
  // client. Whether this follower is still wanted.
  bool check();

 private:
  // What the file has beyond offset_ (at most one chunk); "" when nothing.
  std::string read_more();  // requires mutex_

  const std::filesystem::path path_;
  std::mutex mutex_;
  int fd_ = -1;                  // guarded by mutex_; -1 until the file is there
  ino_t inode_ = 0;              // guarded by mutex_
  std::uint64_t offset_ = 0;     // guarded by mutex_
  std::uint64_t tail_bytes_;     // guarded by mutex_: used at the first open
  bool first_open_ = true;       // guarded by mutex_
  bool cancelled_ = false;       // guarded by mutex_
  std::function<void(std::optional<std::string>)> waiting_;  // guarded by mutex_
};

class log_watch {
 public:
  log_watch();
  ~log_watch();
  log_watch(const log_watch&) = delete;
  log_watch& operator=(const log_watch&) = delete;

  void add(const std::shared_ptr<log_follow>& f);
  std::size_t followers() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                              // guarded by mutex_
  std::vector<std::weak_ptr<log_follow>> followers_;  // guarded by mutex_
  std::thread thread_;                                 // started by the first add()
};

}  // namespace jaild::api
