// TURN engine: the pre-authentication limits. Error answers to UDP requests that did not
// authenticate stop past the source's bucket (no reflection of spoofed floods); Binding and
// authenticated requests are still answered; Allocates past limits.allocation_rate get 486.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "engine_test_fixture.hpp"
#include "icegate/stun/binding.hpp"

namespace icegate::turn::test {
namespace {

namespace status = stun::status;
using std::chrono::seconds;

class engine_preauth_test : public engine_test {
protected:
    bytes unauthenticated_allocate() {
        return build(
            stun::method::allocate, stun::message_class::request, new_txn(),
            [](auto& b) { (void)stun::requested_transport{}.encode(b); }, false);
    }
    // How many of `n` unauthenticated Allocates from `from` are answered (each must be a 401).
    int answered(const client_ref& from, int n) {
        int count = 0;
        for (int i = 0; i < n; ++i) {
            const auto r = send(unauthenticated_allocate(), from);
            if (r) {
                EXPECT_EQ(r->error(), status::unauthorized);
                ++count;
            }
        }
        return count;
    }
    bytes binding(bool fingerprint) {
        return build(stun::method::binding, stun::message_class::request, new_txn(), {}, false, "",
                     "", fingerprint);
    }
    client_ref v6_client(std::uint8_t last, std::uint8_t subnet = 0) const {
        auto a = v6(last, 40000);
        a.bytes[7] = subnet;
        return {a, v6(1, 3478), client_transport::udp, 7};
    }
};
using EnginePreauth = engine_preauth_test;

TEST_F(EnginePreauth, UnauthenticatedAnswersStopPastTheBurst) {
    EXPECT_EQ(answered(client(), 100), 20);
    EXPECT_EQ(eng->counters().answers_suppressed, 80u);
    // Other ports of the same host are the same source.
    EXPECT_EQ(answered(client(2), 10), 0);
}

TEST_F(EnginePreauth, TheBucketRefillsAtTheRate) {
    EXPECT_EQ(answered(client(), 30), 20);
    advance(seconds(1));
    EXPECT_EQ(answered(client(), 30), 10);
    advance(seconds(60));
    EXPECT_EQ(answered(client(), 30), 20);
}

TEST_F(EnginePreauth, OtherSourcesAreStillAnswered) {
    EXPECT_EQ(answered(client(), 30), 20);
    const client_ref other{v4(198, 51, 100, 2, 40000), v4(192, 0, 2, 1, 3478),
                           client_transport::udp, 9};
    EXPECT_EQ(answered(other, 5), 5);
}

TEST_F(EnginePreauth, Ipv6SourcesShareTheirSlash64) {
    EXPECT_EQ(answered(v6_client(1), 30), 20);
    EXPECT_EQ(answered(v6_client(2), 5), 0); // same /64
    EXPECT_EQ(answered(v6_client(1, 1), 5), 5);
}

TEST_F(EnginePreauth, EveryUnauthenticatedErrorCounts) {
    // 420 (unknown comprehension-required attribute), 400 (a method not offered) and 401
    // draw on one bucket.
    const std::array<std::uint8_t, 4> value{};
    for (int i = 0; i < 8; ++i) {
        const auto r =
            send(build(
                     stun::method::allocate, stun::message_class::request, new_txn(),
                     [&](auto& b) { (void)b.add(stun::attribute_type{0x7f00}, value); }, false),
                 client());
        ASSERT_TRUE(r);
        EXPECT_EQ(r->error(), status::unknown_attribute);
        const auto c =
            send(build(stun::method::connect, stun::message_class::request, new_txn(), {}, false),
                 client());
        ASSERT_TRUE(c);
        EXPECT_EQ(c->error(), status::bad_request);
    }
    EXPECT_EQ(answered(client(), 10), 4);
    EXPECT_FALSE(
        send(build(stun::method::connect, stun::message_class::request, new_txn(), {}, false),
             client())
            .has_value());
}

TEST_F(EnginePreauth, StaleNonceAnswersCount) {
    ASSERT_TRUE(allocate(client()).success()); // one 401 taken; `nonce` is now known
    advance(seconds(3600));                    // long enough for the nonce to go stale
    int stale = 0;
    for (int i = 0; i < 40; ++i) {
        const auto r =
            send(build(stun::method::refresh, stun::message_class::request, new_txn(), {}, true),
                 client());
        if (r) {
            EXPECT_EQ(r->error(), status::stale_nonce);
            ++stale;
        }
    }
    EXPECT_EQ(stale, 20);
}

TEST_F(EnginePreauth, AuthenticatedRequestsAreAnsweredPastTheBucket) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(answered(client(), 30), 19);
    EXPECT_TRUE(refresh(client(), 600).success());
    EXPECT_TRUE(create_permission(client(), {peer_a}).success());
}

TEST_F(EnginePreauth, TcpIsNotLimited) {
    EXPECT_EQ(answered(client(1, client_transport::tcp), 50), 50);
    EXPECT_EQ(eng->counters().answers_suppressed, 0u);
}

TEST_F(EnginePreauth, ReloadChangesTheRate) {
    EXPECT_EQ(answered(client(), 30), 20);
    auto s = settings;
    s.unauthenticated_answer_rate = 0; // off
    eng->set_settings(s);
    EXPECT_EQ(answered(client(), 30), 30);
    s.unauthenticated_answer_rate = 100;
    s.unauthenticated_answer_burst = 2;
    eng->set_settings(s);
    advance(seconds(10));
    EXPECT_EQ(answered(client(), 30), 2);
    advance(seconds(1));
    EXPECT_EQ(answered(client(), 300), 2); // the burst caps what a second banks
}

TEST_F(EnginePreauth, BindingIsAnsweredThroughoutAndTakesNoToken) {
    for (int i = 0; i < 50; ++i) {
        const auto r = send(binding(false), client());
        ASSERT_TRUE(r && r->success());
    }
    EXPECT_EQ(answered(client(), 30), 20);
    for (int i = 0; i < 50; ++i) {
        const auto r = send(binding(i % 2 == 0), client());
        ASSERT_TRUE(r && r->success());
    }
    EXPECT_EQ(eng->counters().answers_suppressed, 10u);
}

TEST_F(EnginePreauth, BindingAnswerIsAtMost64BytesOverItsRequest) {
    // The largest answer: an IPv6 XOR-MAPPED-ADDRESS, SOFTWARE, FINGERPRINT.
    for (const std::string& sw : std::array<std::string, 3>{"", "icegate", std::string(120, 's')}) {
        settings.software = sw;
        make_engine();
        for (const bool fp : {false, true}) {
            const auto req = binding(fp);
            const auto r = send(req, v6_client(3));
            ASSERT_TRUE(r && r->success());
            EXPECT_EQ(r->get<stun::xor_mapped_address>()->address, v6_client(3).client);
            EXPECT_LE(r->raw.size(), req.size() + stun::max_binding_growth) << sw << fp;
            EXPECT_LE(stun::max_binding_growth, 64u);
            EXPECT_EQ(r->view->contains(attribute_type::fingerprint), fp);
        }
    }
    // Short software fits even a bare 20-byte request: 20 + 24 + 12 = 56 bytes.
    settings.software = "icegate";
    make_engine();
    const auto r = send(binding(false), v6_client(3));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->raw.size(), 56u);
    EXPECT_TRUE(r->view->contains(attribute_type::software));
}

