#include "lib/host/linux/cgroup.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "lib/host/linux/sys.h"

namespace jaild::host::linux_host {
namespace {

bool has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A process path in a hierarchy, made absolute under the mount. A mount whose
// root is not "/" (a cgroup namespace, a bind of a subtree) shows paths
// relative to that root.
fs::path under_mount(const mount_entry& m, const std::string& path) {
  std::string rel = path;
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  fs::path out = m.mount_point;
  if (!rel.empty() && rel != "/") out /= fs::path(rel).relative_path();
  return out;
}

std::optional<std::uint64_t> number(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int make_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0755) == 0 || errno == EEXIST) return 0;
  return errno;
}

}  // namespace

const std::vector<std::string>& v1_controllers() {
  static const std::vector<std::string> c{"memory", "pids", "cpu", "cpuacct", "cpuset"};
  return c;
}

std::optional<cgroup_layout> cgroup_layout_from(std::string_view proc_cgroup,
                                                std::string_view mountinfo,
                                                std::string_view v2_controllers) {
  const auto memberships = parse_proc_cgroup(proc_cgroup);
  const auto mounts = parse_mountinfo(mountinfo);

  // v1: every controller jaild uses must be mounted, memory first of all.
  cgroup_layout v1;
  v1.version = cgroup_version::v1;
  for (const auto& controller : v1_controllers()) {
    const mount_entry* mount = nullptr;
    for (const auto& m : mounts)
      if (m.fstype == "cgroup" && has(m.super_options, controller)) {
        mount = &m;
        break;
      }
    const cgroup_membership* member = nullptr;
    for (const auto& c : memberships)
      if (c.hierarchy != 0 && has(c.controllers, controller)) member = &c;
    if (!mount || !member) break;
    v1.own[controller] = under_mount(*mount, member->path);
  }
  if (v1.own.size() == v1_controllers().size()) {
    for (const auto& m : mounts)
      if (m.fstype == "cgroup2") {
        for (const auto& c : memberships)
          if (c.hierarchy == 0) v1.unified = under_mount(m, c.path);
        break;
      }
    return v1;
  }

  // v2: the unified hierarchy, when it offers the memory controller.
  bool v2_memory = false;
  for (std::size_t i = 0; i < v2_controllers.size();) {
    auto end = v2_controllers.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = v2_controllers.size();
    if (v2_controllers.substr(i, end - i) == "memory") v2_memory = true;
    i = end + 1;
  }
  if (!v2_memory) return std::nullopt;
  const mount_entry* mount = nullptr;
  for (const auto& m : mounts)
    if (m.fstype == "cgroup2") {
      mount = &m;
      break;
    }
  const cgroup_membership* member = nullptr;
  for (const auto& c : memberships)
    if (c.hierarchy == 0) member = &c;
  if (!mount || !member) return std::nullopt;
  cgroup_layout v2;
  v2.version = cgroup_version::v2;
  fs::path own = under_mount(*mount, member->path);
  // After jaild moved itself into its leaf (see ensure_parent), its base is the parent.
  if (own.filename() == cgroup_v2_daemon_leaf) own = own.parent_path();
  v2.own[""] = own;
  return v2;
}

std::string cgroup_leaf(std::string_view jail_name, std::string_view instance) {
  return std::string(jail_name) + "." + std::string(instance);
}

std::string jail_name_of_leaf(std::string_view leaf) {
  if (auto slash = leaf.rfind('/'); slash != std::string_view::npos) leaf.remove_prefix(slash + 1);
  return std::string(leaf.substr(0, leaf.find('.')));
}

std::string cgroup_parent_name(std::string_view instance_tag) {
  if (instance_tag.empty()) return std::string(cgroup_legacy_parent);
  return std::string(cgroup_legacy_parent) + "-" + std::string(instance_tag);
}

std::unique_ptr<cgroups> cgroups::discover(std::string parent) {
  auto self = read_text("/proc/self/cgroup");
  auto mountinfo = read_text("/proc/self/mountinfo");
  if (!self || !mountinfo) return nullptr;
  std::string v2_controllers;
  for (const auto& m : parse_mountinfo(*mountinfo))
    if (m.fstype == "cgroup2") {
      v2_controllers = read_text(fs::path(m.mount_point) / "cgroup.controllers").value_or("");
      break;
    }
  auto layout = cgroup_layout_from(*self, *mountinfo, v2_controllers);
  if (!layout) return nullptr;
  return std::make_unique<cgroups>(std::move(*layout), std::move(parent));
}

std::string cgroups::leaf(std::string_view jail_name, std::string_view instance) const {
  return parent_name_ + "/" + cgroup_leaf(jail_name, instance);
}

fs::path cgroups::own(const std::string& controller) const {
  return layout_.own.at(layout_.version == cgroup_version::v2 ? "" : controller);
}

fs::path cgroups::parent(const std::string& controller) const {
  return own(controller) / parent_name_;
}

