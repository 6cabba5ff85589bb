// The Linux adapter's start and stop, timed through host::host, beside
// `runc run` and `crun run` of /bin/true on the same root file system, in one
// run on one machine (issue 4, item 9). Run it through
// bench/linux_adapter_bench.sh, which installs runc and crun when missing.
//
//   linux_adapter_bench [--iterations N] [--warmup N] [--json FILE]
//                       [--runc PATH] [--crun PATH]
//
// What is timed, per iteration:
// - adapter start: create_interfaces (a veth pair whose host end joins a
//   bridge), create_jail (cgroups with memoryuse, maxproc and pcpu limits and
//   a cpuset, clone into new namespaces, pivot_root, /proc, /dev, jaild-init),
//   apply_limits, attach_interfaces (move into the jail, address, up, default
//   route): the jail runs and answers on its address when this returns.
// - adapter stop: stop_jail (SIGTERM, init ends) and destroy() of every
//   ledgered object (veth, jail, cgroups).
// - adapter command=/bin/true: create_jail of a command jail (no network, the
//   same limits) until the watcher reports /bin/true's exit, then destroy():
//   the same work as `runc run` of /bin/true.
// - runc / crun: fork, exec and wait of `runc run` / `crun run` of /bin/true
//   (OCI default namespaces, cgroupfs), which create, run, wait and delete.
// The bridge is made once by the benchmark (as an admin's would be).
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "lib/host/interface_names.h"
#include "lib/host/platform.h"

namespace fs = std::filesystem;
using namespace jaild;
using clock_type = std::chrono::steady_clock;

