// Paths below a jail's root, judged by jail(8)'s rule (check_path in
// usr.sbin/jail/command.c): jail root owns every file below the jail's path and
// may have replaced any directory there with a symbolic link since the last
// start, so a host-side action on such a path (a mount point, the console log)
// refuses a link in every component below the path. Components above it (a
// /usr/jails that is a link, /home -> usr/home) are the admin's and are
// followed, as jail(8) follows them.
//
// One rule for both adapters. The FreeBSD adapter walks the components with
// lstat(2) through check_path() below, as jail(8) does (its mount(8) takes a
// path, so the walk is all it can do); the Linux adapter gives the same
// relative path to openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
// (linux/resolve.h), so that the kernel refuses the same links in one walk
// that jail root cannot race. Pure, thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jaild::host {

// The components of `path` below `root` ({"dev", "fd"} for /jails/web/dev/fd
// below /jails/web), compared as text after removing repeated and trailing
// slashes, as jail(8) compares them (it never resolves the jail's path).
// Empty for `root` itself (nothing below it to check, as in jail(8)). nullopt
// when either is not absolute, when `path` is not `root` or below it, or when a component below the root is "." or "..". jail(8) lstats
// "x/.." as a directory and goes on; jaild refuses it, since such a line means
// a path other than the one it spells.
std::optional<std::vector<std::string>> components_below(const std::string& root,
                                                         const std::string& path);
// The same, joined with '/' ("dev/fd"); nullopt for `root` itself too.
std::optional<std::string> path_below(const std::string& root, const std::string& path);

// What lstat(2) says of one path.
enum class path_kind { missing, directory, symlink, other };

// jail(8)'s check_path for a path below `root`: every component from the first
// below the root down to `path` itself must exist and not be a symbolic link;
// every one but the last must be a directory. With `may_be_missing` (a file
// jaild creates, such as exec.consolelog) the last may be missing, as in
// check_path's `isfile`. `kind_of` is lstat(2) of a full path. Returns "" when
// the path passes, else the sentence that says which component failed and why.
// A path that components_below() refuses fails too.
std::string check_path(const std::string& root, const std::string& path, bool may_be_missing,
                       const std::function<path_kind(const std::string&)>& kind_of);

}  // namespace jaild::host
