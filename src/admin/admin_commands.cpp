// `icegate user key|add|remove|list`: long-term keys from a password read on stdin, and the
// users file they are kept in. Also the admin dispatcher.
#include "icegate/admin/admin_commands.hpp"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <optional>

#include <openssl/crypto.h>

#include "admin_args.hpp"
#include "icegate/config/config_discovery.hpp"
#include "icegate/config/user_name.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/util/exit_code.hpp"
#include "users_file.hpp"

namespace icegate::app {

namespace {

namespace fs = std::filesystem;
using detail::admin_args;
using detail::option_spec;

constexpr std::size_t max_realm_bytes = 763; // RFC 8489: fewer than 763 bytes
constexpr std::size_t max_password_bytes = 4096;

constexpr std::string_view user_usage =
    R"(usage: icegate user key NAME REALM [--sha256]
       icegate user add NAME --file USERS [--realm REALM | -c CONFIG]
       icegate user remove NAME --file USERS
       icegate user list --file USERS

key     print MD5(NAME:REALM:PASSWORD) as 32 hex digits; with --sha256, print
        `key: ...` and `key_sha256: ...` lines to paste into auth.users
add     store NAME's keys in USERS (created with mode 0600; an existing NAME gets
        new keys); the realm comes from --realm, -c CONFIG or the default config
remove  drop NAME from USERS
list    print the names in USERS, one per line

The password is read from stdin (one line; not echoed on a terminal). USERS is the
file auth.users_file names; it holds keys, never passwords. add and remove lock it
(the file .USERS.lock beside it, waited for up to 30 s), so commands run at the same
time each keep their change.
)";

// A std::string wiped when it goes out of scope: for passwords.
struct wiped_string {
    std::string value;
    wiped_string() = default;
    wiped_string(const wiped_string&) = delete;
    wiped_string& operator=(const wiped_string&) = delete;
    ~wiped_string() { OPENSSL_cleanse(value.data(), value.size()); }
};

template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (std::uint8_t b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

// The terminal settings a SIGINT/SIGTERM during a password prompt restores before dying, so
// Ctrl-C does not leave the shell without echo. File-local: one prompt at a time, one thread.
termios terminal_before_prompt{};

extern "C" void restore_terminal_and_reraise(int sig) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &terminal_before_prompt);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

