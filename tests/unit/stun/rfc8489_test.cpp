// RFC 8489 Appendix B.1 (MESSAGE-INTEGRITY-SHA256, PASSWORD-ALGORITHM, USERHASH).
//
// The vector as printed is inconsistent (a known erratum): its length field is 0x9c but only
// 0x88 bytes of attributes follow, so it cannot parse, and its MAC was computed over a header
// claiming 0x9c. We test what is verifiable: the USERHASH value, the printed MAC over the printed
// bytes with the SHA-256 long-term key, and the erratum-corrected message (with
// PASSWORD-ALGORITHM SHA-256, length 0x90) end to end, rebuilt byte for byte.
#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/stun/message_builder.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::load_vector;

constexpr std::string_view b1_nonce = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";
constexpr transaction_id b1_id = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                  0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};

sha256_key b1_key() {
    // "The<U+00AD>M<U+00AA>tr<U+2168>" after OpaqueString is "TheMatrIX".
    auto key = long_term_key_sha256(test::matrix_username, "example.org", "TheMatrIX");
    EXPECT_TRUE(key);
    return *key;
}

TEST(Rfc8489B1, UserhashMatchesThePrintedValue) {
    const bytes msg = load_vector("rfc8489_b1_published.hex");
    auto hash = compute_userhash(test::matrix_username, "example.org");
    ASSERT_TRUE(hash);
    EXPECT_EQ(bytes(hash->begin(), hash->end()), bytes(msg.begin() + 24, msg.begin() + 56));
}

TEST(Rfc8489B1, PrintedVectorHasTheKnownLengthErratum) {
    const bytes msg = load_vector("rfc8489_b1_published.hex");
    EXPECT_EQ(message_view::parse(msg).error(), make_error_code(errc::bad_length));
}

TEST(Rfc8489B1, PrintedMacIsHmacSha256OverThePrintedBytes) {
    const bytes msg = load_vector("rfc8489_b1_published.hex");
    const sha256_key key = b1_key();
    const std::size_t mac_at = msg.size() - 32;
    std::array<std::uint8_t, 32> mac{};
    std::size_t mac_len = 0;
    ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                        msg.data(), mac_at - 4, mac.data(), mac.size(), &mac_len),
              nullptr);
    EXPECT_EQ(bytes(mac.begin(), mac.end()), bytes(msg.begin() + mac_at, msg.end()));
}

TEST(Rfc8489B1, CorrectedVectorParsesAndVerifies) {
    const bytes msg = load_vector("rfc8489_b1_corrected.hex");
    auto v = message_view::parse(msg);
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_EQ(v->transaction_id(), b1_id);
    EXPECT_TRUE(v->check_message_integrity_sha256(b1_key()));
    auto md5 = long_term_key_md5(test::matrix_username, "example.org", "TheMatrIX");
    EXPECT_FALSE(v->check_message_integrity_sha256(*md5));
    EXPECT_FALSE(v->check_message_integrity(b1_key())); // no MESSAGE-INTEGRITY in it

    auto uh = get<userhash>(*v);
    ASSERT_TRUE(uh);
    EXPECT_EQ(uh->value, *compute_userhash(test::matrix_username, "example.org"));
    EXPECT_EQ(get<nonce>(*v)->value, b1_nonce);
    EXPECT_EQ(get<realm>(*v)->value, "example.org");
    auto alg = get<password_algorithm>(*v);
    ASSERT_TRUE(alg);
    EXPECT_EQ(alg->algorithm, password_algorithm_id::sha256);
    EXPECT_TRUE(alg->parameters.empty());
}

TEST(Rfc8489B1, CorrectedVectorRebuildsByteForByte) {
    const bytes expected = load_vector("rfc8489_b1_corrected.hex");
    bytes out(256);
    message_builder b(out, {method::binding, message_class::request}, b1_id);
    EXPECT_FALSE(userhash{*compute_userhash(test::matrix_username, "example.org")}.encode(b));
    EXPECT_FALSE(nonce{b1_nonce}.encode(b));
    EXPECT_FALSE(realm{"example.org"}.encode(b));
    EXPECT_FALSE((password_algorithm{password_algorithm_id::sha256, {}}.encode(b)));
    EXPECT_FALSE(b.add_message_integrity_sha256(b1_key()));
    auto msg = b.finish();
    ASSERT_TRUE(msg);
    EXPECT_EQ(bytes(msg->begin(), msg->end()), expected);
}

} // namespace
} // namespace icegate::stun