TEST_F(EnginePreauth, AllocationRateIs486PastTheCap) {
    settings.allocation_rate = 5;
    settings.user_quota = 0;
    make_engine();
    for (std::uint8_t n = 1; n <= 5; ++n) {
        ASSERT_TRUE(allocate(client(n)).success()) << int{n};
    }
    const auto refused = allocate(client(6));
    EXPECT_EQ(refused.error(), status::allocation_quota_reached);
    EXPECT_TRUE(refused.view->contains(attribute_type::message_integrity)); // authenticated
    EXPECT_EQ(eng->counters().allocations_rate_limited, 1u);
    EXPECT_EQ(eng->allocation_count(), 5u);
    advance(seconds(1));
    ASSERT_TRUE(allocate(client(6)).success());
    // Another host has its own bucket.
    const client_ref other{v4(198, 51, 100, 2, 40000), v4(192, 0, 2, 1, 3478),
                           client_transport::udp, 9};
    EXPECT_TRUE(allocate(other).success());
}

TEST_F(EnginePreauth, AllocateRetransmissionsTakeNoToken) {
    settings.allocation_rate = 1;
    make_engine();
    const auto id = new_txn();
    const auto write = [](auto& b) { (void)stun::requested_transport{}.encode(b); };
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(
            request(stun::method::allocate, write, client(), "alice", "secret-a", id).success());
    }
    EXPECT_EQ(allocate(client(2)).error(), status::allocation_quota_reached);
    auto s = settings;
    s.allocation_rate = 0; // a reload lifts the cap
    eng->set_settings(s);
    EXPECT_TRUE(allocate(client(2)).success());
}

class engine_preauth_log_test : public engine_preauth_test {
protected:
    void SetUp() override {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
        logger = std::make_shared<spdlog::logger>("turn", sink);
        logger->set_pattern("%v");
        spdlog::register_logger(logger);
        engine_test::SetUp();
    }
    void TearDown() override {
        eng.reset();
        spdlog::drop("turn");
    }
    std::ostringstream out;
    std::shared_ptr<spdlog::logger> logger;
};
using EnginePreauthLog = engine_preauth_log_test;

TEST_F(EnginePreauthLog, OneSummaryLineEveryTenSecondsNotOnePerPacket) {
    advance(seconds(1)); // the period starts on a tick
    EXPECT_EQ(answered(client(), 1000), 20);
    const client_ref other{v4(198, 51, 100, 2, 40000), v4(192, 0, 2, 1, 3478),
                           client_transport::udp, 9};
    EXPECT_EQ(answered(other, 100), 20);
    EXPECT_EQ(out.str(), "");
    tick_through(seconds(9));
    EXPECT_EQ(out.str(), "");
    advance(seconds(1));
    EXPECT_EQ(out.str(), "in the last 10s: suppressed 1060 unauthenticated answers to 2 sources "
                         "(over 10/s, burst 20, per source and worker); refused 0 allocations "
                         "from 0 sources (over 20/s)\n");
    tick_through(seconds(30)); // nothing suppressed since: nothing more
    const std::string text = out.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

} // namespace
} // namespace icegate::turn::test
