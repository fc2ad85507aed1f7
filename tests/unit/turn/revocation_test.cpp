// Credentials that belong to a signaling session: revocation_set (bounded, expiring) and
// engine::revoke_rest_user (the allocations of a revoked TURN REST user part end at once, and
// the credential gets 401 until the revocation expires), on the fake clock.
#include "../../../src/turn/revocation_set.hpp"
#include "engine_test_fixture.hpp"

#include <algorithm>

namespace icegate::turn::test {
namespace {

using std::chrono::seconds;
namespace status = stun::status;

TEST(RevocationSet, HoldsUntilItsTimeInclusive) {
    revocation_set s;
    EXPECT_EQ(s.add("s-a", 1000, 900), 0u);
    EXPECT_TRUE(s.contains("s-a", 900));
    EXPECT_TRUE(s.contains("s-a", 1000));
    EXPECT_FALSE(s.contains("s-a", 1001));
    EXPECT_FALSE(s.contains("s-b", 900));
}

TEST(RevocationSet, ExpiredEntriesAreDroppedOnTheNextAdd) {
    revocation_set s;
    (void)s.add("s-a", 1000, 900);
    (void)s.add("s-b", 1100, 900);
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(s.add("s-c", 2000, 1050), 0u); // s-a ran out on its own: not early
    EXPECT_EQ(s.size(), 2u);
    EXPECT_FALSE(s.contains("s-a", 1050));
    EXPECT_TRUE(s.contains("s-b", 1050));
}

TEST(RevocationSet, BoundedOldestForgottenFirst) {
    revocation_set s(3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(s.add("s-" + std::to_string(i), 5000, 100), 0u);
    }
    EXPECT_EQ(s.add("s-3", 5000, 100), 1u); // full: s-0 goes before its time
    EXPECT_EQ(s.size(), 3u);
    EXPECT_FALSE(s.contains("s-0", 100));
    for (int i = 1; i < 4; ++i) {
        EXPECT_TRUE(s.contains("s-" + std::to_string(i), 100));
    }
    for (int i = 4; i < 1000; ++i) {
        (void)s.add("s-" + std::to_string(i), 5000, 100);
    }
    EXPECT_EQ(s.size(), 3u);
}

TEST(RevocationSet, RevokedAgainKeepsTheLaterTime) {
    revocation_set s(8);
    (void)s.add("s-a", 1000, 100);
    (void)s.add("s-a", 3000, 200);
    (void)s.add("s-a", 2000, 300);
    EXPECT_EQ(s.size(), 1u);
    (void)s.add("s-b", 5000, 1500); // the first s-a entry falls out: the user stays
    EXPECT_TRUE(s.contains("s-a", 2500));
    (void)s.add("s-c", 5000, 3001);
    EXPECT_FALSE(s.contains("s-a", 3001));
    EXPECT_EQ(s.size(), 2u);
}

class EngineSessionCredentials : public engine_test {
protected:
    void SetUp() override {
        engine_test::SetUp();
        auto with_secret = std::make_shared<auth_settings>(auth->settings());
        with_secret->secrets = {"rest-secret"};
        auth = std::make_shared<authenticator>(with_secret);
        eng->set_authenticator(auth);
    }
    // A REST credential "<expiry>:<tag>" valid for `ttl` from now.
    std::pair<std::string, std::string> credential(const std::string& tag,
                                                   seconds ttl = seconds(600)) {
        const std::string user = std::to_string(now().unix_seconds + ttl.count()) + ":" + tag;
        return {user, authenticator::rest_password("rest-secret", user)};
    }
    reply allocate_as(const client_ref& c, const std::pair<std::string, std::string>& cred) {
        return allocate(c, {}, cred.first, cred.second);
    }
    std::int64_t unix_in(seconds s) const { return now().unix_seconds + s.count(); }
};

TEST_F(EngineSessionCredentials, RevokeEndsTheSessionsAllocationsAndRefusesItsCredentials) {
    const auto ann = credential("s-ann");
    const auto ann_later = credential("s-ann", seconds(900)); // minted again (an ice refresh)
    const auto bo = credential("s-bo");
    const auto a1 = allocate_as(client(1), ann);
    const auto a2 = allocate_as(client(2), ann_later);
    ASSERT_TRUE(a1.success());
    ASSERT_TRUE(a2.success());
    ASSERT_TRUE(allocate_as(client(3), bo).success());
    ASSERT_TRUE(allocate(client(4)).success()); // a static user
    const std::vector<relay_id> ann_relays{relay_of(a1), relay_of(a2)};
    EXPECT_EQ(quotas->count("s-ann"), 2u);

    eng->revoke_rest_user("s-ann", unix_in(seconds(960)), now());
    EXPECT_EQ(eng->allocation_count(), 2u); // at once, not at the next Refresh
    auto closed = io.closed;
    std::ranges::sort(closed);
    EXPECT_EQ(closed, ann_relays);
    EXPECT_EQ(quotas->count("s-ann"), 0u);
    EXPECT_EQ(eng->counters().allocations_ended, 2u);

    // Both of the session's credentials are refused from now on, on any request.
    EXPECT_EQ(allocate_as(client(5), ann).error(), status::unauthorized);
    EXPECT_EQ(allocate_as(client(6), ann_later).error(), status::unauthorized);
    EXPECT_EQ(
        request(
            stun::method::refresh, [](stun::message_builder&) {}, client(1), ann.first, ann.second)
            .error(),
        status::unauthorized);
    // Another session's credential and the static user are untouched.
    EXPECT_TRUE(
        request(
            stun::method::refresh, [](stun::message_builder&) {}, client(3), bo.first, bo.second)
            .success());
    EXPECT_TRUE(refresh(client(4), 600).success());
    EXPECT_TRUE(allocate_as(client(7), bo).success());
}

TEST_F(EngineSessionCredentials, RevocationExpires) {
    const auto ann = credential("s-ann", seconds(3600));
    eng->revoke_rest_user("s-ann", unix_in(seconds(100)), now());
    EXPECT_EQ(allocate_as(client(1), ann).error(), status::unauthorized);
    tick_through(seconds(100));
    EXPECT_EQ(allocate_as(client(2), ann).error(), status::unauthorized); // inclusive
    tick_through(seconds(1));
    EXPECT_TRUE(allocate_as(client(3), ann).success());
}

// Only the whole user part matches: a static user of that name, or a user part that merely
// starts with the tag, keep their allocations.
TEST_F(EngineSessionCredentials, OnlyExactRestUserPartsAreRevoked) {
    ASSERT_TRUE(allocate_as(client(1), credential("s-annex")).success());
    ASSERT_TRUE(allocate(client(2)).success()); // static "alice"
    eng->revoke_rest_user("s-ann", unix_in(seconds(600)), now());
    eng->revoke_rest_user("alice", unix_in(seconds(600)), now());
    EXPECT_EQ(eng->allocation_count(), 2u);
    EXPECT_TRUE(refresh(client(2), 600).success()); // static users are never refused by it
    eng->revoke_rest_user("", unix_in(seconds(600)), now());
    EXPECT_EQ(eng->allocation_count(), 2u);
}

} // namespace
} // namespace icegate::turn::test
