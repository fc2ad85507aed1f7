// The user-name rule shared by the config loader and the admin commands.
#include "icegate/config/user_name.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

TEST(UserName, AcceptsOrdinaryNames) {
    for (const std::string name : {"alice", "bob@example.org", "jos\xc3\xa9", "a b", "1:2"}) {
        EXPECT_EQ(check_user_name(name), "") << name;
    }
    EXPECT_EQ(check_user_name(std::string(512, 'x')), "");
}

TEST(UserName, RejectsBadNames) {
    EXPECT_NE(check_user_name(""), "");
    EXPECT_NE(check_user_name(std::string(513, 'x')), "");
    for (const std::string& name :
         std::vector<std::string>{"a\tb", "a\nb", std::string("a\0b", 3), "del\x7f"}) {
        EXPECT_NE(check_user_name(name).find("control"), std::string::npos);
    }
    for (const std::string name : {"\xff", "ab\xc3", "\xc3(", "\x80"}) {
        EXPECT_NE(check_user_name(name).find("UTF-8"), std::string::npos);
    }
}

// Ill-formed sequences a lead-byte-and-length scan would pass: overlong forms, a surrogate,
// a code point past U+10FFFF.
TEST(UserName, RejectsIllFormedUtf8ThatLooksWellShaped) {
    for (const std::string name :
         {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80"}) {
        EXPECT_NE(check_user_name(name).find("UTF-8"), std::string::npos);
    }
}

TEST(UserName, ControlBytes) {
    EXPECT_FALSE(has_control_byte("icegate.test"));
    EXPECT_FALSE(has_control_byte("jos\xc3\xa9"));
    EXPECT_TRUE(has_control_byte("a\x1f"));
    EXPECT_TRUE(has_control_byte("\x7f"));
}

} // namespace
} // namespace icegate::app
