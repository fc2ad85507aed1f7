// refused_join_log: one line per refused join naming address, room and reason; at most 5 per
// address per period and 20 a second; one summary line for what was left out.
#include "refused_join_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace icegate::app {
namespace {

using namespace std::chrono_literals;

class refused_join_log_test : public ::testing::Test {
protected:
    refused_join_log_test() {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        logger_ = std::make_shared<spdlog::logger>("signal-test", sink);
        logger_->set_pattern("%v");
    }
    std::vector<std::string> lines_with(std::string_view what) const {
        std::vector<std::string> v;
        std::istringstream in(out_.str());
        for (std::string l; std::getline(in, l);) {
            if (l.find(what) != std::string::npos) {
                v.push_back(l);
            }
        }
        return v;
    }

    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> logger_;
    refused_join_log::clock::time_point t0_ = refused_join_log::clock::time_point{} + 1000s;
};

TEST_F(refused_join_log_test, OneLineNamingAddressRoomAndReason) {
    refused_join_log log(logger_, 5, 20, 42);
    log.refused("198.51.100.7", "team", "wrong room password", t0_);
    EXPECT_EQ(out_.str(), "join refused: client=198.51.100.7 room='team' reason=wrong room "
                          "password\n");
}

TEST_F(refused_join_log_test, FloodFromOneAddressIsCappedAndSummed) {
    refused_join_log log(logger_, 5, 20, 42);
    for (int i = 0; i < 40; ++i) {
        log.refused("198.51.100.7", "team", "wrong room password", t0_ + i * 10ms);
    }
    ASSERT_NE(log.slot_of("2001:db8::/64"), log.slot_of("198.51.100.7"));
    log.refused("2001:db8::/64", "team", "room is full", t0_ + 500ms);
    EXPECT_EQ(lines_with("join refused:").size(), 6u) << out_.str();
    log.tick(t0_ + 9s);
    EXPECT_TRUE(lines_with("suppressed").empty());
    log.tick(t0_ + 10s);
    const auto summary = lines_with("suppressed");
    ASSERT_EQ(summary.size(), 1u) << out_.str();
    EXPECT_EQ(summary[0], "suppressed 35 join refused lines from 1 sources in the last 10s (over "
                          "5 per address per 10s or 20/s)");
    // The next period: the address has its lines again; a quiet period writes no summary.
    log.refused("198.51.100.7", "team", "wrong room password", t0_ + 11s);
    EXPECT_EQ(lines_with("join refused:").size(), 7u);
    log.tick(t0_ + 30s);
    EXPECT_EQ(lines_with("suppressed").size(), 1u);
}

TEST_F(refused_join_log_test, CapPerSecondOverAllAddresses) {
    refused_join_log log(logger_, 5, 20, 42);
    std::set<std::size_t> used;
    for (int i = 0; i < 30; ++i) {
        used.insert(log.slot_of("198.51.100." + std::to_string(i)));
    }
    ASSERT_EQ(used.size(), 30u); // key 42 spreads them: "10 sources" below is exact
    for (int i = 0; i < 30; ++i) {
        log.refused("198.51.100." + std::to_string(i), "r", "room is full", t0_);
    }
    EXPECT_EQ(lines_with("join refused:").size(), 20u);
    log.refused("203.0.113.1", "r", "room is full", t0_ + 1s); // a new second
    EXPECT_EQ(lines_with("join refused:").size(), 21u);
    log.tick(t0_ + 10s);
    EXPECT_EQ(lines_with("suppressed 10 join refused lines from 10 sources").size(), 1u)
        << out_.str();
}

TEST_F(refused_join_log_test, NoLoggerWritesNothing) {
    refused_join_log log(nullptr);
    log.refused("198.51.100.7", "team", "room is full", t0_);
    log.tick(t0_ + 10s);
    EXPECT_TRUE(out_.str().empty());
}

} // namespace
} // namespace icegate::app
