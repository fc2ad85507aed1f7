// Tests for room_table routing: signal, chat (public echo, history, private), state, app,
// leave, stale links and close_all.
#include "icegate/signal/room_table.hpp"

#include <gtest/gtest.h>

#include "room_table_fixture.hpp"

namespace icegate::signal::testing {
namespace {

class room_routing_test : public room_table_test {
protected:
    // Ann, Bo and Cy in "r", Dee alone in "other"; all frames so far consumed.
    void SetUp() override {
        ann = join("r", "Ann");
        bo = join("r", "Bo");
        cy = join("r", "Cy");
        dee = join("other", "Dee");
        for (auto* c : {&ann, &bo, &cy, &dee}) {
            c->conn->take();
        }
    }

    void app(const client& from, const std::string& topic, json data,
             std::optional<std::string> to = std::nullopt) {
        app_message m;
        m.topic = topic;
        m.data = std::move(data);
        m.to = std::move(to);
        table_->on_app(from.session, from.conn.get(), m);
    }

    void expect_silence() {
        for (auto* c : {&ann, &bo, &cy, &dee}) {
            EXPECT_TRUE(c->conn->take().empty()) << c->joined["session"];
        }
    }

    void expect_no_such_peer(const client& c, const std::string& to, const json& re) {
        const json e = c.conn->take_one();
        EXPECT_EQ(e["type"], "error");
        EXPECT_EQ(e["code"], "no_such_peer");
        EXPECT_EQ(e["message"], "no member '" + to + "' in this room");
        EXPECT_EQ(e.value("re", json()), re); // null: no `re` at all
    }

