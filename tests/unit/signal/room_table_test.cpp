// Tests for room_table joins: the joined frame, peers, capacity, room passwords, resume with
// replay, detached members, expiry and room removal, ids and lifecycle events.
#include "icegate/signal/room_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "room_table_fixture.hpp"

namespace icegate::signal::testing {
namespace {

bool is_base64url(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

// ---- ids ----

TEST(RandomId, Is128BitsOfUnpaddedBase64url) {
    const random_source zeros = [](std::span<std::uint8_t> out) {
        std::fill(out.begin(), out.end(), std::uint8_t{0});
    };
    EXPECT_EQ(random_id(zeros), "AAAAAAAAAAAAAAAAAAAAAA");
    const random_source ones = [](std::span<std::uint8_t> out) {
        EXPECT_EQ(out.size(), 16u);
        std::fill(out.begin(), out.end(), std::uint8_t{0xff});
    };
    EXPECT_EQ(random_id(ones), "_____________________w");
}

// ---- join ----

TEST_F(room_table_test, JoinedFrameShape) {
    auto conn = std::make_shared<fake_link>();
    auto msg = join_msg("Book club", "Ann");
    msg.id = message_id(std::int64_t{1});
    const std::vector<ice_server> ice{{{"stun:h:3478"}, std::nullopt, std::nullopt},
                                      {{"turn:h:3478?transport=udp"}, "17:k3", "c"}};
    const auto r = send_join(msg, conn, ice);
    ASSERT_TRUE(r.ok);
    EXPECT_FALSE(r.resumed);
    const json j = conn->take_one();
    EXPECT_EQ(j["type"], "joined");
    EXPECT_EQ(j["session"], r.session);
    EXPECT_EQ(r.session.size(), 22u);
    EXPECT_TRUE(is_base64url(r.session)) << r.session;
    EXPECT_EQ(j["room"], "Book club");
    EXPECT_EQ(j["peers"], json::array());
    EXPECT_EQ(j["iceServers"], json::parse(R"([{"urls":["stun:h:3478"]},
        {"urls":["turn:h:3478?transport=udp"],"username":"17:k3","credential":"c"}])"));
    // Opaque: nothing of the session or the name shows in it.
    const std::string resume = j["resume"];
    EXPECT_GT(resume.size(), 100u);
    EXPECT_LE(resume.size(), max_resume_bytes);
    EXPECT_TRUE(is_base64url(resume)) << resume;
    EXPECT_EQ(resume.find(r.session), std::string::npos);
    EXPECT_FALSE(j.contains("resumed"));
    EXPECT_EQ(j["history"], json::array());
    EXPECT_EQ(j["re"], 1);
    EXPECT_EQ(table_->rooms(), 1u);
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_table_test, SecondMemberSeesThePeerAndTheFirstHearsOfTheJoin) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    EXPECT_NE(ann.session, bo.session);
    EXPECT_EQ(bo.joined["peers"], json::array({peer_json(ann, "Ann")}));
    EXPECT_FALSE(bo.joined.contains("re"));
    json expected = peer_json(bo, "Bo");
    expected["type"] = "peer";
    expected["kind"] = "join";
    EXPECT_EQ(ann.conn->take_one(), expected);
    EXPECT_TRUE(bo.conn->take().empty());

    auto cy = join("r", "Cy");
    EXPECT_EQ(cy.joined["peers"], json::array({peer_json(ann, "Ann"), peer_json(bo, "Bo")}));
    EXPECT_EQ(ann.conn->take_one()["session"], cy.session);
    EXPECT_EQ(bo.conn->take_one()["session"], cy.session);
}

TEST_F(room_table_test, RoomNamesAreExactStrings) {
    auto a = join("Room", "Ann");
    auto b = join("room", "Bo");
    auto c = join("Room ", "Cy");
    EXPECT_EQ(table_->rooms(), 3u);
    EXPECT_EQ(b.joined["peers"], json::array());
    EXPECT_EQ(c.joined["peers"], json::array());
    EXPECT_TRUE(a.conn->take().empty());
}

TEST_F(room_table_test, CapacityCountsDetachedMembers) {
    room_settings s;
    s.capacity = 2;
    reset(s);
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    detach(bo);
    auto msg = join_msg("r", "Cy");
    msg.id = message_id(std::string("j3"));
    const json e = join_error(msg);
    EXPECT_EQ(e["code"], "room_full");
    EXPECT_EQ(e["re"], "j3");
    EXPECT_EQ(table_->members(), 2u);
    EXPECT_EQ(ann.conn->take().size(), 1u); // Bo's join only, nothing about Cy

    advance(settings_.resume_window);
    table_->on_tick(clock_);
    join("r", "Cy");
}

TEST_F(room_table_test, TooManyRooms) {
    room_settings s;
    s.max_rooms = 1;
    reset(s);
    join("x", "Ann");
    const json e = join_error(join_msg("y", "Bo"));
    EXPECT_EQ(e["code"], "room_full");
    EXPECT_EQ(e["message"], "too many rooms");
    join("x", "Bo"); // an existing room still takes members
    EXPECT_EQ(table_->rooms(), 1u);
}

// ---- passwords ----

TEST_F(room_table_test, FirstJoinerSetsThePassword) {
    join("r", "Ann", "s3cret");

    auto missing = join_msg("r", "Bo");
    missing.id = message_id(std::int64_t{7});
    json e = join_error(missing);
    EXPECT_EQ(e["code"], "unauthorized");
    EXPECT_EQ(e["message"], "room needs a password");
    EXPECT_EQ(e["re"], 7);

    auto empty = join_msg("r", "Bo");
    empty.password = "";
    EXPECT_EQ(join_error(empty)["message"], "room needs a password");

    auto wrong = join_msg("r", "Bo");
    wrong.password = "s3cret ";
    wrong.id = message_id(std::int64_t{8});
    e = join_error(wrong);
    EXPECT_EQ(e["code"], "unauthorized");
    EXPECT_EQ(e["message"], "wrong room password");
    EXPECT_EQ(e["re"], 8);
    EXPECT_EQ(table_->members(), 1u);

    join("r", "Bo", "s3cret");
    EXPECT_EQ(table_->members(), 2u);
}

TEST_F(room_table_test, PasswordIntoAnOpenRoomIsIgnored) {
    join("open", "Ann");
    join("open", "Bo", "whatever");
    join("open", "Cy"); // Bo's password did not lock the room
    join("empty-pw", "Dee", "");
    join("empty-pw", "Eve"); // an empty password sets none
}

TEST_F(room_table_test, PasswordGoesWithTheRoom) {
    auto ann = join("r", "Ann", "pw");
    table_->on_leave(ann.session, ann.conn.get());
    EXPECT_EQ(table_->rooms(), 0u);
    join("r", "Bo"); // a new, open room of the same name
}

// ---- resume ----

TEST_F(room_table_test, ResumeReplaysMissedFramesInOrder) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    ann.conn->take();
    detach(bo);
    advance(5s);
    signal(ann, bo.session, json{{"sdp", "offer"}});
    chat(ann, "hello");
    state(ann, media_state{true, false, false});
    auto cy = join("r", "Cy");
    ann.conn->take();

