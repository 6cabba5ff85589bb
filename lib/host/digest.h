// The SHA-256 of a file, for a release archive checked against the digest
// the admin gave (or its MANIFEST on FreeBSD). Thread-safe.
#pragma once

#include <filesystem>
#include <string>

namespace jaild::host {

// Lower-case hex; throws std::system_error when the file cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace jaild::host