// Turns terminal echo off for its lifetime (stdin only, and only when it is a terminal).
class echo_off {
public:
    echo_off() {
        if (::tcgetattr(STDIN_FILENO, &terminal_before_prompt) != 0) {
            return;
        }
        struct sigaction on_signal {};
        on_signal.sa_handler = restore_terminal_and_reraise;
        ::sigaction(SIGINT, &on_signal, &old_int_);
        ::sigaction(SIGTERM, &on_signal, &old_term_);
        handlers_ = true;
        termios quiet = terminal_before_prompt;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    echo_off(const echo_off&) = delete;
    echo_off& operator=(const echo_off&) = delete;
    ~echo_off() {
        if (active_) {
            ::tcsetattr(STDIN_FILENO, TCSANOW, &terminal_before_prompt);
            std::cerr << "\n"; // the newline the user typed was not echoed
        }
        if (handlers_) {
            ::sigaction(SIGINT, &old_int_, nullptr);
            ::sigaction(SIGTERM, &old_term_, nullptr);
        }
    }

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
    bool handlers_ = false;
    bool active_ = false;
};

// One line of stdin without its line ending; on a terminal, after `prompt` and without echo.
void read_line(std::string_view prompt, std::string& out) {
    std::optional<echo_off> quiet;
    if (::isatty(STDIN_FILENO) == 1) {
        quiet.emplace(); // first: TCSAFLUSH drops what was typed before the prompt
        std::cerr << prompt << std::flush;
    }
    out.reserve(256);
    if (!std::getline(std::cin, out) && out.empty()) {
        throw std::runtime_error("no password on stdin (expected one line)");
    }
    if (!out.empty() && out.back() == '\r') {
        out.pop_back();
    }
    if (out.empty()) {
        throw std::runtime_error("the password is empty");
    }
    if (out.size() > max_password_bytes) {
        throw std::runtime_error("the password is longer than 4096 bytes");
    }
}

void read_password(std::string_view prompt, bool confirm, wiped_string& out) {
    read_line(prompt, out.value);
    if (confirm && ::isatty(STDIN_FILENO) == 1) {
        wiped_string again;
        read_line("Retype the password: ", again.value);
        if (again.value != out.value) {
            throw std::runtime_error("the passwords do not match");
        }
    }
}

void require_name(const std::string& name) {
    if (auto why = check_user_name(name); !why.empty()) {
        throw usage_error(why);
    }
}

void require_realm(const std::string& realm) {
    if (realm.empty() || realm.size() >= max_realm_bytes || has_control_byte(realm)) {
        throw usage_error("a realm must be 1 to 762 bytes without control characters");
    }
}

fs::path require_file(const admin_args& a) {
    auto file = a.value("--file");
    if (!file || file->empty()) {
        throw usage_error("missing --file USERS (the file auth.users_file names)");
    }
    return *file;
}

// Prints the usage when -h/--help was given; true then.
bool asked_for_help(const admin_args& a) {
    if (a.help()) {
        std::cout << user_usage;
    }
    return a.help();
}

// The realm for `user add`: --realm, or the realm of -c CONFIG or of the default config.
std::string realm_for(const admin_args& a, const std::string& name, const fs::path& file) {
    auto realm = a.value("--realm");
    auto config_path = a.value("--config");
    if (realm && config_path) {
        throw usage_error("give --realm or -c, not both");
    }
    if (realm) {
        require_realm(*realm);
        return *realm;
    }
    const auto cfg =
        find_admin_config(config_path ? std::optional<fs::path>(*config_path) : std::nullopt);
    if (!cfg) {
        std::string looked;
        for (const auto& p : default_config_paths(config_search::of_this_binary())) {
            looked += (looked.empty() ? "" : " or ") + p.string();
        }
        throw usage_error("no realm: give --realm REALM or -c CONFIG (no config found at " +
                          looked + ")");
    }
    for (const auto& u : cfg->auth.users) {
        if (!u.from_users_file && u.name == name) {
            throw std::runtime_error("user \"" + name + "\" is already in auth.users of " +
                                     cfg->source.string() + "; the same name in " + file.string() +
                                     " would not load");
        }
    }
    std::cerr << "realm \"" << cfg->realm << "\" from " << cfg->source.string() << "\n";
    return cfg->realm;
}

int user_key(std::span<char* const> words) {
    static constexpr std::array<option_spec, 1> specs{{{"--sha256", "", false}}};
    const admin_args a(words, specs);
    if (asked_for_help(a)) {
        return exit_ok;
    }
    a.expect_positional(2, "NAME REALM");
    const std::string& name = a.positional()[0];
    const std::string& realm = a.positional()[1];
    require_name(name);
    require_realm(realm);
    wiped_string password;
    read_password("Password for " + name + ": ", false, password);
    const auto keys = derive_keys(name, realm, password.value);
    if (a.flag("--sha256")) {
        std::cout << "key: " << keys.md5_hex << "\nkey_sha256: " << keys.sha256_hex << "\n";
    } else {
        std::cout << keys.md5_hex << "\n";
    }
    return exit_ok;
}

void save(const users_file& users) {
    if (auto warning = users.save()) {
        std::cerr << "warning: " << *warning << "\n";
    }
}

int user_add(std::span<char* const> words) {
    static constexpr std::array<option_spec, 3> specs{
        {{"--file", "-f", true}, {"--realm", "", true}, {"--config", "-c", true}}};
    const admin_args a(words, specs);
    if (asked_for_help(a)) {
        return exit_ok;
    }
    a.expect_positional(1, "NAME");
    const std::string& name = a.positional()[0];
    require_name(name);
    const fs::path file = require_file(a);
    const std::string realm = realm_for(a, name, file);
    users_file::load(file); // a broken file fails before the password is asked
    wiped_string password;
    read_password("Password for " + name + " (realm " + realm + "): ", true, password);
    const auto keys = derive_keys(name, realm, password.value);
    // Locked only now, not across the prompt; read again under the lock so that what others
    // added or removed meanwhile is kept.
    const auto lock = users_file_lock::acquire(file);
    auto users = users_file::load(file);
    const bool replaced = users.put(name, keys);
    save(users);
    if (replaced) {
        std::cerr << "replaced the keys of existing user \"" << name << "\" in " << file.string()
                  << "\n";
    } else {
        std::cerr << "added user \"" << name << "\" to " << file.string() << "\n";
    }
    return exit_ok;
}

int user_remove(std::span<char* const> words) {
    static constexpr std::array<option_spec, 1> specs{{{"--file", "-f", true}}};
    const admin_args a(words, specs);
    if (asked_for_help(a)) {
        return exit_ok;
    }
    a.expect_positional(1, "NAME");
    const std::string& name = a.positional()[0];
    const fs::path file = require_file(a);
    if (!users_file::load(file).exists()) { // checked before a lock file is created beside it
        throw std::runtime_error("\"" + file.string() + "\" does not exist");
    }
    const auto lock = users_file_lock::acquire(file);
    auto users = users_file::load(file);
    if (!users.remove(name)) {
        throw std::runtime_error("no user \"" + name + "\" in " + file.string());
    }
    save(users);
    std::cerr << "removed user \"" << name << "\" from " << file.string() << "\n";
    return exit_ok;
}

int user_list(std::span<char* const> words) {
    static constexpr std::array<option_spec, 1> specs{{{"--file", "-f", true}}};
    const admin_args a(words, specs);
    if (asked_for_help(a)) {
        return exit_ok;
    }
    a.expect_positional(0, "");
    const fs::path file = require_file(a);
    const auto users = users_file::load(file);
    if (!users.exists()) {
        throw std::runtime_error("\"" + file.string() + "\" does not exist");
    }
    for (const auto& name : users.names()) {
        std::cout << name << "\n";
    }
    return exit_ok;
}

} // namespace

