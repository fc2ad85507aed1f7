// interface_watcher: the host's address list (read once, sorted, no duplicates) and the log
// line that says what changed.
#include "icegate/net/interface_watcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace icegate::net {
namespace {

using stun::transport_address;

transport_address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                     std::uint16_t port = 0) {
    return transport_address::v4({a, b, c, d}, port);
}

TEST(InterfaceWatcher, ListsTheHostAddressesSortedOnce) {
    const auto list = interface_addresses();
    ASSERT_TRUE(list);
    EXPECT_TRUE(std::is_sorted(list->begin(), list->end()));
    EXPECT_EQ(std::adjacent_find(list->begin(), list->end()), list->end());
    for (const auto& a : *list) {
        EXPECT_EQ(a.port, 0);
    }
}

TEST(InterfaceWatcher, DescribesWhatChanged) {
    const std::vector<transport_address> before = {v4(127, 0, 0, 1), v4(198, 51, 100, 10)};
    const std::vector<transport_address> after = {v4(127, 0, 0, 1), v4(198, 51, 100, 11),
                                                  v4(198, 51, 100, 12)};
    EXPECT_EQ(describe_change(before, after),
              "added 198.51.100.11, 198.51.100.12; removed 198.51.100.10");
    EXPECT_EQ(describe_change(after, before),
              "added 198.51.100.10; removed 198.51.100.11, 198.51.100.12");
    std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    b[15] = 1;
    EXPECT_EQ(describe_change({}, {transport_address::v6(b, 0)}), "added 2001:db8::1");
    std::vector<transport_address> many;
    for (std::uint8_t i = 1; i <= 10; ++i) {
        many.push_back(v4(203, 0, 113, i));
    }
    EXPECT_EQ(describe_change({}, many),
              "added 203.0.113.1, 203.0.113.2, 203.0.113.3, 203.0.113.4, 203.0.113.5, "
              "203.0.113.6, 203.0.113.7, 203.0.113.8 and 2 more");
}

} // namespace
} // namespace icegate::net
