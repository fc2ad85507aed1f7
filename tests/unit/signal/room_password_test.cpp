// Tests for room passwords as two-phase joins: the table asks for argon2id work instead of
// doing it, takes a verdict only while the room's hash is still the one it is about, and caps
// the checks asked for per room.
#include "icegate/signal/room_table.hpp"

#include <gtest/gtest.h>

#include "room_table_fixture.hpp"

namespace icegate::signal::testing {
namespace {

class room_password_test : public room_table_test {
protected:
    // One round of a join: what the table answers to `req` as it is, no work done.
    join_result round(join_request& req) { return table_->join(req, clock_); }

    static join_request request(const std::string& room, const std::string& name,
                                std::optional<std::string> password) {
        auto msg = join_msg(room, name);
        msg.password = std::move(password);
        msg.id = message_id(std::int64_t{42});
        return join_request{std::move(msg), std::make_shared<fake_link>(), {}};
    }

    static fake_link& conn_of(const join_request& req) {
        return static_cast<fake_link&>(*req.conn);
    }

    // Creates `room` with `password`; returns the room's hash.
    std::string create(const std::string& room, const std::string& password) {
        auto req = request(room, "Ann", password);
        const auto r = round(req);
        EXPECT_TRUE(r.work && r.work->op == password_op::make);
        req.verdict = run_password_work(*r.work);
        EXPECT_TRUE(round(req).ok);
        return req.verdict->hash;
    }

    // A verify verdict made without argon2: the table must trust it only for `hash`.
    static password_verdict verified(std::string hash, bool ok) {
        return password_verdict{password_op::verify, std::move(hash), ok};
    }
};

TEST_F(room_password_test, CreatingAPasswordRoomAsksForAHashAndSendsNothing) {
    auto req = request("r", "Ann", "s3cret");
    const auto r = round(req);
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.work);
    EXPECT_EQ(r.work->op, password_op::make);
    EXPECT_EQ(r.work->password, "s3cret");
    EXPECT_TRUE(conn_of(req).frames.empty());
    EXPECT_EQ(table_->rooms(), 0u); // not created before the hash exists

    req.verdict = run_password_work(*r.work);
    ASSERT_TRUE(req.verdict->ok);
    EXPECT_TRUE(req.verdict->hash.starts_with("$argon2id$")) << req.verdict->hash;
    const auto done = round(req);
    ASSERT_TRUE(done.ok);
    EXPECT_FALSE(done.work);
    EXPECT_EQ(conn_of(req).take_one()["type"], "joined");
}

TEST_F(room_password_test, JoiningAsksForACheckAgainstTheRoomsHash) {
    const std::string hash = create("r", "s3cret");
    auto req = request("r", "Bo", "guess");
    const auto r = round(req);
    ASSERT_TRUE(r.work);
    EXPECT_EQ(r.work->op, password_op::verify);
    EXPECT_EQ(r.work->hash, hash);
    EXPECT_EQ(r.work->password, "guess");
    EXPECT_TRUE(conn_of(req).frames.empty());
    EXPECT_EQ(table_->members(), 1u);
    EXPECT_FALSE(run_password_work(*r.work).ok);
    auto right = *r.work;
    right.password = "s3cret";
    EXPECT_TRUE(run_password_work(right).ok);
}

TEST_F(room_password_test, RightVerdictAdmits) {
    const std::string hash = create("r", "s3cret");
    auto req = request("r", "Bo", "whatever: the verdict decides");
    req.verdict = verified(hash, true);
    const auto r = round(req);
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.work);
    EXPECT_EQ(conn_of(req).take_one()["type"], "joined");
    EXPECT_EQ(table_->members(), 2u);
}

