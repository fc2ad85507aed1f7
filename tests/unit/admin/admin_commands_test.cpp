// The admin commands' pure parts: key known answers (from Python's hashlib), --ttl, TURN URIs,
// option parsing, and users files that round-trip through the config parser.
#include "icegate/admin/admin_commands.hpp"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "../test_util.hpp"
#include <stdlib.h>

#include "admin_args.hpp"
#include "users_file.hpp"

namespace icegate::app {
namespace {

namespace fs = std::filesystem;

using test::temp_dir;

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
}

using test::hex;

// The config that names `users` as its users_file, parsed as the service would.
std::shared_ptr<const config> config_with(const temp_dir& dir, const std::string& realm,
                                          const fs::path& users) {
    const std::string yaml = "realm: " + realm + "\nauth:\n  users_file: " + users.string() + "\n";
    return parse_config(yaml, dir.path() / "icegate.yaml");
}

TEST(AdminKeys, KnownAnswers) {
    // python3: hashlib.md5(b"alice:icegate.test:hunter2").hexdigest(), and sha256.
    auto k = derive_keys("alice", "icegate.test", "hunter2");
    EXPECT_EQ(k.md5_hex, "88ff91b4522ae398e8c4d41a6c14f7be");
    EXPECT_EQ(k.sha256_hex, "2c37edc5766fde46f849727ca5861532ac005674536de7f5b54f06b3fb371e28");
    // UTF-8 bytes as given: "josé:example.org:päss word".
    k = derive_keys("jos\xc3\xa9", "example.org", "p\xc3\xa4ss word");
    EXPECT_EQ(k.md5_hex, "d45d0e80ab2a9feaf899243a40c4405d");
    EXPECT_EQ(k.sha256_hex, "388e119b578626673e1c01068de0924ed64a5aefadaa6bf2fdb5bc623d280830");
}

TEST(AdminCredential, TtlUsesTheConfigDurationSyntax) {
    EXPECT_EQ(parse_ttl("1h").count(), 3600);
    EXPECT_EQ(parse_ttl("10m").count(), 600);
    EXPECT_EQ(parse_ttl("600s").count(), 600);
    EXPECT_EQ(parse_ttl("1d").count(), 86400);
    EXPECT_EQ(parse_ttl("1h30m").count(), 5400);
    for (const char* bad : {"", "10", "10x", "0s", "m", "400d", "-1h"}) {
        EXPECT_THROW(parse_ttl(bad), usage_error) << bad;
    }
    try {
        parse_ttl("ten");
    } catch (const usage_error& e) {
        EXPECT_NE(std::string(e.what()).find("--ttl"), std::string::npos) << e.what();
    }
}

TEST(AdminCredential, TurnUrisFromListeners) {
    const auto cfg = parse_config(R"(listen:
  - udp://0.0.0.0:3478
  - tcp://0.0.0.0:3478
  - udp://[::]:3478
  - tls://192.0.2.7:5349
  - tcp://[2001:db8::1]:3478
  - udp://127.0.0.1:0
)",
                                  "/tmp/icegate.yaml");
    const std::vector<std::string> want = {
        "turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp",
        "turn:[::1]:3478?transport=udp", "turns:192.0.2.7:5349?transport=tcp",
        "turn:[2001:db8::1]:3478?transport=tcp"};
    EXPECT_EQ(turn_uris(*cfg), want);
}

TEST(AdminCredential, TurnUrisUsePublicHost) {
    const auto cfg = parse_config(R"(listen: ["udp://0.0.0.0:3478", "udp://[::]:3478",
  "tls://[::]:5349"]
http: {public_host: turn.example.org}
)",
                                  "/tmp/icegate.yaml");
    const std::vector<std::string> want = {"turn:turn.example.org:3478?transport=udp",
                                           "turns:turn.example.org:5349?transport=tcp"};
    EXPECT_EQ(turn_uris(*cfg), want);
    const auto v6 = parse_config(
        "listen: [udp://0.0.0.0:3478]\nhttp: {public_host: '2001:db8::5'}\n", "/tmp/icegate.yaml");
    EXPECT_EQ(turn_uris(*v6), std::vector<std::string>{"turn:[2001:db8::5]:3478?transport=udp"});
}

