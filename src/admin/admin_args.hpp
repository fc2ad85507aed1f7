// Options of the admin subcommands (`icegate user ...`, `icegate credential ...`): a small
// parser shared by both, and the entry points the admin dispatcher calls.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace icegate::app::detail {

struct option_spec {
    std::string_view name;  // "--file"
    std::string_view alias; // "-f", or empty
    bool takes_value = true;
};

// Words after the subcommand: positional arguments, `--opt VALUE`, `--opt=VALUE`, flags and
// `--` (everything after it is positional). Throws usage_error for unknown or repeated options
// and missing values; -h/--help sets help().
class admin_args {
public:
    admin_args(std::span<char* const> words, std::span<const option_spec> specs);

    const std::vector<std::string>& positional() const { return positional_; }
    // The value of an option by its long name; nullopt when not given.
    std::optional<std::string> value(std::string_view name) const;
    bool flag(std::string_view name) const;
    bool help() const { return help_; }
    // Fails unless exactly `count` positional arguments were given; `names` for the message.
    void expect_positional(std::size_t count, std::string_view names) const;

private:
    bool seen(std::string_view name) const;

    std::vector<std::string> positional_;
    std::vector<std::pair<std::string, std::string>> values_;
    std::vector<std::string> flags_;
    bool help_ = false;
};

// `icegate user SUBCOMMAND ...` and `icegate credential ...`; `words` follow the command name.
int run_user_command(std::span<char* const> words);
int run_credential_command(std::span<char* const> words);

// Runs `body`, turning usage_error into exit 2 (message plus `usage`) and other exceptions
// into exit 1 (message).
int guarded(std::string_view usage, const std::function<int()>& body);

} // namespace icegate::app::detail
