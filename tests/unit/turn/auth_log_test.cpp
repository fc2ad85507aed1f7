// Refused TURN requests: one info line each on the "turn" logger naming client, transport,
// username as sent and reason (never a password, secret or nonce); the normal first 401 logs
// nothing; lines are capped per source and per second, and one summary line counts the rest.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using std::chrono::seconds;

constexpr std::string_view rest_secret = "rest-secret-do-not-log";

class auth_log_test : public engine_test {
protected:
    void SetUp() override {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
        auto logger = std::make_shared<spdlog::logger>("turn", sink);
        logger->set_pattern("%v");
        spdlog::register_logger(logger);
        engine_test::SetUp();
        auto as = std::make_shared<auth_settings>(auth->settings());
        as->secrets = {std::string(rest_secret)};
        auth = std::make_shared<authenticator>(as);
        eng->set_authenticator(auth);
    }
    void TearDown() override {
        eng.reset();
        spdlog::drop("turn");
    }

    std::vector<std::string> lines() const {
        std::vector<std::string> v;
        std::istringstream in(out.str());
        for (std::string l; std::getline(in, l);) {
            v.push_back(l);
        }
        return v;
    }
    std::vector<std::string> lines_with(std::string_view what) const {
        std::vector<std::string> v;
        for (const auto& l : lines()) {
            if (l.find(what) != std::string::npos) {
                v.push_back(l);
            }
        }
        return v;
    }
    // A signed Allocate from `from` with the current nonce; the answer is not awaited (it may
    // be suppressed by the unauthenticated answer rate).
    void bad_allocate(const client_ref& from, std::string_view user, std::string_view password) {
        eng->on_client_message(build(
                                   stun::method::allocate, stun::message_class::request, new_txn(),
                                   [](auto& b) { (void)stun::requested_transport{}.encode(b); },
                                   true, user, password),
                               from, now());
    }
    // A nonce for `from`'s address from an unsigned Allocate (the first challenge).
    void fetch_nonce(const client_ref& from) {
        const auto r =
            send(build(stun::method::allocate, stun::message_class::request, new_txn(), {}, false),
                 from);
        ASSERT_TRUE(r.has_value());
        take_nonce(*r);
    }

    std::ostringstream out;
};
using AuthLog = auth_log_test;

TEST_F(AuthLog, WrongPasswordIsOneLineAndTheFirstChallengeNone) {
    fetch_nonce(client());
    EXPECT_TRUE(out.str().empty()) << out.str();
    const auto r = allocate(client(), {}, "alice", "not-the-password");
    EXPECT_EQ(r.error(), stun::status::unauthorized);
    const auto l = lines();
    ASSERT_EQ(l.size(), 1u) << out.str();
    EXPECT_EQ(l[0], "auth failure: client=198.51.100.1:40001 transport=udp user=alice "
                    "reason=bad integrity");
    EXPECT_EQ(out.str().find("not-the-password"), std::string::npos);
    EXPECT_EQ(out.str().find("secret-a"), std::string::npos);
    EXPECT_EQ(out.str().find(nonce), std::string::npos);
}

TEST_F(AuthLog, EachReasonNamesUserAndTransport) {
    fetch_nonce(client());
    bad_allocate(client(), "mallory", "x");
    bad_allocate(client(2, client_transport::tcp), "1000:carol", "x"); // expired in 1970
    bad_allocate(client(3, client_transport::tls), "9999999999:carol", "x");
    const std::string good_nonce = nonce;
    nonce = "obMatJos2AAAAAnot-a-real-nonce";
    bad_allocate(client(4), "alice", "secret-a");
    nonce = good_nonce;
    const auto l = lines();
    ASSERT_EQ(l.size(), 4u) << out.str();
    EXPECT_EQ(l[0], "auth failure: client=198.51.100.1:40001 transport=udp user=mallory "
                    "reason=unknown user");
    EXPECT_EQ(l[1], "auth failure: client=198.51.100.1:40002 transport=tcp user=1000:carol "
                    "reason=expired REST username");
    EXPECT_EQ(l[2], "auth failure: client=198.51.100.1:40003 transport=tls "
                    "user=9999999999:carol reason=bad integrity");
    EXPECT_EQ(l[3], "auth failure: client=198.51.100.1:40004 transport=udp user=alice "
                    "reason=stale nonce");
    EXPECT_EQ(out.str().find(rest_secret), std::string::npos);
    EXPECT_EQ(out.str().find(authenticator::rest_password(rest_secret, "9999999999:carol")),
              std::string::npos);
}

