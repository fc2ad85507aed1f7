// The admin subcommands `icegate user ...` and `icegate credential ...`, plus their pure parts
// (hex keys, --ttl, TURN URIs) exposed for tests. The running server includes none of this:
// what it shares with these commands lives in src/config (user_name.hpp, rest_credential.hpp,
// config_discovery.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "icegate/config/config.hpp"

namespace icegate::app {

// A command line the admin commands cannot run: printed with the command's usage, exit 2.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// True for the subcommands handled here ("user", "credential").
bool is_admin_command(std::string_view command);

// Runs `icegate user ...` or `icegate credential ...` (args as main's argv); returns the exit
// code. Catches its own errors: usage errors exit 2, everything else exits 1.
int run_admin_command(std::span<char*> args);

// MD5 and SHA-256 of name:realm:password as lowercase hex (32 and 64 digits).
struct long_term_keys {
    std::string md5_hex;
    std::string sha256_hex;
};
long_term_keys derive_keys(std::string_view name, std::string_view realm,
                           std::string_view password);

// "1h", "600s", "1h30m" -> seconds, with the config's duration rules; throws usage_error.
std::chrono::seconds parse_ttl(std::string_view text);

// turn:/turns: URIs for the config's listeners; wildcard addresses become loopback unless
// http.public_host is set. Listeners on port 0 are left out; duplicates are dropped.
std::vector<std::string> turn_uris(const config& cfg);

// The config named by -c, else the first of default_config_paths() that exists (the file
// `serve` would use, without the built-in fallback); nullptr when none. Throws config_error.
std::shared_ptr<const config> find_admin_config(const std::optional<std::filesystem::path>& path);

} // namespace icegate::app
