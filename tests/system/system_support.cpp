#include "tests/system/system_support.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lib/host/interface_names.h"
#include "lib/host/platform.h"

namespace jaild::systest {
namespace {

bool is_static_elf(const char* path) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
  if (std::string_view(reinterpret_cast<char*>(eh.e_ident), 4) != "\177ELF") return false;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    in.seekg(static_cast<std::streamoff>(eh.e_phoff + static_cast<Elf64_Off>(i) * eh.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) return false;
    if (ph.p_type == PT_INTERP) return false;
  }
  return true;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

}  // namespace

void require_prerequisites() {
  if (::geteuid() != 0)
    throw std::runtime_error("the system tests need root (namespaces, cgroups, bridges)");
  if (!is_static_elf("/bin/busybox"))
    throw std::runtime_error(
        "the system tests need a static busybox at /bin/busybox: apt-get install busybox-static");
}

const std::string& prefix() {
  static const std::string p = "jt" + std::to_string(::getpid() % 100000);
  return p;
}

rootfs::rootfs(const std::string& name) {
  std::string pattern = "/tmp/" + prefix() + "-" + name + ".XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  ::chmod(path_.c_str(), 0755);
  for (const char* d :
       {"bin", "sbin", "etc", "proc", "dev", "tmp", "root", "www", "mnt", "var/run"})
    fs::create_directories(path_ / d);
  fs::permissions(path_ / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::copy_file("/bin/busybox", path_ / "bin/busybox");
  auto list = run({"/bin/busybox", "--list"});
  std::istringstream applets(list.output);
  for (std::string a; std::getline(applets, a);)
    if (!a.empty() && a != "busybox") fs::create_symlink("busybox", path_ / "bin" / a);
  for (const char* helper : {"alloc", "forker", "probe", "ptrace_attack", "sockprobe"})
    fs::copy_file(fs::path(JAILD_TEST_HELPERS) / helper, path_ / "bin" / helper);
  write_file(path_ / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww:x:80:80:web:/www:/bin/sh\n");
  write_file(path_ / "etc/group", "root:x:0:\nwww:x:80:\nstaff:x:20:www\n");
  write_file(path_ / "www/index.html", "hello from " + name + "\n");
}

rootfs::~rootfs() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void test_journal::record(const host::step_record& step) {
  std::lock_guard lock(mutex_);
  steps_.push_back(step);
}

std::vector<host::step_record> test_journal::steps() const {
  std::lock_guard lock(mutex_);
  return steps_;
}

host::step_record test_journal::last(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it)
    if (it->step == name) return *it;
  return {};
}

void test_ledger::record(const host::object& obj) {
  std::lock_guard lock(mutex_);
  for (const auto& o : live_)
    if (o.kind == obj.kind && o.key == obj.key) return;
  live_.push_back(obj);
}

void test_ledger::forget(const host::object& obj) {
  std::lock_guard lock(mutex_);
  std::erase_if(live_,
                [&](const host::object& o) { return o.kind == obj.kind && o.key == obj.key; });
}

std::vector<host::object> test_ledger::live() const {
  std::lock_guard lock(mutex_);
  return live_;
}

bool test_ledger::has(host::object_kind kind, const std::string& key) const {
  std::lock_guard lock(mutex_);
  for (const auto& o : live_)
    if (o.kind == kind && o.key == key) return true;
  return false;
}

harness::harness() : adapter_(host::make_platform_host({"/tmp"})) {}

harness::~harness() {
  try {
    destroy_all();
  } catch (...) {
  }
}

void harness::destroy_all() {
  auto live = ledger_.live();
  for (auto it = live.rbegin(); it != live.rend(); ++it) {
    try {
      adapter_->destroy(*it, sinks());
    } catch (const std::exception&) {
      // Keep going: the next object may still be removable.
    }
  }
}

host::jail_context make_context(const std::string& short_name, const fs::path& root,
                                const std::string& instance) {
  static int counter = 0;
  host::jail_context ctx;
  ctx.spec.name = prefix() + "-" + short_name;
  ctx.spec.path = root.string();
  ctx.spec.stop_timeout = std::chrono::seconds(5);
  ctx.spec.exec.timeout = std::chrono::seconds(20);
  ctx.instance = instance.empty() ? prefix().substr(2) + "x" + std::to_string(++counter) : instance;
  ctx.run_dir = "/tmp";
  return ctx;
}

namespace {

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s)
    if (c == '\n') ++n;
  return n;
}

}  // namespace