    auto msg = join_msg("r", "Bo (new name ignored)");
    msg.resume = bo.resume;
    msg.id = message_id(std::string("r1"));
    auto conn2 = std::make_shared<fake_link>();
    const std::vector<ice_server> ice{{{"turn:h:3478"}, "new", "fresh"}};
    const auto r = send_join(msg, conn2, ice);
    ASSERT_TRUE(r.ok);
    EXPECT_TRUE(r.resumed);
    EXPECT_EQ(r.session, bo.session);

    const auto got = conn2->take();
    ASSERT_EQ(got.size(), 5u) << json(got).dump();
    EXPECT_EQ(got[0]["type"], "joined");
    EXPECT_EQ(got[0]["session"], bo.session);
    EXPECT_EQ(got[0]["resumed"], true);
    EXPECT_NE(got[0]["resume"], bo.resume); // a fresh token; the old one still works here
    EXPECT_EQ(got[0]["re"], "r1");
    EXPECT_EQ(got[0]["iceServers"][0]["credential"], "fresh");
    EXPECT_EQ(got[0]["peers"], json::array({peer_json(ann, "Ann", state_json(true, false, false)),
                                            peer_json(cy, "Cy")}));
    ASSERT_EQ(got[0]["history"].size(), 1u);
    EXPECT_EQ(got[0]["history"][0]["text"], "hello");
    EXPECT_EQ(got[1]["type"], "signal");
    EXPECT_EQ(got[1]["data"], json({{"sdp", "offer"}}));
    EXPECT_EQ(got[2]["type"], "chat");
    EXPECT_EQ(got[3]["kind"], "update");
    EXPECT_EQ(got[4]["kind"], "join");
    EXPECT_EQ(got[4]["session"], cy.session);

