// Tests for join token verification: tokens minted with libjwt (HS256 and others), hand-made
// "alg":"none" tokens, `crit` headers, expiry, missing or wrong-typed claims, and garbage.
#include "icegate/signal/join_token.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <cstdlib>
#include <string>

#include "icegate/signal/error.hpp"

namespace icegate::signal {
namespace {

constexpr std::int64_t now = 1'700'000'000;
const std::string secret = "0123456789abcdef0123456789abcdef";

// Mints a token with libjwt. `claims` is a JSON object of grants.
std::string mint(const std::string& claims, jwt_alg_t alg = JWT_ALG_HS256,
                 const std::string& key = secret) {
    jwt_t* jwt = nullptr;
    EXPECT_EQ(jwt_new(&jwt), 0);
    EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0) << claims;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    EXPECT_EQ(jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? nullptr : k,
                          alg == JWT_ALG_NONE ? 0 : static_cast<int>(key.size())),
              0);
    char* out = jwt_encode_str(jwt);
    EXPECT_NE(out, nullptr);
    std::string token = out != nullptr ? out : "";
    std::free(out);
    jwt_free(jwt);
    return token;
}

// The usual way: string and integer grants one by one.
std::string mint_grants(const char* room, const char* name, long exp) {
    jwt_t* jwt = nullptr;
    EXPECT_EQ(jwt_new(&jwt), 0);
    EXPECT_EQ(jwt_add_grant(jwt, "room", room), 0);
    EXPECT_EQ(jwt_add_grant(jwt, "name", name), 0);
    EXPECT_EQ(jwt_add_grant_int(jwt, "exp", exp), 0);
    EXPECT_EQ(jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                          static_cast<int>(secret.size())),
              0);
    char* out = jwt_encode_str(jwt);
    std::string token = out != nullptr ? out : "";
    std::free(out);
    jwt_free(jwt);
    return token;
}

std::string b64url(const std::string& s) {
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(s.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                      s.size(), variant);
    out.resize(out.find('\0'));
    return out;
}

// Mints an HS256 token whose header also holds the members of `header` (a JSON object).
std::string mint_with_header(const std::string& header, const std::string& claims) {
    jwt_t* jwt = nullptr;
    EXPECT_EQ(jwt_new(&jwt), 0);
    EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0) << claims;
    EXPECT_EQ(jwt_add_headers_json(jwt, header.c_str()), 0) << header;
    EXPECT_EQ(jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                          static_cast<int>(secret.size())),
              0);
    char* out = jwt_encode_str(jwt);
    EXPECT_NE(out, nullptr);
    std::string token = out != nullptr ? out : "";
    std::free(out);
    jwt_free(jwt);
    return token;
}

// The decoded JOSE header of `token`.
std::string header_of(const std::string& token) {
    const std::string part = token.substr(0, token.find('.'));
    std::string out(part.size(), '\0');
    std::size_t len = 0;
    EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                part.data(), part.size(), nullptr, &len, nullptr,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    out.resize(len);
    return out;
}

// A token signed by hand (HMAC-SHA256 with `secret`): any header text, byte for byte.
std::string sign_by_hand(const std::string& header, const std::string& claims) {
    const std::string input = b64url(header) + "." + b64url(claims);
    std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
    crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
    return input + "." + b64url(mac);
}

// Expects refusal with `reason`.
void expect_refused(const std::string& token, const std::string& reason,
                    const std::string& key = secret) {
    std::string why;
    const auto r = verify_join_token(token, key, now, &why);
    ASSERT_FALSE(r) << token;
    EXPECT_EQ(r.error(), make_error_code(errc::unauthorized));
    EXPECT_EQ(why, reason) << token;
}

const std::string good_claims = R"({"room":"Book club","name":"Ann","exp":1700000060})";

TEST(JoinToken, ValidHs256) {
    const std::string token = mint_grants("Book club", "Ann", now + 60);
    ASSERT_EQ(token.substr(0, token.find('.')), b64url(R"({"alg":"HS256","typ":"JWT"})"));
    std::string why = "untouched";
    const auto r = verify_join_token(token, secret, now, &why);
    ASSERT_TRUE(r) << why;
    EXPECT_EQ(r->room, "Book club");
    EXPECT_EQ(r->name, "Ann");
    EXPECT_EQ(r->exp, now + 60);
    EXPECT_TRUE(verify_join_token(token, secret, now)); // `why` is optional
}

TEST(JoinToken, UnicodeClaimsAndFractionalExp) {
    const auto r = verify_join_token(
        mint(R"({"room":"Lesekreis \u00e4","name":"J\u00fcrgen","exp":1700000060.5})"), secret,
        now);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->room, "Lesekreis \xc3\xa4");
    EXPECT_EQ(r->exp, now + 60);
}

TEST(JoinToken, WrongSecret) {
    expect_refused(mint(good_claims), "bad signature or malformed token",
                   "0123456789abcdef0123456789abcdeF");
    expect_refused(mint(good_claims, JWT_ALG_HS256, "other"), "bad signature or malformed token");
}

TEST(JoinToken, TamperedPayload) {
    const std::string token = mint(good_claims);
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    const std::string forged = token.substr(0, dot1 + 1) +
                               b64url(R"({"room":"Book club","name":"Eve","exp":1700000060})") +
                               token.substr(dot2);
    expect_refused(forged, "bad signature or malformed token");
}

