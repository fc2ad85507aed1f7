// Fixed-layout attributes: CHANNEL-NUMBER, REQUESTED-TRANSPORT, address families, EVEN-PORT,
// CHANGE-REQUEST, RESPONSE-PORT, ICMP.
#include <gtest/gtest.h>

#include "icegate/stun/attributes.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

// Encodes `attr` alone and returns its value bytes as written.
template <class Attr>
bytes encoded_value(const Attr& attr) {
    bytes out(64);
    message_builder b(out, {method::allocate, message_class::request}, transaction_id{});
    EXPECT_FALSE(attr.encode(b));
    const std::size_t length = (out[22] << 8) | out[23];
    return bytes(out.begin() + 24, out.begin() + 24 + static_cast<std::ptrdiff_t>(length));
}

TEST(FieldAttributes, ChannelNumber) {
    EXPECT_EQ(channel_number::decode(from_hex("40010000"))->number, 0x4001);
    EXPECT_EQ(channel_number::decode(from_hex("7fff1234"))->number, 0x7fff); // RFFU ignored
    EXPECT_FALSE(channel_number::decode(from_hex("4001")));
    EXPECT_FALSE(channel_number::decode(bytes(8)));
    EXPECT_EQ(encoded_value(channel_number{0x4abc}), from_hex("4abc0000"));
}

TEST(FieldAttributes, RequestedTransport) {
    EXPECT_EQ(requested_transport::decode(from_hex("11000000"))->protocol, 17);
    EXPECT_EQ(requested_transport::decode(from_hex("06000000"))->protocol, 6);
    EXPECT_FALSE(requested_transport::decode(from_hex("11")));
    EXPECT_EQ(encoded_value(requested_transport{requested_transport::udp}), from_hex("11000000"));
}

TEST(FieldAttributes, AddressFamilies) {
    EXPECT_EQ(requested_address_family::decode(from_hex("02000000"))->family, address_family::ipv6);
    EXPECT_EQ(additional_address_family::decode(from_hex("01000000"))->family,
              address_family::ipv4);
    EXPECT_EQ(requested_address_family::decode(from_hex("03000000")).error(),
              make_error_code(errc::bad_address_family));
    EXPECT_EQ(requested_address_family::decode(from_hex("0200")).error(),
              make_error_code(errc::bad_attribute_value));
    EXPECT_EQ(encoded_value(additional_address_family{address_family::ipv6}), from_hex("02000000"));
}

TEST(FieldAttributes, EvenPort) {
    EXPECT_TRUE(even_port::decode(from_hex("80"))->reserve);
    EXPECT_FALSE(even_port::decode(from_hex("7f"))->reserve);
    EXPECT_FALSE(even_port::decode({}));
    EXPECT_FALSE(even_port::decode(from_hex("80000000")));
    EXPECT_EQ(encoded_value(even_port{true}), from_hex("80"));
    EXPECT_EQ(encoded_value(even_port{false}), from_hex("00"));
}

TEST(FieldAttributes, ChangeRequest) {
    auto both = change_request::decode(from_hex("00000006"));
    EXPECT_TRUE(both->change_ip && both->change_port);
    auto port = change_request::decode(from_hex("00000002"));
    EXPECT_TRUE(!port->change_ip && port->change_port);
    EXPECT_FALSE(change_request::decode(from_hex("000000")));
    EXPECT_EQ(encoded_value(change_request{true, false}), from_hex("00000004"));
}

TEST(FieldAttributes, ResponsePort) {
    EXPECT_EQ(response_port::decode(from_hex("0d960000"))->port, 3478);
    EXPECT_FALSE(response_port::decode(from_hex("0d96")));
    EXPECT_EQ(encoded_value(response_port{3478}), from_hex("0d960000"));
}

TEST(FieldAttributes, Icmp) {
    auto i = icmp::decode(from_hex("0000 8304 000005dc"));
    ASSERT_TRUE(i);
    EXPECT_EQ(i->icmp_type, 3); // 7 bits: the high bit belongs to Reserved
    EXPECT_EQ(i->icmp_code, 4);
    EXPECT_EQ(i->error_data, 1500u);
    EXPECT_FALSE(icmp::decode(bytes(7)));
    EXPECT_FALSE(icmp::decode(bytes(9)));
    EXPECT_EQ(encoded_value(icmp{3, 4, 1500}), from_hex("0000 0304 000005dc"));
}

} // namespace
} // namespace icegate::stun
