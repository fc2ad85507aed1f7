// RFC 5769 test vectors: parse, verify integrity and fingerprint, decode, rebuild byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/message_view.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::as_bytes;
using test::bytes;
using test::load_vector;

constexpr std::string_view short_term_password = "VOkJxbRl1RmTxUk/WvJxBt";
constexpr transaction_id sample_id = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

// The vectors pad with 0x20 where our builder writes zeros; the caller owns the buffer, so the
// tests overwrite those padding bytes before the MAC and CRC are computed.
void set_padding(bytes& buf, std::size_t from, std::size_t to) {
    std::fill(buf.begin() + static_cast<std::ptrdiff_t>(from),
              buf.begin() + static_cast<std::ptrdiff_t>(to), 0x20);
}

TEST(Rfc5769, SampleRequestParsesAndVerifies) {
    const bytes msg = load_vector("rfc5769_request.hex");
    auto v = message_view::parse(msg);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(v->type(), (message_type{method::binding, message_class::request}));
    EXPECT_TRUE(v->has_magic_cookie());
    EXPECT_EQ(v->transaction_id(), sample_id);
    EXPECT_EQ(v->attribute_count(), 6u);
    EXPECT_TRUE(v->check_message_integrity(short_term_key(short_term_password)));
    EXPECT_FALSE(v->check_message_integrity(short_term_key("VOkJxbRl1RmTxUk/WvJxBT")));
    EXPECT_TRUE(v->check_fingerprint());

    EXPECT_EQ(get<software>(*v)->value, "STUN test client");
    EXPECT_EQ(get<priority>(*v)->value, 0x6e0001ffu);
    EXPECT_EQ(get<ice_controlled>(*v)->value, 0x932ff9b151263b36u);
    EXPECT_EQ(get<username>(*v)->value, "evtj:h6vY");
    EXPECT_EQ(get<ice_controlling>(*v).error(), make_error_code(errc::attribute_missing));
    std::array<attribute_type, 8> unknown{};
    EXPECT_EQ(unknown_comprehension_required(*v, unknown), 0u);
}

TEST(Rfc5769, SampleRequestRebuildsByteForByte) {
    const bytes expected = load_vector("rfc5769_request.hex");
    bytes out(200, 0xEE);
    message_builder b(out, {method::binding, message_class::request}, sample_id);
    EXPECT_FALSE(software{"STUN test client"}.encode(b));
    EXPECT_FALSE(priority{0x6e0001ff}.encode(b));
    EXPECT_FALSE(ice_controlled{0x932ff9b151263b36}.encode(b));
    EXPECT_FALSE(username{"evtj:h6vY"}.encode(b));
    set_padding(out, b.size() - 3, b.size());
    EXPECT_FALSE(b.add_message_integrity(short_term_key(short_term_password)));
    EXPECT_FALSE(b.add_fingerprint());
    auto msg = b.finish();
    ASSERT_TRUE(msg);
    EXPECT_EQ(bytes(msg->begin(), msg->end()), expected);
}

TEST(Rfc5769, Ipv4ResponseParsesAndVerifies) {
    const bytes msg = load_vector("rfc5769_response_ipv4.hex");
    auto v = message_view::parse(msg);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(v->type(), (message_type{method::binding, message_class::success_response}));
    EXPECT_TRUE(v->check_message_integrity(short_term_key(short_term_password)));
    EXPECT_TRUE(v->check_fingerprint());
    EXPECT_EQ(get<software>(*v)->value, "test vector");
    auto mapped = get<xor_mapped_address>(*v);
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->address, transport_address::v4({192, 0, 2, 1}, 32853));
}

TEST(Rfc5769, Ipv4ResponseRebuildsByteForByte) {
    const bytes expected = load_vector("rfc5769_response_ipv4.hex");
    bytes out(200);
    message_builder b(out, {method::binding, message_class::success_response}, sample_id);
    EXPECT_FALSE(software{"test vector"}.encode(b));
    set_padding(out, b.size() - 1, b.size());
    EXPECT_FALSE(xor_mapped_address{transport_address::v4({192, 0, 2, 1}, 32853)}.encode(b));
    EXPECT_FALSE(b.add_message_integrity(short_term_key(short_term_password)));
    EXPECT_FALSE(b.add_fingerprint());
    auto msg = b.finish();
    ASSERT_TRUE(msg);
    EXPECT_EQ(bytes(msg->begin(), msg->end()), expected);
}

