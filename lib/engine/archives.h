// A jail's archive being written (engine::begin_archive, archives.cpp): what
// goes into it, and the hold on the jail (no start, no delete) that ends
// when this is destroyed.
#pragma once

#include <functional>
#include <string>

#include "lib/host/provisioning.h"

namespace jaild::engine {

struct archive_export {
  std::string jail;
  std::string manifest;           // jaild-archive.json: format, spec, root
  host::root_request root;
  std::function<void()> release;  // ends the hold

  archive_export() = default;
  archive_export(const archive_export&) = delete;
  archive_export& operator=(const archive_export&) = delete;
  ~archive_export() {
    if (release) release();
  }
};

}  // namespace jaild::engine
