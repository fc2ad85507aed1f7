// message_view::parse on good and malformed input, lookup, iteration, integrity checks and the
// unknown comprehension-required scan.
#include <gtest/gtest.h>

#include <vector>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/stun/message_builder.hpp"
#include "icegate/stun/message_view.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::concat;
using test::raw_message;
using test::tlv;

std::error_code parse_error(const bytes& m) {
    return message_view::parse(m).error();
}

TEST(MessageView, HeaderOnlyMessage) {
    const bytes m = raw_message(0x0001, {});
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->attribute_count(), 0u);
    EXPECT_EQ(v->length(), 0u);
    EXPECT_EQ(v->begin(), v->end());
    EXPECT_EQ(v->raw_type(), 0x0001);
    EXPECT_EQ(v->method(), method::binding);
    EXPECT_EQ(v->message_class(), message_class::request);
    EXPECT_EQ(v->transaction_id(), (transaction_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
}

TEST(MessageView, TruncatedHeaders) {
    const bytes m = raw_message(0x0001, {});
    for (std::size_t n = 0; n < header_size; ++n) {
        EXPECT_EQ(message_view::parse(std::span(m).first(n)).error(),
                  make_error_code(errc::truncated))
            << n;
    }
}

TEST(MessageView, FirstTwoBitsMustBeZero) {
    bytes m = raw_message(0x0001, {});
    m[0] = 0x40;
    EXPECT_EQ(parse_error(m), make_error_code(errc::not_stun));
    m[0] = 0x80;
    EXPECT_EQ(parse_error(m), make_error_code(errc::not_stun));
}

TEST(MessageView, LyingLengthFields) {
    bytes m = raw_message(0x0001, tlv(0x0024, {0, 0, 0, 1}));
    m[3] = 12; // claims more than is there
    EXPECT_EQ(parse_error(m), make_error_code(errc::bad_length));
    m[3] = 4; // claims less
    EXPECT_EQ(parse_error(m), make_error_code(errc::bad_length));
    m[3] = 6; // odd: not a multiple of 4
    EXPECT_EQ(parse_error(m), make_error_code(errc::bad_length));
    m[2] = 0xFF; // huge
    m[3] = 0xFC;
    EXPECT_EQ(parse_error(m), make_error_code(errc::bad_length));
}

TEST(MessageView, AttributeOverrunningTheMessage) {
    // TLV claims 8 bytes of value, only 4 follow.
    EXPECT_EQ(parse_error(raw_message(0x0001, {0x00, 0x24, 0x00, 0x08, 1, 2, 3, 4})),
              make_error_code(errc::bad_attribute));
    // Length 5 needs 8 bytes with padding; only 4 + 4 follow.
    EXPECT_EQ(parse_error(raw_message(0x0001, {0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd'})),
              make_error_code(errc::bad_attribute));
    // Length 0xFFFF.
    EXPECT_EQ(parse_error(raw_message(0x0001, {0x80, 0x22, 0xFF, 0xFF})),
              make_error_code(errc::bad_attribute));
}

TEST(MessageView, PaddingContentIsIgnored) {
    bytes m = raw_message(0x0001, tlv(0x8022, {'a'}));
    m[25] = m[26] = m[27] = 0x20;
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_EQ(get<software>(*v)->value, "a");
}

TEST(MessageView, ZeroLengthAttributes) {
    auto m = raw_message(0x0001, concat({tlv(0x0025, {}), tlv(0x001A, {})}));
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->attribute_count(), 2u);
    EXPECT_TRUE(v->attribute_at(0).value.empty());
    EXPECT_TRUE(get<use_candidate>(*v));
    EXPECT_TRUE(get<dont_fragment>(*v));
}

TEST(MessageView, AttributeFloodIsAnError) {
    bytes body;
    for (std::size_t i = 0; i < message_view::max_attributes; ++i) {
        const bytes t = tlv(0x8022, {});
        body.insert(body.end(), t.begin(), t.end());
    }
    auto ok = message_view::parse(raw_message(0x0001, body));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->attribute_count(), message_view::max_attributes);
    const bytes one_more = tlv(0x8022, {});
    body.insert(body.end(), one_more.begin(), one_more.end());
    EXPECT_EQ(parse_error(raw_message(0x0001, body)), make_error_code(errc::too_many_attributes));
}

TEST(MessageView, FindReturnsTheFirstOccurrenceAndIterationKeepsOrder) {
    const bytes m = raw_message(
        0x0001, concat({tlv(0x8022, {'x'}), tlv(0x0024, {0, 0, 0, 7}), tlv(0x8022, {'y'})}));
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_EQ(get<software>(*v)->value, "x");
    std::vector<attribute_type> types;
    for (const attribute a : *v) {
        types.push_back(a.type);
    }
    EXPECT_EQ(types,
              (std::vector<attribute_type>{attribute_type::software, attribute_type::priority,
                                           attribute_type::software}));
    EXPECT_FALSE(v->find(attribute_type::realm));
    EXPECT_TRUE(v->contains(attribute_type::priority));
}

TEST(MessageView, AttributesAfterFingerprintAreIgnored) {
    const bytes m = raw_message(
        0x0001, concat({tlv(0x8028, {0, 0, 0, 0}), tlv(0x0006, {'u'}), tlv(0x8028, {1, 1, 1, 1})}));
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->attribute_count(), 1u);
    EXPECT_FALSE(v->contains(attribute_type::username));
}

TEST(MessageView, TrailingAttributesAreStillBoundsChecked) {
    const bytes m = raw_message(
        0x0001, concat({tlv(0x8028, {0, 0, 0, 0}), bytes{0x00, 0x06, 0x00, 0x09, 1, 2, 3, 4}}));
    EXPECT_EQ(parse_error(m), make_error_code(errc::bad_attribute));
}

TEST(MessageView, AfterMessageIntegrityOnlySha256AndFingerprintCount) {
    const bytes mi(20, 0xAA);
    const bytes mi256(32, 0xBB);
    const bytes m = raw_message(
        0x0001, concat({tlv(0x0008, mi), tlv(0x0006, {'u'}), tlv(0x001C, mi256), tlv(0x0014, {'r'}),
                        tlv(0x0008, mi), tlv(0x8028, {0, 0, 0, 0})}));
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    std::vector<attribute_type> types;
    for (const attribute a : *v) {
        types.push_back(a.type);
    }
    EXPECT_EQ(types, (std::vector<attribute_type>{attribute_type::message_integrity,
                                                  attribute_type::message_integrity_sha256,
                                                  attribute_type::fingerprint}));
}

TEST(MessageView, AfterSha256OnlyFingerprintCounts) {
    const bytes m = raw_message(0x0001, concat({tlv(0x001C, bytes(32, 1)), tlv(0x0008, bytes(20)),
                                                tlv(0x8028, {0, 0, 0, 0})}));
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->attribute_count(), 2u);
    EXPECT_FALSE(v->contains(attribute_type::message_integrity));
}

