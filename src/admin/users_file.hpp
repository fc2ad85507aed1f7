// A users file (auth.users_file, `users: [{name, key, key_sha256}]`) as `icegate user` edits
// it: loaded and validated with the config reader, changed in memory, written back atomically;
// and the lock that keeps concurrent edits from losing each other.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace icegate::app {

struct long_term_keys;

class users_file {
public:
    // Reads `path`; a missing file holds no users. Throws config_error when the file does not
    // load as auth.users_file (so a broken file is never overwritten).
    static users_file load(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return path_; }
    bool exists() const { return existed_; }
    // Names in file order.
    std::vector<std::string> names() const;
    bool contains(std::string_view name) const;

    // Adds `name` with its keys, or replaces the entry of that name; true when it replaced.
    bool put(const std::string& name, const long_term_keys& keys);
    // Drops the entry of `name`; false when there is none.
    bool remove(std::string_view name);

    // The file's new text: other entries' fields kept, every scalar double-quoted.
    std::string to_yaml() const;
    // Writes to_yaml() through a temporary file and rename. A new file gets mode 0600; an
    // existing one keeps its mode and, where permitted, its owner (otherwise a warning is
    // returned). Throws std::runtime_error on I/O errors.
    std::optional<std::string> save() const;

private:
    explicit users_file(std::filesystem::path path) : path_(std::move(path)) {}
    std::vector<YAML::Node>::iterator find(std::string_view name);

    std::filesystem::path path_;
    bool existed_ = false;
    std::vector<YAML::Node> entries_; // maps, validated by the config reader
};

// An exclusive advisory lock (flock) that serializes `icegate user add|remove` on one users
// file, held across load, edit and save so that concurrent edits cannot drop each other's
// users. It is taken on a sidecar file beside the users file (".NAME.lock", created 0600 and
// left in place), never on the users file itself: save() renames a new inode over that one, so
// a lock on it would guard a file that is no longer there. Released when destroyed.
class users_file_lock {
public:
    // Generous: twenty commands started at once on a busy machine (slow fsync) drain in
    // seconds; only a stuck holder (stopped, or on a hung file system) should hit it.
    static constexpr std::chrono::seconds default_timeout{30};

    // Waits up to `timeout` for the lock on `users_path` (through a symlink: the file it
    // names). Throws std::runtime_error naming the lock file when it cannot be created or
    // another process holds it for longer than `timeout`.
    static users_file_lock acquire(const std::filesystem::path& users_path,
                                   std::chrono::milliseconds timeout = default_timeout);
    // The sidecar lock file for `users_path`.
    static std::filesystem::path lock_path_for(const std::filesystem::path& users_path);

    users_file_lock(users_file_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    users_file_lock& operator=(users_file_lock&&) = delete;
    users_file_lock(const users_file_lock&) = delete;
    users_file_lock& operator=(const users_file_lock&) = delete;
    ~users_file_lock();

private:
    explicit users_file_lock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace icegate::app