bool cgroups::is_parent_name(const fs::path& name) const {
  return name == parent_name_ || name == cgroup_legacy_parent;
}

std::string cgroups::tracking_controller() const {
  return layout_.version == cgroup_version::v2 ? "" : "pids";
}

std::vector<fs::path> cgroups::jail_dirs(std::string_view leaf) const {
  std::vector<fs::path> out;
  if (layout_.version == cgroup_version::v2) return {own("") / leaf};
  for (const auto& c : v1_controllers()) {
    auto d = own(c) / leaf;
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  return out;
}

fs::path cgroups::dir(std::string_view controller, std::string_view leaf) const {
  return own(layout_.version == cgroup_version::v2 ? "" : std::string(controller)) / leaf;
}

int cgroups::ensure_parent(const std::string& controller, std::string* what) {
  const fs::path p = parent(controller);
  const fs::path own = p.parent_path();
  *what = p.string();
  if (layout_.version == cgroup_version::v2) {
    // Controllers must be enabled on the way down: own -> jaild -> leaf.
    std::string wanted;
    const std::string available = read_text(own / "cgroup.controllers").value_or("");
    for (const char* c : {"cpu", "cpuset", "memory", "pids"})
      if (available.find(c) != std::string::npos)
        wanted += std::string(wanted.empty() ? "" : " ") + "+" + c;
    int err = write_text(own / "cgroup.subtree_control", wanted);
    if (err == EBUSY) {
      // jaild's own cgroup holds processes (jaild itself): a v2 cgroup with
      // processes cannot delegate, so jaild moves into a leaf of its own.
      const fs::path leaf = own / cgroup_v2_daemon_leaf;
      if (int e = make_dir(leaf)) return e;
      if (int e = write_text(leaf / "cgroup.procs", "0")) return e;
      err = write_text(own / "cgroup.subtree_control", wanted);
    }
    if (err) {
      *what = (own / "cgroup.subtree_control").string();
      return err;
    }
    if (int e = make_dir(p)) return e;
    if (int e = write_text(p / "cgroup.subtree_control", wanted)) {
      *what = (p / "cgroup.subtree_control").string();
      return e;
    }
    return 0;
  }
  if (int e = make_dir(p)) return e;
  if (controller == "cpuset") {
    // cgroup.clone_children is 0: a new cpuset is empty, and a task cannot
    // join an empty one (ENOSPC). The parent gets all of jaild's CPUs and nodes.
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      if (!trimmed(read_text(p / file).value_or("")).empty()) continue;
      const std::string value = trimmed(read_text(own / file).value_or(""));
      if (int e = write_text(p / file, value)) {
        *what = (p / file).string();
        return e;
      }
    }
  }
  return 0;
}

int cgroups::create(std::string_view leaf, const std::string& cpus, std::string* what) {
  std::lock_guard lock(parents_mutex_);
  std::vector<std::string> controllers =
      layout_.version == cgroup_version::v2 ? std::vector<std::string>{""} : v1_controllers();
  std::vector<fs::path> done;
  for (const auto& c : controllers) {
    const fs::path d = dir(c, leaf);
    if (std::find(done.begin(), done.end(), d) != done.end()) continue;
    if (int e = ensure_parent(c, what)) return e;
    *what = d.string();
    // The jail's own directory must be new: one that is there is someone
    // else's (jaild's instance ids never repeat) and is not taken.
    if (::mkdir(d.c_str(), 0755) != 0) return errno;
    done.push_back(d);
    if (c == "cpuset" || (layout_.version == cgroup_version::v2 && !cpus.empty())) {
      if (int e = set_cpus(leaf, cpus, what)) return e;
      if (layout_.version == cgroup_version::v1) {
        const std::string mems = trimmed(read_text(d.parent_path() / "cpuset.mems").value_or(""));
        if (int e = write_text(d / "cpuset.mems", mems)) {
          *what = (d / "cpuset.mems").string();
          return e;
        }
      }
    }
  }
  return 0;
}

std::optional<fs::path> cgroups::socket_dir(std::string_view leaf) const {
  if (layout_.version == cgroup_version::v2) return dir("", leaf);
  if (!layout_.unified) return std::nullopt;
  return *layout_.unified / leaf;
}

int cgroups::create_socket_dir(std::string_view leaf, std::string* what) {
  if (layout_.version == cgroup_version::v2) return 0;
  auto d = socket_dir(leaf);
  if (!d) {
    *what = "the unified cgroup hierarchy";
    return ENOENT;
  }
  std::lock_guard lock(parents_mutex_);
  *what = d->parent_path().string();
  if (int e = make_dir(d->parent_path())) return e;
  *what = d->string();
  if (::mkdir(d->c_str(), 0755) != 0) return errno;  // new, as in create()
  return 0;
}

