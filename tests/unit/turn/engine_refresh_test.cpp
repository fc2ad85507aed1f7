// TURN engine: Refresh (RFC 8656 section 7.3), allocation expiry on the timer wheel, client
// connections closing and shutdown.
#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using stun::address_family;
namespace status = stun::status;
using std::chrono::seconds;
using EngineRefresh = engine_test;

TEST_F(EngineRefresh, LifetimeIsClamped) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(refresh(client(), 100000).get<stun::lifetime>()->value, 3600u);
    EXPECT_EQ(refresh(client(), 30).get<stun::lifetime>()->value, 600u);
    EXPECT_EQ(refresh(client(), 1200).get<stun::lifetime>()->value, 1200u);
    EXPECT_EQ(refresh(client(), std::nullopt).get<stun::lifetime>()->value, 600u);
}

TEST_F(EngineRefresh, ZeroDeletesAndClosesTheRelay) {
    const auto a = allocate(client());
    ASSERT_TRUE(a.success());
    const relay_id relay = relay_of(a);
    const auto r = refresh(client(), 0);
    ASSERT_TRUE(r.success());
    EXPECT_EQ(r.get<stun::lifetime>()->value, 0u);
    EXPECT_TRUE(
        r.view->check_message_integrity(*stun::long_term_key_md5("alice", realm, "secret-a")));
    EXPECT_EQ(io.closed, std::vector<relay_id>{relay});
    EXPECT_EQ(eng->allocation_count(), 0u);
    EXPECT_EQ(quotas->total(), 0u);
    EXPECT_EQ(eng->counters().allocations_ended, 1u);
    // A retransmitted delete finds nothing.
    EXPECT_EQ(refresh(client(), 0).error(), status::allocation_mismatch);
}

TEST_F(EngineRefresh, WithoutAllocationIs437) {
    EXPECT_EQ(refresh(client(), 600).error(), status::allocation_mismatch);
}

TEST_F(EngineRefresh, FamilyTheAllocationLacksIs443) {
    ASSERT_TRUE(allocate(client()).success());
    const auto r = request(
        stun::method::refresh,
        [](auto& b) { (void)stun::requested_address_family{address_family::ipv6}.encode(b); },
        client());
    EXPECT_EQ(r.error(), status::peer_address_family_mismatch);
    const auto ok = request(
        stun::method::refresh,
        [](auto& b) { (void)stun::requested_address_family{address_family::ipv4}.encode(b); },
        client());
    EXPECT_TRUE(ok.success());
}

TEST_F(EngineRefresh, AllocationExpiresOnTick) {
    const auto a = allocate(client());
    const relay_id relay = relay_of(a);
    tick_through(seconds(599));
    EXPECT_EQ(eng->allocation_count(), 1u);
    EXPECT_TRUE(io.closed.empty());
    tick_through(seconds(1));
    EXPECT_EQ(eng->allocation_count(), 0u);
    EXPECT_EQ(io.closed, std::vector<relay_id>{relay});
    EXPECT_EQ(quotas->total(), 0u);
}

TEST_F(EngineRefresh, RefreshPostponesExpiry) {
    ASSERT_TRUE(allocate(client()).success());
    tick_through(seconds(500));
    ASSERT_TRUE(refresh(client(), 600).success());
    tick_through(seconds(599));
    EXPECT_EQ(eng->allocation_count(), 1u);
    tick_through(seconds(1));
    EXPECT_EQ(eng->allocation_count(), 0u);
}

TEST_F(EngineRefresh, ShorterRefreshExpiresEarlier) {
    ASSERT_TRUE(
        allocate(client(), [](auto& b) { (void)stun::lifetime{3600}.encode(b); }).success());
    ASSERT_TRUE(refresh(client(), 600).success());
    tick_through(seconds(600));
    EXPECT_EQ(eng->allocation_count(), 0u);
}

TEST_F(EngineRefresh, ExpiryWhenTicksAreLate) {
    ASSERT_TRUE(allocate(client()).success());
    advance(seconds(5000)); // one late tick
    EXPECT_EQ(eng->allocation_count(), 0u);
}

TEST_F(EngineRefresh, ExpiredButNotReapedAllocationIsNotUsable) {
    ASSERT_TRUE(allocate(client()).success());
    elapsed += seconds(601); // no tick
    EXPECT_EQ(refresh(client(), 600).error(), status::allocation_mismatch);
    EXPECT_TRUE(allocate(client()).success()); // replaces it
    EXPECT_EQ(io.closed.size(), 1u);
}

TEST_F(EngineRefresh, ClientClosedEndsTheAllocation) {
    const auto c = client(1, client_transport::tcp);
    const auto a = allocate(c);
    ASSERT_TRUE(a.success());
    const relay_id relay = relay_of(a);
    eng->on_client_closed(client(2, client_transport::tcp)); // not ours
    EXPECT_EQ(eng->allocation_count(), 1u);
    eng->on_client_closed(c);
    EXPECT_EQ(eng->allocation_count(), 0u);
    EXPECT_EQ(io.closed, std::vector<relay_id>{relay});
}

TEST_F(EngineRefresh, CloseAllEndsEverything) {
    ASSERT_TRUE(allocate(client(1)).success());
    ASSERT_TRUE(
        allocate(client(2), [](auto& b) { (void)stun::even_port{true}.encode(b); }).success());
    eng->close_all();
    EXPECT_EQ(eng->allocation_count(), 0u);
    EXPECT_TRUE(io.open_relays.empty()); // the reservation's socket too
    EXPECT_EQ(quotas->total(), 0u);
}