TEST_F(AuthLog, UserhashIsNamedAsSuch) {
    fetch_nonce(client());
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [this](stun::message_builder& b) {
            (void)stun::requested_transport{}.encode(b);
            const std::array<std::uint8_t, 32> hash{1, 2, 3};
            b.add(stun::attribute_type::userhash, hash);
            (void)stun::realm{realm}.encode(b);
            (void)stun::nonce{nonce}.encode(b);
            (void)b.add_message_integrity(*stun::long_term_key_md5("x", realm, "y"));
        },
        false);
    eng->on_client_message(msg, client(), now());
    const auto l = lines();
    ASSERT_EQ(l.size(), 1u) << out.str();
    EXPECT_EQ(l[0], "auth failure: client=198.51.100.1:40001 transport=udp user=userhash "
                    "reason=unknown user");
}

TEST_F(AuthLog, QuotaExceeded) {
    settings.user_quota = 1;
    eng->set_settings(settings);
    ASSERT_TRUE(allocate(client(1)).success());
    EXPECT_EQ(allocate(client(2)).error(), stun::status::allocation_quota_reached);
    const auto l = lines_with("auth failure");
    ASSERT_EQ(l.size(), 1u) << out.str();
    EXPECT_EQ(l[0], "auth failure: client=198.51.100.1:40002 transport=udp user=alice "
                    "reason=quota exceeded");
}

TEST_F(AuthLog, RevokedRestUser) {
    const std::string user = "9999999999:dave";
    const std::string password = authenticator::rest_password(rest_secret, user);
    ASSERT_TRUE(allocate(client(1), {}, user, password).success());
    eng->revoke_rest_user("dave", 9999999999, now());
    EXPECT_EQ(allocate(client(2), {}, user, password).error(), stun::status::unauthorized);
    const auto l = lines_with("auth failure");
    ASSERT_EQ(l.size(), 1u) << out.str();
    EXPECT_EQ(l[0], "auth failure: client=198.51.100.1:40002 transport=udp "
                    "user=9999999999:dave reason=revoked");
    EXPECT_EQ(out.str().find(password), std::string::npos);
}

TEST_F(AuthLog, FloodFromOneSourceIsCappedAndSummed) {
    advance(seconds(1)); // the summary period starts
    fetch_nonce(client());
    for (int i = 0; i < 30; ++i) {
        bad_allocate(client(static_cast<std::uint8_t>(1 + i % 3)), "alice", "wrong");
    }
    EXPECT_EQ(lines_with("auth failure:").size(), 5u) << out.str();
    EXPECT_TRUE(lines_with("auth failure lines").empty());
    tick_through(seconds(10));
    const auto summary = lines_with("auth failure lines");
    ASSERT_EQ(summary.size(), 1u) << out.str();
    EXPECT_EQ(summary[0], "suppressed 25 auth failure lines from 1 sources in the last 10s "
                          "(over 5 per source per 10s or 20/s per worker)");
    // A new period: the source has its lines again, and a quiet period writes no summary.
    bad_allocate(client(), "alice", "wrong");
    EXPECT_EQ(lines_with("auth failure:").size(), 6u);
    tick_through(seconds(20));
    EXPECT_EQ(lines_with("auth failure lines").size(), 1u) << out.str();
}

TEST_F(AuthLog, SourcesAreIPv6Slash64) {
    advance(seconds(1));
    const auto from = [](std::uint8_t host) {
        auto a = v6(host, 40000);
        return client_ref{a, v4(192, 0, 2, 1, 3478), client_transport::tcp, host};
    };
    for (std::uint8_t h = 1; h <= 8; ++h) {
        fetch_nonce(from(h));
        bad_allocate(from(h), "alice", "wrong");
    }
    EXPECT_EQ(lines_with("auth failure:").size(), 5u) << out.str();
    tick_through(seconds(10));
    EXPECT_EQ(lines_with("suppressed 3 auth failure lines from 1 sources").size(), 1u) << out.str();
}

TEST_F(AuthLog, PerWorkerCapOverManySources) {
    advance(seconds(1));
    for (std::uint8_t n = 1; n <= 25; ++n) {
        const client_ref from{v4(198, 51, 100, n, 40000), v4(192, 0, 2, 1, 3478),
                              client_transport::udp, n};
        fetch_nonce(from);
        bad_allocate(from, "alice", "wrong");
    }
    EXPECT_EQ(lines_with("auth failure:").size(), 20u) << out.str();
    tick_through(seconds(10));
    EXPECT_EQ(lines_with("suppressed 5 auth failure lines from 5 sources").size(), 1u) << out.str();
}

} // namespace
} // namespace icegate::turn::test