int cgroups::set_cpus(std::string_view leaf, const std::string& cpus, std::string* what) {
  const fs::path d = dir("cpuset", leaf);
  std::string value = cpus;
  if (value.empty()) {
    // No cpuset: all the CPUs the parent has (v2: an empty value means that).
    value = layout_.version == cgroup_version::v1
                ? trimmed(read_text(d.parent_path() / "cpuset.cpus").value_or(""))
                : "";
  }
  *what = (d / "cpuset.cpus").string();
  return write_text(d / "cpuset.cpus", value.empty() ? "\n" : value);
}

int cgroups::apply(std::string_view leaf, const std::vector<cgroup_write>& writes,
                   std::string* what) {
  for (const auto& w : writes) {
    const fs::path f = dir(w.controller, leaf) / w.file;
    *what = f.string() + " = " + w.value;
    if (int e = write_text(f, w.value)) return e;
  }
  return 0;
}

std::vector<fs::path> cgroups::join_files(std::string_view leaf) const {
  std::vector<fs::path> out;
  const char* file = layout_.version == cgroup_version::v1 ? "tasks" : "cgroup.procs";
  for (const auto& d : jail_dirs(leaf)) out.push_back(d / file);
  if (layout_.version == cgroup_version::v1)
    if (auto d = socket_dir(leaf); d && ::access(d->c_str(), F_OK) == 0)
      out.push_back(*d / "cgroup.procs");
  return out;
}

std::vector<pid_t> cgroups::procs_of(const fs::path& dir) {
  std::vector<pid_t> out;
  auto text = read_text(dir / "cgroup.procs");
  if (!text) return out;
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    if (auto v = number(rest.substr(0, nl))) out.push_back(static_cast<pid_t>(*v));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<pid_t> cgroups::procs(std::string_view leaf) const {
  return procs_of(dir(tracking_controller(), leaf));
}

cgroup_usage cgroups::usage(std::string_view leaf) const {
  cgroup_usage u;
  if (layout_.version == cgroup_version::v1) {
    u.memory_bytes = number(read_text(dir("memory", leaf) / "memory.usage_in_bytes").value_or(""));
    u.procs = number(read_text(dir("pids", leaf) / "pids.current").value_or(""));
    u.cpu_ns = number(read_text(dir("cpuacct", leaf) / "cpuacct.usage").value_or(""));
  } else {
    const fs::path d = dir("", leaf);
    u.memory_bytes = number(read_text(d / "memory.current").value_or(""));
    u.procs = number(read_text(d / "pids.current").value_or(""));
    const std::string stat = read_text(d / "cpu.stat").value_or("");
    if (auto at = stat.find("usage_usec "); at != std::string::npos) {
      auto end = stat.find('\n', at);
      if (auto us = number(std::string_view(stat).substr(at + 11, end - at - 11)))
        u.cpu_ns = *us * 1000;
    }
  }
  return u;
}

int cgroups::remove(const std::vector<fs::path>& dirs, std::string* what) {
  std::lock_guard lock(parents_mutex_);
  int first = 0;
  for (const auto& d : dirs) {
    if (::rmdir(d.c_str()) != 0 && errno != ENOENT && first == 0) {
      first = errno;
      *what = d.string();
    }
    // The parent goes when its last jail has gone. Another jail being
    // created waits on parents_mutex_, so it cannot lose its parent here.
    const fs::path p = d.parent_path();
    if (is_parent_name(p.filename())) ::rmdir(p.c_str());
  }
  return first;
}

std::vector<fs::path> cgroups::existing(std::string_view leaf) const {
  std::vector<fs::path> out;
  auto dirs = jail_dirs(leaf);
  if (auto s = socket_dir(leaf); s && layout_.version == cgroup_version::v1) dirs.push_back(*s);
  for (const auto& d : dirs)
    if (::access(d.c_str(), F_OK) == 0) out.push_back(d);
  return out;
}

std::optional<std::string> cgroups::leaf_of(pid_t pid) const {
  auto text = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return std::nullopt;
  const fs::path base = own(tracking_controller());
  for (const auto& m : parse_proc_cgroup(*text)) {
    const bool right = layout_.version == cgroup_version::v2
                           ? m.hierarchy == 0
                           : (m.hierarchy != 0 && has(m.controllers, "pids"));
    if (!right) continue;
    // Compare the tail: ".../jaild-<tag>/<name>.<instance>" (or the legacy
    // ".../jaild/..."), and that it is below jaild's own directory.
    const fs::path member = m.path;
    if (!is_parent_name(member.parent_path().filename())) return std::nullopt;
    const std::string leaf =
        (member.parent_path().filename() / member.filename()).string();
    if (::access((base / leaf).c_str(), F_OK) != 0) return std::nullopt;
    return leaf;
  }
  return std::nullopt;
}

std::vector<std::string> cgroups::leaves() const {
  std::vector<std::string> out;
  const fs::path p = parent(tracking_controller());
  DIR* d = ::opendir(p.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    out.push_back(parent_name_ + "/" + e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace jaild::host::linux_host
