// Plain and XOR address attributes: IPv4, IPv6, short buffers, bad families.
#include <gtest/gtest.h>

#include "icegate/stun/attributes.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

constexpr transaction_id id = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                               0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

TEST(AddressAttributes, DecodePlainIpv4AndIpv6) {
    auto v4 = mapped_address::decode(from_hex("0001 0d96 c0000201"));
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->address, transport_address::v4({192, 0, 2, 1}, 3478));
    auto v6 = other_address::decode(from_hex("0002 0d96 20010db8000000000000000000000001"));
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->address.to_string(), "[2001:db8::1]:3478");
}

TEST(AddressAttributes, DecodeXorIpv4) {
    // RFC 5769 2.2.
    auto a = xor_mapped_address::decode(from_hex("0001 a147 e112a643"), id);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->address, transport_address::v4({192, 0, 2, 1}, 32853));
}

TEST(AddressAttributes, ShortBuffers) {
    const bytes full = from_hex("0002 0d96 20010db8000000000000000000000001");
    for (std::size_t n = 0; n < full.size(); ++n) {
        EXPECT_FALSE(mapped_address::decode(std::span(full).first(n))) << n;
        EXPECT_FALSE(xor_peer_address::decode(std::span(full).first(n), id)) << n;
    }
}

TEST(AddressAttributes, LengthMustMatchTheFamily) {
    EXPECT_EQ(
        mapped_address::decode(from_hex("0001 0d96 20010db8000000000000000000000001")).error(),
        make_error_code(errc::bad_attribute_value));
    EXPECT_EQ(mapped_address::decode(from_hex("0002 0d96 c0000201")).error(),
              make_error_code(errc::bad_attribute_value));
    EXPECT_EQ(mapped_address::decode(from_hex("0003 0d96 c0000201")).error(),
              make_error_code(errc::bad_address_family));
    EXPECT_EQ(mapped_address::decode(from_hex("0000 0d96 c0000201")).error(),
              make_error_code(errc::bad_address_family));
}

template <class Attr>
result<Attr> round_trip(const transport_address& a) {
    bytes out(128);
    message_builder b(out, {method::allocate, message_class::success_response}, id);
    EXPECT_FALSE(Attr{a}.encode(b));
    auto m = b.finish();
    auto v = message_view::parse(*m);
    EXPECT_TRUE(v);
    return get<Attr>(*v);
}

TEST(AddressAttributes, RoundTripThroughMessages) {
    const auto v4 = transport_address::v4({203, 0, 113, 5}, 49152);
    const auto v6 = test::v6("20010db8123456780011223344556677", 65535);
    for (const auto& a : {v4, v6}) {
        EXPECT_EQ(round_trip<xor_mapped_address>(a)->address, a);
        EXPECT_EQ(round_trip<xor_peer_address>(a)->address, a);
        EXPECT_EQ(round_trip<xor_relayed_address>(a)->address, a);
        EXPECT_EQ(round_trip<mapped_address>(a)->address, a);
        EXPECT_EQ(round_trip<alternate_server>(a)->address, a);
        EXPECT_EQ(round_trip<response_origin>(a)->address, a);
    }
}

TEST(AddressAttributes, XorEncodingReallyMasks) {
    bytes out(64);
    message_builder b(out, {method::binding, message_class::success_response}, id);
    EXPECT_FALSE(xor_mapped_address{transport_address::v4({192, 0, 2, 1}, 32853)}.encode(b));
    EXPECT_EQ(bytes(out.begin() + 24, out.begin() + 32), from_hex("0001 a147 e112a643"));
    // IPv6: the last 12 bytes are masked with the transaction id.
    message_builder c(out, {method::binding, message_class::success_response}, id);
    EXPECT_FALSE(xor_mapped_address{test::v6("20010db8123456780011223344556677", 32853)}.encode(c));
    EXPECT_EQ(bytes(out.begin() + 24, out.begin() + 44),
              from_hex("0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9"));
}

TEST(AddressAttributes, EncodeRejectsABadFamily) {
    bytes out(64);
    message_builder b(out, {method::binding, message_class::success_response}, id);
    transport_address bad;
    bad.family = static_cast<address_family>(7);
    EXPECT_EQ(mapped_address{bad}.encode(b), make_error_code(errc::bad_address_family));
    EXPECT_EQ(b.size(), header_size);
}

} // namespace
} // namespace icegate::stun