TEST(AdminArgs, ParsesOptionsFlagsAndPositionals) {
    static constexpr std::array<detail::option_spec, 3> specs{
        {{"--file", "-f", true}, {"--config", "-c", true}, {"--sha256", "", false}}};
    std::array<std::string, 7> words = {"alice",    "-f", "u.yaml", "--config=x.yaml",
                                        "--sha256", "--", "-dash"};
    std::vector<char*> argv;
    for (auto& w : words) {
        argv.push_back(w.data());
    }
    const detail::admin_args a(argv, specs);
    EXPECT_EQ(a.positional(), (std::vector<std::string>{"alice", "-dash"}));
    EXPECT_EQ(a.value("--file"), "u.yaml");
    EXPECT_EQ(a.value("--config"), "x.yaml");
    EXPECT_TRUE(a.flag("--sha256"));
    EXPECT_FALSE(a.help());
    EXPECT_NO_THROW(a.expect_positional(2, "NAME"));
    EXPECT_THROW(a.expect_positional(1, "NAME"), usage_error);
    EXPECT_THROW(a.expect_positional(3, "NAME"), usage_error);
}

TEST(AdminArgs, RejectsUnknownRepeatedAndMissingValues) {
    static constexpr std::array<detail::option_spec, 2> specs{
        {{"--file", "-f", true}, {"--sha256", "", false}}};
    auto parse = [&](std::vector<std::string> words) {
        std::vector<char*> argv;
        for (auto& w : words) {
            argv.push_back(w.data());
        }
        return detail::admin_args(argv, specs);
    };
    EXPECT_THROW(parse({"--bogus"}), usage_error);
    EXPECT_THROW(parse({"-f", "a", "--file", "b"}), usage_error);
    EXPECT_THROW(parse({"--file"}), usage_error);
    EXPECT_THROW(parse({"--sha256=yes"}), usage_error);
    EXPECT_TRUE(parse({"-h"}).help());
}

TEST(AdminUsersFile, MissingFileHoldsNoUsers) {
    temp_dir dir;
    const auto f = users_file::load(dir.path() / "users.yaml");
    EXPECT_FALSE(f.exists());
    EXPECT_TRUE(f.names().empty());
}

TEST(AdminUsersFile, AddReplaceRemoveRoundTrip) {
    temp_dir dir;
    const fs::path path = dir.path() / "users.yaml";
    auto f = users_file::load(path);
    EXPECT_FALSE(f.put("alice", derive_keys("alice", "icegate.test", "hunter2")));
    EXPECT_FALSE(f.put("bob", derive_keys("bob", "icegate.test", "pw-bob")));
    EXPECT_FALSE(f.save().has_value());
    EXPECT_EQ(mode_of(path), 0600U);
    EXPECT_EQ(read_text(path).find("hunter2"), std::string::npos);

    auto g = users_file::load(path);
    EXPECT_TRUE(g.exists());
    EXPECT_EQ(g.names(), (std::vector<std::string>{"alice", "bob"}));
    EXPECT_TRUE(g.put("alice", derive_keys("alice", "icegate.test", "new-pw")));
    EXPECT_TRUE(g.remove("bob"));
    EXPECT_FALSE(g.remove("bob"));
    EXPECT_FALSE(g.save().has_value());

    const auto cfg = config_with(dir, "icegate.test", path);
    ASSERT_EQ(cfg->auth.users.size(), 1U);
    const auto& u = cfg->auth.users[0];
    EXPECT_EQ(u.name, "alice");
    EXPECT_TRUE(u.from_users_file);
    const auto want = derive_keys("alice", "icegate.test", "new-pw");
    EXPECT_EQ(hex(u.key_md5.data(), u.key_md5.size()), want.md5_hex);
    ASSERT_TRUE(u.key_sha256.has_value());
    EXPECT_EQ(hex(u.key_sha256->data(), u.key_sha256->size()), want.sha256_hex);
    // No temporary files left behind.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(AdminUsersFile, AwkwardNamesSurviveTheRoundTrip) {
    temp_dir dir;
    const fs::path path = dir.path() / "users.yaml";
    const std::vector<std::string> names = {
        "yes",  "~",   "null", "- x", "a: b", "#c", " lead", "trail ", "jos\xc3\xa9", "123",
        "'q\"", "[x]", "{y}",  "*z",  "&w",   "!v", "%u",    "@t",     "`s",          "0x10"};
    auto f = users_file::load(path);
    for (const auto& n : names) {
        f.put(n, derive_keys(n, "r", "pw"));
    }
    f.save();
    EXPECT_EQ(users_file::load(path).names(), names);
    const auto cfg = config_with(dir, "r", path);
    ASSERT_EQ(cfg->auth.users.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        EXPECT_EQ(cfg->auth.users[i].name, names[i]);
    }
}

