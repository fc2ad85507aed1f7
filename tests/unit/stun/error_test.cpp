// The stun error category and its use through icegate::result.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "icegate/stun/error.hpp"
#include "icegate/util/result.hpp"

namespace icegate::stun {
namespace {

TEST(Error, CategoryAndMessages) {
    EXPECT_STREQ(stun_category().name(), "stun");
    std::set<std::string> messages;
    for (int e = static_cast<int>(errc::truncated); e <= static_cast<int>(errc::not_channel_data);
         ++e) {
        const std::error_code ec = static_cast<errc>(e);
        EXPECT_EQ(&ec.category(), &stun_category());
        EXPECT_TRUE(static_cast<bool>(ec));
        messages.insert(ec.message());
    }
    const std::size_t count = static_cast<std::size_t>(errc::not_channel_data);
    EXPECT_EQ(messages.size(), count); // every code has its own text
    EXPECT_EQ(messages.count("unknown STUN error"), 0u);
}

TEST(Error, ResultCarriesTheCode) {
    result<int> r = errc::bad_length;
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error(), errc::bad_length);
    EXPECT_NE(r.error(), errc::truncated);
    result<int> ok = 5;
    EXPECT_FALSE(ok.error());
}

} // namespace
} // namespace icegate::stun
