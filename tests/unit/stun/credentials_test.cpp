// Long-term keys (MD5 and SHA-256), USERHASH and the short-term key.
#include <gtest/gtest.h>

#include "icegate/stun/credentials.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

template <std::size_t N>
bytes to_bytes(const std::array<std::uint8_t, N>& a) {
    return bytes(a.begin(), a.end());
}

TEST(Credentials, LongTermKeyMd5) {
    // Reference values from Python's hashlib.
    EXPECT_EQ(to_bytes(*long_term_key_md5("user", "realm", "pass")),
              from_hex("8493fbc53ba582fb4c044c456bdc40eb"));
    EXPECT_EQ(to_bytes(*long_term_key_md5(test::matrix_username, "example.org", "TheMatrIX")),
              from_hex("e8ca7ad59d5eb0518e312911d2dab2a9"));
    EXPECT_EQ(to_bytes(*long_term_key_md5("", "", "")),
              from_hex("4501c091b0366d76ea3218b6cfdd8097"));
}

TEST(Credentials, LongTermKeySha256) {
    EXPECT_EQ(to_bytes(*long_term_key_sha256(test::matrix_username, "example.org", "TheMatrIX")),
              from_hex("dd295a613b9058c3c23d6dc7165bda072304d989c9d0af3a8c7e184b4f9bb4a1"));
}

TEST(Credentials, Userhash) {
    // RFC 8489 Appendix B.1.
    EXPECT_EQ(to_bytes(*compute_userhash(test::matrix_username, "example.org")),
              from_hex("4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704"));
}

TEST(Credentials, ShortTermKeyIsThePasswordBytes) {
    const std::string_view pw = "VOkJxbRl1RmTxUk/WvJxBt";
    const auto key = short_term_key(pw);
    EXPECT_EQ(static_cast<const void*>(key.data()), static_cast<const void*>(pw.data()));
    EXPECT_EQ(key.size(), pw.size());
}

} // namespace
} // namespace icegate::stun
