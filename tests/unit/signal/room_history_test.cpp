// Tests for the chat history budget of a room table: bounded in total over all its rooms, the
// room holding the most giving up its oldest lines first, and freed with the room.
#include "icegate/signal/room_table.hpp"

#include <gtest/gtest.h>

#include "room_table_fixture.hpp"

namespace icegate::signal::testing {
namespace {

class room_history_test : public room_table_test {
protected:
    // What one line of history of `text` from a member named Ann costs in the table's count;
    // measured on the current table, so call it before reset().
    std::size_t entry_cost(const std::string& text) {
        auto probe = join("probe", "Ann");
        const std::size_t before = table_->history_bytes();
        chat(probe, text);
        return table_->history_bytes() - before;
    }

    std::vector<std::string> history_of(const std::string& room) {
        std::vector<std::string> texts;
        const client reader = join(room, "Reader");
        for (const auto& e : reader.joined["history"]) {
            texts.push_back(e["text"]);
        }
        return texts;
    }
};

TEST_F(room_history_test, TotalIsBoundedAndTheLargestRoomPays) {
    const std::string line(200, 'x');
    const std::size_t cost = entry_cost(line + "000");
    ASSERT_GT(cost, line.size());
    room_settings s;
    s.history_bytes = 10 * cost; // ten lines over all rooms
    reset(s);
    auto quiet = join("quiet", "Ann");
    auto loud = join("loud", "Ann");
    chat(quiet, line + "q00");
    chat(quiet, line + "q01");
    for (int i = 0; i < 100; ++i) {
        chat(loud, line + std::to_string(100 + i));
        ASSERT_LE(table_->history_bytes(), s.history_bytes) << i;
    }
    EXPECT_EQ(table_->history_bytes(), 10 * cost);
    EXPECT_EQ(history_of("quiet"), (std::vector<std::string>{line + "q00", line + "q01"}));
    const auto kept = history_of("loud");
    ASSERT_EQ(kept.size(), 8u);
    EXPECT_EQ(kept.front(), line + "192"); // the newest eight
    EXPECT_EQ(kept.back(), line + "199");
}

TEST_F(room_history_test, AQuietRoomLosesLinesOnlyWhenItIsTheLargest) {
    const std::string line(100, 'y');
    const std::size_t cost = entry_cost(line + "00");
    room_settings s;
    s.history_bytes = 4 * cost;
    reset(s);
    auto a = join("a", "Ann");
    auto b = join("b", "Ann");
    for (int i = 0; i < 3; ++i) {
        chat(a, line + "a" + std::to_string(i));
    }
    chat(b, line + "b0");
    chat(b, line + "b1"); // 5 lines: "a" holds the most and drops its oldest
    EXPECT_EQ(history_of("a"), (std::vector<std::string>{line + "a1", line + "a2"}));
    EXPECT_EQ(history_of("b"), (std::vector<std::string>{line + "b0", line + "b1"}));
    EXPECT_EQ(table_->history_bytes(), 4 * cost);
}

TEST_F(room_history_test, HistoryGoesWithItsRoom) {
    auto ann = join("r", "Ann");
    chat(ann, "hello");
    chat(ann, "again");
    EXPECT_GT(table_->history_bytes(), 0u);
    table_->on_leave(ann.session, ann.conn.get());
    EXPECT_EQ(table_->rooms(), 0u);
    EXPECT_EQ(table_->history_bytes(), 0u);
}

TEST_F(room_history_test, PerRoomCountStillHolds) {
    room_settings s;
    s.history = 3;
    reset(s);
    auto ann = join("r", "Ann");
    for (int i = 0; i < 5; ++i) {
        chat(ann, "m" + std::to_string(i));
    }
    EXPECT_EQ(history_of("r"), (std::vector<std::string>{"m2", "m3", "m4"}));
    const std::size_t three = table_->history_bytes();
    chat(ann, "m5");
    EXPECT_EQ(table_->history_bytes(), three); // one in, one out, same sizes
}

TEST_F(room_history_test, ZeroBudgetKeepsNone) {
    room_settings s;
    s.history_bytes = 0;
    reset(s);
    auto ann = join("r", "Ann");
    chat(ann, "hi");
    EXPECT_EQ(table_->history_bytes(), 0u);
    EXPECT_TRUE(history_of("r").empty());
}

} // namespace
} // namespace icegate::signal::testing
