// Tests for users_file removal with several entries after the removed one, and for
// users_file_lock: the sidecar lock file's place and mode, exclusion between two holders (flock
// is per open file, so two in one process exclude each other as two processes would), the
// bounded wait and its message, and release on destruction. (Loading, adding and the file
// mode are tested in admin_commands_test.cpp.)
#include <sys/stat.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../test_util.hpp"
#include "icegate/admin/admin_commands.hpp"
#include "users_file.hpp"

namespace icegate::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// vector::erase shifted entries by YAML::Node assignment, which rewires shared nodes: removing
// "a" of five left c, d, e, e.
TEST(UsersFileRemove, KeepsEveryOtherEntryWhereverTheRemovedOneWas) {
    const std::vector<std::string> all{"a", "b", "c", "d", "e"};
    for (const auto& gone : all) {
        const test::temp_dir dir;
        const fs::path path = dir.path() / "users.yaml";
        auto f = users_file::load(path);
        for (const auto& n : all) {
            f.put(n, derive_keys(n, "r", "pw-" + n));
        }
        f.save();
        auto g = users_file::load(path);
        ASSERT_TRUE(g.remove(gone));
        EXPECT_FALSE(g.remove(gone));
        std::vector<std::string> want;
        for (const auto& n : all) {
            if (n != gone) {
                want.push_back(n);
            }
        }
        EXPECT_EQ(g.names(), want) << "removing " << gone;
        g.save();
        const auto back = users_file::load(path); // loads: no duplicate
        EXPECT_EQ(back.names(), want) << "removing " << gone;
        // Each entry kept its own keys.
        const auto cfg = parse_config("realm: r\nauth:\n  users_file: " + path.string() + "\n",
                                      dir.path() / "icegate.yaml");
        ASSERT_EQ(cfg->auth.users.size(), want.size());
        for (const auto& u : cfg->auth.users) {
            EXPECT_EQ(test::hex(u.key_md5.data(), u.key_md5.size()),
                      derive_keys(u.name, "r", "pw-" + u.name).md5_hex);
        }
    }
}

TEST(UsersFileLock, SidecarBesideTheFileAndBesideASymlinksTarget) {
    EXPECT_EQ(users_file_lock::lock_path_for("/etc/icegate/users.yaml"),
              fs::path("/etc/icegate/.users.yaml.lock"));
    EXPECT_EQ(users_file_lock::lock_path_for("users.yaml"), fs::path("./.users.yaml.lock"));
    const test::temp_dir dir;
    const fs::path target = dir.write("real/users.yaml", "users: []\n");
    fs::create_symlink(target, dir.path() / "link.yaml");
    // save() replaces the file the link names: the lock must guard that one.
    EXPECT_EQ(users_file_lock::lock_path_for(dir.path() / "link.yaml"),
              fs::canonical(target).parent_path() / ".users.yaml.lock");
}

TEST(UsersFileLock, LockFileIsPrivateAndLeftInPlace) {
    const test::temp_dir dir;
    const fs::path users = dir.path() / "users.yaml";
    const fs::path lock = users_file_lock::lock_path_for(users);
    { const auto held = users_file_lock::acquire(users); }
    struct stat st {};
    ASSERT_EQ(::stat(lock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_EQ(st.st_size, 0);
    EXPECT_FALSE(fs::exists(users)); // locking creates no users file
}

TEST(UsersFileLock, SecondHolderWaitsBoundedlyWithAClearError) {
    const test::temp_dir dir;
    const fs::path users = dir.path() / "users.yaml";
    std::optional<users_file_lock> first(users_file_lock::acquire(users));
    const auto t0 = std::chrono::steady_clock::now();
    try {
        users_file_lock::acquire(users, 300ms);
        FAIL() << "a second holder got the lock";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(users_file_lock::lock_path_for(users).string()), std::string::npos)
            << what;
        EXPECT_NE(what.find("300 ms"), std::string::npos) << what;
        EXPECT_NE(what.find("nothing was changed"), std::string::npos) << what;
    }
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 300ms);
    EXPECT_LT(waited, 20s); // generous: the machine is shared
    first.reset();          // released: the next one gets it at once
    EXPECT_NO_THROW(users_file_lock::acquire(users, 0ms));
}

TEST(UsersFileLock, MovedLockKeepsHoldingIt) {
    const test::temp_dir dir;
    const fs::path users = dir.path() / "users.yaml";
    auto a = users_file_lock::acquire(users);
    const users_file_lock b = std::move(a);
    EXPECT_THROW(users_file_lock::acquire(users, 50ms), std::runtime_error);
}

TEST(UsersFileLock, MissingFolderIsNamed) {
    const test::temp_dir dir;
    const fs::path users = dir.path() / "no" / "users.yaml";
    try {
        users_file_lock::acquire(users, 50ms);
        FAIL() << "locked in a folder that does not exist";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(".users.yaml.lock"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace icegate::app
