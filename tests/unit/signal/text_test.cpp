// Tests for UTF-8 counting, the control-character policy, session-id shape and the depth scan.
#include "text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace icegate::signal {
namespace {

TEST(SignalText, CountsCodePoints) {
    EXPECT_EQ(count_chars("", control_policy::forbid), 0u);
    EXPECT_EQ(count_chars("abc", control_policy::forbid), 3u);
    EXPECT_EQ(count_chars("Caf\xc3\xa9", control_policy::forbid), 4u);
    EXPECT_EQ(count_chars("\xe6\x97\xa5\xe6\x9c\xac", control_policy::forbid), 2u);
    EXPECT_EQ(count_chars("\xf0\x9f\x98\x80", control_policy::forbid), 1u);
    EXPECT_EQ(count_chars("\xf4\x8f\xbf\xbf", control_policy::forbid), 1u); // U+10FFFF
}

TEST(SignalText, RefusesIllFormedUtf8) {
    for (const char* bad : {"\x80", "\xc3", "\xc3\x28", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
                            "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80",
                            "\xf5\x80\x80\x80", "\xff", "\xe2\x82", "a\xf0\x9f\x98"}) {
        EXPECT_FALSE(count_chars(bad, control_policy::allow_whitespace)) << bad;
    }
}

TEST(SignalText, ControlPolicy) {
    for (const std::string& s : {std::string(1, '\0'), std::string("\x1f"), std::string("\x7f"),
                                 std::string("\xc2\x80"), std::string("\xc2\x9f")}) {
        EXPECT_FALSE(count_chars(s, control_policy::forbid));
        EXPECT_FALSE(count_chars(s, control_policy::allow_whitespace));
    }
    for (const char* ws : {"\t", "\n", "\r"}) {
        EXPECT_FALSE(count_chars(ws, control_policy::forbid));
        EXPECT_EQ(count_chars(ws, control_policy::allow_whitespace), 1u);
    }
    EXPECT_EQ(count_chars("\xc2\xa0", control_policy::forbid), 1u); // NBSP is not a control
}

TEST(SignalText, Token) {
    EXPECT_TRUE(is_token("k3Jd-_~", 64));
    EXPECT_FALSE(is_token("", 64));
    EXPECT_FALSE(is_token("a b", 64));
    EXPECT_FALSE(is_token("\x7f", 64));
    EXPECT_FALSE(is_token("\xc3\xa9", 64));
    EXPECT_TRUE(is_token(std::string(64, 'a'), 64));
    EXPECT_FALSE(is_token(std::string(65, 'a'), 64));
}

TEST(SignalText, Depth) {
    EXPECT_FALSE(nests_deeper_than("{}", 1));
    EXPECT_TRUE(nests_deeper_than("{[]}", 1));
    EXPECT_FALSE(nests_deeper_than("[][][]", 1));
    EXPECT_FALSE(nests_deeper_than(R"({"a":"[[[[\"[["})", 1));
    EXPECT_TRUE(nests_deeper_than(R"({"a":"\\",[[]]})", 2));
    EXPECT_FALSE(nests_deeper_than("]]]][", 1));
}

} // namespace
} // namespace icegate::signal
