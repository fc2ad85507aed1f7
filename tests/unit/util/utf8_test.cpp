// The shared UTF-8 decoder: well-formed sequences decode to their code points, every
// ill-formed class of RFC 3629 is refused without moving the position.
#include "icegate/util/utf8.hpp"

#include <string>

#include <gtest/gtest.h>

namespace icegate::utf8 {
namespace {

TEST(Utf8, DecodesEachLength) {
    const std::string s = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
    std::size_t i = 0;
    for (const char32_t want : {U'a', U'\u00e9', U'\u65e5', U'\U0001f600', U'\U0010ffff'}) {
        const auto cp = next_code_point(s, i);
        ASSERT_TRUE(cp.has_value());
        EXPECT_EQ(*cp, want);
    }
    EXPECT_EQ(i, s.size());
    EXPECT_TRUE(is_valid(s));
    EXPECT_TRUE(is_valid(""));
}

TEST(Utf8, RefusesIllFormed) {
    for (const std::string bad : {"\x80",
                                  "\xbf",
                                  "\xc3",
                                  "\xc3\x28",
                                  "\xc0\xaf",
                                  "\xc1\xbf",
                                  "\xe0\x80\xaf",
                                  "\xe0\x9f\xbf",
                                  "\xed\xa0\x80",
                                  "\xed\xbf\xbf",
                                  "\xf0\x80\x80\xaf",
                                  "\xf0\x8f\xbf\xbf",
                                  "\xf4\x90\x80\x80",
                                  "\xf5\x80\x80\x80",
                                  "\xf8\x88\x80\x80\x80",
                                  "\xfe",
                                  "\xff",
                                  "\xe2\x82",
                                  "\xe2\x82\x28",
                                  "\xf0\x9f\x98"}) {
        std::size_t i = 0;
        EXPECT_FALSE(next_code_point(bad, i).has_value()) << testing::PrintToString(bad);
        EXPECT_EQ(i, 0u);
        EXPECT_FALSE(is_valid("ok" + bad)) << testing::PrintToString(bad);
    }
}

TEST(Utf8, BoundariesAreWellFormed) {
    for (const std::string good : {"\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
                                   "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80"}) {
        EXPECT_TRUE(is_valid(good)) << testing::PrintToString(good);
    }
}

} // namespace
} // namespace icegate::utf8