    EXPECT_TRUE(ann.conn->take().empty()); // no second join: they never saw Bo leave
    EXPECT_TRUE(cy.conn->take().empty());
    EXPECT_EQ(table_->members(), 3u);

    // Attached again: frames go straight to the new link, and the name stayed.
    chat(ann, "again");
    const json live = conn2->take_one();
    EXPECT_EQ(live["text"], "again");
    ann.conn->take();
    const client bo2{conn2, bo.session, bo.resume, got[0]};
    state(bo2, media_state{false, true, false});
    EXPECT_EQ(ann.conn->take_one()["name"], "Bo");
    table_->on_tick(clock_);
    advance(settings_.resume_window);
    table_->on_tick(clock_);
    EXPECT_EQ(table_->members(), 3u); // resumed members do not expire
}

TEST_F(room_table_test, ResumeReplacesAnAttachedLink) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    ann.conn->take();
    auto msg = join_msg("r", "Bo");
    msg.resume = bo.resume;
    auto conn2 = std::make_shared<fake_link>();
    ASSERT_TRUE(send_join(msg, conn2).ok);
    ASSERT_EQ(bo.conn->closes.size(), 1u);
    EXPECT_EQ(bo.conn->closes[0].first, 4000);
    EXPECT_EQ(bo.conn->closes[0].second, "replaced by a resumed connection");
    EXPECT_EQ(conn2->take_one()["session"], bo.session);

    // The old link is stale: its frames and its detach are ignored.
    signal(bo, ann.session, json("old"));
    table_->on_detach(bo.session, bo.conn.get(), clock_);
    table_->on_leave(bo.session, bo.conn.get());
    EXPECT_TRUE(ann.conn->take().empty());
    signal(ann, bo.session, json("to new"));
    EXPECT_EQ(conn2->take_one()["data"], "to new");
    EXPECT_TRUE(bo.conn->take().empty());
}

TEST_F(room_table_test, ResumeJustInsideTheWindow) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    detach(bo);
    advance(settings_.resume_window - 1ms);
    table_->on_tick(clock_);
    auto msg = join_msg("r", "Bo");
    msg.resume = bo.resume;
    EXPECT_TRUE(send_join(msg, std::make_shared<fake_link>()).ok);
}

TEST_F(room_table_test, ResumeAfterTheWindowFails) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    ann.conn->take();
    detach(bo);
    advance(settings_.resume_window);
    auto msg = join_msg("r", "Bo");
    msg.resume = bo.resume;
    msg.id = message_id(std::int64_t{3});
    // Before the tick has removed it, the token is already refused.
    json e = join_error(msg);
    EXPECT_EQ(e["code"], "resume_failed");
    EXPECT_EQ(e["message"], "resume token unknown or expired");
    EXPECT_EQ(e["re"], 3);

    table_->on_tick(clock_);
    EXPECT_EQ(table_->members(), 1u);
    const json left = ann.conn->take_one();
    EXPECT_EQ(left["kind"], "leave");
    EXPECT_EQ(left["session"], bo.session);
    EXPECT_EQ(join_error(msg)["code"], "resume_failed");
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_table_test, ResumeIntoAnotherRoomFails) {
    auto ann = join("a", "Ann");
    detach(ann);
    auto msg = join_msg("b", "Ann");
    msg.resume = ann.resume;
    EXPECT_EQ(join_error(msg)["code"], "resume_failed");
    EXPECT_EQ(table_->rooms(), 1u); // no room "b" was made
    EXPECT_EQ(table_->members(), 1u);
    msg.room = "a";
    EXPECT_TRUE(send_join(msg, std::make_shared<fake_link>()).ok); // the slot is still there
}

