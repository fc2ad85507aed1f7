// signal::session driven without sockets: frames and a hand-moved clock in, what it sends,
// closes and asks of the room table out. The room table behind the fake port is the real one.
#include "icegate/signal/session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "icegate/signal/join_token.hpp"
#include "room_table_fixture.hpp"

namespace icegate::signal {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::fake_link;

// The session's surroundings: records what it sends and asks, runs room work on a real table.
class fake_port : public session_port {
public:
    fake_port(room_table& table, clock_reading& clock) : table_(table), clock_(clock) {}

    void send(std::string frame) override { sent.push_back(json::parse(frame)); }
    void close(std::uint16_t code, std::string_view reason) override {
        closes.emplace_back(code, std::string(reason));
    }
    bool allow_join(steady_time) override { return joins_allowed; }
    // Each mint names its number and the session it was bound to: "user<n>@<session>".
    ice_mint ice_for(std::int64_t unix_now) override {
        mints.push_back(unix_now);
        return [n = mints.size()](const std::string& session) {
            return std::vector<ice_server>{ice_server{
                {"turn:127.0.0.1:3478"}, "user" + std::to_string(n) + "@" + session, "pw"}};
        };
    }
    void start_join(join_request req) override { joins.push_back(std::move(req)); }
    void to_room(const std::string& room, room_work work) override {
        rooms.push_back(room);
        work(table_, clock_);
    }
    void abuse_closed(int refused, std::chrono::seconds) override { abuse.push_back(refused); }
    void join_refused(const std::string& room, std::string_view why) override {
        refused_joins.push_back(room + ": " + std::string(why));
    }

    // The frames sent since the last call.
    std::vector<json> take() { return std::exchange(sent, {}); }

    std::vector<json> sent;
    std::vector<std::pair<std::uint16_t, std::string>> closes;
    std::vector<std::int64_t> mints;
    std::vector<join_request> joins;
    std::vector<std::string> rooms;
    std::vector<int> abuse;
    std::vector<std::string> refused_joins; // "room: reason"
    bool joins_allowed = true;

private:
    room_table& table_;
    clock_reading& clock_;
};

class session_test : public ::testing::Test {
protected:
    session_test()
        : table_(room_settings{},
                 [this](std::span<std::uint8_t> out) {
                     ++random_;
                     for (std::size_t i = 0; i < out.size(); ++i) {
                         out[i] = static_cast<std::uint8_t>(random_ + i);
                     }
                 }),
          port_(table_, clock_) {
        settings_.ice_refresh = 800s;
    }

    std::unique_ptr<session> make(std::shared_ptr<fake_link> link) {
        return std::make_unique<session>(settings_, port_, std::move(link), clock_);
    }
    void advance(std::chrono::milliseconds d) {
        clock_.now += d;
        clock_.wall_ms += d.count();
    }
    void text(session& s, const json& frame) { s.on_text(frame.dump(), clock_); }
    // Runs the join the session started at the real table and hands back its outcome.
    join_result finish_join(session& s) {
        EXPECT_EQ(port_.joins.size(), 1u);
        auto req = std::move(port_.joins.back());
        port_.joins.clear();
        const auto room = req.msg.room;
        auto r = table_.join(std::move(req), clock_);
        s.on_join_done(r, room, clock_);
        return r;
    }

    clock_reading clock_{std::chrono::steady_clock::time_point{} + 1000h, 1'700'000'000'000};
    session_settings settings_;
    int random_ = 0;
    room_table table_;
    fake_port port_;
};

TEST_F(session_test, PingsAnIdleSocketOnceThenDropsIt) {
    auto s = make(std::make_shared<fake_link>());
    advance(19s);
    s->on_tick(clock_);
    EXPECT_TRUE(port_.take().empty());
    advance(1s);
    s->on_tick(clock_);
    s->on_tick(clock_);
    const auto pings = port_.take();
    ASSERT_EQ(pings.size(), 1u); // one ping per silence, not one per tick
    EXPECT_EQ(pings[0]["type"], "ping");
    advance(24s);
    s->on_tick(clock_);
    EXPECT_TRUE(port_.closes.empty());
    advance(1s);
    s->on_tick(clock_);
    ASSERT_EQ(port_.closes.size(), 1u);
    EXPECT_EQ(port_.closes[0].first, 4001);
}

TEST_F(session_test, AnyFrameResetsTheKeepalive) {
    auto s = make(std::make_shared<fake_link>());
    advance(40s);
    text(*s, {{"type", "pong"}});
    advance(40s); // 80 s since the start, 40 s since the pong
    s->on_tick(clock_);
    EXPECT_TRUE(port_.closes.empty());
    ASSERT_EQ(port_.take().size(), 1u); // the ping after 20 s of silence
    advance(5s);
    s->on_tick(clock_);
    EXPECT_EQ(port_.closes.size(), 1u);
}

TEST_F(session_test, RateLimitRefusesBeyondTheBurstAndRefills) {
    settings_.message_rate = 5; // burst 20
    auto s = make(std::make_shared<fake_link>());
    for (int i = 0; i < 20; ++i) {
        text(*s, {{"type", "ping"}, {"id", i}});
    }
    auto got = port_.take();
    ASSERT_EQ(got.size(), 20u);
    EXPECT_EQ(got.back()["type"], "pong");
    EXPECT_EQ(got.back()["re"], 19);
    text(*s, {{"type", "ping"}, {"id", 20}});
    got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["type"], "error");
    EXPECT_EQ(got[0]["code"], "rate_limited");
    EXPECT_EQ(got[0]["re"], 20);
    advance(200ms); // one token at 5/s
    text(*s, {{"type", "ping"}});
    got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["type"], "pong");
}

