#include "api/process_metrics.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace jaild::api {
namespace {

void sample(std::string& out, const char* name, const char* type, const char* help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

// When this process started, as Unix time: on Linux from /proc (field 22 of
// /proc/self/stat, in clock ticks after boot, and btime from /proc/stat);
// elsewhere the time this function first ran, which is jaild's start-up.
double start_time_seconds() {
  static const double at = [] {
#if defined(__linux__)
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    if (auto paren = text.rfind(')'); paren != std::string::npos) {
      std::istringstream fields(text.substr(paren + 2));
      std::string field;
      for (int i = 3; i < 22 && fields >> field; ++i) {
      }
      unsigned long long ticks = 0;
      if (fields >> ticks) {
        std::ifstream proc_stat("/proc/stat");
        for (std::string line; std::getline(proc_stat, line);)
          if (line.starts_with("btime "))
            return std::stod(line.substr(6)) +
                   static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
#endif
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }();
  return at;
}

}  // namespace

std::string process_metrics() {
  std::string out;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  sample(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
         static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
#if defined(__linux__)
  std::ifstream statm("/proc/self/statm");
  double pages = 0, resident = 0;
  statm >> pages >> resident;
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  sample(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         resident * page);
  sample(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
         pages * page);
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  sample(out, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
#else
  // FreeBSD's ru_maxrss is the peak in KiB: the closest portable number.
  sample(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes (peak).",
         static_cast<double>(ru.ru_maxrss) * 1024.0);
#endif
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY)
    sample(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           static_cast<double>(files.rlim_cur));
  sample(out, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.", start_time_seconds());
  return out;
}

}  // namespace jaild::api
