// The line formatter on its own: one log record in, exactly one escaped line out.
#include "icegate/logging/line_formatter.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

namespace icegate::logging {
namespace {

std::string format(line_style style, std::string_view logger, std::string_view text) {
    const spdlog::details::log_msg msg(spdlog::string_view_t(logger.data(), logger.size()),
                                       spdlog::level::warn,
                                       spdlog::string_view_t(text.data(), text.size()));
    spdlog::memory_buf_t out;
    make_line_formatter(style)->format(msg, out);
    return std::string(out.data(), out.size());
}

TEST(LineFormatter, TextIsOneLineWhateverTheMessage) {
    const auto line = format(line_style::text, "net", "a\nfake 2026 info app: b\x1b[31m");
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_NE(line.find(" warn  net: a\\nfake 2026 info app: b\\x1b[31m\n"), std::string::npos)
        << line;
}

TEST(LineFormatter, JsonLineParsesWithTheExactMessage) {
    const auto line = format(line_style::json, "turn", "quote \" and \xff end");
    ASSERT_EQ(line.back(), '\n');
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["level"], "warn");
    EXPECT_EQ(j["logger"], "turn");
    EXPECT_EQ(j["msg"], "quote \" and \xEF\xBF\xBD end"); // ill-formed byte -> U+FFFD
    EXPECT_EQ(j["ts"].get<std::string>().back(), 'Z');
}

TEST(LineFormatter, ClonesKeepTheStyle) {
    const auto f = make_line_formatter(line_style::json);
    const auto copy = f->clone();
    const spdlog::details::log_msg msg("app", spdlog::level::info, "x");
    spdlog::memory_buf_t out;
    copy->format(msg, out);
    EXPECT_EQ(out.data()[0], '{');
}

} // namespace
} // namespace icegate::logging
