// ERROR-CODE and ADDRESS-ERROR-CODE: class/number ranges, reason limits, round trips.
#include <gtest/gtest.h>

#include <string>

#include "icegate/stun/attributes.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

TEST(ErrorCodeAttribute, Decode) {
    const bytes value = from_hex("00000401 556e617574686f72697a6564");
    auto e = error_code_attribute::decode(value);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, 401);
    EXPECT_EQ(e->reason, "Unauthorized");
    EXPECT_EQ(error_code_attribute::decode(from_hex("00000614"))->code, 620);
    EXPECT_EQ(error_code_attribute::decode(from_hex("00000300"))->code, 300);
    EXPECT_EQ(error_code_attribute::decode(from_hex("00000663"))->code, 699);
}

TEST(ErrorCodeAttribute, RejectsOutOfRangeCodes) {
    for (const char* hex : {"00000263", "00000700", "00000464", "000004ff", "00000000"}) {
        EXPECT_EQ(error_code_attribute::decode(from_hex(hex)).error(),
                  make_error_code(errc::bad_error_code))
            << hex;
    }
}

TEST(ErrorCodeAttribute, ShortBuffersAndLongReasons) {
    for (std::size_t n = 0; n < 4; ++n) {
        EXPECT_EQ(error_code_attribute::decode(bytes(n)).error(),
                  make_error_code(errc::bad_attribute_value));
    }
    bytes v = from_hex("00000400");
    v.resize(4 + 763, 'x');
    EXPECT_EQ(error_code_attribute::decode(v).error(), make_error_code(errc::value_too_long));
}

TEST(ErrorCodeAttribute, EncodeRoundTripAndRange) {
    bytes out(128);
    message_builder b(out, {method::binding, message_class::error_response}, transaction_id{});
    EXPECT_FALSE((error_code_attribute{438, "Stale Nonce"}.encode(b)));
    EXPECT_EQ(bytes(out.begin() + 24, out.begin() + 28), from_hex("00000426"));
    auto v = message_view::parse(*b.finish());
    ASSERT_TRUE(v);
    auto e = get<error_code_attribute>(*v);
    EXPECT_EQ(e->code, 438);
    EXPECT_EQ(e->reason, "Stale Nonce");
}

TEST(ErrorCodeAttribute, EncodeOutOfRangeFailsTheMessage) {
    for (std::uint16_t code : {299, 700, 0}) {
        bytes out(128);
        message_builder b(out, {method::binding, message_class::error_response}, transaction_id{});
        EXPECT_EQ((error_code_attribute{code, ""}.encode(b)),
                  make_error_code(errc::bad_error_code));
        EXPECT_EQ(b.size(), header_size);
        EXPECT_EQ(b.finish().error(), make_error_code(errc::bad_error_code));
    }
}

TEST(ErrorCodeAttribute, DefaultReasonPhrases) {
    EXPECT_EQ(default_reason_phrase(status::unknown_attribute), "Unknown Attribute");
    EXPECT_EQ(default_reason_phrase(status::insufficient_capacity), "Insufficient Capacity");
    EXPECT_EQ(default_reason_phrase(499), "");
}

TEST(AddressErrorCode, DecodeAndEncode) {
    auto e = address_error_code::decode(from_hex("02000401"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->family, address_family::ipv6);
    EXPECT_EQ(e->code, 401);
    EXPECT_EQ(address_error_code::decode(from_hex("05000440")).error(),
              make_error_code(errc::bad_address_family));
    EXPECT_EQ(address_error_code::decode(from_hex("01000700")).error(),
              make_error_code(errc::bad_error_code));
    EXPECT_FALSE(address_error_code::decode(from_hex("010004")));

    bytes out(64);
    message_builder b(out, {method::allocate, message_class::success_response}, transaction_id{});
    EXPECT_FALSE((address_error_code{address_family::ipv6, 440, "x"}.encode(b)));
    EXPECT_EQ(bytes(out.begin() + 24, out.begin() + 29), from_hex("02000428 78"));
}

} // namespace
} // namespace icegate::stun
