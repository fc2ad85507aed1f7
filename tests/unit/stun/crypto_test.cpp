// The OpenSSL wrappers: HMAC (RFC 2202 / RFC 4231 vectors, empty and long keys, re-keying of
// the per-thread contexts, threads), digests, CRC-32 and the constant-time comparison.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "icegate/stun/crypto.hpp"
#include "test_util.hpp"

namespace icegate::stun::detail {
namespace {

using test::as_bytes;
using test::bytes;
using test::from_hex;

std::size_t mac_size(digest_kind kind) {
    return kind == digest_kind::md5 ? 16 : kind == digest_kind::sha1 ? 20 : 32;
}

bytes hmac_of(digest_kind kind, std::span<const std::uint8_t> key, std::string_view data) {
    bytes out(mac_size(kind));
    EXPECT_TRUE(hmac(kind, key, {as_bytes(data)}, out));
    return out;
}

struct hmac_vector {
    digest_kind kind;
    bytes key;
    std::string data;
    bytes mac;
};

std::vector<hmac_vector> rfc_vectors() {
    const std::string fox = "The quick brown fox jumps over the lazy dog";
    const std::string big_key_text = "Test Using Larger Than Block-Size Key - Hash Key First";
    return {
        // RFC 2202 test cases 1 and 2 (HMAC-MD5, HMAC-SHA1).
        {digest_kind::md5, bytes(16, 0x0b), "Hi There",
         from_hex("9294727a3638bb1c13f48ef8158bfc9d")},
        {digest_kind::sha1, bytes(20, 0x0b), "Hi There",
         from_hex("b617318655057264e28bc0b6fb378c8ef146be00")},
        {digest_kind::sha1, bytes{'J', 'e', 'f', 'e'}, "what do ya want for nothing?",
         from_hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")},
        // RFC 4231 test cases 1 and 2 (HMAC-SHA256).
        {digest_kind::sha256, bytes(20, 0x0b), "Hi There",
         from_hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")},
        {digest_kind::sha256, bytes{'J', 'e', 'f', 'e'}, "what do ya want for nothing?",
         from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")},
        // Keys longer than the block: RFC 2202 case 6 and RFC 4231 case 6.
        {digest_kind::sha1, bytes(80, 0xaa), big_key_text,
         from_hex("aa4ae5e15272d00e95705637ce8a3b55ed402112")},
        {digest_kind::sha256, bytes(131, 0xaa), big_key_text,
         from_hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")},
        // An empty key is a key (not "keep the previous one"); values from Python's hmac.
        {digest_kind::md5, {}, "", from_hex("74e6f7298a9c2d168935f58c001bad88")},
        {digest_kind::md5, {}, fox, from_hex("ad262969c53bc16032f160081c4a07a0")},
        {digest_kind::sha1, {}, "", from_hex("fbdb1d1b18aa6c08324b7d64b71fb76370690e1d")},
        {digest_kind::sha256,
         {},
         "",
         from_hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")},
    };
}

TEST(Crypto, HmacVectors) {
    for (const auto& v : rfc_vectors()) {
        EXPECT_EQ(hmac_of(v.kind, v.key, v.data), v.mac) << v.data;
    }
}

TEST(Crypto, HmacVectorsInReverseOrder) {
    // The per-thread contexts are reused: each call must re-key, whatever came before.
    auto vectors = rfc_vectors();
    for (auto it = vectors.rbegin(); it != vectors.rend(); ++it) {
        EXPECT_EQ(hmac_of(it->kind, it->key, it->data), it->mac) << it->data;
    }
}

TEST(Crypto, HmacEmptyKeyAfterOtherKeys) {
    const bytes empty_mac = from_hex("fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
    const bytes long_key(80, 0xaa);
    hmac_of(digest_kind::sha1, long_key, "x");
    EXPECT_EQ(hmac_of(digest_kind::sha1, {}, ""), empty_mac);
    hmac_of(digest_kind::sha1, bytes(20, 0x0b), "Hi There");
    EXPECT_EQ(hmac_of(digest_kind::sha1, {}, ""), empty_mac);
    EXPECT_EQ(hmac_of(digest_kind::sha1, {}, ""), empty_mac);
}

TEST(Crypto, HmacOverScatteredPartsEqualsOnePart) {
    const std::string data = "what do ya want for nothing?";
    const bytes key{'J', 'e', 'f', 'e'};
    std::array<std::uint8_t, 32> scattered{};
    const auto d = as_bytes(data);
    ASSERT_TRUE(hmac(digest_kind::sha256, key, {d.first(4), {}, d.subspan(4, 10), d.subspan(14)},
                     scattered));
    EXPECT_EQ(bytes(scattered.begin(), scattered.end()),
              from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));

    std::array<std::uint8_t, 32> none{};
    ASSERT_TRUE(hmac(digest_kind::sha256, {}, {}, none));
    EXPECT_EQ(bytes(none.begin(), none.end()),
              from_hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
}

TEST(Crypto, HmacRejectsWrongOutputSizeAndRecovers) {
    const bytes key(20, 0x0b);
    std::array<std::uint8_t, 19> short_out{};
    std::array<std::uint8_t, 32> long_out{};
    EXPECT_FALSE(hmac(digest_kind::sha1, key, {as_bytes("Hi There")}, short_out));
    EXPECT_FALSE(hmac(digest_kind::sha1, key, {as_bytes("Hi There")}, long_out));
    EXPECT_FALSE(hmac(digest_kind::sha256, key, {as_bytes("Hi There")}, short_out));
    // The context that failed still serves the next call.
    EXPECT_EQ(hmac_of(digest_kind::sha1, key, "Hi There"),
              from_hex("b617318655057264e28bc0b6fb378c8ef146be00"));
    EXPECT_EQ(hmac_of(digest_kind::sha256, key, "Hi There"),
              from_hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
}

TEST(Crypto, HmacSameResultsAcrossThreads) {
    // Distinct keys and data per iteration; expected values from this thread first.
    struct job {
        digest_kind kind;
        bytes key;
        std::string data;
        bytes mac;
    };
    std::vector<job> jobs;
    for (int i = 0; i < 60; ++i) {
        const auto kind = static_cast<digest_kind>(i % 3);
        bytes key(static_cast<std::size_t>(i * 3 % 97), static_cast<std::uint8_t>(i));
        std::string data(static_cast<std::size_t>(i * 7 % 150), static_cast<char>('a' + i % 26));
        bytes mac = hmac_of(kind, key, data);
        jobs.push_back({kind, std::move(key), std::move(data), std::move(mac)});
    }
    for (const auto& v : rfc_vectors()) {
        jobs.push_back({v.kind, v.key, v.data, v.mac});
    }
    constexpr int thread_count = 4;
    std::array<int, thread_count> mismatches{};
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&jobs, &mismatches, t] {
            for (int round = 0; round < 200; ++round) {
                // Each thread walks the jobs from its own offset, so contexts interleave keys.
                for (std::size_t i = 0; i < jobs.size(); ++i) {
                    const auto& j = jobs[(i + static_cast<std::size_t>(t) * 17) % jobs.size()];
                    bytes out(mac_size(j.kind));
                    if (!hmac(j.kind, j.key, {as_bytes(j.data)}, out) || out != j.mac) {
                        ++mismatches[static_cast<std::size_t>(t)];
                    }
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    for (int m : mismatches) {
        EXPECT_EQ(m, 0);
    }
}

TEST(Crypto, DigestVectors) {
    std::array<std::uint8_t, 16> md5{};
    std::array<std::uint8_t, 20> sha1{};
    std::array<std::uint8_t, 32> sha256{};
    ASSERT_TRUE(digest(digest_kind::md5, {as_bytes("a"), as_bytes("bc")}, md5));
    ASSERT_TRUE(digest(digest_kind::sha1, {as_bytes("abc")}, sha1));
    ASSERT_TRUE(digest(digest_kind::sha256, {as_bytes("ab"), {}, as_bytes("c")}, sha256));
    EXPECT_EQ(bytes(md5.begin(), md5.end()), from_hex("900150983cd24fb0d6963f7d28e17f72"));
    EXPECT_EQ(bytes(sha1.begin(), sha1.end()),
              from_hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
    EXPECT_EQ(bytes(sha256.begin(), sha256.end()),
              from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    EXPECT_FALSE(digest(digest_kind::sha256, {as_bytes("abc")}, md5));
}

TEST(Crypto, Crc32) {
    EXPECT_EQ(crc32({as_bytes("123456789")}), 0xcbf43926u);
    EXPECT_EQ(crc32({as_bytes("1234"), as_bytes("56789")}), 0xcbf43926u);
    EXPECT_EQ(crc32({}), 0u);
}

TEST(Crypto, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
    EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
    EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("ab")));
    EXPECT_TRUE(constant_time_equal({}, {}));
}

} // namespace
} // namespace icegate::stun::detail
