// Message type encoding (RFC 8489 section 5): interleaved method and class bits.
#include <gtest/gtest.h>

#include "icegate/stun/message_type.hpp"

namespace icegate::stun {
namespace {

TEST(MessageType, KnownWireValues) {
    EXPECT_EQ(encode_message_type({method::binding, message_class::request}), 0x0001);
    EXPECT_EQ(encode_message_type({method::binding, message_class::indication}), 0x0011);
    EXPECT_EQ(encode_message_type({method::binding, message_class::success_response}), 0x0101);
    EXPECT_EQ(encode_message_type({method::binding, message_class::error_response}), 0x0111);
    EXPECT_EQ(encode_message_type({method::allocate, message_class::request}), 0x0003);
    EXPECT_EQ(encode_message_type({method::allocate, message_class::error_response}), 0x0113);
    EXPECT_EQ(encode_message_type({method::refresh, message_class::success_response}), 0x0104);
    EXPECT_EQ(encode_message_type({method::send, message_class::indication}), 0x0016);
    EXPECT_EQ(encode_message_type({method::data, message_class::indication}), 0x0017);
    EXPECT_EQ(encode_message_type({method::create_permission, message_class::request}), 0x0008);
    EXPECT_EQ(encode_message_type({method::channel_bind, message_class::request}), 0x0009);
    EXPECT_EQ(encode_message_type({method::connect, message_class::request}), 0x000a);
    EXPECT_EQ(encode_message_type({method::connection_bind, message_class::request}), 0x000b);
    EXPECT_EQ(encode_message_type({method::connection_attempt, message_class::indication}), 0x001c);
}

TEST(MessageType, HighMethodBitsAreSpreadAroundTheClassBits) {
    // Method 0xFFF, class error: every bit but the top two is set.
    EXPECT_EQ(encode_message_type({static_cast<method>(0xFFF), message_class::error_response}),
              0x3FFF);
    EXPECT_EQ(encode_message_type({static_cast<method>(0x080), message_class::request}), 0x0200);
    EXPECT_EQ(encode_message_type({static_cast<method>(0x010), message_class::request}), 0x0020);
}

TEST(MessageType, RoundTripsEveryMethodAndClass) {
    for (std::uint16_t m = 0; m < 0x1000; ++m) {
        for (std::uint8_t c = 0; c < 4; ++c) {
            const message_type t{static_cast<method>(m), static_cast<message_class>(c)};
            const std::uint16_t wire = encode_message_type(t);
            ASSERT_EQ(wire & 0xC000, 0);
            ASSERT_EQ(decode_message_type(wire), t) << m << " " << int(c);
        }
    }
}

TEST(MessageType, DecodeIgnoresTheTopTwoBits) {
    EXPECT_EQ(decode_message_type(0xC101),
              (message_type{method::binding, message_class::success_response}));
}

TEST(MessageType, ResponseClasses) {
    EXPECT_TRUE(is_response(message_class::success_response));
    EXPECT_TRUE(is_response(message_class::error_response));
    EXPECT_FALSE(is_response(message_class::request));
    EXPECT_FALSE(is_response(message_class::indication));
}

} // namespace
} // namespace icegate::stun
