// authenticator: every verdict of verify(), the stateless nonce, PASSWORD-ALGORITHMS
// negotiation, USERHASH, TURN REST secrets with rotation, RFC 5769 / 8489 vectors and signing.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../stun/test_util.hpp"
#include "icegate/stun/attributes.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/turn/auth.hpp"

namespace icegate::turn {

// Reaches the step after the NONCE checks, for vectors that carry someone else's nonce.
struct authenticator_test_access {
    static verdict authenticate(const authenticator& a, const stun::message_view& m,
                                stun::password_algorithm_id alg, std::int64_t unix_now) {
        return a.authenticate(m, alg, unix_now);
    }
};

namespace {

using stun::attribute_type;
using stun::password_algorithm_id;
using stun::transport_address;
using stun::test::bytes;
namespace status = stun::status;

constexpr std::int64_t now = 1'700'000'000;
constexpr std::string_view our_realm = "example.org";
const transport_address client = transport_address::v4({198, 51, 100, 20}, 50000);
const bytes our_algorithms = {0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};

std::shared_ptr<const auth_settings> make_settings(std::vector<std::string> secrets = {
                                                       "secret", "north-wind"}) {
    auto s = std::make_shared<auth_settings>();
    s->realm = std::string(our_realm);
    const auto add_user = [&s](std::string_view name, std::string_view password, bool sha256) {
        user_key u;
        u.name = std::string(name);
        u.md5 = *stun::long_term_key_md5(name, our_realm, password);
        if (sha256) {
            u.sha256 = *stun::long_term_key_sha256(name, our_realm, password);
        }
        s->users.push_back(u);
    };
    add_user("alice", "alice-pw", true);
    add_user("bob", "bob-pw", false); // MD5 key only
    add_user(stun::test::matrix_username, "TheMatrIX", true);
    s->secrets = std::move(secrets);
    for (std::size_t i = 0; i < s->nonce_key.size(); ++i) {
        s->nonce_key[i] = static_cast<std::uint8_t>(i + 1);
    }
    s->nonce_lifetime = 600;
    return s;
}

// The NONCE value of a challenge built by `a` for `who` at `t`.
std::string challenge_nonce(const authenticator& a, const transport_address& who, std::int64_t t) {
    bytes out(512);
    stun::message_builder b(out, {stun::method::allocate, stun::message_class::error_response},
                            stun::transaction_id{});
    EXPECT_FALSE((stun::error_code_attribute{status::unauthorized, "Unauthorized"}.encode(b)));
    EXPECT_FALSE(a.add_challenge(b, who, t));
    auto msg = b.finish();
    auto v = stun::message_view::parse(*msg);
    auto n = stun::get<stun::nonce>(*v);
    return n ? std::string(n->value) : std::string();
}

enum class integrity { none, sha1, sha256, sha1_then_bad_sha256, bad_sha1_then_sha256 };

// One Allocate request; every part can be left out or made wrong.
struct request_spec {
    std::optional<std::string> username = "alice";
    bool send_userhash = false;
    std::optional<std::string> realm = std::string(our_realm);
    std::optional<std::string> nonce; // empty optional: a fresh valid one for `client`
    integrity mi = integrity::sha1;
    std::string key_username = "alice"; // whose key signs (defaults to USERNAME's)
    std::string key_realm = std::string(our_realm);
    std::string password = "alice-pw";
    std::optional<password_algorithm_id> algorithm; // PASSWORD-ALGORITHM
    std::optional<bytes> algorithms;                // PASSWORD-ALGORITHMS value
    bytes algorithm_parameters;
};

bytes key_for(const request_spec& r) {
    if (r.algorithm == password_algorithm_id::sha256) {
        auto k = stun::long_term_key_sha256(r.key_username, r.key_realm, r.password);
        return bytes(k->begin(), k->end());
    }
    auto k = stun::long_term_key_md5(r.key_username, r.key_realm, r.password);
    return bytes(k->begin(), k->end());
}

void add_integrity(stun::message_builder& b, const request_spec& r) {
    const bytes key = key_for(r);
    const bytes wrong(key.size(), 0x42);
    switch (r.mi) {
    case integrity::none:
        break;
    case integrity::sha1:
        EXPECT_FALSE(b.add_message_integrity(key));
        break;
    case integrity::sha256:
        EXPECT_FALSE(b.add_message_integrity_sha256(key));
        break;
    case integrity::sha1_then_bad_sha256:
        EXPECT_FALSE(b.add_message_integrity(key));
        EXPECT_FALSE(b.add_message_integrity_sha256(wrong));
        break;
    case integrity::bad_sha1_then_sha256:
        EXPECT_FALSE(b.add_message_integrity(wrong));
        EXPECT_FALSE(b.add_message_integrity_sha256(key));
        break;
    }
}

bytes build(const authenticator& a, const request_spec& r) {
    bytes out(1024);
    stun::message_builder b(out, {stun::method::allocate, stun::message_class::request},
                            stun::transaction_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    EXPECT_FALSE(stun::requested_transport{}.encode(b));
    if (r.username) {
        EXPECT_FALSE(stun::username{*r.username}.encode(b));
    }
    if (r.send_userhash) {
        auto h = stun::compute_userhash(r.key_username, r.key_realm);
        EXPECT_FALSE(stun::userhash{*h}.encode(b));
    }
    if (r.realm) {
        EXPECT_FALSE(stun::realm{*r.realm}.encode(b));
    }
    const std::string nonce = r.nonce ? *r.nonce : challenge_nonce(a, client, now);
    if (!nonce.empty()) {
        EXPECT_FALSE(stun::nonce{nonce}.encode(b));
    }
    if (r.algorithms) {
        EXPECT_FALSE(b.add(attribute_type::password_algorithms, *r.algorithms));
    }
    if (r.algorithm) {
        EXPECT_FALSE((stun::password_algorithm{*r.algorithm, r.algorithm_parameters}.encode(b)));
    }
    add_integrity(b, r);
    auto msg = b.finish();
    EXPECT_TRUE(msg);
    return bytes(msg->begin(), msg->end());
}

verdict verify(const authenticator& a, const request_spec& r,
               const transport_address& from = client, std::int64_t t = now) {
    const bytes msg = build(a, r);
    auto v = stun::message_view::parse(msg);
    EXPECT_TRUE(v);
    return a.verify(*v, from, t);
}

request_spec sha256_request() {
    request_spec r;
    r.mi = integrity::sha256;
    r.algorithm = password_algorithm_id::sha256;
    r.algorithms = our_algorithms;
    return r;
}

request_spec rest_request(const std::string& username, const std::string& secret) {
    request_spec r;
    r.username = username;
    r.key_username = username;
    r.password = authenticator::rest_password(secret, username);
    return r;
}

class authenticator_test : public ::testing::Test {
protected:
    authenticator auth_{make_settings()};
};

// --- challenge and nonce -------------------------------------------------------------------

TEST_F(authenticator_test, ChallengeCarriesRealmNonceAndPasswordAlgorithms) {
    bytes out(512);
    stun::message_builder b(out, {stun::method::allocate, stun::message_class::error_response},
                            stun::transaction_id{});
    ASSERT_FALSE(auth_.add_challenge(b, client, now));
    auto v = stun::message_view::parse(*b.finish());
    ASSERT_TRUE(v);
    EXPECT_EQ(stun::get<stun::realm>(*v)->value, our_realm);
    const std::string_view nonce = stun::get<stun::nonce>(*v)->value;
    // "obMatJos2", then base64 of feature bits 0 and 1 (password algorithms, USERHASH).
    EXPECT_TRUE(nonce.starts_with("obMatJos2AAAD")) << nonce;
    EXPECT_LT(nonce.size(), 128u);
    EXPECT_EQ(nonce.size(), 45u);
    auto algs = stun::get<stun::password_algorithms>(*v);
    ASSERT_TRUE(algs);
    EXPECT_EQ(bytes(algs->raw.begin(), algs->raw.end()), our_algorithms);
    auto it = algs->begin();
    EXPECT_EQ((*it).algorithm, password_algorithm_id::sha256);
    EXPECT_EQ((*++it).algorithm, password_algorithm_id::md5);
}

TEST_F(authenticator_test, NonceIsStatelessAndBoundToTheKey) {
    const authenticator twin(make_settings());
    EXPECT_EQ(challenge_nonce(auth_, client, now), challenge_nonce(twin, client, now));
    EXPECT_NE(challenge_nonce(auth_, client, now), challenge_nonce(auth_, client, now + 1));

    auto other = std::make_shared<auth_settings>(*make_settings());
    other->nonce_key[0] ^= 1;
    const authenticator rekeyed(other);
    request_spec r;
    r.nonce = challenge_nonce(rekeyed, client, now);
    EXPECT_EQ(verify(auth_, r).code, status::stale_nonce);
}

TEST_F(authenticator_test, FreshNonceVerifiesUntilItsLifetimeEnds) {
    request_spec r;
    r.nonce = challenge_nonce(auth_, client, now - 600);
    EXPECT_TRUE(verify(auth_, r).ok());
    r.nonce = challenge_nonce(auth_, client, now - 601);
    EXPECT_EQ(verify(auth_, r).code, status::stale_nonce);
    r.nonce = challenge_nonce(auth_, client, now - 100'000);
    EXPECT_EQ(verify(auth_, r).code, status::stale_nonce);
}

TEST_F(authenticator_test, NonceFromTheFutureIsRefused) {
    request_spec r;
    r.nonce = challenge_nonce(auth_, client, now + 3); // clock skew between workers
    EXPECT_TRUE(verify(auth_, r).ok());
    r.nonce = challenge_nonce(auth_, client, now + 3600);
    EXPECT_EQ(verify(auth_, r).code, status::stale_nonce);
}

// Bound to the client's IP only: a client may reuse it from another port (several sockets or
// a NAT rebinding), and a dual-stack socket's v4-mapped form is the same client.
TEST_F(authenticator_test, NonceIsBoundToTheClientIp) {
    request_spec r;
    EXPECT_EQ(verify(auth_, r, transport_address::v4({198, 51, 100, 21}, 50000)).code,
              status::stale_nonce);
    EXPECT_EQ(verify(auth_, r, stun::test::v6("20010db8000000000000000000000001", 50000)).code,
              status::stale_nonce);
    EXPECT_TRUE(verify(auth_, r, transport_address::v4({198, 51, 100, 20}, 1)).ok());
    EXPECT_TRUE(verify(auth_, r, stun::test::v6("00000000000000000000ffffc6336414", 7)).ok());
}

TEST_F(authenticator_test, TamperedOrMalformedNonceGets438) {
    const std::string good = challenge_nonce(auth_, client, now);
    std::vector<std::string> bad;
    for (std::size_t at : {9u, 13u, 20u, 30u, 44u}) {
        std::string n = good;
        n[at] = n[at] == 'A' ? 'B' : 'A';
        bad.push_back(n);
    }
    bad.push_back(good.substr(0, 44));
    bad.push_back(good + "A");
    bad.push_back("obMatJos2AAAB" + good.substr(13)); // features changed: bid-down attempt
    bad.push_back("x");
    bad.push_back(std::string(45, '='));
    bad.push_back("obMatJos2AAAD" + std::string(32, '*'));
    for (const auto& n : bad) {
        request_spec r;
        r.nonce = n;
        EXPECT_EQ(verify(auth_, r).code, status::stale_nonce) << n;
    }
}

// --- message integrity and keys ------------------------------------------------------------

TEST_F(authenticator_test, Md5KeyWithMessageIntegrity) {
    const verdict v = verify(auth_, request_spec{});
    ASSERT_TRUE(v.ok()) << v.code;
    ASSERT_TRUE(v.cred);
    EXPECT_EQ(v.cred->username, "alice");
    EXPECT_FALSE(v.cred->expires);
    EXPECT_EQ(v.cred->algorithm, password_algorithm_id::md5);
    EXPECT_FALSE(v.cred->sha256_integrity);
    const auto md5 = *stun::long_term_key_md5("alice", our_realm, "alice-pw");
    EXPECT_EQ(bytes(v.cred->key_bytes().begin(), v.cred->key_bytes().end()),
              bytes(md5.begin(), md5.end()));
}

TEST_F(authenticator_test, Sha256KeyWithMessageIntegritySha256) {
    const verdict v = verify(auth_, sha256_request());
    ASSERT_TRUE(v.ok()) << v.code;
    EXPECT_EQ(v.cred->algorithm, password_algorithm_id::sha256);
    EXPECT_TRUE(v.cred->sha256_integrity);
    const auto sha = *stun::long_term_key_sha256("alice", our_realm, "alice-pw");
    EXPECT_EQ(bytes(v.cred->key_bytes().begin(), v.cred->key_bytes().end()),
              bytes(sha.begin(), sha.end()));
}

// The algorithm picks the key's hash; MESSAGE-INTEGRITY vs -SHA256 picks the HMAC.
TEST_F(authenticator_test, AlgorithmAndHmacAreIndependent) {
    request_spec md5_key_sha256_mac = sha256_request();
    md5_key_sha256_mac.algorithm = password_algorithm_id::md5;
    verdict v = verify(auth_, md5_key_sha256_mac);
    ASSERT_TRUE(v.ok()) << v.code;
    EXPECT_EQ(v.cred->key_size, 16);
    EXPECT_TRUE(v.cred->sha256_integrity);

    request_spec sha256_key_sha1_mac = sha256_request();
    sha256_key_sha1_mac.mi = integrity::sha1;
    v = verify(auth_, sha256_key_sha1_mac);
    ASSERT_TRUE(v.ok()) << v.code;
    EXPECT_EQ(v.cred->key_size, 32);
    EXPECT_FALSE(v.cred->sha256_integrity);
}

TEST_F(authenticator_test, MessageIntegritySha256WinsWhenBothArePresent) {
    request_spec r;
    r.mi = integrity::bad_sha1_then_sha256;
    EXPECT_TRUE(verify(auth_, r).ok());
    r.mi = integrity::sha1_then_bad_sha256;
    EXPECT_EQ(verify(auth_, r).code, status::unauthorized);
}

TEST_F(authenticator_test, NoIntegrityGets401) {
    request_spec r;
    r.mi = integrity::none;
    EXPECT_EQ(verify(auth_, r).code, status::unauthorized);
    r.username.reset(); // even with nothing else: 401 comes first
    r.realm.reset();
    r.nonce = "";
    EXPECT_EQ(verify(auth_, r).code, status::unauthorized);
}

TEST_F(authenticator_test, MissingUsernameRealmOrNonceGets400) {
    request_spec no_user;
    no_user.username.reset();
    EXPECT_EQ(verify(auth_, no_user).code, status::bad_request);
    request_spec no_realm;
    no_realm.realm.reset();
    EXPECT_EQ(verify(auth_, no_realm).code, status::bad_request);
    request_spec no_nonce;
    no_nonce.nonce = "";
    EXPECT_EQ(verify(auth_, no_nonce).code, status::bad_request);
}

TEST_F(authenticator_test, MalformedUserhashGets400) {
    request_spec r;
    r.username.reset();
    bytes out(512);
    stun::message_builder b(out, {stun::method::allocate, stun::message_class::request},
                            stun::transaction_id{});
    EXPECT_FALSE(b.add(attribute_type::userhash, bytes(31, 0)));
    EXPECT_FALSE(stun::realm{our_realm}.encode(b));
    EXPECT_FALSE(stun::nonce{challenge_nonce(auth_, client, now)}.encode(b));
    EXPECT_FALSE(b.add_message_integrity(key_for(r)));
    auto v = stun::message_view::parse(*b.finish());
    EXPECT_EQ(auth_.verify(*v, client, now).code, status::bad_request);
}

TEST_F(authenticator_test, WrongPasswordUnknownUserOrOtherRealmGets401) {
    request_spec wrong_password;
    wrong_password.password = "alice-PW";
    EXPECT_EQ(verify(auth_, wrong_password).code, status::unauthorized);

    request_spec unknown;
    unknown.username = unknown.key_username = "mallory";
    EXPECT_EQ(verify(auth_, unknown).code, status::unauthorized);

    // Signed consistently for another realm: still 401, and the challenge names ours.
    request_spec other_realm;
    other_realm.realm = other_realm.key_realm = "example.net";
    EXPECT_EQ(verify(auth_, other_realm).code, status::unauthorized);
}

TEST_F(authenticator_test, Md5OnlyUserCannotUseSha256) {
    request_spec r = sha256_request();
    r.username = r.key_username = "bob";
    r.password = "bob-pw";
    EXPECT_EQ(verify(auth_, r).code, status::unauthorized);
    r.algorithm = password_algorithm_id::md5;
    EXPECT_TRUE(verify(auth_, r).ok());
}

// --- PASSWORD-ALGORITHMS negotiation (RFC 8489 section 9.2.4) -------------------------------

TEST_F(authenticator_test, NegotiationMismatchGets400) {
    request_spec list_only = sha256_request();
    list_only.algorithm.reset();
    list_only.mi = integrity::sha1;
    EXPECT_EQ(verify(auth_, list_only).code, status::bad_request);

    request_spec algorithm_only = sha256_request();
    algorithm_only.algorithms.reset();
    EXPECT_EQ(verify(auth_, algorithm_only).code, status::bad_request);

    request_spec reordered = sha256_request(); // a bid-down would reorder or trim the list
    reordered.algorithms = bytes{0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00};
    EXPECT_EQ(verify(auth_, reordered).code, status::bad_request);

    request_spec trimmed = sha256_request();
    trimmed.algorithms = bytes{0x00, 0x02, 0x00, 0x00};
    EXPECT_EQ(verify(auth_, trimmed).code, status::bad_request);

    request_spec unknown_algorithm = sha256_request();
    unknown_algorithm.algorithm = static_cast<password_algorithm_id>(3);
    EXPECT_EQ(verify(auth_, unknown_algorithm).code, status::bad_request);

    request_spec with_parameters = sha256_request();
    with_parameters.algorithm_parameters = {1, 2, 3, 4};
    EXPECT_EQ(verify(auth_, with_parameters).code, status::bad_request);
}

// --- USERHASH -------------------------------------------------------------------------------

TEST_F(authenticator_test, UserhashFindsStaticUsers) {
    request_spec r = sha256_request();
    r.username.reset();
    r.send_userhash = true;
    const verdict v = verify(auth_, r);
    ASSERT_TRUE(v.ok()) << v.code;
    EXPECT_EQ(v.cred->username, "alice");

    r.key_username = "mallory";
    EXPECT_EQ(verify(auth_, r).code, status::unauthorized);
}

// A REST username cannot be recovered from its hash, so USERHASH works for static users only.
TEST_F(authenticator_test, UserhashCannotFindRestUsers) {
    request_spec r = rest_request("1700003600:carol", "secret");
    r.username.reset();
    r.send_userhash = true;
    EXPECT_EQ(verify(auth_, r).code, status::unauthorized);
}

// --- TURN REST ------------------------------------------------------------------------------

// Expected values computed independently:
// python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"secret",
//     b"1700000000:alice",hashlib.sha1).digest()).decode())'
TEST(RestPassword, KnownAnswers) {
    EXPECT_EQ(authenticator::rest_password("secret", "1700000000:alice"),
              "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
    EXPECT_EQ(authenticator::rest_password("north-wind", "1700000000:alice"),
              "Oko4dt8u/EbTRjRUJWQDFm/zTCc=");
}

TEST(RestPassword, ExpiryForms) {
    EXPECT_EQ(authenticator::rest_expiry("1700000000:alice"), 1700000000);
    EXPECT_EQ(authenticator::rest_expiry("1700000000"), 1700000000);
    EXPECT_EQ(authenticator::rest_expiry("1700000000:"), 1700000000);
    EXPECT_EQ(authenticator::rest_expiry("1700000000:a:b"), 1700000000);
    EXPECT_FALSE(authenticator::rest_expiry("alice:1700000000"));
    EXPECT_FALSE(authenticator::rest_expiry(":1700000000"));
    EXPECT_FALSE(authenticator::rest_expiry("17000x0000:alice"));
    EXPECT_FALSE(authenticator::rest_expiry("-1700000000:alice"));
    EXPECT_FALSE(authenticator::rest_expiry(""));
    EXPECT_FALSE(authenticator::rest_expiry("1234567890123456789:x")); // 19 digits
}

TEST_F(authenticator_test, RestCredentialVerifiesWithEverySecret) {
    for (const char* secret : {"secret", "north-wind"}) {
        const verdict v = verify(auth_, rest_request("1700003600:carol", secret));
        ASSERT_TRUE(v.ok()) << secret << " " << v.code;
        EXPECT_EQ(v.cred->username, "1700003600:carol");
        EXPECT_EQ(v.cred->expires, 1700003600);
    }
    EXPECT_TRUE(verify(auth_, rest_request("1700003600", "secret")).ok());
}

TEST_F(authenticator_test, RestCredentialWithSha256) {
    request_spec r = rest_request("1700003600:carol", "north-wind");
    r.mi = integrity::sha256;
    r.algorithm = password_algorithm_id::sha256;
    r.algorithms = our_algorithms;
    const verdict v = verify(auth_, r);
    ASSERT_TRUE(v.ok()) << v.code;
    EXPECT_EQ(v.cred->key_size, 32);
}

TEST_F(authenticator_test, ExpiredRestCredentialGets401) {
    EXPECT_EQ(verify(auth_, rest_request("1699999999:carol", "secret")).code, status::unauthorized);
    EXPECT_TRUE(verify(auth_, rest_request("1700000000:carol", "secret")).ok()); // expires now
}

TEST_F(authenticator_test, WrongSecretOrNoSecretsGets401) {
    EXPECT_EQ(verify(auth_, rest_request("1700003600:carol", "guess")).code, status::unauthorized);
    const authenticator no_rest(make_settings({}));
    EXPECT_EQ(verify(no_rest, rest_request("1700003600:carol", "secret")).code,
              status::unauthorized);
}

// --- RFC vectors ----------------------------------------------------------------------------

// RFC 5769 section 2.4: its NONCE is not ours (verify() says 438), so the MAC step is checked
// directly with the user configured from "TheMatrIX".
TEST_F(authenticator_test, Rfc5769LongTermVector) {
    const bytes msg = stun::test::load_vector("rfc5769_request_long_term.hex");
    auto v = stun::message_view::parse(msg);
    ASSERT_TRUE(v);
    EXPECT_EQ(auth_.verify(*v, client, now).code, status::stale_nonce);
    const verdict ok =
        authenticator_test_access::authenticate(auth_, *v, password_algorithm_id::md5, now);
    ASSERT_TRUE(ok.ok()) << ok.code;
    EXPECT_EQ(ok.cred->username, stun::test::matrix_username);

    auto wrong = std::make_shared<auth_settings>(*make_settings());
    wrong->users[2].md5 =
        *stun::long_term_key_md5(stun::test::matrix_username, our_realm, "TheMatrix");
    const authenticator mistaken(wrong);
    EXPECT_EQ(
        authenticator_test_access::authenticate(mistaken, *v, password_algorithm_id::md5, now).code,
        status::unauthorized);
}

// RFC 8489 B.1 (erratum-corrected): USERHASH, SHA-256 key, MESSAGE-INTEGRITY-SHA256.
TEST_F(authenticator_test, Rfc8489UserhashVector) {
    const bytes msg = stun::test::load_vector("rfc8489_b1_corrected.hex");
    auto v = stun::message_view::parse(msg);
    ASSERT_TRUE(v);
    const verdict ok =
        authenticator_test_access::authenticate(auth_, *v, password_algorithm_id::sha256, now);
    ASSERT_TRUE(ok.ok()) << ok.code;
    EXPECT_EQ(ok.cred->username, stun::test::matrix_username);
    EXPECT_TRUE(ok.cred->sha256_integrity);
    EXPECT_EQ(
        authenticator_test_access::authenticate(auth_, *v, password_algorithm_id::md5, now).code,
        status::unauthorized);
}

// --- signing --------------------------------------------------------------------------------

TEST_F(authenticator_test, SignedResponsesVerifyWithTheCodec) {
    for (const request_spec& r : {request_spec{}, sha256_request()}) {
        const verdict v = verify(auth_, r);
        ASSERT_TRUE(v.ok());
        bytes out(256);
        stun::message_builder b(out,
                                {stun::method::allocate, stun::message_class::success_response},
                                stun::transaction_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        EXPECT_FALSE(stun::lifetime{600}.encode(b));
        ASSERT_FALSE(authenticator::sign(b, *v.cred));
        ASSERT_FALSE(b.add_fingerprint());
        auto msg = b.finish();
        ASSERT_TRUE(msg);
        auto view = stun::message_view::parse(*msg);
        ASSERT_TRUE(view);
        EXPECT_TRUE(view->check_fingerprint());
        if (v.cred->sha256_integrity) {
            EXPECT_TRUE(view->check_message_integrity_sha256(v.cred->key_bytes()));
            EXPECT_FALSE(view->contains(attribute_type::message_integrity));
        } else {
            EXPECT_TRUE(view->check_message_integrity(v.cred->key_bytes()));
            EXPECT_FALSE(view->contains(attribute_type::message_integrity_sha256));
        }
    }
}

} // namespace
} // namespace icegate::turn