// Many allocations deleted at once leave their wheel entries behind; the tick that clears
// them must keep the entries of the allocations still live.
TEST_F(EngineRefresh, MassDeleteKeepsTheSurvivorsTimers) {
    settings.user_quota = 0;
    settings.allocation_rate = 0; // 1100 at one instant from one host
    make_engine();
    const auto nth = [this](int i) {
        client_ref c = client();
        c.client.port = static_cast<std::uint16_t>(20000 + i);
        return c;
    };
    constexpr int count = 1100; // more than the engine leaves to fire on their own
    for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(allocate(nth(i)).success()) << i;
    }
    tick_through(seconds(10));
    ASSERT_TRUE(allocate(nth(count)).success()); // due 10 s after the others
    for (int i = 1; i < count; ++i) {
        ASSERT_TRUE(refresh(nth(i), 0).success()) << i;
    }
    EXPECT_EQ(eng->allocation_count(), 2u);
    tick_through(seconds(589));
    EXPECT_EQ(eng->allocation_count(), 2u);
    tick_through(seconds(1)); // 600 s after the first
    EXPECT_EQ(eng->allocation_count(), 1u);
    tick_through(seconds(10));
    EXPECT_EQ(eng->allocation_count(), 0u);
    EXPECT_EQ(quotas->total(), 0u);
}

TEST_F(EngineRefresh, EngineDestructionClosesRelaysAndGivesQuotaBack) {
    const auto a = allocate(client(1));
    ASSERT_TRUE(a.success());
    const relay_id relay = relay_of(a);
    ASSERT_EQ(quotas->count("alice"), 1u);
    eng.reset();
    EXPECT_EQ(io.closed, std::vector<relay_id>{relay});
    EXPECT_TRUE(io.open_relays.empty());
    EXPECT_EQ(quotas->count("alice"), 0u);
    EXPECT_EQ(quotas->total(), 0u);
}

} // namespace
} // namespace icegate::turn::test

namespace icegate::turn::test {
namespace {

using EngineRevocation = engine_test;

// A reload that drops alice: her allocation lives on until its next Refresh, which gets 401
// and ends it (quota given back, relay closed); bob's, whose key is unchanged, refreshes.
TEST_F(EngineRevocation, RemovedUserEndsAtItsNextRefresh) {
    const auto a = allocate(client(1));
    ASSERT_TRUE(a.success());
    const relay_id relay = relay_of(a);
    ASSERT_TRUE(allocate(client(2), {}, "bob", "secret-b").success());
    auto next = std::make_shared<auth_settings>(auth->settings());
    next->users.erase(next->users.begin()); // alice
    eng->set_authenticator(std::make_shared<authenticator>(next));
    EXPECT_EQ(eng->allocation_count(), 2u); // nothing ends before its Refresh
    EXPECT_EQ(refresh(client(1), 600).error(), stun::status::unauthorized);
    EXPECT_EQ(eng->allocation_count(), 1u);
    EXPECT_EQ(quotas->total(), 1u);
    EXPECT_EQ(io.closed, std::vector<relay_id>{relay});
    const auto r = request(
        stun::method::refresh, [](stun::message_builder&) {}, client(2), "bob", "secret-b");
    EXPECT_TRUE(r.success());
    EXPECT_EQ(eng->allocation_count(), 1u);
}

// A changed password revokes too; a 401 for some other reason (a wrong password sent by
// anyone from that address) does not end an allocation whose credential is still good.
TEST_F(EngineRevocation, OnlyARevokedCredentialEndsTheAllocation) {
    ASSERT_TRUE(allocate(client(1)).success());
    const auto r = request(
        stun::method::refresh, [](stun::message_builder&) {}, client(1), "alice", "wrong");
    EXPECT_EQ(r.error(), stun::status::unauthorized);
    EXPECT_EQ(eng->allocation_count(), 1u);
    auto next = std::make_shared<auth_settings>(auth->settings());
    next->users[0].md5 = *stun::long_term_key_md5("alice", realm, "new-password");
    eng->set_authenticator(std::make_shared<authenticator>(next));
    EXPECT_EQ(refresh(client(1), 600).error(), stun::status::unauthorized);
    EXPECT_EQ(eng->allocation_count(), 0u);
}

// TURN REST: retiring the secret that minted a credential revokes its allocation.
TEST_F(EngineRevocation, RetiredSecretRevokes) {
    auto with_secret = std::make_shared<auth_settings>(auth->settings());
    with_secret->secrets = {"first-secret"};
    eng->set_authenticator(std::make_shared<authenticator>(with_secret));
    const std::string user = std::to_string(now().unix_seconds + 600) + ":web";
    const auto pw = authenticator::rest_password("first-secret", user);
    ASSERT_TRUE(allocate(client(1), {}, user, pw).success());
    auto rotated = std::make_shared<auth_settings>(*with_secret);
    rotated->secrets = {"second-secret", "first-secret"};
    eng->set_authenticator(std::make_shared<authenticator>(rotated));
    EXPECT_TRUE(request(
                    stun::method::refresh, [](stun::message_builder&) {}, client(1), user, pw)
                    .success()); // still among the secrets
    rotated = std::make_shared<auth_settings>(*with_secret);
    rotated->secrets = {"second-secret"};
    eng->set_authenticator(std::make_shared<authenticator>(rotated));
    EXPECT_EQ(request(
                  stun::method::refresh, [](stun::message_builder&) {}, client(1), user, pw)
                  .error(),
              stun::status::unauthorized);
    EXPECT_EQ(eng->allocation_count(), 0u);
}

} // namespace
} // namespace icegate::turn::test
