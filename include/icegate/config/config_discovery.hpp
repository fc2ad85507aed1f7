// Which config file icegate reads when no -c is given: one rule for `serve`, `check-config`
// and the admin commands.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace icegate::app {

inline constexpr std::string_view system_config_path = "/etc/icegate/icegate.yaml";

// What the choice depends on, as inputs so that tests need neither /proc nor /etc.
struct config_search {
    std::filesystem::path exe;           // the running executable
    std::filesystem::path build_dir;     // the build tree it was compiled in
    std::filesystem::path source_config; // conf/icegate.yaml of that build's source tree

    // This process: /proc/self/exe and the paths compiled in.
    static config_search of_this_binary();
};

// The files to try, in order. An executable inside the build tree it was compiled in (a
// developer's build/icegate) tries its source tree's conf/icegate.yaml, then
// /etc/icegate/icegate.yaml. Any other (an installed copy) tries /etc/icegate/icegate.yaml
// only: a path from the build machine's source tree must never hand it a development config.
std::vector<std::filesystem::path> default_config_paths(const config_search& where);

// The first of default_config_paths(where) for which `is_file` holds; nullopt when none.
std::optional<std::filesystem::path>
find_default_config(const config_search& where,
                    const std::function<bool(const std::filesystem::path&)>& is_file);

// The same for this process, looking for regular files.
std::optional<std::filesystem::path> find_default_config();

} // namespace icegate::app
