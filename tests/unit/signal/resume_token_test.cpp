// Tests for the resume token codec: what a token carries comes back only with the key and the
// room it was sealed for; anything forged, damaged or foreign does not open.
#include "resume_token.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string>
#include <vector>

namespace icegate::signal {
namespace {

resume_key key_of(std::uint8_t fill) {
    resume_key k{};
    k.fill(fill);
    return k;
}

const random_source real_random = [](std::span<std::uint8_t> out) {
    randombytes_buf(out.data(), out.size());
};

resume_claims sample() {
    return resume_claims{0x0102030405060708u, 1'700'000'330'000, "k3JdAAAAAAAAAAAAAAAAAA",
                         "Ann \xc3\xa9", "$argon2id$v=19$m=16384,t=2,p=1$c2FsdA$aGFzaA"};
}

std::vector<std::uint8_t> decode(const std::string& token) {
    std::vector<std::uint8_t> raw(token.size());
    std::size_t len = 0;
    EXPECT_EQ(sodium_base642bin(raw.data(), raw.size(), token.data(), token.size(), nullptr, &len,
                                nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    raw.resize(len);
    return raw;
}

bool contains(const std::vector<std::uint8_t>& raw, const std::string& s) {
    return std::search(raw.begin(), raw.end(), s.begin(), s.end()) != raw.end();
}

TEST(ResumeToken, RoundTripsItsClaims) {
    ASSERT_GE(sodium_init(), 0);
    const auto c = sample();
    const std::string token = seal_resume_token(key_of(1), "Book club", c, real_random);
    const auto back = open_resume_token(key_of(1), "Book club", token);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->instance, c.instance);
    EXPECT_EQ(back->expires_ms, c.expires_ms);
    EXPECT_EQ(back->session, c.session);
    EXPECT_EQ(back->name, c.name);
    EXPECT_EQ(back->password_hash, c.password_hash);
}

TEST(ResumeToken, IsOpaqueAndFreshEachTime) {
    const auto c = sample();
    const std::string a = seal_resume_token(key_of(1), "r", c, real_random);
    const std::string b = seal_resume_token(key_of(1), "r", c, real_random);
    EXPECT_NE(a, b); // a new nonce each time
    const auto raw = decode(a);
    for (const std::string& secret : {c.session, c.name, c.password_hash, std::string("argon2")}) {
        EXPECT_FALSE(contains(raw, secret)) << secret;
    }
}

TEST(ResumeToken, LongestNameAndHashFitTheParserLimit) {
    auto c = sample();
    c.name = std::string(64 * 4, 'n'); // 64 four-byte characters
    c.password_hash = std::string(128, 'h');
    const std::string token = seal_resume_token(key_of(1), "r", c, real_random);
    EXPECT_LE(token.size(), max_resume_bytes);
    EXPECT_TRUE(open_resume_token(key_of(1), "r", token));
}

TEST(ResumeToken, AnotherKeyOrRoomDoesNotOpenIt) {
    const std::string token = seal_resume_token(key_of(1), "Book club", sample(), real_random);
    EXPECT_FALSE(open_resume_token(key_of(2), "Book club", token));
    EXPECT_FALSE(open_resume_token(key_of(1), "Book Club", token));
    EXPECT_FALSE(open_resume_token(key_of(1), "Book club ", token));
    EXPECT_FALSE(open_resume_token(key_of(1), "", token));
}

TEST(ResumeToken, DamagedOrForgedTokensDoNotOpen) {
    const auto k = key_of(1);
    const std::string token = seal_resume_token(k, "r", sample(), real_random);
    // Every single changed character, in the version, the nonce, the ciphertext or the tag.
    for (std::size_t i = 0; i < token.size(); ++i) {
        std::string bad = token;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(open_resume_token(k, "r", bad)) << i;
    }
    for (const std::string& bad :
         {token.substr(0, token.size() - 1), token.substr(0, 40), token + "A", token + "=",
          token + " ", std::string(), std::string("AAAA"), std::string(2000, 'A'),
          std::string("not base64!"), std::string(token.size(), 'A')}) {
        EXPECT_FALSE(open_resume_token(k, "r", bad)) << bad;
    }
}

TEST(ResumeToken, ForgedWithoutTheKeyDoesNotOpen) {
    // What an attacker can make: a token of the right shape under a key it guessed.
    for (std::uint8_t guess : {0, 2, 0xff}) {
        const std::string forged = seal_resume_token(key_of(guess), "r", sample(), real_random);
        EXPECT_FALSE(open_resume_token(key_of(1), "r", forged));
    }
}

} // namespace
} // namespace icegate::signal
