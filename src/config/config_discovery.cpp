// Config discovery: the build tree's config for a binary run where it was built, /etc/icegate
// for an installed one.
#include "icegate/config/config_discovery.hpp"

#include <system_error>

namespace icegate::app {

namespace {

namespace fs = std::filesystem;

// Lexical: `where` holds canonical paths (of_this_binary() makes them so).
bool inside(const fs::path& file, const fs::path& dir) {
    if (file.empty() || dir.empty()) {
        return false;
    }
    const fs::path rel = file.lexically_normal().lexically_relative(dir.lexically_normal());
    return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

} // namespace

config_search config_search::of_this_binary() {
    std::error_code ec;
    config_search s;
    s.exe = fs::read_symlink("/proc/self/exe", ec); // empty when unreadable: counts as installed
    s.build_dir = fs::weakly_canonical(ICEGATE_BUILD_DIR, ec);
    if (ec) {
        s.build_dir = ICEGATE_BUILD_DIR;
    }
    s.source_config = ICEGATE_SOURCE_CONFIG;
    return s;
}

std::vector<fs::path> default_config_paths(const config_search& where) {
    std::vector<fs::path> out;
    if (inside(where.exe, where.build_dir)) {
        out.push_back(where.source_config);
    }
    out.emplace_back(system_config_path);
    return out;
}

std::optional<fs::path> find_default_config(const config_search& where,
                                            const std::function<bool(const fs::path&)>& is_file) {
    for (const auto& p : default_config_paths(where)) {
        if (is_file(p)) {
            return p;
        }
    }
    return std::nullopt;
}

std::optional<fs::path> find_default_config() {
    return find_default_config(config_search::of_this_binary(), [](const fs::path& p) {
        std::error_code ec;
        return fs::is_regular_file(p, ec);
    });
}

} // namespace icegate::app