    client ann, bo, cy, dee;
};

TEST_F(room_routing_test, SignalReachesOnlyItsTarget) {
    signal(ann, bo.session, json{{"type", "offer"}, {"sdp", "v=0"}}, message_id(std::int64_t{4}));
    EXPECT_EQ(bo.conn->take_one(), json({{"type", "signal"},
                                         {"from", ann.session},
                                         {"data", {{"type", "offer"}, {"sdp", "v=0"}}}}));
    expect_silence();
}

TEST_F(room_routing_test, SignalToNobodySelfOrAnotherRoomIsRefused) {
    signal(ann, "nobody", json(1), message_id(std::int64_t{5}));
    expect_no_such_peer(ann, "nobody", 5);
    signal(ann, ann.session, json(1), message_id(std::string("x")));
    expect_no_such_peer(ann, ann.session, "x");
    signal(ann, dee.session, json(1));
    expect_no_such_peer(ann, dee.session, nullptr);
    expect_silence();
}

TEST_F(room_routing_test, PublicChatIsEchoedWithTimestampAndKept) {
    advance(1234ms);
    chat(ann, "hi all", std::nullopt, message_id(std::string("c1")));
    const json expected = {{"type", "chat"},
                           {"from", ann.session},
                           {"name", "Ann"},
                           {"text", "hi all"},
                           {"ts", 1'700'000'001'234}};
    json echo = expected;
    echo["re"] = "c1";
    EXPECT_EQ(ann.conn->take_one(), echo);
    EXPECT_EQ(bo.conn->take_one(), expected);
    EXPECT_EQ(cy.conn->take_one(), expected);
    expect_silence();

    auto eve = join("r", "Eve");
    json entry = expected;
    entry.erase("type");
    EXPECT_EQ(eve.joined["history"], json::array({entry}));
}

TEST_F(room_routing_test, HistoryKeepsTheLastHundred) {
    for (int i = 0; i < 105; ++i) {
        chat(bo, "m" + std::to_string(i));
    }
    auto eve = join("r", "Eve");
    const json& h = eve.joined["history"];
    ASSERT_EQ(h.size(), 100u);
    EXPECT_EQ(h.front()["text"], "m5");
    EXPECT_EQ(h.back()["text"], "m104");
    EXPECT_EQ(join("other", "Fay").joined["history"], json::array()); // per room
}

TEST_F(room_routing_test, PrivateChatGoesToTargetAndSenderOnly) {
    chat(ann, "psst", bo.session, message_id(std::int64_t{9}));
    const json got = bo.conn->take_one();
    EXPECT_EQ(got["text"], "psst");
    EXPECT_EQ(got["from"], ann.session);
    EXPECT_EQ(got["to"], bo.session);
    EXPECT_EQ(got["private"], true);
    EXPECT_FALSE(got.contains("re"));
    json echo = got;
    echo["re"] = 9;
    EXPECT_EQ(ann.conn->take_one(), echo);
    expect_silence();
    EXPECT_EQ(join("r", "Eve").joined["history"], json::array()); // not kept
    ann.conn->take();

    chat(ann, "psst", "ghost", message_id(std::int64_t{10}));
    expect_no_such_peer(ann, "ghost", 10);
    chat(ann, "psst", ann.session);
    expect_no_such_peer(ann, ann.session, nullptr);
}

TEST(RoomHistory, ZeroKeepsNone) {
    struct silent : link {
        void deliver(frame_ptr) override {}
        void close(std::uint16_t, std::string_view) override {}
    };
    room_settings s;
    s.history = 0;
    room_table t(s, [n = 0](std::span<std::uint8_t> out) mutable {
        std::fill(out.begin(), out.end(), static_cast<std::uint8_t>(++n));
    });
    auto conn = std::make_shared<silent>();
    join_message m;
    m.room = "r";
    m.name = "Ann";
    const auto r = t.join(join_request{m, conn, {}}, clock_reading{});
    ASSERT_TRUE(r.ok);
    chat_message c;
    c.text = "hi";
    t.on_chat(r.session, conn.get(), c, clock_reading{});
    auto rec = std::make_shared<fake_link>();
    m.name = "Bo";
    ASSERT_TRUE(t.join(join_request{m, rec, {}}, clock_reading{}).ok);
    EXPECT_EQ(rec->take_one()["history"], json::array());
}

TEST_F(room_routing_test, StateFansOutToOthersOnly) {
    state(ann, media_state{true, true, false});
    json expected = peer_json(ann, "Ann", state_json(true, true, false));
    expected["type"] = "peer";
    expected["kind"] = "update";
    EXPECT_EQ(bo.conn->take_one(), expected);
    EXPECT_EQ(cy.conn->take_one(), expected);
    expect_silence();
    EXPECT_EQ(join("r", "Eve").joined["peers"][0]["state"], state_json(true, true, false));
}

TEST_F(room_routing_test, AppWithAndWithoutTarget) {
    app(ann, "whiteboard", json{{"x", 1}});
    const json expected = {
        {"type", "app"}, {"from", ann.session}, {"topic", "whiteboard"}, {"data", {{"x", 1}}}};
    EXPECT_EQ(bo.conn->take_one(), expected);
    EXPECT_EQ(cy.conn->take_one(), expected);
    expect_silence();

    app(ann, "file", json("meta"), cy.session);
    EXPECT_EQ(cy.conn->take_one()["topic"], "file");
    expect_silence();

    app(ann, "file", json("meta"), dee.session);
    expect_no_such_peer(ann, dee.session, nullptr);
    app(ann, "file", json("meta"), ann.session);
    expect_no_such_peer(ann, ann.session, nullptr);
    expect_silence();
}

TEST_F(room_routing_test, LeaveTellsTheOthersAndFreesTheSlot) {
    table_->on_leave(bo.session, bo.conn.get());
    json expected = peer_json(bo, "Bo");
    expected["type"] = "peer";
    expected["kind"] = "leave";
    EXPECT_EQ(ann.conn->take_one(), expected);
    EXPECT_EQ(cy.conn->take_one(), expected);
    expect_silence();
    EXPECT_EQ(table_->members(), 3u);
    signal(ann, bo.session, json(1));
    expect_no_such_peer(ann, bo.session, nullptr);

    table_->on_leave(dee.session, dee.conn.get());
    EXPECT_EQ(table_->rooms(), 1u);
    table_->on_leave(ann.session, ann.conn.get());
    table_->on_leave(cy.session, cy.conn.get());
    EXPECT_EQ(table_->rooms(), 0u);
    EXPECT_EQ(table_->members(), 0u);
}

TEST_F(room_routing_test, FramesFromTheWrongLinkAreIgnored) {
    // Bo's session with Cy's link, no link, an unknown session, a detached member.
    table_->on_signal(bo.session, cy.conn.get(), signal_message{{}, ann.session, json(1)});
    table_->on_signal(bo.session, nullptr, signal_message{{}, ann.session, json(1)});
    table_->on_signal("nobody", bo.conn.get(), signal_message{{}, ann.session, json(1)});
    table_->on_chat(bo.session, cy.conn.get(), chat_message{{}, "x", std::nullopt}, clock_);
    table_->on_state(bo.session, cy.conn.get(), state_message{{}, media_state{true, true, true}});
    table_->on_app(bo.session, cy.conn.get(), app_message{{}, "t", json(1), std::nullopt});
    table_->on_leave(bo.session, cy.conn.get());
    table_->on_detach(bo.session, cy.conn.get(), clock_);
    detach(cy);
    signal(cy, ann.session, json(1));
    chat(cy, "from a detached member");
    expect_silence();
    EXPECT_EQ(table_->members(), 4u);
    EXPECT_EQ(join("r", "Eve").joined["peers"][1]["state"], state_json(false, false, false));
}

TEST_F(room_routing_test, CloseAllClosesAttachedLinks) {
    detach(cy);
    table_->close_all(1001, "going away");
    for (auto* c : {&ann, &bo, &dee}) {
        ASSERT_EQ(c->conn->closes.size(), 1u);
        EXPECT_EQ(c->conn->closes[0].first, 1001);
        EXPECT_EQ(c->conn->closes[0].second, "going away");
    }
    EXPECT_TRUE(cy.conn->closes.empty());
}

} // namespace
} // namespace icegate::signal::testing
