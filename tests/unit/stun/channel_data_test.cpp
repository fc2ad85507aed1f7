// ChannelData parse/build and first-byte classification.
#include <gtest/gtest.h>

#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/error.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

TEST(Classify, FirstTwoBits) {
    EXPECT_EQ(classify(from_hex("00")), packet_kind::stun);
    EXPECT_EQ(classify(from_hex("3f")), packet_kind::stun);
    EXPECT_EQ(classify(from_hex("40")), packet_kind::channel_data);
    EXPECT_EQ(classify(from_hex("7f")), packet_kind::channel_data);
    EXPECT_EQ(classify(from_hex("80")), packet_kind::other); // RTP
    EXPECT_EQ(classify(from_hex("16")), packet_kind::stun);  // DTLS 20-63 shares 0b00
    EXPECT_EQ(classify(from_hex("ff")), packet_kind::other);
    EXPECT_EQ(classify({}), packet_kind::other);
}

TEST(ChannelData, Parse) {
    const bytes m = from_hex("4001 0003 aabbcc");
    auto c = channel_data::parse(m);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->channel, 0x4001);
    EXPECT_EQ(c->data.size(), 3u);
    EXPECT_EQ(c->data.data(), m.data() + 4);
    EXPECT_TRUE(channel_data::parse(from_hex("4fff 0000")));
}

TEST(ChannelData, AcceptsAnyChannelWithTheRightBitsAndLetsTheCallerCheck) {
    auto c = channel_data::parse(from_hex("7fff 0000"));
    ASSERT_TRUE(c);
    EXPECT_FALSE(is_valid_channel_number(c->channel));
    EXPECT_TRUE(is_valid_channel_number(0x4000));
    EXPECT_TRUE(is_valid_channel_number(0x4fff));
    EXPECT_FALSE(is_valid_channel_number(0x5000));
    EXPECT_EQ(channel_data::parse(from_hex("8000 0000")).error(),
              make_error_code(errc::not_channel_data));
    EXPECT_EQ(channel_data::parse(from_hex("0001 0000")).error(),
              make_error_code(errc::not_channel_data));
}

TEST(ChannelData, LengthMustFitAndPaddingIsAtMostThreeBytes) {
    EXPECT_EQ(channel_data::parse(from_hex("400100")).error(), make_error_code(errc::truncated));
    EXPECT_EQ(channel_data::parse(from_hex("4001 0004 aabbcc")).error(),
              make_error_code(errc::bad_length));
    EXPECT_EQ(channel_data::parse(from_hex("4001 0001 aa000000"))->data.size(), 1u);
    EXPECT_EQ(channel_data::parse(from_hex("4001 0001 aa00000000")).error(),
              make_error_code(errc::bad_length));
}

TEST(ChannelData, BuildDatagramAndStream) {
    const bytes payload = {1, 2, 3, 4, 5};
    const channel_data c{0x4002, payload};
    bytes out(16, 0xEE);
    auto n = c.build(out, channel_framing::datagram);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 9u);
    EXPECT_EQ(bytes(out.begin(), out.begin() + 9), from_hex("4002 0005 0102030405"));
    EXPECT_EQ(out[9], 0xEE);
    n = c.build(out, channel_framing::stream);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 12u);
    EXPECT_EQ(bytes(out.begin(), out.begin() + 12), from_hex("4002 0005 0102030405 000000"));
    EXPECT_EQ(c.wire_size(channel_framing::stream), 12u);
}

TEST(ChannelData, BuildErrors) {
    const bytes payload(5);
    bytes out(11);
    EXPECT_EQ(channel_data({0x4000, payload}).build(out, channel_framing::stream).error(),
              make_error_code(errc::buffer_too_small));
    EXPECT_TRUE(channel_data({0x4000, payload}).build(out, channel_framing::datagram));
    const bytes huge(0x10000);
    bytes big(0x10010);
    EXPECT_EQ(channel_data({0x4000, huge}).build(big, channel_framing::datagram).error(),
              make_error_code(errc::value_too_long));
}

} // namespace
} // namespace icegate::stun
