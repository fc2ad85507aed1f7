// Tests for resuming into a restarted table (a new room_table with the same key, as a new
// process with the same state_dir): members come back with their session and name; tokens that
// are forged, from another key or room, expired, or from this very table without a slot do not.
#include <gtest/gtest.h>

#include "icegate/signal/room_table.hpp"
#include "room_table_fixture.hpp"

namespace icegate::signal::testing {
namespace {

class room_restart_test : public room_table_test {
protected:
    room_restart_test() { reset(room_settings{}, key_); }

    void restart(const resume_key& key) { reset(settings_, key); }
    void restart() { restart(key_); }

    join_message resume_msg(const std::string& room, const std::string& token,
                            const std::string& name = "ignored") {
        auto m = join_msg(room, name);
        m.resume = token;
        return m;
    }

    // Resumes on a new connection and expects success: the `joined` frame is consumed.
    client resume(const std::string& room, const std::string& token) {
        client c;
        c.conn = std::make_shared<fake_link>();
        const auto r = send_join(resume_msg(room, token), c.conn);
        EXPECT_TRUE(r.ok);
        EXPECT_TRUE(r.resumed);
        const auto got = c.conn->take();
        EXPECT_EQ(got.size(), 1u) << json(got).dump();
        if (!got.empty()) {
            c.joined = got.front();
        }
        c.session = c.joined.value("session", "");
        c.resume = c.joined.value("resume", "");
        EXPECT_EQ(r.session, c.session);
        return c;
    }

    resume_key key_ = [] {
        resume_key k{};
        k.fill(0x42);
        return k;
    }();
};

TEST_F(room_restart_test, MembersComeBackAsTheSamePeopleAndTalk) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    chat(ann, "before");
    restart();
    EXPECT_EQ(table_->members(), 0u);

    const client ann2 = resume("r", ann.resume);
    EXPECT_EQ(ann2.session, ann.session);
    EXPECT_EQ(ann2.joined["resumed"], true);
    EXPECT_EQ(ann2.joined["peers"], json::array()); // Bo is not back yet
    EXPECT_EQ(ann2.joined["history"], json::array());
    EXPECT_NE(ann2.resume, ann.resume);

    const client bo2 = resume("r", bo.resume);
    EXPECT_EQ(bo2.session, bo.session);
    EXPECT_EQ(bo2.joined["peers"], json::array({peer_json(ann, "Ann")})); // the name came back
    const json seen = ann2.conn->take_one();
    EXPECT_EQ(seen["type"], "peer");
    EXPECT_EQ(seen["kind"], "join");
    EXPECT_EQ(seen["session"], bo.session);
    EXPECT_EQ(seen["name"], "Bo");
    EXPECT_EQ(table_->members(), 2u);
    EXPECT_EQ(table_->rooms(), 1u);

    signal(ann2, bo.session, json{{"sdp", "offer"}});
    const json got = bo2.conn->take_one();
    EXPECT_EQ(got["type"], "signal");
    EXPECT_EQ(got["from"], ann.session);
    chat(bo2, "after");
    EXPECT_EQ(ann2.conn->take_one()["name"], "Bo");

    // Back in the new table, the slot rules hold again: a drop and a resume replay as before.
    detach(bo2);
    chat(ann2, "while away");
    ann2.conn->take();
    const client bo3 = [&] {
        client c;
        c.conn = std::make_shared<fake_link>();
        EXPECT_TRUE(send_join(resume_msg("r", bo2.resume), c.conn).ok);
        const auto frames = c.conn->take();
        EXPECT_EQ(frames.size(), 2u);
        return c;
    }();
    EXPECT_EQ(table_->members(), 2u);
}

TEST_F(room_restart_test, AnotherKeyOrRoomIsRefused) {
    auto ann = join("a", "Ann");
    restart(resume_key{}); // another key: a state_dir that was lost
    auto e = join_error(resume_msg("a", ann.resume));
    EXPECT_EQ(e["code"], "resume_failed");
    EXPECT_EQ(e["message"], "resume token unknown or expired");
    restart();
    EXPECT_EQ(join_error(resume_msg("b", ann.resume))["code"], "resume_failed");
    EXPECT_EQ(table_->rooms(), 0u); // nothing was made
    EXPECT_EQ(resume("a", ann.resume).session, ann.session);
}

TEST_F(room_restart_test, ForgedTokensAreRefused) {
    auto ann = join("r", "Ann");
    restart();
    std::string flipped = ann.resume;
    flipped[ann.resume.size() / 2] = flipped[ann.resume.size() / 2] == 'A' ? 'B' : 'A';
    for (const std::string& token : {flipped, ann.session, ann.session + "." + ann.session,
                                     ann.resume.substr(0, ann.resume.size() - 2)}) {
        EXPECT_EQ(join_error(resume_msg("r", token))["code"], "resume_failed") << token;
    }
    EXPECT_EQ(table_->members(), 0u);
}

TEST_F(room_restart_test, ExpiresAfterTheWindowAndTheAllowance) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    restart();
    advance(settings_.resume_window + settings_.restart_allowance - 1ms);
    EXPECT_EQ(resume("r", ann.resume).session, ann.session); // just inside
    advance(1ms);
    const json e = join_error(resume_msg("r", bo.resume));
    EXPECT_EQ(e["code"], "resume_failed");
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_restart_test, AttachedMembersGetFreshTokensThatOutliveTheFirst) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    ann.conn->take();
    detach(bo); // a detached member gets none: its resume brings one
    const auto half = settings_.restart_allowance / 2;
    advance(half - 1s);
    table_->on_tick(clock_);
    EXPECT_EQ(ann.conn->take_one()["kind"], "leave"); // Bo's window ran out; no token yet
    advance(1s);
    table_->on_tick(clock_);
    const json first = ann.conn->take_one();
    EXPECT_EQ(first["type"], "resume");
    advance(half);
    table_->on_tick(clock_);
    const json second = ann.conn->take_one();
    EXPECT_EQ(second["type"], "resume");
    EXPECT_NE(second["resume"], first["resume"]);
    table_->on_tick(clock_);
    EXPECT_TRUE(ann.conn->take().empty()); // once per interval
    // The tokens from joined have run out by now; the newest one has not.
    advance(settings_.resume_window + 1s); // 2 * half + window + 1 s after joined
    restart();
    EXPECT_EQ(join_error(resume_msg("r", ann.resume))["code"], "resume_failed");
    EXPECT_EQ(resume("r", second["resume"]).session, ann.session);
}

