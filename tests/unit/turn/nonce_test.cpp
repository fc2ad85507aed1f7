// The stateless nonce (golden values, validity window, binding to the client's IP), the HMAC
// helpers behind it and the REST password (vectors, empty key, threads) and base64.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../stun/test_util.hpp"
#include "nonce.hpp"

namespace icegate::turn::detail {
namespace {

using stun::transport_address;
using stun::test::bytes;
using stun::test::from_hex;

constexpr std::int64_t now = 1'700'000'000;

std::array<std::uint8_t, 32> test_key() {
    std::array<std::uint8_t, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = static_cast<std::uint8_t>(i + 1);
    }
    return key;
}

std::string text(const nonce_text& n) {
    return {n.data(), n.size()};
}

const transport_address v4_client = transport_address::v4({192, 0, 2, 1}, 50000);
const transport_address v6_client = stun::test::v6("20010db8000000000000000000000001", 50000);

TEST(Nonce, GoldenValues) {
    // Python: "obMatJos2AAAD" + base64(t || HMAC-SHA256(key, "icegate nonce v1" || t || family
    // || ip)[:16]) with t as 8 big-endian bytes. Pins the format across implementations.
    const auto key = test_key();
    EXPECT_EQ(text(make_nonce(key, v4_client, now)),
              "obMatJos2AAADAAAAAGVT8QDDXMh1lVNr70x8MBiqTov4");
    EXPECT_EQ(text(make_nonce(key, v6_client, now)),
              "obMatJos2AAADAAAAAGVT8QCTwE754Q+vOIy0iWWzDWMF");
}

TEST(Nonce, BoundToTheIpNotThePort) {
    const auto key = test_key();
    const auto other_port = transport_address::v4({192, 0, 2, 1}, 1);
    const auto mapped = stun::test::v6("00000000000000000000ffffc0000201", 40000);
    EXPECT_EQ(make_nonce(key, v4_client, now), make_nonce(key, other_port, now));
    EXPECT_EQ(make_nonce(key, v4_client, now), make_nonce(key, mapped, now));
    const std::string n = text(make_nonce(key, v4_client, now));
    EXPECT_EQ(check_nonce(key, n, mapped, now, 600), nonce_status::valid);
    EXPECT_EQ(check_nonce(key, n, transport_address::v4({192, 0, 2, 2}, 50000), now, 600),
              nonce_status::invalid);
    EXPECT_EQ(check_nonce(key, n, v6_client, now, 600), nonce_status::invalid);
}

TEST(Nonce, ValidityWindow) {
    const auto key = test_key();
    const std::string n = text(make_nonce(key, v6_client, now));
    EXPECT_EQ(check_nonce(key, n, v6_client, now, 600), nonce_status::valid);
    EXPECT_EQ(check_nonce(key, n, v6_client, now + 600, 600), nonce_status::valid);
    EXPECT_EQ(check_nonce(key, n, v6_client, now + 601, 600), nonce_status::stale);
    EXPECT_EQ(check_nonce(key, n, v6_client, now - 5, 600), nonce_status::valid);
    EXPECT_EQ(check_nonce(key, n, v6_client, now - 6, 600), nonce_status::invalid);
}

TEST(Nonce, ForgedOrMalformed) {
    auto key = test_key();
    std::string n = text(make_nonce(key, v4_client, now));
    std::string flipped = n;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(check_nonce(key, flipped, v4_client, now, 600), nonce_status::invalid);
    EXPECT_EQ(check_nonce(key, n.substr(0, n.size() - 1), v4_client, now, 600),
              nonce_status::invalid);
    EXPECT_EQ(check_nonce(key, "xbMatJos2" + n.substr(9), v4_client, now, 600),
              nonce_status::invalid);
    EXPECT_EQ(check_nonce(key, std::string(nonce_size, '!'), v4_client, now, 600),
              nonce_status::invalid);
    key[0] ^= 1;
    EXPECT_EQ(check_nonce(key, n, v4_client, now, 600), nonce_status::invalid);
}

TEST(Nonce, HmacVectors) {
    // RFC 2202 / RFC 4231 test case 2, then empty keys (Python's hmac).
    const auto jefe = stun::test::as_bytes("Jefe");
    const auto what = stun::test::as_bytes("what do ya want for nothing?");
    std::array<std::uint8_t, 20> sha1{};
    std::array<std::uint8_t, 32> sha256{};
    ASSERT_TRUE(hmac_sha1(jefe, what, sha1));
    ASSERT_TRUE(hmac_sha256(jefe, what, sha256));
    EXPECT_EQ(bytes(sha1.begin(), sha1.end()),
              from_hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
    EXPECT_EQ(bytes(sha256.begin(), sha256.end()),
              from_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    ASSERT_TRUE(hmac_sha1({}, {}, sha1));
    ASSERT_TRUE(hmac_sha256({}, {}, sha256));
    EXPECT_EQ(bytes(sha1.begin(), sha1.end()),
              from_hex("fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"));
    EXPECT_EQ(bytes(sha256.begin(), sha256.end()),
              from_hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
    // A long key after the empty one: the reused context takes the new key.
    const bytes long_key(131, 0xaa);
    ASSERT_TRUE(hmac_sha256(
        long_key, stun::test::as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
        sha256));
    EXPECT_EQ(bytes(sha256.begin(), sha256.end()),
              from_hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
}

TEST(Nonce, SameResultsAcrossThreads) {
    const auto key = test_key();
    std::vector<transport_address> clients;
    std::vector<nonce_text> expected;
    for (std::uint8_t i = 0; i < 32; ++i) {
        std::array<std::uint8_t, 16> ip6{0x20, 0x01, 0x0d, 0xb8};
        ip6[15] = i;
        clients.push_back(i % 2 == 0 ? transport_address::v4({10, 0, 0, i}, 1)
                                     : transport_address::v6(ip6, 1));
        expected.push_back(make_nonce(key, clients.back(), now + i));
    }
    std::array<std::uint8_t, 20> rest_expected{};
    ASSERT_TRUE(hmac_sha1(stun::test::as_bytes("north"), stun::test::as_bytes("1700000000:alice"),
                          rest_expected));
    constexpr int thread_count = 4;
    std::array<int, thread_count> mismatches{};
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            int& bad = mismatches[static_cast<std::size_t>(t)];
            for (int round = 0; round < 100; ++round) {
                for (std::size_t i = 0; i < clients.size(); ++i) {
                    const std::size_t j = (i + static_cast<std::size_t>(t) * 5) % clients.size();
                    const auto n = make_nonce(key, clients[j], now + static_cast<std::int64_t>(j));
                    bad += n != expected[j];
                    bad +=
                        check_nonce(key, text(n), clients[j], now + 40, 600) != nonce_status::valid;
                    std::array<std::uint8_t, 20> rest{};
                    bad += !hmac_sha1(stun::test::as_bytes("north"),
                                      stun::test::as_bytes("1700000000:alice"), rest) ||
                           rest != rest_expected;
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
    // base64 of the REST HMAC, from Python.
    std::array<char, 28> b64{};
    ASSERT_EQ(base64_encode(rest_expected, b64), b64.size());
    EXPECT_EQ(std::string_view(b64.data(), b64.size()), "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
}

TEST(Nonce, Base64Encode) {
    std::array<char, 88> out{};
    EXPECT_EQ(base64_encode({}, out), 0u);
    EXPECT_EQ(base64_encode(stun::test::as_bytes("f"), out), 4u);
    EXPECT_EQ(std::string_view(out.data(), 4), "Zg==");
    EXPECT_EQ(base64_encode(stun::test::as_bytes("foobar"), out), 8u);
    EXPECT_EQ(std::string_view(out.data(), 8), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(stun::test::as_bytes("foobar"), std::span(out).first(7)), 0u);
    const bytes too_long(65, 0);
    EXPECT_EQ(base64_encode(too_long, out), 0u);
}

} // namespace
} // namespace icegate::turn::detail
