// message_builder: header, TLV padding, sticky errors, attribute order, MAC and CRC round trips.
#include <gtest/gtest.h>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/stun/message_builder.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;

constexpr transaction_id id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr message_type binding_request{method::binding, message_class::request};

TEST(MessageBuilder, WritesTheHeader) {
    bytes out(64, 0xEE);
    message_builder b(out, {method::allocate, message_class::error_response}, id);
    auto m = b.finish();
    ASSERT_TRUE(m);
    EXPECT_EQ(bytes(m->begin(), m->end()),
              (bytes{0x01, 0x13, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                     3,    4,    5,    6,    7,    8,    9,    10,   11, 12}));
    EXPECT_TRUE(b.has_magic_cookie());
    EXPECT_EQ(b.transaction_id(), id);
}

TEST(MessageBuilder, PadsWithZerosAndUpdatesTheLength) {
    bytes out(64, 0xEE);
    message_builder b(out, binding_request, id);
    EXPECT_FALSE(b.add(attribute_type::software, std::string_view("abcde")));
    EXPECT_EQ(b.size(), 32u);
    EXPECT_EQ(out[3], 12);
    EXPECT_EQ(bytes(out.begin() + 20, out.begin() + 32),
              (bytes{0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0, 0, 0}));
    EXPECT_EQ(out[32], 0xEE); // nothing written past the message
}

TEST(MessageBuilder, Rfc3489HeaderHasNoCookie) {
    bytes out(64);
    const rfc3489_transaction_id legacy = {0xde, 0xad, 0xbe, 0xef, 1, 2,  3,  4,
                                           5,    6,    7,    8,    9, 10, 11, 12};
    message_builder b(out, {method::binding, message_class::success_response}, legacy);
    EXPECT_FALSE(b.has_magic_cookie());
    auto m = b.finish();
    ASSERT_TRUE(m);
    EXPECT_EQ(bytes(m->begin() + 4, m->end()), bytes(legacy.begin(), legacy.end()));
    EXPECT_EQ(b.transaction_id(), (transaction_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
}

TEST(MessageBuilder, BufferSmallerThanAHeader) {
    bytes out(19);
    message_builder b(out, binding_request, id);
    EXPECT_EQ(b.error(), make_error_code(errc::buffer_too_small));
    EXPECT_EQ(b.finish().error(), make_error_code(errc::buffer_too_small));
    EXPECT_EQ(b.add_fingerprint(), make_error_code(errc::buffer_too_small));
}

TEST(MessageBuilder, RunningOutOfRoomIsStickyAndVisible) {
    bytes out(28, 0xEE);
    message_builder b(out, binding_request, id);
    EXPECT_FALSE(b.add(attribute_type::priority, bytes{0, 0, 0, 1}));
    EXPECT_EQ(b.add(attribute_type::use_candidate, bytes{}),
              make_error_code(errc::buffer_too_small));
    // A later, smaller add still fails: the message is incomplete.
    EXPECT_EQ(b.add_fingerprint(), make_error_code(errc::buffer_too_small));
    EXPECT_EQ(b.finish().error(), make_error_code(errc::buffer_too_small));
    EXPECT_EQ(b.size(), 28u);
}

TEST(MessageBuilder, PaddingMustFitToo) {
    bytes out(28);
    message_builder b(out, binding_request, id);
    EXPECT_EQ(b.add(attribute_type::software, std::string_view("abcde")),
              make_error_code(errc::buffer_too_small));
}

TEST(MessageBuilder, ValuesOverTheLengthFieldAreRejected) {
    bytes out(70000);
    message_builder b(out, binding_request, id);
    EXPECT_EQ(b.add(attribute_type::data, bytes(0x10000)), make_error_code(errc::value_too_long));
    message_builder c(out, binding_request, id);
    EXPECT_FALSE(c.add(attribute_type::data, bytes(0xFFF0)));
    EXPECT_EQ(c.add(attribute_type::data, bytes(16)), make_error_code(errc::value_too_long));
}

TEST(MessageBuilder, AttributeOrderAfterIntegrityAndFingerprint) {
    bytes out(256);
    message_builder b(out, binding_request, id);
    EXPECT_FALSE(b.add_message_integrity(short_term_key("k")));
    EXPECT_EQ(b.add(attribute_type::username, std::string_view("u")),
              make_error_code(errc::attribute_order));

    message_builder c(out, binding_request, id);
    EXPECT_FALSE(c.add_message_integrity(short_term_key("k")));
    EXPECT_FALSE(c.add_message_integrity_sha256(short_term_key("k")));
    EXPECT_EQ(c.add_message_integrity(short_term_key("k")), make_error_code(errc::attribute_order));

    message_builder d(out, binding_request, id);
    EXPECT_FALSE(d.add_fingerprint());
    EXPECT_EQ(d.add_fingerprint(), make_error_code(errc::attribute_order));
}

TEST(MessageBuilder, IntegrityAndFingerprintVerify) {
    auto key = long_term_key_md5("alice", "icegate.test", "secret");
    ASSERT_TRUE(key);
    bytes out(256);
    message_builder b(out, binding_request, id);
    EXPECT_FALSE(username{"alice"}.encode(b));
    EXPECT_FALSE(b.add_message_integrity(*key));
    EXPECT_FALSE(b.add_message_integrity_sha256(*key));
    EXPECT_FALSE(b.add_fingerprint());
    auto m = b.finish();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->size(), 20u + 12u + 24u + 36u + 8u);
    auto v = message_view::parse(*m);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->check_message_integrity(*key));
    EXPECT_TRUE(v->check_message_integrity_sha256(*key));
    EXPECT_TRUE(v->check_fingerprint());
    EXPECT_FALSE(v->check_message_integrity(short_term_key("secret")));
}

TEST(MessageBuilder, EmptyKeyIsAValidKey) {
    bytes out(64);
    message_builder b(out, binding_request, id);
    EXPECT_FALSE(b.add_message_integrity({}));
    auto v = message_view::parse(*b.finish());
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->check_message_integrity({}));
    EXPECT_FALSE(v->check_message_integrity(short_term_key("x")));
}

TEST(MessageBuilder, AddUninitializedHandsOutTheValue) {
    bytes out(64, 0xEE);
    message_builder b(out, binding_request, id);
    auto value = b.add_uninitialized(attribute_type::data, 3);
    ASSERT_TRUE(value);
    ASSERT_EQ(value->size(), 3u);
    (*value)[0] = 'x';
    EXPECT_EQ(out[24], 'x');
    EXPECT_EQ(out[27], 0); // padding zeroed
}

} // namespace
} // namespace icegate::stun
