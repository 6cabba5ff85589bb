// A jail's archive (issue 16, point 5): GET /v1/jails/{name}/archive streams
// a stopped jail's spec and root; POST /v1/jails/import-archive makes a jail
// from one. The stream is made by a thread of its own as the client reads it,
// a few blocks ahead at most (nothing holds the whole archive); an upload is
// written to a file by the server before the handler runs (server.cpp), never
// held in memory, and the Host port reads it as hostile input.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/service.h"
#include "api/url.h"
#include "lib/engine/archives.h"

namespace jaild::api {
namespace {

constexpr std::size_t chunk_bytes = 256 * 1024;
constexpr std::size_t chunks_ahead = 8;

struct client_gone {};

// Chunks from the writer's thread to the connection, at most chunks_ahead
// of them waiting: the writer blocks until the client has read.
class archive_stream : public body_stream {
 public:
  void next(std::function<void(std::optional<std::string>)> deliver) override {
    std::unique_lock lock(mutex_);
    if (!queue_.empty()) {
      auto chunk = std::move(queue_.front());
      queue_.pop_front();
      room_.notify_all();
      lock.unlock();
      deliver(std::move(chunk));
      return;
    }
    if (ended_) {
      lock.unlock();
      deliver(std::nullopt);
      return;
    }
    waiting_ = std::move(deliver);
  }

  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    waiting_ = nullptr;
    room_.notify_all();
  }

  bool failed() const override {
    std::lock_guard lock(mutex_);
    return failed_;
  }

  // The writer's side. Throws client_gone once the connection has ended.
  void push(std::string chunk) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return cancelled_ || queue_.size() < chunks_ahead; });
    if (cancelled_) throw client_gone{};
    if (waiting_) {
      auto deliver = std::move(waiting_);
      waiting_ = nullptr;
      lock.unlock();
      deliver(std::move(chunk));
      return;
    }
    queue_.push_back(std::move(chunk));
  }

  void finish(bool failed) {
    std::unique_lock lock(mutex_);
    ended_ = true;
    failed_ = failed;
    if (!waiting_) return;
    auto deliver = std::move(waiting_);
    waiting_ = nullptr;
    lock.unlock();
    deliver(std::nullopt);
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::deque<std::string> queue_;
  std::function<void(std::optional<std::string>)> waiting_;
  bool ended_ = false, failed_ = false, cancelled_ = false;
};

nlohmann::json archive_info_to_json(const host::archive_info& i) {
  return {{"format", i.format},
          {"bytes", i.bytes},
          {"entries", i.entries},
          {"devices_skipped", i.devices_skipped},
          {"setid_files", i.setid},
          {"setid_kept", i.setid_kept}};
}

}  // namespace

void service::add_archive_routes() {
  router_.add({"GET", "/v1/jails/{name}/archive", role::admin, run_on::pool,
               [this](request& req) {
                 // Checked and held before the first byte: a refusal is a
                 // problem, not a cut stream.
                 std::shared_ptr<engine::archive_export> job = engine_.begin_archive(name_param(req));
                 auto stream = std::make_shared<archive_stream>();
                 std::thread([&eng = engine_, stream, job] {
                   std::string pending;
                   try {
                     eng.write_archive(*job, [&](const char* p, std::size_t n) {
                       pending.append(p, n);
                       if (pending.size() < chunk_bytes) return;
                       stream->push(std::move(pending));
                       pending.clear();
                     });
                     if (!pending.empty()) stream->push(std::move(pending));
                     stream->finish(false);
                   } catch (const client_gone&) {
                     stream->finish(true);
                   } catch (const std::exception& e) {
                     spdlog::warn("jail {}: the archive stream ended early: {}", job->jail,
                                  e.what());
                     stream->finish(true);
                   }
                 }).detach();
                 response r;
                 r.status = 200;
                 r.content_type = "application/zstd";
                 r.headers.emplace_back(
                     "Content-Disposition",
                     fmt::format("attachment; filename=\"{}.jaild.tar.zst\"", job->jail));
                 r.stream = std::move(stream);
                 return r;
               },
               "Stream a stopped jail's spec and root as one archive", true});

  router_.add({"POST", "/v1/jails/import-archive", role::admin, run_on::long_work,
               [this](request& req) {
                 if (req.upload.empty())
                   throw error(errc::bad_request,
                               "the body is the archive (GET /v1/jails/{name}/archive), sent as "
                               "it is: curl --data-binary @FILE");
                 std::string name;
                 if (auto it = req.query.find("name"); it != req.query.end()) name = it->second;
                 host::archive_info info;
                 auto entry = engine_.import_archive(req.upload, name, &info);
                 auto body = nlohmann::json::parse(entry->json);
                 body["archive"] = archive_info_to_json(info);
                 auto r = json_response(201, body);
                 r.headers.emplace_back("Location", "/v1/jails/" + percent_encode(entry->spec.name));
                 return r;
               },
               "Make a jail from an archive that GET /v1/jails/{name}/archive wrote"});
}

}  // namespace jaild::api
