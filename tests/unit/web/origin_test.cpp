// The WebSocket upgrade's Origin check (origin_allowed, include/icegate/web/origin.hpp): same
// origin by default, or exactly the configured list.
#include "icegate/web/origin.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

TEST(OriginAllowed, SameOriginWhenNoList) {
    const std::vector<std::string> none;
    EXPECT_TRUE(origin_allowed("", "127.0.0.1:8443", none)); // not a browser
    EXPECT_TRUE(origin_allowed("https://127.0.0.1:8443", "127.0.0.1:8443", none));
    EXPECT_TRUE(origin_allowed("HTTPS://Example.com", "example.COM", none));
    EXPECT_TRUE(origin_allowed("https://[::1]:8443", "[::1]:8443", none));
    EXPECT_FALSE(origin_allowed("http://127.0.0.1:8443", "127.0.0.1:8443", none));
    EXPECT_FALSE(origin_allowed("https://127.0.0.1:8444", "127.0.0.1:8443", none));
    EXPECT_FALSE(origin_allowed("https://127.0.0.1", "127.0.0.1:8443", none));
    EXPECT_FALSE(origin_allowed("https://evil.example", "127.0.0.1:8443", none));
    EXPECT_FALSE(origin_allowed("https://127.0.0.1:8443/", "127.0.0.1:8443", none));
    EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8443", none));
    EXPECT_FALSE(origin_allowed("https://", "", none));
    EXPECT_FALSE(origin_allowed("https://x", "", none));
}

TEST(OriginAllowed, ListReplacesSameOrigin) {
    const std::vector<std::string> list{"https://ok.example", "https://b.example:8443"};
    EXPECT_TRUE(origin_allowed("https://ok.example", "127.0.0.1:8443", list));
    EXPECT_TRUE(origin_allowed("HTTPS://OK.EXAMPLE", "127.0.0.1:8443", list));
    EXPECT_TRUE(origin_allowed("https://b.example:8443", "127.0.0.1:8443", list));
    EXPECT_TRUE(origin_allowed("", "127.0.0.1:8443", list));
    EXPECT_FALSE(origin_allowed("https://127.0.0.1:8443", "127.0.0.1:8443", list));
    EXPECT_FALSE(origin_allowed("https://ok.example:443", "127.0.0.1:8443", list));
    EXPECT_FALSE(origin_allowed("https://b.example", "127.0.0.1:8443", list));
    EXPECT_FALSE(origin_allowed("http://ok.example", "127.0.0.1:8443", list));
    EXPECT_FALSE(origin_allowed("https://ok.example.evil.example", "127.0.0.1:8443", list));
    EXPECT_FALSE(origin_allowed("https://evil.example", "ok.example", list));
}

} // namespace
} // namespace icegate::app