namespace {

// Keeps the duration of every step by name, for the breakdown.
struct timing_journal : host::journal {
  std::map<std::string, std::vector<double>> steps;
  bool keep = false;
  void record(const host::step_record& s) override {
    if (!s.ok()) std::cerr << "step failed: " << host::step_to_json(s).dump() << "\n";
    if (keep) steps[s.step].push_back(static_cast<double>(s.duration.count()) / 1000.0);
  }
};

struct list_ledger : host::ledger {
  std::vector<host::object> live;
  void record(const host::object& o) override { live.push_back(o); }
  void forget(const host::object& o) override {
    std::erase_if(live, [&](const host::object& x) { return x.kind == o.kind && x.key == o.key; });
  }
};

double ms(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Nearest-rank percentile, as in shared/research/peer_bench.md.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

int run_quiet(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

nlohmann::json machine() {
  nlohmann::json m;
  utsname u{};
  ::uname(&u);
  m["kernel"] = std::string(u.sysname) + " " + u.release;
  m["cpus_online"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);)
    if (line.rfind("model name", 0) == 0) {
      m["cpu"] = trim(line.substr(line.find(':') + 2));
      break;
    }
  std::ifstream mem("/proc/meminfo");
  std::string key;
  long kb = 0;
  mem >> key >> kb;
  m["memory_mib"] = kb / 1024;
  std::ifstream load("/proc/loadavg");
  std::string l1;
  load >> l1;
  m["loadavg_1m_at_start"] = l1;
  std::ifstream os("/etc/os-release");
  for (std::string line; std::getline(os, line);)
    if (line.rfind("PRETTY_NAME=", 0) == 0) m["os"] = line.substr(13, line.size() - 14);
  return m;
}

void make_rootfs(const fs::path& root) {
  for (const char* d : {"bin", "proc", "dev", "sys", "tmp", "etc", "root"})
    fs::create_directories(root / d);
  fs::copy_file("/bin/busybox", root / "bin/busybox", fs::copy_options::overwrite_existing);
  for (const char* a : {"true", "sh", "sleep", "ls"})
    fs::create_symlink("busybox", root / "bin" / a);
  std::ofstream(root / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(root / "etc/group") << "root:x:0:\n";
}

// An OCI bundle whose rootfs is `root` (by absolute path), running /bin/true.
void make_bundle(const fs::path& bundle, const fs::path& root, const std::string& runtime) {
  fs::create_directories(bundle);
  run_quiet({runtime, "spec", "--bundle", bundle.string()});
  std::ifstream in(bundle / "config.json");
  nlohmann::json c = nlohmann::json::parse(in);
  c["process"]["terminal"] = false;
  c["process"]["args"] = {"/bin/true"};
  c["root"]["path"] = root.string();
  c["root"]["readonly"] = false;
  c["linux"]["cgroupsPath"] = "ocibench/ctr";
  std::ofstream(bundle / "config.json") << c.dump(2);
}

struct series {
  std::string name;
  std::vector<double> samples;
};

}  // namespace

int main(int argc, char** argv) {
  int iterations = 200, warmup = 10;
  std::string json_path, runc = "runc", crun = "crun";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--iterations")
      iterations = std::stoi(argv[i + 1]);
    else if (a == "--warmup")
      warmup = std::stoi(argv[i + 1]);
    else if (a == "--json")
      json_path = argv[i + 1];
    else if (a == "--runc")
      runc = argv[i + 1];
    else if (a == "--crun")
      crun = argv[i + 1];
  }
  if (::geteuid() != 0) {
    std::cerr << "linux_adapter_bench needs root\n";
    return 2;
  }
  const std::string tag = "jb" + std::to_string(::getpid() % 100000);
  const fs::path work = fs::temp_directory_path() / (tag + "-bench");
  const fs::path root = work / "rootfs";
  fs::create_directories(work);
  make_rootfs(root);
  const std::string bridge = tag + "br";
  const std::string net = "10." + std::to_string(200 + ::getpid() % 50) + ".251.";
  run_quiet({"ip", "link", "add", bridge, "type", "bridge"});
  run_quiet({"ip", "link", "set", bridge, "up"});
  // Whatever happens below, the bridge, the work directory and the OCI
  // runtimes' cgroup parents go.
  struct cleanup {
    std::string bridge;
    fs::path work;
    ~cleanup() {
      run_quiet({"ip", "link", "del", bridge});
      std::error_code ec;
      fs::remove_all(work, ec);
      std::vector<fs::path> parents;
      for (auto it = fs::recursive_directory_iterator("/sys/fs/cgroup", ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->is_directory(ec) && !it->is_symlink(ec) && it->path().filename() == "ocibench") {
          parents.push_back(it->path());
          it.disable_recursion_pending();
        }
      }
      for (const auto& p : parents) {
        for (const auto& child : fs::directory_iterator(p, ec))
          if (child.is_directory(ec)) ::rmdir(child.path().c_str());
        ::rmdir(p.c_str());
      }
    }
  } guard{bridge, work};

  nlohmann::json out;
  out["machine"] = machine();
  out["iterations"] = iterations;
  out["warmup"] = warmup;
  std::vector<series> results;
  std::vector<series> breakdown;  // journal step durations of the VNET jails

  // --- the adapter: a VNET jail with limits --------------------------------
  {
    auto adapter = host::make_platform_host({work});
    timing_journal journal;
    series start{"adapter start (VNET jail with limits)", {}};
    series stop{"adapter stop (stop_jail + destroy all)", {}};
    series total{"adapter create+start+stop", {}};
    for (int i = 0; i < warmup + iterations; ++i) {
      list_ledger ledger;
      host::step_sinks sinks{journal, ledger};
      host::jail_context ctx;
      ctx.spec.name = tag + "-j" + std::to_string(i);
      ctx.spec.path = root.string();
      ctx.spec.vnet = model::vnet_spec{};
      ctx.spec.limits = {"memoryuse:deny=256M", "maxproc:deny=100", "pcpu:deny=100"};
      ctx.spec.cpuset = "0-" + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN) - 1);
      ctx.spec.stop_timeout = std::chrono::seconds(5);
      ctx.instance = "b" + std::to_string(i);
      auto names = host::vnet_interface_names(ctx.instance, 0);
      host::resolved_interface itf;
      itf.host_end = names.host_end;
      itf.jail_end = names.jail_end;
      itf.bridge = bridge;
      itf.ip4 = {net + std::to_string(2 + i % 200) + "/24"};
      itf.defaultrouter = net + "1";
      char mac[18];
      std::snprintf(mac, sizeof mac, "02:00:00:bb:00:%02x", i % 200);
      itf.mac = mac;
      ctx.interfaces = {itf};
      journal.keep = i >= warmup;
      try {
        const auto t0 = clock_type::now();
        adapter->create_interfaces(ctx, sinks);
        auto j = adapter->create_jail(ctx, sinks);
        adapter->apply_limits(ctx, j, sinks);
        adapter->attach_interfaces(ctx, j, sinks);
        const auto t1 = clock_type::now();
        adapter->stop_jail(ctx, j, sinks);
        auto live = ledger.live;
        for (auto it = live.rbegin(); it != live.rend(); ++it) adapter->destroy(*it, sinks);
        const auto t2 = clock_type::now();
        if (i >= warmup) {
          start.samples.push_back(ms(t1 - t0));
          stop.samples.push_back(ms(t2 - t1));
          total.samples.push_back(ms(t2 - t0));
        }
      } catch (const std::exception& e) {
        std::cerr << "adapter iteration " << i << ": " << e.what() << "\n";
        auto live = ledger.live;
        for (auto it = live.rbegin(); it != live.rend(); ++it) {
          try {
            adapter->destroy(*it, sinks);
          } catch (...) {
          }
        }
        return 1;
      }
    }
    results.push_back(start);
    results.push_back(stop);
    results.push_back(total);
    for (const auto& [name, samples] : journal.steps)
      breakdown.push_back({"  step " + name, samples});
    journal.keep = false;