TEST(JoinToken, Expired) {
    expect_refused(mint_grants("r", "n", now - 1), "token expired");
    expect_refused(mint_grants("r", "n", now), "token expired");
    EXPECT_TRUE(verify_join_token(mint_grants("r", "n", now + 1), secret, now));
}

TEST(JoinToken, AlgNoneIsRefused) {
    const std::string payload = b64url(good_claims);
    const std::string header = "eyJhbGciOiJub25lIn0"; // {"alg":"none"}
    ASSERT_EQ(header, b64url(R"({"alg":"none"})"));
    expect_refused(header + "." + payload + ".", "bad signature or malformed token");
    expect_refused(header + "." + payload, "bad signature or malformed token");
    expect_refused(mint(good_claims, JWT_ALG_NONE), "bad signature or malformed token");
    // A none header in front of a real signature.
    const std::string token = mint(good_claims);
    expect_refused(header + token.substr(token.find('.')), "bad signature or malformed token");
    const std::string typed = b64url(R"({"alg":"none","typ":"JWT"})");
    expect_refused(typed + "." + payload + ".", "bad signature or malformed token");
}

TEST(JoinToken, OtherAlgorithmsAreRefused) {
    // Signed with the right secret, just not with HS256.
    expect_refused(mint(good_claims, JWT_ALG_HS384), "bad signature or malformed token");
    expect_refused(mint(good_claims, JWT_ALG_HS512), "bad signature or malformed token");
}

TEST(JoinToken, MissingOrWrongTypedClaims) {
    const std::string lacks = "token lacks room/name/exp";
    expect_refused(mint(R"({"name":"Ann","exp":1700000060})"), lacks);
    expect_refused(mint(R"({"room":"r","exp":1700000060})"), lacks);
    expect_refused(mint(R"({"room":"r","name":"Ann"})"), lacks);
    expect_refused(mint(R"({"room":7,"name":"Ann","exp":1700000060})"), lacks);
    expect_refused(mint(R"({"room":"r","name":["Ann"],"exp":1700000060})"), lacks);
    expect_refused(mint(R"({"room":"r","name":"Ann","exp":"1700000060"})"), lacks);
    expect_refused(mint(R"({"room":"","name":"Ann","exp":1700000060})"), lacks);
    expect_refused(mint(R"({"room":"r","name":"A\u0001","exp":1700000060})"), lacks);
    expect_refused(
        mint(R"({"room":"r","name":")" + std::string(65, 'n') + R"(","exp":1700000060})"), lacks);
}

// RFC 7515 section 4.1.11: a `crit` naming an extension we do not understand (we understand
// none) must be refused, and an empty or malformed `crit` is invalid anyway.
TEST(JoinToken, CritHeaderIsRefused) {
    const std::string crit = "unsupported crit header";
    // The same token without crit is fine: only the header member makes the difference.
    ASSERT_TRUE(verify_join_token(mint_with_header(R"({"kid":"k1"})", good_claims), secret, now));
    for (const std::string& header :
         {std::string(R"({"crit":["exp"],"exp":1700000060})"),
          std::string(R"({"crit":["b64"],"b64":false})"), std::string(R"({"crit":[]})"),
          std::string(R"({"crit":"b64"})"), std::string(R"({"crit":null})"),
          std::string(R"({"crit":[1]})"), std::string(R"({"crit":{"b64":true}})")}) {
        const std::string token = mint_with_header(header, good_claims);
        ASSERT_NE(header_of(token).find(R"("crit")"), std::string::npos)
            << "libjwt dropped the member: " << header;
        expect_refused(token, crit);
    }
}

TEST(JoinToken, CritHeaderIsRefusedWhateverItsSpelling) {
    const std::string crit = "unsupported crit header";
    ASSERT_TRUE(verify_join_token(sign_by_hand(R"({"alg":"HS256","typ":"JWT"})", good_claims),
                                  secret, now));
    expect_refused(sign_by_hand(R"({"alg":"HS256","crit":["x-ours"],"x-ours":1})", good_claims),
                   crit);
    expect_refused(sign_by_hand(R"({"alg":"HS256","cr\u0069t":["x"]})", good_claims), crit);
    expect_refused(sign_by_hand(R"({"crit":["x"],"alg":"HS256"})", good_claims), crit);
}

TEST(JoinToken, Garbage) {
    const std::string bad = "bad signature or malformed token";
    for (const std::string& token :
         {std::string(), std::string("abc"), std::string("a.b.c"), std::string(".."),
          std::string("eyJhbGciOiJIUzI1NiJ9.e30."), std::string("\xff\xfe.\x01.x"),
          std::string(1, '\0'), mint(good_claims) + "x"}) {
        expect_refused(token, bad);
    }
    // Over the token size cap, even if it were well-formed.
    const std::string big = mint(R"({"room":"r","name":"Ann","exp":1700000060,"pad":")" +
                                 std::string(5000, 'p') + "\"}");
    ASSERT_GT(big.size(), 4096u);
    expect_refused(big, bad);
    expect_refused(mint(good_claims), bad, ""); // no secret: nothing verifies
}

} // namespace
} // namespace icegate::signal