const transport_address sample_v6 = test::v6("20010db8123456780011223344556677", 32853);

TEST(Rfc5769, Ipv6ResponseParsesAndVerifies) {
    const bytes msg = load_vector("rfc5769_response_ipv6.hex");
    auto v = message_view::parse(msg);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_TRUE(v->check_message_integrity(short_term_key(short_term_password)));
    EXPECT_TRUE(v->check_fingerprint());
    auto mapped = get<xor_mapped_address>(*v);
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->address, sample_v6);
    EXPECT_EQ(mapped->address.to_string(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

TEST(Rfc5769, Ipv6ResponseRebuildsByteForByte) {
    const bytes expected = load_vector("rfc5769_response_ipv6.hex");
    bytes out(200);
    message_builder b(out, {method::binding, message_class::success_response}, sample_id);
    EXPECT_FALSE(software{"test vector"}.encode(b));
    set_padding(out, b.size() - 1, b.size());
    EXPECT_FALSE(xor_mapped_address{sample_v6}.encode(b));
    EXPECT_FALSE(b.add_message_integrity(short_term_key(short_term_password)));
    EXPECT_FALSE(b.add_fingerprint());
    auto msg = b.finish();
    ASSERT_TRUE(msg);
    EXPECT_EQ(bytes(msg->begin(), msg->end()), expected);
}

constexpr transaction_id long_term_id = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                         0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};

TEST(Rfc5769, LongTermRequestParsesAndVerifies) {
    const bytes msg = load_vector("rfc5769_request_long_term.hex");
    auto v = message_view::parse(msg);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(v->transaction_id(), long_term_id);
    EXPECT_EQ(get<username>(*v)->value, test::matrix_username);
    EXPECT_EQ(get<nonce>(*v)->value, "f//499k954d6OL34oL9FSTvy64sA");
    EXPECT_EQ(get<realm>(*v)->value, "example.org");
    auto key = long_term_key_md5(test::matrix_username, "example.org", "TheMatrIX");
    ASSERT_TRUE(key);
    EXPECT_TRUE(v->check_message_integrity(*key));
    auto wrong = long_term_key_md5(test::matrix_username, "example.org", "TheMatrix");
    EXPECT_FALSE(v->check_message_integrity(*wrong));
    EXPECT_FALSE(v->check_fingerprint()); // the vector has none
}

TEST(Rfc5769, LongTermRequestRebuildsByteForByte) {
    const bytes expected = load_vector("rfc5769_request_long_term.hex");
    auto key = long_term_key_md5(test::matrix_username, "example.org", "TheMatrIX");
    ASSERT_TRUE(key);
    bytes out(200);
    message_builder b(out, {method::binding, message_class::request}, long_term_id);
    EXPECT_FALSE(username{test::matrix_username}.encode(b));
    EXPECT_FALSE(nonce{"f//499k954d6OL34oL9FSTvy64sA"}.encode(b));
    EXPECT_FALSE(realm{"example.org"}.encode(b));
    EXPECT_FALSE(b.add_message_integrity(*key));
    auto msg = b.finish();
    ASSERT_TRUE(msg);
    EXPECT_EQ(bytes(msg->begin(), msg->end()), expected);
}

// Any flipped bit covered by the MAC or CRC must make the checks fail.
TEST(Rfc5769, EveryCoveredByteIsProtected) {
    const bytes msg = load_vector("rfc5769_request.hex");
    const std::size_t mi_start = msg.size() - 8 - 24;
    for (std::size_t i = 0; i < mi_start; ++i) {
        if (i == 2 || i == 3) {
            continue; // the length field: the checks substitute their own
        }
        bytes copy = msg;
        copy[i] ^= 0x01;
        auto v = message_view::parse(copy);
        if (!v) {
            continue; // e.g. an attribute length now out of bounds
        }
        EXPECT_FALSE(v->check_message_integrity(short_term_key(short_term_password))) << i;
        EXPECT_FALSE(v->check_fingerprint()) << i;
    }
}

} // namespace
} // namespace icegate::stun