TEST_F(session_test, TwentyRefusedFramesInTenSecondsClose1008) {
    auto s = make(std::make_shared<fake_link>());
    for (int i = 0; i < 19; ++i) {
        s->on_text("{not json", clock_);
        advance(500ms);
    }
    EXPECT_EQ(port_.take().size(), 19u); // each answered with an error
    EXPECT_TRUE(port_.closes.empty());
    s->on_text("{not json", clock_);
    EXPECT_TRUE(port_.take().empty()); // the 20th closes instead of answering
    ASSERT_EQ(port_.closes.size(), 1u);
    EXPECT_EQ(port_.closes[0].first, 1008);
    EXPECT_EQ(port_.abuse, std::vector<int>{20});
}

TEST_F(session_test, RefusedFramesAreCountedPerWindow) {
    auto s = make(std::make_shared<fake_link>());
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 19; ++i) {
            s->on_text("[]", clock_);
        }
        advance(11s); // a new window: the count starts again
    }
    EXPECT_TRUE(port_.closes.empty());
    EXPECT_EQ(port_.take().size(), 57u);
}

TEST_F(session_test, FramesBeforeJoinedWaitAndRunInOrder) {
    auto link = std::make_shared<fake_link>();
    auto s = make(link);
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    EXPECT_TRUE(s->joining());
    ASSERT_EQ(port_.mints.size(), 1u);
    EXPECT_EQ(port_.mints[0], 1'700'000'000); // Unix seconds of the clock
    text(*s, {{"type", "chat"}, {"text", "one"}});
    text(*s, {{"type", "ping"}, {"id", "p"}}); // answered at once, not held
    text(*s, {{"type", "chat"}, {"text", "two"}});
    auto got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["type"], "pong");
    EXPECT_TRUE(port_.rooms.empty());
    const auto r = finish_join(*s);
    ASSERT_TRUE(r.ok);
    EXPECT_FALSE(s->joining());
    EXPECT_EQ(s->room(), "r");
    EXPECT_EQ(s->member_id(), r.session);
    EXPECT_EQ(port_.rooms, (std::vector<std::string>{"r", "r"}));
    auto frames = link->take();
    ASSERT_EQ(frames.size(), 3u); // joined, then the two chats echoed in order
    EXPECT_EQ(frames[0]["type"], "joined");
    // Minted once the table knew the member's id: the credential is bound to the session.
    EXPECT_EQ(frames[0]["iceServers"][0]["username"], "user1@" + r.session);
    EXPECT_EQ(frames[1]["text"], "one");
    EXPECT_EQ(frames[2]["text"], "two");
}

TEST_F(session_test, HeldFramesAreBounded) {
    settings_.max_pending = 3;
    auto s = make(std::make_shared<fake_link>());
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    for (int i = 0; i < 4; ++i) {
        text(*s, {{"type", "chat"}, {"text", "x"}, {"id", i}});
    }
    const auto got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["code"], "rate_limited");
    EXPECT_EQ(got[0]["re"], 3);
}

TEST_F(session_test, MessagesBeforeJoinAndSecondJoinAreRefused) {
    auto s = make(std::make_shared<fake_link>());
    text(*s, {{"type", "chat"}, {"text", "x"}, {"id", 1}});
    auto got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["code"], "bad_request");
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    ASSERT_TRUE(finish_join(*s).ok);
    text(*s, {{"type", "join"}, {"room", "q"}, {"name", "Ann"}, {"id", 2}});
    got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["code"], "bad_request");
    EXPECT_EQ(got[0]["re"], 2);
    EXPECT_TRUE(port_.joins.empty());
}

