// Config discovery without -c: a binary in its build tree reads the source tree's config
// first; an installed one reads /etc/icegate and never a path from the build machine.
#include "icegate/config/config_discovery.hpp"

#include <set>

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

namespace fs = std::filesystem;
using paths = std::vector<fs::path>;

const fs::path build_dir = "/home/dev/icegate/build";
const fs::path source_config = "/home/dev/icegate/conf/icegate.yaml";
const fs::path etc = system_config_path;

config_search run_from(const fs::path& exe) {
    return {exe, build_dir, source_config};
}

// A file system holding exactly `files`.
auto holding(std::set<fs::path> files) {
    return [files = std::move(files)](const fs::path& p) { return files.contains(p); };
}

TEST(ConfigDiscovery, BuildTreeBinaryTriesTheSourceConfigFirst) {
    for (const char* exe : {"/home/dev/icegate/build/icegate", "/home/dev/icegate/build/tests/x",
                            "/home/dev/icegate/build/./icegate"}) {
        EXPECT_EQ(default_config_paths(run_from(exe)), (paths{source_config, etc})) << exe;
    }
    EXPECT_EQ(find_default_config(run_from("/home/dev/icegate/build/icegate"),
                                  holding({source_config, etc})),
              source_config);
    EXPECT_EQ(find_default_config(run_from("/home/dev/icegate/build/icegate"), holding({etc})),
              etc);
}

TEST(ConfigDiscovery, InstalledBinaryReadsEtcAndNeverTheSourceConfig) {
    for (const char* exe :
         {"/usr/bin/icegate", "/usr/local/bin/icegate", "/home/dev/icegate/build-fuzz/icegate",
          "/home/dev/icegate/icegate", "/home/dev/icegate/build/../icegate", ""}) {
        EXPECT_EQ(default_config_paths(run_from(exe)), paths{etc}) << exe;
    }
    EXPECT_EQ(find_default_config(run_from("/usr/bin/icegate"), holding({source_config, etc})),
              etc);
    // The development config is there, /etc/icegate is not: the built-in default, not the
    // build machine's realm.
    EXPECT_EQ(find_default_config(run_from("/usr/bin/icegate"), holding({source_config})),
              std::nullopt);
}

// This test binary lives in the build tree, so the compiled-in paths must put the source
// tree's conf/icegate.yaml first.
TEST(ConfigDiscovery, ThisBinaryIsInItsBuildTree) {
    const auto here = config_search::of_this_binary();
    EXPECT_FALSE(here.exe.empty());
    const auto found = default_config_paths(here);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].filename(), "icegate.yaml");
    EXPECT_EQ(found[0].parent_path().filename(), "conf");
    EXPECT_EQ(found[1], etc);
}

} // namespace
} // namespace icegate::app
