#include "icegate/util/result.hpp"

#include "icegate/stun/error.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

icegate::result<std::string> parse_digit(char c) {
    if (c < '0' || c > '9') {
        return std::make_error_code(std::errc::invalid_argument);
    }
    return std::string(1, c);
}

TEST(Result, HoldsValue) {
    auto r = parse_digit('7');
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "7");
    EXPECT_EQ(r->size(), 1u);
    EXPECT_FALSE(r.error());
}

TEST(Result, HoldsError) {
    auto r = parse_digit('x');
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::make_error_code(std::errc::invalid_argument));
}

TEST(Result, AcceptsErrorCodeEnums) {
    icegate::result<int> r = icegate::stun::errc::truncated;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(icegate::stun::errc::truncated));
    EXPECT_EQ(&r.error().category(), &icegate::stun::stun_category());
}

} // namespace