TEST_F(session_test, JoinLimiterAndJoinTokenAreChecked) {
    settings_.join_secret = std::string(32, 's');
    auto s = make(std::make_shared<fake_link>());
    port_.joins_allowed = false;
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    EXPECT_EQ(port_.take().at(0)["code"], "rate_limited");
    port_.joins_allowed = true;
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    EXPECT_EQ(port_.take().at(0)["code"], "unauthorized");
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}, {"token", "x.y.z"}});
    EXPECT_EQ(port_.take().at(0)["code"], "unauthorized");
    EXPECT_TRUE(port_.joins.empty());
    EXPECT_TRUE(port_.mints.empty()); // no TURN credentials before the checks pass
}

TEST_F(session_test, IceCredentialsAreRefreshedWhileJoined) {
    auto link = std::make_shared<fake_link>();
    auto s = make(link);
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    const auto joined = finish_join(*s);
    ASSERT_TRUE(joined.ok);
    port_.take();
    for (int i = 0; i < 79; ++i) { // 790 s, keeping the socket alive
        advance(10s);
        text(*s, {{"type", "pong"}});
        s->on_tick(clock_);
    }
    EXPECT_TRUE(port_.take().empty());
    advance(10s);
    s->on_tick(clock_);
    const auto got = port_.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["type"], "ice");
    EXPECT_EQ(got[0]["iceServers"][0]["username"], "user2@" + joined.session);
}

TEST_F(session_test, ClosedMemberResumesWithinTheWindowOnly) {
    auto first = std::make_shared<fake_link>();
    auto s = make(first);
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    ASSERT_TRUE(finish_join(*s).ok);
    const std::string token = first->take().at(0)["resume"];
    s->on_closed(); // detached: the slot waits for the resume window (30 s)
    EXPECT_FALSE(s->room());
    s.reset();

    advance(29s);
    auto second = std::make_shared<fake_link>();
    auto again = make(second);
    text(*again, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}, {"resume", token}});
    const auto r = finish_join(*again);
    ASSERT_TRUE(r.ok);
    EXPECT_TRUE(r.resumed);
    const std::string token2 = second->take().at(0)["resume"];
    again->on_closed();

    advance(31s);
    table_.on_tick(clock_); // the table expires the slot
    auto third = std::make_shared<fake_link>();
    auto late = make(third);
    text(*late, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}, {"resume", token2}});
    EXPECT_FALSE(finish_join(*late).ok);
    EXPECT_EQ(third->take().at(0)["code"], "resume_failed");
    EXPECT_FALSE(late->room());
}

TEST_F(session_test, LeaveFreesTheRoomAndAllowsAnotherJoin) {
    auto link = std::make_shared<fake_link>();
    auto s = make(link);
    text(*s, {{"type", "join"}, {"room", "r"}, {"name", "Ann"}});
    ASSERT_TRUE(finish_join(*s).ok);
    text(*s, {{"type", "leave"}});
    EXPECT_FALSE(s->room());
    text(*s, {{"type", "join"}, {"room", "q"}, {"name", "Ann"}});
    ASSERT_TRUE(finish_join(*s).ok);
    EXPECT_EQ(s->room(), "q");
}

TEST_F(session_test, RefusedJoinsAreToldToThePortWithTheirReason) {
    auto s = make(std::make_shared<fake_link>());
    port_.joins_allowed = false;
    text(*s, {{"type", "join"}, {"room", "r1"}, {"name", "Ann"}});
    port_.joins_allowed = true;
    settings_.join_secret = "join-secret-never-logged";
    auto t = make(std::make_shared<fake_link>());
    text(*t, {{"type", "join"}, {"room", "r2"}, {"name", "Ann"}});
    settings_.join_secret.clear();
    auto u = make(std::make_shared<fake_link>());
    text(*u, {{"type", "join"}, {"room", "r3"}, {"name", "Ann"}, {"password", "pw-1"}});
    ASSERT_EQ(port_.joins.size(), 1u);
    port_.joins.clear();
    join_result full;
    full.refused = "room is full";
    u->on_join_done(full, "r3", clock_);
    join_result unexplained;
    u->on_join_done(unexplained, "r3", clock_);
    const std::vector<std::string> expected{"r1: too many joins from this address",
                                            "r2: this server needs a join token",
                                            "r3: room is full", "r3: refused"};
    EXPECT_EQ(port_.refused_joins, expected);
    auto ok = make(std::make_shared<fake_link>());
    text(*ok, {{"type", "join"}, {"room", "r4"}, {"name", "Bo"}});
    finish_join(*ok);
    EXPECT_EQ(port_.refused_joins.size(), 4u); // a join that succeeds is not refused
}

} // namespace
} // namespace icegate::signal
