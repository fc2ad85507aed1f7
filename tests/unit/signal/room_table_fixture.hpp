// Test doubles for room_table: a link that records frames and closes, a counting random source,
// a hand-driven clock, and a fixture that joins members and reads their frames as JSON.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "icegate/signal/room_table.hpp"

namespace icegate::signal::testing {

using json = nlohmann::json;
using namespace std::chrono_literals;

class fake_link : public link {
public:
    void deliver(frame_ptr frame) override { frames.push_back(json::parse(*frame)); }
    void close(std::uint16_t code, std::string_view reason) override {
        closes.emplace_back(code, std::string(reason));
    }

    // The frames received since the last call.
    std::vector<json> take() { return std::exchange(frames, {}); }
    // The one frame received since the last take(); fails the test if there is not exactly one.
    json take_one() {
        auto got = take();
        EXPECT_EQ(got.size(), 1u) << json(got).dump();
        return got.empty() ? json() : got.front();
    }

    std::vector<json> frames;
    std::vector<std::pair<std::uint16_t, std::string>> closes;
};

// A member as the tests see it: its connection and what `joined` told it.
struct client {
    std::shared_ptr<fake_link> conn;
    std::string session;
    std::string resume;
    json joined;
};

class room_table_test : public ::testing::Test {
protected:
    room_table_test() { reset(room_settings{}); }

    // A new table (with `key` for its resume tokens when given: a "restart" keeps the key).
    void reset(room_settings s, std::optional<resume_key> key = std::nullopt) {
        settings_ = s;
        random_source random = [this](std::span<std::uint8_t> out) {
            // Distinct, reproducible ids: a counter in the first bytes, the rest fixed.
            ++counter_;
            for (std::size_t i = 0; i < out.size(); ++i) {
                out[i] = i < 8 ? static_cast<std::uint8_t>(counter_ >> (8 * i)) : 0x5a;
            }
        };
        table_ = key ? std::make_unique<room_table>(s, std::move(random), *key)
                     : std::make_unique<room_table>(s, std::move(random));
    }

    static join_message join_msg(const std::string& room, const std::string& name) {
        join_message m;
        m.room = room;
        m.name = name;
        return m;
    }

    // Sends `msg` on a new connection (or `conn`); returns what came back, frames left unread.
    // Does the password work a join asks for, as the I/O layer does (counted in `pw_work_`).
    join_result send_join(join_message msg, const std::shared_ptr<fake_link>& conn,
                          std::vector<ice_server> ice = {}) {
        join_request req{std::move(msg), conn, std::move(ice)};
        for (int round = 0; round < 4; ++round) {
            auto r = table_->join(req, clock_);
            if (!r.work) {
                return r;
            }
            EXPECT_TRUE(conn->frames.empty()) << "a join asking for work sent a frame";
            ++pw_work_;
            req.verdict = run_password_work(*r.work);
        }
        ADD_FAILURE() << "the join keeps asking for password work";
        return {};
    }

    // Joins and expects success; the `joined` frame is consumed.
    client join(const std::string& room, const std::string& name,
                std::optional<std::string> password = std::nullopt) {
        auto msg = join_msg(room, name);
        msg.password = std::move(password);
        client c;
        c.conn = std::make_shared<fake_link>();
        const auto r = send_join(std::move(msg), c.conn);
        EXPECT_TRUE(r.ok) << name << " could not join " << room;
        c.joined = c.conn->take_one();
        EXPECT_EQ(c.joined.value("type", ""), "joined");
        c.session = c.joined.value("session", "");
        c.resume = c.joined.value("resume", "");
        EXPECT_EQ(r.session, c.session);
        return c;
    }

    // A join that must fail: returns the error frame.
    json join_error(join_message msg) {
        auto conn = std::make_shared<fake_link>();
        const auto r = send_join(std::move(msg), conn);
        EXPECT_FALSE(r.ok);
        EXPECT_TRUE(r.session.empty());
        const json e = conn->take_one();
        EXPECT_EQ(e.value("type", ""), "error");
        return e;
    }

    void advance(std::chrono::milliseconds d) {
        clock_.now += d;
        clock_.wall_ms += d.count();
    }

    void detach(const client& c) { table_->on_detach(c.session, c.conn.get(), clock_); }

    void signal(const client& from, const std::string& to, json data,
                std::optional<message_id> id = std::nullopt) {
        signal_message m;
        m.id = std::move(id);
        m.to = to;
        m.data = std::move(data);
        table_->on_signal(from.session, from.conn.get(), m);
    }

    void chat(const client& from, const std::string& text,
              std::optional<std::string> to = std::nullopt,
              std::optional<message_id> id = std::nullopt) {
        chat_message m;
        m.id = std::move(id);
        m.text = text;
        m.to = std::move(to);
        table_->on_chat(from.session, from.conn.get(), m, clock_);
    }

    void state(const client& from, media_state s) {
        state_message m;
        m.state = s;
        table_->on_state(from.session, from.conn.get(), m);
    }

    room_settings settings_;
    std::uint64_t counter_ = 0;
    int pw_work_ = 0; // argon2id runs send_join did
    clock_reading clock_{std::chrono::steady_clock::time_point{} + 1000s, 1'700'000'000'000};
    std::unique_ptr<room_table> table_;
};

inline json state_json(bool audio, bool video, bool screen) {
    return json{{"audio", audio}, {"video", video}, {"screen", screen}};
}

inline json peer_json(const client& c, const std::string& name,
                      json st = state_json(false, false, false)) {
    return json{{"session", c.session}, {"name", name}, {"state", std::move(st)}};
}

} // namespace icegate::signal::testing
