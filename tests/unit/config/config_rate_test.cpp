// limits.*_bandwidth: rates in bits per second ("2mbit", "500kbit", "1gbit", plain numbers),
// strict about units, errors naming file, line and key, printed back in the shortest form.
#include <gtest/gtest.h>

#include "icegate/config/config.hpp"

namespace icegate::app {
namespace {

std::shared_ptr<const config> with_limit(const std::string& key, const std::string& value) {
    return parse_config("limits:\n  " + key + ": " + value + "\n", "/etc/icegate/icegate.yaml");
}

std::string error_of(const std::string& key, const std::string& value) {
    try {
        with_limit(key, value);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

const std::string expected =
    "expected a rate in bits per second: a whole number with kbit, mbit or gbit (500kbit, "
    "2mbit, 1gbit) or a plain number of bits per second; 0: no cap, got ";

TEST(ConfigRate, UnlimitedByDefault) {
    const auto c = parse_config("", "/etc/icegate/icegate.yaml");
    EXPECT_EQ(c->limits.allocation_bandwidth, 0u);
    EXPECT_EQ(c->limits.user_bandwidth, 0u);
    EXPECT_EQ(c->limits.total_bandwidth, 0u);
}

TEST(ConfigRate, UnitsAreDecimalBitsPerSecond) {
    const std::vector<std::pair<std::string, std::uint64_t>> good{
        {"2mbit", 2'000'000},
        {"500kbit", 500'000},
        {"1gbit", 1'000'000'000},
        {"1500000", 1'500'000},
        {"0", 0},
        {"0mbit", 0},
        {"64000", 64'000},
        {"1000gbit", 1'000'000'000'000},
        {"\"2mbit\"", 2'000'000},
    };
    for (const auto& [text, bps] : good) {
        for (const char* key : {"allocation_bandwidth", "user_bandwidth", "total_bandwidth"}) {
            const auto c = with_limit(key, text);
            const auto& l = c->limits;
            const std::uint64_t got = std::string(key) == "allocation_bandwidth"
                                          ? l.allocation_bandwidth
                                      : std::string(key) == "user_bandwidth" ? l.user_bandwidth
                                                                             : l.total_bandwidth;
            EXPECT_EQ(got, bps) << key << ": " << text;
        }
    }
}

TEST(ConfigRate, StrictAboutUnitsAndNamesTheKey) {
    const std::string at = "icegate.yaml:2: limits.allocation_bandwidth: ";
    EXPECT_EQ(error_of("allocation_bandwidth", "2mb"),
              at + expected + "\"2mb\" (bits or bytes? write kbit, mbit or gbit)");
    EXPECT_EQ(error_of("allocation_bandwidth", "2MB"),
              at + expected + "\"2MB\" (bits or bytes? write kbit, mbit or gbit)");
    EXPECT_EQ(error_of("allocation_bandwidth", "2mbps"),
              at + expected + "\"2mbps\" (bits or bytes? write kbit, mbit or gbit)");
    EXPECT_EQ(error_of("allocation_bandwidth", "2Mbit"),
              at + expected + "\"2Mbit\" (units are lowercase: mbit)");
    EXPECT_EQ(error_of("allocation_bandwidth", "2 mbit"),
              at + expected + "\"2 mbit\" (no space before the unit: 2mbit)");
    EXPECT_EQ(error_of("allocation_bandwidth", "1.5mbit"),
              at + expected + "\"1.5mbit\" (whole numbers only: 1500kbit, not 1.5mbit)");
    EXPECT_EQ(error_of("allocation_bandwidth", "2tbit"), at + expected + "\"2tbit\"");
    EXPECT_EQ(error_of("allocation_bandwidth", "-1"), at + expected + "\"-1\"");
    EXPECT_EQ(error_of("allocation_bandwidth", "mbit"), at + expected + "\"mbit\"");
    EXPECT_EQ(error_of("allocation_bandwidth", "0x10"), at + expected + "\"0x10\"");
    EXPECT_EQ(error_of("allocation_bandwidth", "[1]"), at + expected + "a list");
    EXPECT_EQ(error_of("user_bandwidth", "1001gbit"),
              "icegate.yaml:2: limits.user_bandwidth: expected a rate of at most 1000gbit, got "
              "\"1001gbit\"");
    EXPECT_EQ(error_of("total_bandwidth", "99999999999999999999"),
              "icegate.yaml:2: limits.total_bandwidth: " + expected + "\"99999999999999999999\"");
}

TEST(ConfigRate, PrintedBackInTheShortestExactForm) {
    const auto c = parse_config("limits:\n  allocation_bandwidth: 2000kbit\n"
                                "  user_bandwidth: 1500000\n  total_bandwidth: 1234\n",
                                "/etc/icegate/icegate.yaml");
    const std::string out = to_yaml(*c);
    EXPECT_NE(out.find("allocation_bandwidth: 2mbit\n"), std::string::npos) << out;
    EXPECT_NE(out.find("user_bandwidth: 1500kbit\n"), std::string::npos) << out;
    EXPECT_NE(out.find("total_bandwidth: 1234\n"), std::string::npos) << out;
    const auto again = parse_config(out, "/elsewhere/icegate.yaml");
    EXPECT_EQ(again->limits.allocation_bandwidth, 2'000'000u);
    EXPECT_EQ(again->limits.user_bandwidth, 1'500'000u);
    EXPECT_EQ(again->limits.total_bandwidth, 1234u);
    const std::string unlimited = to_yaml(*parse_config("", "/etc/icegate/icegate.yaml"));
    EXPECT_NE(unlimited.find("allocation_bandwidth: 0\n"), std::string::npos) << unlimited;
}

} // namespace
} // namespace icegate::app
