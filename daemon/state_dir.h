// jaild's state directory: made when missing, and kept to its owner. The
// database, its backups, the audit log and the jails' console logs are
// root's alone (0600 files); the directory is 0700, plus search (x)
// permission for the configured socket_group, or for others, only where the
// socket lies inside it and its own mode lets them connect (so that an
// operator group reaches STATE_DIR/jaild.sock without being able to list or
// read anything else there).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace jaild::daemon {

// The directory's mode for a socket of `socket_mode` inside it (or not),
// owned by a socket_group of its own (or root's group).
mode_t state_dir_mode(bool socket_inside, mode_t socket_mode, bool socket_group);

// Creates `dir` (and its parents) when missing and sets its mode and, when
// `group` is given and the socket inside needs it, its group. Throws
// jaild::error(unavailable) when it is not a directory or cannot be set.
void prepare_state_dir(const std::filesystem::path& dir, const std::filesystem::path& socket,
                       mode_t socket_mode, std::optional<gid_t> group);

}  // namespace jaild::daemon
