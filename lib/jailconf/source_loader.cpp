#include "lib/jailconf/source_loader.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/model/error.h"

namespace jaild::jailconf {

bool has_glob_magic(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

std::vector<std::string> file_loader::glob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH)
    throw error(errc::invalid_value,
                "cannot expand '" + pattern + "' (a directory is not readable)");
  return out;  // glob(3) sorts its matches
}

std::string file_loader::read(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw error(errc::invalid_value, "cannot read '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw error(errc::invalid_value, "'" + path + "' is not a regular file");
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes_)
    throw error(errc::invalid_value, "'" + path + "' is larger than " +
                                         std::to_string(max_bytes_) + " bytes");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(errc::invalid_value, "cannot open '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> memory_loader::glob(const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& [path, text] : files_)
    if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0)
      out.push_back(path);
  return out;  // std::map keeps them sorted
}

std::string memory_loader::read(const std::string& path) {
  // Like the kernel, resolve "." and ".." (there are no symbolic links here).
  auto it = files_.find(std::filesystem::path(path).lexically_normal().string());
  if (it == files_.end())
    throw error(errc::invalid_value, "cannot read '" + path + "': no such file");
  return it->second;
}

}  // namespace jaild::jailconf