    // A command jail running /bin/true: the same work as `runc run`.
    series command{"adapter command=/bin/true (create, run, exit seen, destroy)", {}};
    for (int i = 0; i < warmup + iterations; ++i) {
      list_ledger ledger;
      host::step_sinks sinks{journal, ledger};
      host::jail_context ctx;
      ctx.spec.name = tag + "-c" + std::to_string(i);
      ctx.spec.path = root.string();
      ctx.spec.persist = false;
      ctx.spec.command = {"/bin/true"};
      ctx.spec.limits = {"memoryuse:deny=256M", "maxproc:deny=100", "pcpu:deny=100"};
      ctx.instance = "c" + std::to_string(i);
      std::mutex m;
      std::condition_variable cv;
      bool ended = false;
      const auto t0 = clock_type::now();
      auto j = adapter->create_jail(ctx, sinks);
      adapter->start_main(ctx, j, sinks);  // runs the command
      if (adapter->watch(j, [&](host::exit_info) {
            std::lock_guard lock(m);
            ended = true;
            cv.notify_all();
          })) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return ended; });
      }
      auto live = ledger.live;
      for (auto it = live.rbegin(); it != live.rend(); ++it) adapter->destroy(*it, sinks);
      if (i >= warmup) command.samples.push_back(ms(clock_type::now() - t0));
    }
    results.push_back(command);
  }

  // --- runc ------------------------------------------------------------------
  auto oci = [&](const std::string& runtime, const std::string& label,
                 const std::vector<std::string>& extra) {
    series s{label, {}};
    const fs::path bundle = work / (fs::path(runtime).filename().string() + "-bundle");
    const fs::path state = work / (fs::path(runtime).filename().string() + "-state");
    make_bundle(bundle, root, runtime);
    for (int i = 0; i < warmup + iterations; ++i) {
      std::vector<std::string> cmd{runtime, "--root", state.string()};
      cmd.insert(cmd.end(), extra.begin(), extra.end());
      for (const auto& a : std::vector<std::string>{"run", "--bundle", bundle.string(),
                                                    tag + "-o" + std::to_string(i)})
        cmd.push_back(a);
      const auto t0 = clock_type::now();
      const int rc = run_quiet(cmd);
      const double t = ms(clock_type::now() - t0);
      if (rc != 0) {
        std::cerr << label << " iteration " << i << " exited " << rc << "\n";
        return series{label + " (FAILED)", {}};
      }
      if (i >= warmup) s.samples.push_back(t);
    }
    return s;
  };
  if (run_quiet({runc, "--version"}) == 0)
    results.push_back(oci(runc, "runc run /bin/true", {}));
  else
    std::cerr << "runc not found: skipped\n";

  // --- crun, in a private mount namespace with hugetlb moved to v1 ----------
  // crun 1.8 refuses this hybrid host while hugetlb is on cgroup2; binding it
  // to a v1 hierarchy for the duration is the workaround of linux_probe.md.
  if (run_quiet({crun, "--version"}) == 0) {
    int p[2];
    if (::pipe(p) != 0) return 1;
    pid_t child = ::fork();
    if (child == 0) {
      ::close(p[0]);
      const fs::path hugetlb = work / "hugetlb";
      fs::create_directories(hugetlb);
      if (::unshare(CLONE_NEWNS) != 0 ||
          ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount("none", hugetlb.c_str(), "cgroup", 0, "hugetlb") != 0) {
        std::cerr << "crun workaround failed: " << std::strerror(errno) << "\n";
        ::_exit(1);
      }
      series s = oci(crun, "crun run /bin/true", {"--cgroup-manager=cgroupfs"});
      ::umount(hugetlb.c_str());
      std::string text = nlohmann::json{{"name", s.name}, {"samples", s.samples}}.dump();
      ssize_t ignored = ::write(p[1], text.data(), text.size());
      (void)ignored;
      ::_exit(0);
    }
    ::close(p[1]);
    std::string text;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    ::close(p[0]);
    ::waitpid(child, nullptr, 0);
    if (!text.empty()) {
      auto j = nlohmann::json::parse(text);
      results.push_back({j["name"], j["samples"].get<std::vector<double>>()});
    }
  } else {
    std::cerr << "crun not found: skipped\n";
  }

  // --- report ----------------------------------------------------------------
  std::cout << "machine: " << out["machine"].dump() << "\n";
  std::cout << "iterations: " << iterations << " (after " << warmup << " warm-up)\n\n";
  std::cout << "| what | median ms | p99 ms | min ms | max ms |\n|---|---|---|---|---|\n";
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& s : results) {
    if (s.samples.empty()) {
      std::cout << "| " << s.name << " | - | - | - | - |\n";
      continue;
    }
    const double med = percentile(s.samples, 50), p99 = percentile(s.samples, 99);
    const double mn = *std::min_element(s.samples.begin(), s.samples.end());
    const double mx = *std::max_element(s.samples.begin(), s.samples.end());
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %.2f | %.2f | %.2f | %.2f |\n", s.name.c_str(), med,
                  p99, mn, mx);
    std::cout << line;
    rows.push_back({{"name", s.name},
                    {"median_ms", med},
                    {"p99_ms", p99},
                    {"min_ms", mn},
                    {"max_ms", mx},
                    {"n", s.samples.size()}});
  }
  out["results"] = rows;
  std::cout << "\nsteps of the adapter's VNET jail, from its journal:\n\n"
            << "| step | median ms | p99 ms |\n|---|---|---|\n";
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : breakdown) {
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %.3f | %.3f |\n", s.name.c_str() + 7,
                  percentile(s.samples, 50), percentile(s.samples, 99));
    std::cout << line;
    steps.push_back({{"step", s.name.substr(7)},
                     {"median_ms", percentile(s.samples, 50)},
                     {"p99_ms", percentile(s.samples, 99)}});
  }
  out["adapter_steps"] = steps;
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
