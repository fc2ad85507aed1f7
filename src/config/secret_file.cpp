// The `--secret-file` reader shared by `icegate credential` and `icegate probe`.
#include "icegate/config/secret_file.hpp"

#include <cstddef>
#include <stdexcept>
#include <string_view>

#include "icegate/config/config_auth.hpp"
#include "icegate/config/config_yaml.hpp"

namespace icegate::app {

namespace {

constexpr std::size_t max_secret_file_bytes = 64UL * 1024; // as auth.secrets' {file: PATH}

std::string first_line_trimmed(const std::string& text) {
    static constexpr std::string_view space = " \t\r";
    std::string line = text.substr(0, text.find('\n'));
    const auto end = line.find_last_not_of(space);
    line.erase(end == std::string::npos ? 0 : end + 1);
    line.erase(0, line.find_first_not_of(space));
    return line;
}

} // namespace

std::string read_secret_file(const std::filesystem::path& file) {
    // read_small_file names the failing setting: here the option, with no line number.
    const detail::yaml_source src{"--secret-file", {}, nullptr};
    const detail::yaml_value key(YAML::Node(file.string()), "", src, 0);
    std::string secret =
        first_line_trimmed(detail::read_small_file(key, file, max_secret_file_bytes));
    if (secret.empty()) {
        throw std::runtime_error("secret file \"" + file.string() + "\" has an empty first line");
    }
    return secret;
}

} // namespace icegate::app
