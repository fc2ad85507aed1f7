// A users file (auth.users_file, `users: [{name, key, key_sha256}]`) as `icegate user` edits
// it: loaded and validated with the config reader, changed in memory, written back atomically.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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

} // namespace icegate::app
