// Tests for src/logging/setup: the text and JSON line shapes, escaping, level filtering, the five
// named loggers, and reloading.
#include "icegate/logging/setup.hpp"

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace icegate::logging {
namespace {

using app::log_config;
using app::log_format;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

log_config text_at(const std::string& level) {
    return log_config{level, log_format::text};
}
log_config json_at(const std::string& level) {
    return log_config{level, log_format::json};
}

class LoggingTest : public ::testing::Test {
protected:
    // The registry must not outlive the streams the tests hand it; later suites in this binary
    // still find the five loggers (on stdout, quiet).
    void TearDown() override { setup_logging(text_at("warn")); }
};

TEST_F(LoggingTest, TextLineShape) {
    std::ostringstream out;
    setup_logging(text_at("info"), out);
    spdlog::get("net")->info("hello {}", 42);
    spdlog::get("turn")->warn("careful");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 2U) << out.str();
    const std::regex ts(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(\S+ info  net: hello 42)")));
    EXPECT_TRUE(std::regex_match(lines[0].substr(0, 24), ts)) << lines[0];
    EXPECT_EQ(lines[1].substr(24), " warn  turn: careful");
}

TEST_F(LoggingTest, TimestampIsUtc) {
    std::ostringstream out;
    setup_logging(json_at("info"), out);
    const std::time_t before = std::time(nullptr);
    spdlog::get("app")->info("now");
    const std::time_t after = std::time(nullptr);
    const std::string ts = nlohmann::json::parse(out.str())["ts"];
    std::tm tm{};
    ASSERT_NE(::strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << ts;
    const std::time_t logged = ::timegm(&tm);
    EXPECT_GE(logged, before);
    EXPECT_LE(logged, after);
}

TEST_F(LoggingTest, TextEscapesControlCharacters) {
    std::ostringstream out;
    setup_logging(text_at("info"), out);
    spdlog::get("signal")->info("{}", "line1\nfake 2026 error app: forged\x01\t.");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 1U) << out.str();
    EXPECT_NE(lines[0].find(R"(signal: line1\nfake 2026 error app: forged\x01\t.)"),
              std::string::npos)
        << lines[0];
}

TEST_F(LoggingTest, JsonLinesParseAndCarryFields) {
    std::ostringstream out;
    setup_logging(json_at("debug"), out);
    const std::string tricky = "say \"hi\" \\ path\nnext\x01 end\x7f caf\xc3\xa9";
    spdlog::get("stun")->debug("{}", tricky);
    spdlog::get("app")->error("plain");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 2U) << out.str();
    const auto first = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(first.size(), 4U);
    EXPECT_EQ(first["level"], "debug");
    EXPECT_EQ(first["logger"], "stun");
    EXPECT_EQ(first["msg"], tricky);
    EXPECT_TRUE(std::regex_match(first["ts"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
    EXPECT_NE(lines[0].find(R"(\u0001)"), std::string::npos) << lines[0];
    const auto second = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(second["level"], "error");
    EXPECT_EQ(second["logger"], "app");
    EXPECT_EQ(second["msg"], "plain");
}

TEST_F(LoggingTest, JsonReplacesIllFormedUtf8) {
    std::ostringstream out;
    setup_logging(json_at("info"), out);
    spdlog::get("turn")->info("{}", std::string("user \xff\xc0\x80 \xed\xa0\x80 \xe2\x82"));
    const auto line = nlohmann::json::parse(out.str());
    EXPECT_EQ(line["msg"], "user \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
}

TEST_F(LoggingTest, LevelFiltering) {
    std::ostringstream out;
    setup_logging(text_at("info"), out);
    spdlog::get("net")->debug("hidden");
    spdlog::get("net")->trace("hidden too");
    spdlog::get("net")->info("shown");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 1U) << out.str();
    EXPECT_NE(lines[0].find("shown"), std::string::npos);

    std::ostringstream quiet;
    setup_logging(text_at("error"), quiet);
    spdlog::get("app")->warn("hidden");
    spdlog::get("app")->critical("shown");
    EXPECT_EQ(lines_of(quiet.str()).size(), 1U) << quiet.str();
    EXPECT_NE(quiet.str().find(" critical app: shown"), std::string::npos) << quiet.str();
}

TEST_F(LoggingTest, UnknownLevelMeansInfo) {
    std::ostringstream out;
    setup_logging(text_at("chatty"), out);
    EXPECT_EQ(spdlog::get("app")->level(), spdlog::level::info);
}

TEST_F(LoggingTest, AllFiveLoggersExistAndAppIsDefault) {
    std::ostringstream out;
    setup_logging(text_at("info"), out);
    for (const char* name : {"stun", "turn", "signal", "net", "app"}) {
        EXPECT_NE(spdlog::get(name), nullptr) << name;
    }
    EXPECT_EQ(spdlog::default_logger(), spdlog::get("app"));
    spdlog::info("via default");
    EXPECT_NE(out.str().find(" app: via default"), std::string::npos) << out.str();
}

TEST_F(LoggingTest, ReloadReplacesLoggers) {
    std::ostringstream first;
    std::ostringstream second;
    setup_logging(json_at("info"), first);
    spdlog::get("net")->info("one");
    setup_logging(text_at("debug"), second);
    spdlog::get("net")->debug("two");
    EXPECT_EQ(lines_of(first.str()).size(), 1U) << first.str();
    ASSERT_EQ(lines_of(second.str()).size(), 1U) << second.str();
    EXPECT_NE(second.str().find(" debug net: two"), std::string::npos) << second.str();
}

TEST_F(LoggingTest, StdoutReloadUpdatesLoggersInPlace) {
    setup_logging(text_at("info"));
    const auto net = spdlog::get("net");
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(net->level(), spdlog::level::info);
    setup_logging(json_at("warn"));
    EXPECT_EQ(spdlog::get("net"), net); // pointers other threads hold stay live
    EXPECT_EQ(net->level(), spdlog::level::warn);
}

} // namespace
} // namespace icegate::logging
