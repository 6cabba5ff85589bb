#include "lib/engine/status_publisher.h"

namespace jaild::engine {

status_publisher::status_publisher()
    : snapshot_(std::make_shared<const snapshot>(snapshot::map{}, 0)) {}

std::shared_ptr<const snapshot> status_publisher::current() const {
  guard lock(mutex_);
  return snapshot_;
}

void status_publisher::replace(snapshot::map jails) {
  guard lock(mutex_);
  snapshot_ = std::make_shared<const snapshot>(std::move(jails), ++version_);
}

void status_publisher::set_status(const std::string& name, model::jail_status status) {
  guard lock(mutex_);
  auto old = snapshot_->find(name);
  if (!old) return;
  jail_entry entry = *old;
  entry.status = std::move(status);
  auto jails = snapshot_->jails();
  jails[name] = make_entry(std::move(entry));
  snapshot_ = std::make_shared<const snapshot>(std::move(jails), ++version_,
                                               snapshot_->shared_graph());
}

void status_publisher::remove(const std::string& name) {
  guard lock(mutex_);
  auto jails = snapshot_->jails();
  if (jails.erase(name) == 0) return;
  snapshot_ = std::make_shared<const snapshot>(std::move(jails), ++version_);
}

}  // namespace jaild::engine