TEST(MessageView, Rfc3489MessageWithoutCookie) {
    const bytes m = raw_message(0x0001, tlv(0x0003, {0, 0, 0, 6}), false);
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->has_magic_cookie());
    const rfc3489_transaction_id id = v->rfc3489_transaction_id();
    EXPECT_EQ(bytes(id.begin(), id.end()),
              (bytes{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
    auto cr = get<change_request>(*v);
    ASSERT_TRUE(cr);
    EXPECT_TRUE(cr->change_ip);
    EXPECT_TRUE(cr->change_port);
}

bytes signed_message(std::span<const std::uint8_t> key) {
    bytes out(256);
    message_builder b(out, {method::binding, message_class::request}, transaction_id{9});
    EXPECT_FALSE(username{"alice"}.encode(b));
    EXPECT_FALSE(b.add_message_integrity(key));
    EXPECT_FALSE(b.add_message_integrity_sha256(key));
    EXPECT_FALSE(b.add_fingerprint());
    out.resize(b.size());
    return out;
}

TEST(MessageView, WrongFingerprintFails) {
    bytes m = signed_message(short_term_key("pw"));
    ASSERT_TRUE(message_view::parse(m)->check_fingerprint());
    m.back() ^= 0x01;
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->check_fingerprint());
    EXPECT_TRUE(v->check_message_integrity(short_term_key("pw"))); // not covering FINGERPRINT
}

TEST(MessageView, IntegrityChecksIgnoreTrailingIgnoredAttributes) {
    bytes m = signed_message(short_term_key("pw"));
    const bytes extra = tlv(0x0006, {'z', 'z', 'z', 'z'});
    m.insert(m.end(), extra.begin(), extra.end());
    m[3] = static_cast<std::uint8_t>(m.size() - header_size);
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->check_message_integrity(short_term_key("pw")));
    EXPECT_TRUE(v->check_message_integrity_sha256(short_term_key("pw")));
    EXPECT_TRUE(v->check_fingerprint());
}

TEST(MessageView, MalformedIntegrityAttributesFail) {
    // MESSAGE-INTEGRITY of 16 bytes, MESSAGE-INTEGRITY-SHA256 of 12 and 36, FINGERPRINT of 8.
    for (const bytes& body :
         {tlv(0x0008, bytes(16)), tlv(0x001C, bytes(12)), tlv(0x001C, bytes(36)),
          tlv(0x001C, bytes(18)), tlv(0x8028, bytes(8))}) {
        const bytes m = raw_message(0x0001, body);
        auto v = message_view::parse(m);
        ASSERT_TRUE(v);
        EXPECT_FALSE(v->check_message_integrity({}));
        EXPECT_FALSE(v->check_message_integrity_sha256({}));
        EXPECT_FALSE(v->check_fingerprint());
    }
}

TEST(MessageView, AbsentIntegrityAttributesFail) {
    const bytes m = raw_message(0x0001, {});
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->check_message_integrity(short_term_key("pw")));
    EXPECT_FALSE(v->check_message_integrity_sha256(short_term_key("pw")));
    EXPECT_FALSE(v->check_fingerprint());
}

TEST(MessageView, UnknownComprehensionRequiredListsEachTypeOnce) {
    const bytes m =
        raw_message(0x0001, concat({tlv(0x0002, {}), tlv(0x0006, {'u'}), tlv(0x7F00, {}),
                                    tlv(0x8abc, {}), tlv(0x0002, {}), tlv(0x0004, {})}));
    auto v = message_view::parse(m);
    ASSERT_TRUE(v);
    std::array<attribute_type, 8> out{};
    ASSERT_EQ(unknown_comprehension_required(*v, out), 3u);
    EXPECT_EQ(out[0], static_cast<attribute_type>(0x0002));
    EXPECT_EQ(out[1], static_cast<attribute_type>(0x7F00));
    EXPECT_EQ(out[2], static_cast<attribute_type>(0x0004));
    std::array<attribute_type, 2> small{};
    EXPECT_EQ(unknown_comprehension_required(*v, small), 2u);
    EXPECT_EQ(unknown_comprehension_required(*v, {}), 0u);
}

} // namespace
} // namespace icegate::stun
