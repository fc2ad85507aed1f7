// The user parts of minted TURN credentials (credential_user.hpp) and the room table minting
// them for the member's session id: on a join, on a resume, after a restart's readmission.
#include "icegate/signal/credential_user.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "room_table_fixture.hpp"

namespace icegate::signal {
namespace {

using testing::fake_link;

TEST(CredentialUser, StableDistinctAndNotTheIdItself) {
    const std::string a = session_credential_user("k3JdAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(a, session_credential_user("k3JdAAAAAAAAAAAAAAAAAA"));
    EXPECT_NE(a, session_credential_user("k3JdAAAAAAAAAAAAAAAAAB"));
    EXPECT_TRUE(std::regex_match(a, std::regex("s-[A-Za-z0-9_-]{22}"))) << a;
    EXPECT_EQ(a.find("k3Jd"), std::string::npos);
    const std::string t = subject_credential_user("room", "Ann");
    EXPECT_TRUE(std::regex_match(t, std::regex("t-[A-Za-z0-9_-]{22}"))) << t;
    EXPECT_EQ(t, subject_credential_user("room", "Ann"));
    EXPECT_NE(t, subject_credential_user("roomA", "nn")); // lengths are part of the hash
    EXPECT_NE(t, subject_credential_user("Ann", "room"));
    EXPECT_NE(t.substr(2), session_credential_user("room").substr(2));
}

// A join request whose mint records the session ids it was called with.
join_request minting(join_message msg, std::shared_ptr<fake_link> conn,
                     std::vector<std::string>& calls) {
    join_request req{std::move(msg), std::move(conn), {}};
    req.mint = [&calls](const std::string& session) {
        calls.push_back(session);
        return std::vector<ice_server>{{{"turn:h:3478"}, "1:" + session, "pw"}};
    };
    return req;
}

TEST(CredentialUser, TableMintsForTheMembersSessionOnJoinAndResume) {
    auto random = [n = 0](std::span<std::uint8_t> out) mutable {
        for (auto& b : out) {
            b = static_cast<std::uint8_t>(++n);
        }
    };
    room_table t(room_settings{}, random);
    clock_reading clock{std::chrono::steady_clock::time_point{} + std::chrono::hours(1),
                        1'700'000'000'000};
    std::vector<std::string> calls;
    auto first = std::make_shared<fake_link>();
    join_message m;
    m.room = "r";
    m.name = "Ann";
    const auto r = t.join(minting(m, first, calls), clock);
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(calls, std::vector<std::string>{r.session});
    const auto joined = first->take().at(0);
    EXPECT_EQ(joined["iceServers"][0]["username"], "1:" + r.session);
    t.on_detach(r.session, first.get(), clock);
    auto second = std::make_shared<fake_link>();
    m.resume = joined["resume"].get<std::string>();
    const auto back = t.join(minting(m, second, calls), clock);
    ASSERT_TRUE(back.ok);
    EXPECT_EQ(calls, (std::vector<std::string>{r.session, r.session}));
    // A resume that fails mints nothing.
    t.on_leave(r.session, second.get());
    EXPECT_FALSE(t.join(minting(m, std::make_shared<fake_link>(), calls), clock).ok);
    EXPECT_EQ(calls.size(), 2u);
}

} // namespace
} // namespace icegate::signal
