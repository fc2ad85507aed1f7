// next_frame over TCP/TLS byte streams: partial headers and bodies, padding, garbage.
#include <gtest/gtest.h>

#include "icegate/stun/error.hpp"
#include "icegate/stun/stream_framer.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

const bytes stun_message = test::raw_message(0x0001, test::tlv(0x0024, {0, 0, 0, 1})); // 28 bytes

TEST(StreamFramer, EmptyBufferAsksForAHeader) {
    auto f = next_frame({});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->size, 4u);
}

TEST(StreamFramer, PartialStunHeaderAsksForTwentyBytes) {
    for (std::size_t n = 1; n < 20; ++n) {
        auto f = next_frame(std::span(stun_message).first(n));
        ASSERT_TRUE(f) << n;
        EXPECT_EQ(f->kind, frame_kind::stun);
        EXPECT_EQ(f->size, 20u) << n;
    }
}

TEST(StreamFramer, PartialBodyAsksForTheWholeMessage) {
    auto f = next_frame(std::span(stun_message).first(22));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->size, 28u);
    EXPECT_EQ(f->message_size, 28u);
}

TEST(StreamFramer, TwoFramesBackToBack) {
    bytes stream = stun_message;
    const bytes cd = from_hex("4001 0005 0102030405 000000");
    stream.insert(stream.end(), cd.begin(), cd.end());
    auto first = next_frame(stream);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->kind, frame_kind::stun);
    EXPECT_EQ(first->size, 28u);
    auto second = next_frame(std::span(stream).subspan(first->size));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->kind, frame_kind::channel_data);
    EXPECT_EQ(second->size, 12u);
    EXPECT_EQ(second->message_size, 9u);
    EXPECT_EQ(first->size + second->size, stream.size());
}

TEST(StreamFramer, ChannelDataPadding) {
    EXPECT_EQ(next_frame(from_hex("4001 0000"))->size, 4u);
    EXPECT_EQ(next_frame(from_hex("4001 0001"))->size, 8u);
    EXPECT_EQ(next_frame(from_hex("4001 0004"))->size, 8u);
    EXPECT_EQ(next_frame(from_hex("4001 ffff"))->size, 4u + 0x10000);
    auto partial = next_frame(from_hex("40"));
    ASSERT_TRUE(partial);
    EXPECT_EQ(partial->kind, frame_kind::channel_data);
    EXPECT_EQ(partial->size, 4u);
}

TEST(StreamFramer, GarbageIsAnError) {
    EXPECT_EQ(next_frame(from_hex("80")).error(), make_error_code(errc::not_stun));
    EXPECT_EQ(next_frame(from_hex("c0 00 00 00")).error(), make_error_code(errc::not_stun));
    // A TLS ClientHello record starts 0b00 but its "length" (0x0102) is not a multiple of 4.
    EXPECT_EQ(next_frame(from_hex("16030102 00010001 fc030300 00000000 00000000")).error(),
              make_error_code(errc::bad_length));
}

TEST(StreamFramer, StunLengthNotAMultipleOfFour) {
    bytes m = stun_message;
    m[3] = 6;
    EXPECT_EQ(next_frame(m).error(), make_error_code(errc::bad_length));
}

TEST(StreamFramer, ChannelsRunToSevenFff) {
    // RFC 5766 channels run to 0x7FFF (its clients, coturn's uclient among them, still use them).
    EXPECT_TRUE(next_frame(from_hex("7fff 0000")));
    EXPECT_TRUE(next_frame(from_hex("7ffe 0000")));
    EXPECT_TRUE(next_frame(from_hex("4fff 0000")));
}

} // namespace
} // namespace icegate::stun