TEST_F(room_restart_test, ATokenOfThisTableWithoutASlotIsRefused) {
    auto ann = join("r", "Ann");
    auto bo = join("r", "Bo");
    table_->on_leave(bo.session, bo.conn.get()); // left: the token ends with the slot
    EXPECT_EQ(join_error(resume_msg("r", bo.resume))["code"], "resume_failed");
    detach(ann);
    advance(settings_.resume_window);
    table_->on_tick(clock_); // expired
    EXPECT_EQ(join_error(resume_msg("r", ann.resume))["code"], "resume_failed");
    EXPECT_EQ(table_->rooms(), 0u);
}

TEST_F(room_restart_test, APasswordRoomKeepsItsPasswordAcrossTheRestart) {
    auto ann = join("p", "Ann", "pw");
    restart();
    const int checks = pw_work_;
    EXPECT_EQ(resume("p", ann.resume).session, ann.session); // no password needed, no hash run
    EXPECT_EQ(pw_work_, checks);
    // Newcomers still need the password, checked against the hash the token brought back.
    EXPECT_EQ(join_error(join_msg("p", "Cy"))["message"], "room needs a password");
    auto wrong = join_msg("p", "Cy");
    wrong.password = "nope";
    EXPECT_EQ(join_error(wrong)["message"], "wrong room password");
    join("p", "Cy", "pw");
}

TEST_F(room_restart_test, ARoomMadeAnewWithAnotherPasswordRefusesTheToken) {
    auto ann = join("p", "Ann", "pw");
    auto bo = join("o", "Bo");
    restart();
    join("p", "Squatter"); // made open before Ann came back
    EXPECT_EQ(join_error(resume_msg("p", ann.resume))["code"], "resume_failed");
    join("o", "Cy"); // open, as it was: Bo's token fits it
    EXPECT_EQ(resume("o", bo.resume).session, bo.session);
    auto q = join("q2", "Ed");
    restart();
    join("q2", "Fay", "another"); // once open, now with a password: Ed's token is refused
    EXPECT_EQ(join_error(resume_msg("q2", q.resume))["code"], "resume_failed");
}

TEST_F(room_restart_test, CapacityStillApplies) {
    room_settings s;
    s.capacity = 2;
    reset(s, key_);
    auto ann = join("r", "Ann");
    restart();
    join("r", "Cy");
    join("r", "Di");
    const json e = join_error(resume_msg("r", ann.resume));
    EXPECT_EQ(e["code"], "room_full");
}

TEST_F(room_restart_test, TheRoomLimitStillApplies) {
    room_settings s;
    s.max_rooms = 1;
    reset(s, key_);
    auto ann = join("r", "Ann");
    restart();
    join("x", "Cy");
    const json e = join_error(resume_msg("r", ann.resume));
    EXPECT_EQ(e["code"], "room_full");
    EXPECT_EQ(e["message"], "too many rooms");
    EXPECT_EQ(table_->rooms(), 1u);
}

TEST_F(room_restart_test, TwoConnectionsWithOneTokenShareOneSlot) {
    auto ann = join("r", "Ann");
    restart();
    const client first = resume("r", ann.resume);
    const client second = resume("r", ann.resume); // the slot exists now: it takes it over
    ASSERT_EQ(first.conn->closes.size(), 1u);
    EXPECT_EQ(first.conn->closes[0].first, 4000);
    EXPECT_EQ(second.session, ann.session);
    EXPECT_EQ(table_->members(), 1u);
}

} // namespace
} // namespace icegate::signal::testing
