// Reading YAML with positions: every value knows its file, line and key path, so a config
// error reads "icegate.yaml:14: limits.user_quota: expected ...". Private to the config code.
#pragma once

#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace icegate::app::detail {

// One YAML file being read: its name for messages and its folder for relative paths.
struct yaml_source {
    std::string name;             // the file name as shown in messages ("icegate.yaml")
    std::filesystem::path folder; // absolute; anchors relative paths
    std::vector<std::string>* warnings = nullptr;
};

// `text` in double quotes for a message: control characters shown as ?, long text cut short.
std::string quote_text(std::string_view text);

// Parses YAML text; syntax errors become config_error naming the file and line.
YAML::Node load_yaml(const std::string& text, const yaml_source& src);

// A node plus where it came from.
class yaml_value {
public:
    yaml_value(const YAML::Node& node, std::string path, const yaml_source& src, int line);

    const YAML::Node& node() const { return node_; }
    const std::string& path() const { return path_; }
    const yaml_source& source() const { return *src_; }
    int line() const { return line_; } // 1-based; 0 when unknown

    bool is_null() const { return node_.IsNull(); }
    bool is_scalar() const { return node_.IsScalar(); }

    // "icegate.yaml:14: limits.user_quota: " + message
    std::string message(std::string_view text) const;
    [[noreturn]] void fail(std::string_view text) const;
    void warn(std::string_view text) const;

    // How the value looks, for "got ...": "\"ten\"", "a list", "a map", "nothing".
    std::string describe() const;
    // Fails with "expected <what>, got <describe()>".
    [[noreturn]] void fail_expected(std::string_view what) const;

    // The scalar text; fails with "expected <what>, got ..." for lists and maps.
    const std::string& scalar(std::string_view what) const;
    // The items of a list (a null value is an empty list); fails for anything else.
    std::vector<yaml_value> items(std::string_view what) const;

private:
    YAML::Node node_;
    std::string path_;
    const yaml_source* src_;
    int line_;
};

// A map whose keys are checked against a list up front: unknown keys, duplicate keys and
// non-string keys fail at the first offending key. A null value reads as an empty map.
class yaml_map {
public:
    yaml_map(const yaml_value& v, std::initializer_list<std::string_view> known);

    // The value of `key`; nullopt when the key is missing or its value is null (unset).
    std::optional<yaml_value> get(std::string_view key) const;
    // Like get(), but also yields null values (for keys where null means something).
    std::optional<yaml_value> get_raw(std::string_view key) const;
    bool has(std::string_view key) const { return get(key).has_value(); }
    const yaml_value& self() const { return self_; }

private:
    yaml_value self_;
    std::vector<std::pair<std::string, yaml_value>> entries_;
};

} // namespace icegate::app::detail
