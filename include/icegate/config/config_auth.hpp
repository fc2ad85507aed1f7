// Readers for the auth section's credentials: users (inline and users_file), shared secrets,
// and secrets kept in files. Private to the config code.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "icegate/config/config.hpp"
#include "icegate/config/config_yaml.hpp"

namespace icegate::app::detail {

// Collects users, rejecting duplicate names across auth.users and auth.users_file.
class user_reader {
public:
    user_reader(std::string realm, std::vector<user_entry>& out)
        : realm_(std::move(realm)), out_(out) {}

    // Reads a `users:` list (null: none). Placeholder keys disable the user with a warning.
    void read_list(const yaml_value& list, bool from_file);
    // Reads a users file (`users: [...]`); `key` is the users_file setting, named on I/O errors.
    void read_file(const yaml_value& key, const std::filesystem::path& file);

private:
    void read_one(const yaml_value& item, bool from_file);
    void check_unique(const yaml_value& name_value, const std::string& name);

    std::string realm_;
    std::vector<user_entry>& out_;
    std::vector<std::pair<std::string, std::string>> seen_; // name, "file:line"
};

// auth.secrets: a list of non-empty strings or {file: PATH} items.
std::vector<std::string> read_secrets(const yaml_value& list);
// One secret given inline or as {file: PATH}; "" allowed when `allow_empty`.
std::string read_secret(const yaml_value& v, bool allow_empty);

// Reads a regular file of at most max_bytes; failures name `key` ("cannot read ...").
std::string read_small_file(const yaml_value& key, const std::filesystem::path& file,
                            std::size_t max_bytes);

} // namespace icegate::app::detail
