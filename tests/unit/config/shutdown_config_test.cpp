// The shutdown section (drain on SIGTERM): grace and alternate_server, their defaults, limits,
// errors, and their effective-config lines read back.
#include "icegate/config/config.hpp"

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

std::shared_ptr<const config> parse(const std::string& yaml) {
    return parse_config(yaml, "/etc/icegate/icegate.yaml");
}

std::string error_of(const std::string& yaml) {
    try {
        parse(yaml);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

TEST(ConfigShutdown, Defaults) {
    const auto c = parse("realm: a\n");
    EXPECT_EQ(c->shutdown.grace, std::chrono::seconds(30));
    EXPECT_FALSE(c->shutdown.alternate_server);
}

TEST(ConfigShutdown, GraceAndAlternate) {
    const auto c = parse("shutdown:\n  grace: 2m\n  alternate_server: 203.0.113.7:3478\n");
    EXPECT_EQ(c->shutdown.grace, std::chrono::seconds(120));
    ASSERT_TRUE(c->shutdown.alternate_server);
    EXPECT_EQ(c->shutdown.alternate_server->address.to_string(), "203.0.113.7");
    EXPECT_EQ(c->shutdown.alternate_server->port, 3478);
    const auto v6 = parse("shutdown: {alternate_server: \"[2001:db8::7]:3478\"}\n");
    EXPECT_TRUE(v6->shutdown.alternate_server->address.is_v6());
}

TEST(ConfigShutdown, ZeroGraceMeansNoDrain) {
    EXPECT_EQ(parse("shutdown: {grace: 0s}\n")->shutdown.grace, std::chrono::seconds(0));
    // An empty alternate is unset, as null is.
    EXPECT_FALSE(parse("shutdown: {alternate_server: \"\"}\n")->shutdown.alternate_server);
    EXPECT_FALSE(parse("shutdown: {alternate_server: null}\n")->shutdown.alternate_server);
}

TEST(ConfigShutdown, Errors) {
    EXPECT_EQ(error_of("shutdown:\n  grace: 2h\n"),
              "icegate.yaml:2: shutdown.grace: expected a duration of at most 1h (0s: no drain), "
              "got \"2h\"");
    EXPECT_EQ(error_of("shutdown:\n  grace: 30\n")
                  .rfind("icegate.yaml:2: shutdown.grace: "
                         "expected a duration with a unit",
                         0),
              0u);
    EXPECT_EQ(error_of("shutdown:\n  alternate_server: 203.0.113.7:0\n"),
              "icegate.yaml:2: shutdown.alternate_server: expected an address and port such as "
              "203.0.113.7:3478 (port not 0), got \"203.0.113.7:0\"");
    EXPECT_NE(error_of("shutdown:\n  alternate_server: turn.example.com:3478\n"), "no error");
    EXPECT_EQ(error_of("shutdown:\n  grase: 1s\n"), "icegate.yaml:2: shutdown.grase: unknown key");
}

TEST(ConfigShutdown, EffectiveConfigRoundTrips) {
    const auto c = parse("shutdown:\n  grace: 0s\n  alternate_server: \"[2001:db8::7]:3478\"\n");
    const std::string out = to_yaml(*c);
    EXPECT_NE(out.find("shutdown:\n  grace: 0s\n  alternate_server: \"[2001:db8::7]:3478\""),
              std::string::npos)
        << out;
    const auto again = parse_config(out, "");
    EXPECT_EQ(again->shutdown.grace, std::chrono::seconds(0));
    EXPECT_EQ(again->shutdown.alternate_server->port, 3478);
    EXPECT_NE(to_yaml(*parse("realm: a\n")).find("shutdown:\n  grace: 30s\n  alternate_server: ~"),
              std::string::npos);
}

} // namespace
} // namespace icegate::app
