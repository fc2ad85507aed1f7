// Integer, flag, bytes, string and fixed-size attributes: sizes, limits, round trips.
#include <gtest/gtest.h>

#include <string>

#include "icegate/stun/attributes.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

TEST(SimpleAttributes, U32NeedsExactlyFourBytes) {
    EXPECT_EQ(lifetime::decode(from_hex("00000258"))->value, 600u);
    EXPECT_EQ(connection_id::decode(from_hex("deadbeef"))->value, 0xdeadbeefu);
    for (std::size_t n : {0, 1, 2, 3, 5, 8}) {
        EXPECT_EQ(priority::decode(bytes(n)).error(), make_error_code(errc::bad_attribute_value))
            << n;
    }
}

TEST(SimpleAttributes, U64NeedsExactlyEightBytes) {
    EXPECT_EQ(ice_controlling::decode(from_hex("0102030405060708"))->value, 0x0102030405060708u);
    for (std::size_t n : {0, 4, 7, 9}) {
        EXPECT_FALSE(ice_controlled::decode(bytes(n))) << n;
    }
}

TEST(SimpleAttributes, FlagsMustBeEmpty) {
    EXPECT_TRUE(dont_fragment::decode({}));
    EXPECT_EQ(use_candidate::decode(bytes(1)).error(), make_error_code(errc::bad_attribute_value));
}

TEST(SimpleAttributes, BytesAreAViewOfAnyLength) {
    const bytes value = {1, 2, 3};
    auto d = data::decode(value);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->value.data(), value.data());
    EXPECT_EQ(d->value.size(), 3u);
    EXPECT_TRUE(padding::decode({}));
}

TEST(SimpleAttributes, StringLimits) {
    EXPECT_TRUE(username::decode(bytes(512, 'u')));
    EXPECT_EQ(username::decode(bytes(513, 'u')).error(), make_error_code(errc::value_too_long));
    EXPECT_TRUE(realm::decode(bytes(762, 'r')));
    EXPECT_EQ(realm::decode(bytes(763, 'r')).error(), make_error_code(errc::value_too_long));
    EXPECT_TRUE(nonce::decode(bytes(762, 'n')));
    EXPECT_EQ(nonce::decode(bytes(763, 'n')).error(), make_error_code(errc::value_too_long));
    EXPECT_TRUE(software::decode(bytes(762, 's')));
    EXPECT_EQ(software::decode(bytes(763, 's')).error(), make_error_code(errc::value_too_long));
    EXPECT_TRUE(alternate_domain::decode(bytes(255, 'd')));
    EXPECT_FALSE(alternate_domain::decode(bytes(256, 'd')));

    bytes out(2048);
    message_builder b(out, {method::binding, message_class::request}, transaction_id{});
    const std::string long_name(513, 'u');
    EXPECT_EQ(username{long_name}.encode(b), make_error_code(errc::value_too_long));
    EXPECT_EQ(b.size(), header_size);
}

TEST(SimpleAttributes, FixedBytesNeedTheirExactSize) {
    EXPECT_TRUE(reservation_token::decode(bytes(8, 1)));
    EXPECT_FALSE(reservation_token::decode(bytes(7, 1)));
    EXPECT_FALSE(reservation_token::decode(bytes(9, 1)));
    EXPECT_TRUE(userhash::decode(bytes(32, 1)));
    EXPECT_FALSE(userhash::decode(bytes(31, 1)));
    EXPECT_EQ(reservation_token::decode(from_hex("0102030405060708"))->value,
              (std::array<std::uint8_t, 8>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(SimpleAttributes, RoundTripThroughAMessage) {
    bytes out(512);
    message_builder b(out, {method::allocate, message_class::request}, transaction_id{7});
    EXPECT_FALSE(lifetime{3600}.encode(b));
    EXPECT_FALSE(ice_controlling{0xfedcba9876543210}.encode(b));
    EXPECT_FALSE(dont_fragment{}.encode(b));
    EXPECT_FALSE((data{bytes{9, 8, 7}}.encode(b)));
    EXPECT_FALSE(realm{"icegate.test"}.encode(b));
    EXPECT_FALSE((reservation_token{{1, 2, 3, 4, 5, 6, 7, 8}}.encode(b)));
    auto v = message_view::parse(*b.finish());
    ASSERT_TRUE(v);
    EXPECT_EQ(get<lifetime>(*v)->value, 3600u);
    EXPECT_EQ(get<ice_controlling>(*v)->value, 0xfedcba9876543210u);
    EXPECT_TRUE(get<dont_fragment>(*v));
    EXPECT_EQ(bytes(get<data>(*v)->value.begin(), get<data>(*v)->value.end()), (bytes{9, 8, 7}));
    EXPECT_EQ(get<realm>(*v)->value, "icegate.test");
    EXPECT_EQ(get<reservation_token>(*v)->value[7], 8);
    EXPECT_EQ(get<nonce>(*v).error(), make_error_code(errc::attribute_missing));
}

} // namespace
} // namespace icegate::stun