TEST(AdminUsersFile, KeepsOtherEntriesAndTheFileMode) {
    temp_dir dir;
    const fs::path path = dir.write("users.yaml", R"(# hand-written
users:
  - name: carol
    password: carol-pw
  - {name: dave, key: 0x3a6b...}
  - name: erin
    key: 0123456789ABCDEF0123456789ABCDEF
    key_sha256:
)");
    fs::permissions(path, fs::perms(0640));
    auto f = users_file::load(path);
    EXPECT_EQ(f.names(), (std::vector<std::string>{"carol", "dave", "erin"}));
    f.put("alice", derive_keys("alice", "r", "pw"));
    f.save();
    EXPECT_EQ(mode_of(path), 0640U);
    const std::string text = read_text(path);
    EXPECT_NE(text.find("carol-pw"), std::string::npos); // someone else's entry, kept as it was
    EXPECT_NE(text.find("0x3a6b..."), std::string::npos);
    const auto cfg = config_with(dir, "r", path);
    ASSERT_EQ(cfg->auth.users.size(), 3U); // dave's placeholder disables him
    EXPECT_EQ(cfg->auth.users[2].name, "alice");
}

TEST(AdminUsersFile, RefusesABrokenFileAndLeavesIt) {
    temp_dir dir;
    const std::string dup = "users:\n  - {name: a, key: 0123456789abcdef0123456789abcdef}\n"
                            "  - {name: a, key: 0123456789abcdef0123456789abcdef}\n";
    const fs::path path = dir.write("users.yaml", dup);
    try {
        users_file::load(path);
        FAIL() << "a duplicate name must not load";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("users.yaml:3"), std::string::npos) << e.what();
    }
    dir.write("bad.yaml", "users: [\n");
    EXPECT_THROW(users_file::load(dir.path() / "bad.yaml"), config_error);
    dir.write("other.yaml", "people: []\n");
    EXPECT_THROW(users_file::load(dir.path() / "other.yaml"), config_error);
    EXPECT_EQ(read_text(path), dup);
}

TEST(AdminUsersFile, WritesThroughASymlink) {
    temp_dir dir;
    fs::create_directory(dir.path() / "real");
    const fs::path target = dir.path() / "real" / "users.yaml";
    const fs::path link = dir.path() / "users.yaml";
    auto f = users_file::load(target);
    f.put("alice", derive_keys("alice", "r", "pw"));
    f.save();
    fs::create_symlink(target, link);
    auto g = users_file::load(link);
    g.put("bob", derive_keys("bob", "r", "pw"));
    g.save();
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(users_file::load(target).names(), (std::vector<std::string>{"alice", "bob"}));
}

TEST(AdminConfig, FindsTheGivenOrTheSourceTreeConfig) {
    temp_dir dir;
    const fs::path cfg = dir.write("c.yaml", "realm: given.test\n");
    EXPECT_EQ(find_admin_config(cfg)->realm, "given.test");
    EXPECT_THROW(find_admin_config(dir.path() / "missing.yaml"), config_error);
    // Built in a source tree, conf/icegate.yaml is always there.
    const auto found = find_admin_config(std::nullopt);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->source.filename(), "icegate.yaml");
}

} // namespace
} // namespace icegate::app
