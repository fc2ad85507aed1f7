// limits.unauthenticated_answer_rate, limits.unauthenticated_answer_burst, limits.allocation_rate:
// defaults, ranges (0 turns a rate off; a burst is at least 1), errors naming the key, printed
// back by the effective config so that it loads again as the same values.
#include <gtest/gtest.h>

#include "icegate/config/config.hpp"

namespace icegate::app {
namespace {

const std::filesystem::path file = "/etc/icegate/icegate.yaml";

std::string error_of(const std::string& yaml) {
    try {
        parse_config(yaml, file);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

TEST(ConfigPreauth, Defaults) {
    const auto c = parse_config("", file);
    EXPECT_EQ(c->limits.unauthenticated_answer_rate, 10u);
    EXPECT_EQ(c->limits.unauthenticated_answer_burst, 20u);
    EXPECT_EQ(c->limits.allocation_rate, 20u);
}

TEST(ConfigPreauth, ValuesAndZeroTurnsRatesOff) {
    const auto c = parse_config("limits:\n  unauthenticated_answer_rate: 0\n"
                                "  unauthenticated_answer_burst: 1\n  allocation_rate: 0\n",
                                file);
    EXPECT_EQ(c->limits.unauthenticated_answer_rate, 0u);
    EXPECT_EQ(c->limits.unauthenticated_answer_burst, 1u);
    EXPECT_EQ(c->limits.allocation_rate, 0u);
    const auto d = parse_config("limits:\n  unauthenticated_answer_rate: 1000000\n"
                                "  unauthenticated_answer_burst: 500\n  allocation_rate: 3\n",
                                file);
    EXPECT_EQ(d->limits.unauthenticated_answer_rate, 1000000u);
    EXPECT_EQ(d->limits.unauthenticated_answer_burst, 500u);
    EXPECT_EQ(d->limits.allocation_rate, 3u);
}

TEST(ConfigPreauth, OutOfRangeNamesTheKey) {
    EXPECT_NE(error_of("limits:\n  unauthenticated_answer_burst: 0\n")
                  .find("icegate.yaml:2: limits.unauthenticated_answer_burst"),
              std::string::npos);
    EXPECT_NE(error_of("limits:\n  unauthenticated_answer_rate: 1000001\n")
                  .find("icegate.yaml:2: limits.unauthenticated_answer_rate"),
              std::string::npos);
    EXPECT_NE(error_of("limits:\n  allocation_rate: -1\n").find("limits.allocation_rate"),
              std::string::npos);
    EXPECT_NE(error_of("limits:\n  allocation_rate: fast\n").find("limits.allocation_rate"),
              std::string::npos);
}

TEST(ConfigPreauth, PrintedBackAndLoadedAgain) {
    const auto c = parse_config("limits:\n  unauthenticated_answer_rate: 7\n"
                                "  unauthenticated_answer_burst: 9\n  allocation_rate: 0\n",
                                file);
    const std::string out = to_yaml(*c);
    EXPECT_NE(out.find("unauthenticated_answer_rate: 7\n"), std::string::npos) << out;
    EXPECT_NE(out.find("unauthenticated_answer_burst: 9\n"), std::string::npos) << out;
    EXPECT_NE(out.find("allocation_rate: 0\n"), std::string::npos) << out;
    const auto again = parse_config(out, file);
    EXPECT_EQ(again->limits.unauthenticated_answer_rate, 7u);
    EXPECT_EQ(again->limits.unauthenticated_answer_burst, 9u);
    EXPECT_EQ(again->limits.allocation_rate, 0u);
}

} // namespace
} // namespace icegate::app