host_counts count_host_objects() {
  host_counts c;
  c.veths = count_lines(run({"ip", "-o", "link", "show", "type", "veth"}).output);
  c.bridges = count_lines(run({"ip", "-o", "link", "show", "type", "bridge"}).output);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator("/sys/fs/cgroup", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    if (it->path().string().find("/jaild") != std::string::npos) ++c.jaild_cgroups;
  }
  std::ifstream mi("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mi, line)) ++c.mounts;
  return c;
}

std::string to_string(const host_counts& c) {
  return "veths=" + std::to_string(c.veths) + " bridges=" + std::to_string(c.bridges) +
         " jaild_cgroups=" + std::to_string(c.jaild_cgroups) +
         " mounts=" + std::to_string(c.mounts);
}

command_result run(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  command_result r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0)
    r.output.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

btrfs_volume::btrfs_volume(const std::string& name) {
  image_ = "/tmp/" + prefix() + "-" + name + ".img";
  mount_point_ = "/tmp/" + prefix() + "-" + name;
  std::ofstream(image_).flush();
  fs::resize_file(image_, 320ull << 20);
  auto loop = run({"losetup", "--find", "--show", image_.string()});
  if (loop.status != 0) throw std::runtime_error("losetup failed");
  device_ = loop.output.substr(0, loop.output.find('\n'));
  if (run({"mkfs.btrfs", "-q", "-f", device_}).status != 0)
    throw std::runtime_error("mkfs.btrfs failed");
  fs::create_directories(mount_point_);
  if (::mount(device_.c_str(), mount_point_.c_str(), "btrfs", 0, nullptr) != 0)
    throw std::runtime_error("mount btrfs failed");
  mounted_ = true;
}

btrfs_volume::~btrfs_volume() {
  if (mounted_ && ::umount2(mount_point_.c_str(), 0) != 0)
    ::umount2(mount_point_.c_str(), MNT_DETACH);
  if (!device_.empty()) run({"losetup", "-d", device_});
  std::error_code ec;
  fs::remove(mount_point_, ec);
  fs::remove(image_, ec);
}

std::string route_device(const std::string& addr) {
  auto r = run({"ip", "-o", "route", "get", addr});
  auto at = r.output.find(" dev ");
  if (r.status != 0 || at == std::string::npos) return {};
  auto start = at + 5;
  return r.output.substr(start, r.output.find(' ', start) - start);
}

std::string read_cgroup_file(std::int64_t pid, const std::string& controller,
                             const std::string& file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line, unified;
  while (std::getline(in, line)) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    std::string path = line.substr(second + 1);
    if (controllers == ",,") unified = path;
    if (controllers.find("," + controller + ",") != std::string::npos) {
      std::ifstream f("/sys/fs/cgroup/" + controller + path + "/" + file);
      return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }
  }
  std::ifstream f("/sys/fs/cgroup" + unified + "/" + file);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

host::running_jail start(harness& h, const host::jail_context& ctx, bool main) {
  auto& a = h.adapter();
  a.create_interfaces(ctx, h.sinks());
  auto j = a.create_jail(ctx, h.sinks());
  a.apply_limits(ctx, j, h.sinks());
  a.attach_interfaces(ctx, j, h.sinks());
  a.publish(ctx, j, h.sinks());
  if (main) a.start_main(ctx, j, h.sinks());
  return j;
}

std::map<std::string, std::string> key_value_lines(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::uint64_t hex_value(const std::string& text) { return std::stoull(text, nullptr, 16); }

host::exec_result exec_in(host::host& a, const host::jail_context& ctx, const host::running_jail& j,
                          std::vector<std::string> argv, std::string user, std::string input) {
  host::exec_request r;
  r.argv = std::move(argv);
  r.user = std::move(user);
  r.input = std::move(input);
  r.timeout = std::chrono::seconds(20);
  return a.exec(ctx, j, r);
}

}  // namespace jaild::systest