TEST_F(room_password_test, WrongVerdictIsUnauthorized) {
    const std::string hash = create("r", "s3cret");
    auto req = request("r", "Bo", "guess");
    req.verdict = verified(hash, false);
    const auto r = round(req);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.work);
    const json e = conn_of(req).take_one();
    EXPECT_EQ(e["code"], "unauthorized");
    EXPECT_EQ(e["message"], "wrong room password");
    EXPECT_EQ(e["re"], 42);
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_password_test, VerdictForARoomMadeAnewIsWeighedAfresh) {
    auto ann = join("r", "Ann", "first");
    auto bo = request("r", "Bo", "first");
    const auto asked = round(bo);
    ASSERT_TRUE(asked.work);
    const std::string old_hash = asked.work->hash;

    // While Bo's check runs, the room goes and Cy makes it anew with another password.
    table_->on_leave(ann.session, ann.conn.get());
    ASSERT_EQ(table_->rooms(), 0u);
    const std::string new_hash = create("r", "second");
    ASSERT_NE(new_hash, old_hash);

    bo.verdict = run_password_work(*asked.work);
    ASSERT_TRUE(bo.verdict->ok); // right for the old room...
    const auto r = round(bo);
    EXPECT_FALSE(r.ok); // ...which is gone: a check against the new hash instead
    ASSERT_TRUE(r.work);
    EXPECT_EQ(r.work->op, password_op::verify);
    EXPECT_EQ(r.work->hash, new_hash);
    EXPECT_TRUE(conn_of(bo).frames.empty());
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_password_test, VerdictForARoomThatWentMakesANewRoom) {
    auto ann = join("r", "Ann", "pw");
    auto bo = request("r", "Bo", "pw");
    const auto asked = round(bo);
    ASSERT_TRUE(asked.work);
    table_->on_leave(ann.session, ann.conn.get());
    bo.verdict = verified(asked.work->hash, true);
    const auto r = round(bo);
    ASSERT_TRUE(r.work); // Bo now creates "r": its password needs hashing
    EXPECT_EQ(r.work->op, password_op::make);
    EXPECT_EQ(table_->rooms(), 0u);
}

TEST_F(room_password_test, HashVerdictForARoomSomeoneElseMadeAsksForACheck) {
    auto bo = request("r", "Bo", "mine");
    const auto asked = round(bo);
    ASSERT_TRUE(asked.work);
    const std::string hash = create("r", "theirs"); // Ann was quicker
    bo.verdict = run_password_work(*asked.work);
    const auto r = round(bo);
    ASSERT_TRUE(r.work);
    EXPECT_EQ(r.work->op, password_op::verify);
    EXPECT_EQ(r.work->hash, hash);
    EXPECT_EQ(table_->members(), 1u);
}

TEST_F(room_password_test, MissingPasswordIsRefusedAtOnce) {
    create("r", "s3cret");
    auto req = request("r", "Bo", std::nullopt);
    const auto r = round(req);
    EXPECT_FALSE(r.work);
    EXPECT_EQ(conn_of(req).take_one()["message"], "room needs a password");
}

TEST_F(room_password_test, CapacityComesBeforeThePassword) {
    room_settings s;
    s.capacity = 1;
    reset(s);
    const std::string hash = create("r", "s3cret");
    auto req = request("r", "Bo", "s3cret");
    const auto r = round(req);
    EXPECT_FALSE(r.work); // no hash paid for a full room
    EXPECT_EQ(conn_of(req).take_one()["code"], "room_full");

    // A right verdict for a room that filled up meanwhile is still room_full.
    req.verdict = verified(hash, true);
    EXPECT_FALSE(round(req).ok);
    EXPECT_EQ(conn_of(req).take_one()["code"], "room_full");
}

TEST_F(room_password_test, ChecksPerRoomAreCapped) {
    room_settings s;
    s.password_rate = 1.0;
    s.password_burst = 3;
    reset(s);
    create("r", "s3cret");
    create("other", "pw");
    for (int i = 0; i < 3; ++i) {
        auto req = request("r", "Bo", "guess");
        EXPECT_TRUE(round(req).work) << i;
    }
    auto over = request("r", "Bo", "guess");
    const auto r = round(over);
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.work);
    const json e = conn_of(over).take_one();
    EXPECT_EQ(e["code"], "rate_limited");
    EXPECT_EQ(e["message"], "too many password attempts for this room; try again later");
    EXPECT_EQ(e["re"], 42);

    // A missing password costs no check, so it is still answered as such.
    auto none = request("r", "Bo", std::nullopt);
    round(none);
    EXPECT_EQ(conn_of(none).take_one()["message"], "room needs a password");
    // Other rooms have their own bucket; this one refills at password_rate.
    auto elsewhere = request("other", "Bo", "guess");
    EXPECT_TRUE(round(elsewhere).work);
    advance(999ms);
    auto early = request("r", "Bo", "guess");
    EXPECT_FALSE(round(early).work);
    advance(1ms);
    auto later = request("r", "Bo", "guess");
    EXPECT_TRUE(round(later).work);
}

TEST_F(room_password_test, AVerdictIsNotChargedAgain) {
    room_settings s;
    s.password_burst = 1;
    reset(s);
    const std::string hash = create("r", "s3cret");
    auto req = request("r", "Bo", "s3cret");
    const auto asked = round(req);
    ASSERT_TRUE(asked.work); // the one check of the bucket
    req.verdict = run_password_work(*asked.work);
    EXPECT_TRUE(round(req).ok);
}

} // namespace
} // namespace icegate::signal::testing