namespace detail {

int run_user_command(std::span<char* const> words) {
    return guarded(user_usage, [&] {
        if (words.empty()) {
            throw usage_error("missing subcommand: key, add, remove or list");
        }
        const std::string_view sub = words[0];
        const auto rest = words.subspan(1);
        if (sub == "-h" || sub == "--help" || sub == "help") {
            std::cout << user_usage;
            return static_cast<int>(exit_ok);
        }
        if (sub == "key") {
            return user_key(rest);
        }
        if (sub == "add") {
            return user_add(rest);
        }
        if (sub == "remove") {
            return user_remove(rest);
        }
        if (sub == "list") {
            return user_list(rest);
        }
        throw usage_error("unknown subcommand 'user " + std::string(sub) + "'");
    });
}

} // namespace detail

bool is_admin_command(std::string_view command) {
    return command == "user" || command == "credential";
}

int run_admin_command(std::span<char*> args) {
    if (args.size() < 2 || !is_admin_command(args[1])) {
        return exit_usage;
    }
    const auto words = std::span<char* const>(args).subspan(2);
    if (std::string_view(args[1]) == "user") {
        return detail::run_user_command(words);
    }
    return detail::run_credential_command(words);
}

long_term_keys derive_keys(std::string_view name, std::string_view realm,
                           std::string_view password) {
    const auto md5 = stun::long_term_key_md5(name, realm, password);
    const auto sha = stun::long_term_key_sha256(name, realm, password);
    if (!md5 || !sha) {
        throw std::runtime_error("cannot derive the key: " +
                                 (md5 ? sha.error() : md5.error()).message());
    }
    return {to_hex(*md5), to_hex(*sha)};
}

std::shared_ptr<const config> find_admin_config(const std::optional<fs::path>& path) {
    if (path) {
        return load_config(*path);
    }
    // The file `serve` would read; its built-in fallback is left out because a realm or URIs
    // taken from it would silently be the wrong ones.
    const auto found = find_default_config();
    return found ? load_config(*found) : nullptr;
}

} // namespace icegate::app