TEST_F(room_table_test, ResumeWithBadTokensFails) {
    auto ann = join("r", "Ann");
    detach(ann);
    std::string flipped = ann.resume;
    flipped[30] = flipped[30] == 'A' ? 'B' : 'A';
    std::string last = ann.resume;
    last.back() = last.back() == 'A' ? 'B' : 'A';
    for (const std::string& token :
         {flipped, last, ann.session, ann.session + "." + ann.session, ann.resume + "x",
          ann.resume + "AA", ann.resume.substr(0, 40), ann.resume.substr(1), std::string(),
          std::string("garbage"), std::string("a.b.c"), std::string(1024, 'A')}) {
        auto msg = join_msg("r", "Ann");
        msg.resume = token;
        EXPECT_EQ(join_error(msg)["code"], "resume_failed") << token;
    }
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_table_test, ResumeAfterLeaveFails) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    table_->on_leave(bo.session, bo.conn.get());
    auto msg = join_msg("r", "Bo");
    msg.resume = bo.resume;
    EXPECT_EQ(join_error(msg)["code"], "resume_failed");
}

// ---- detached members ----

TEST_F(room_table_test, DetachedOverflowDropsTheMember) {
    room_settings s;
    s.max_missed = 3;
    reset(s);
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    auto cy = join("r", "Cy");
    ann.conn->take();
    detach(bo);
    for (int i = 0; i < 3; ++i) {
        signal(ann, bo.session, json(i));
    }
    EXPECT_EQ(table_->members(), 3u);
    EXPECT_TRUE(cy.conn->take().empty());
    signal(ann, bo.session, json(3));
    EXPECT_EQ(table_->members(), 2u);
    EXPECT_EQ(ann.conn->take_one()["kind"], "leave");
    const json left = cy.conn->take_one();
    EXPECT_EQ(left["kind"], "leave");
    EXPECT_EQ(left["session"], bo.session);
    auto msg = join_msg("r", "Bo");
    msg.resume = bo.resume;
    EXPECT_EQ(join_error(msg)["code"], "resume_failed");
}

TEST_F(room_table_test, DetachedOverflowCountsBytes) {
    room_settings s;
    s.max_missed_bytes = 200;
    reset(s);
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    detach(bo);
    signal(ann, bo.session, json(std::string(100, 'x')));
    EXPECT_EQ(table_->members(), 2u);
    signal(ann, bo.session, json(std::string(100, 'y')));
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_table_test, RoomGoesWhenItsLastDetachedMemberExpires) {
    auto ann = join("r", "Ann");
    detach(ann);
    advance(settings_.resume_window - 1ms);
    table_->on_tick(clock_);
    EXPECT_EQ(table_->rooms(), 1u);
    EXPECT_EQ(table_->members(), 1u);
    advance(1ms);
    table_->on_tick(clock_);
    EXPECT_EQ(table_->rooms(), 0u);
    EXPECT_EQ(table_->members(), 0u);
}

TEST_F(room_table_test, EventsTellTheLifecycle) {
    std::vector<std::string> seen;
    table_->on_event([&](const table_event& e) {
        static const std::array names{"room_created",   "room_removed", "member_joined",
                                      "member_resumed", "member_left",  "member_expired",
                                      "member_evicted"};
        seen.push_back(std::string(names[static_cast<std::size_t>(e.kind)]) + " " +
                       std::string(e.room) + (e.session.empty() ? "" : " s"));
    });
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    detach(bo);
    auto msg = join_msg("r", "Bo");
    msg.resume = bo.resume;
    ASSERT_TRUE(send_join(msg, std::make_shared<fake_link>()).ok);
    table_->on_leave(ann.session, ann.conn.get());
    EXPECT_EQ(seen,
              (std::vector<std::string>{"room_created r", "member_joined r s", "member_joined r s",
                                        "member_resumed r s", "member_left r s"}));
}

TEST_F(room_table_test, MemberEventsNameTheMember) {
    std::vector<std::string> seen;
    table_->on_event([&](const table_event& e) {
        seen.push_back(std::string(e.room) + "|" + std::string(e.name) + "|" +
                       (e.session.empty() ? "" : "s"));
    });
    auto ann = join("r", "Ann");
    table_->on_leave(ann.session, ann.conn.get());
    EXPECT_EQ(seen, (std::vector<std::string>{"r||", "r|Ann|s", "r|Ann|s", "r||"}));
}

TEST_F(room_table_test, RefusedJoinsSayWhy) {
    room_settings s;
    s.capacity = 1;
    reset(s);
    join("r", "Ann");
    EXPECT_EQ(send_join(join_msg("r", "Bo"), std::make_shared<fake_link>()).refused,
              "room is full");
}

} // namespace
} // namespace icegate::signal::testing
