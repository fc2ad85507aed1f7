// The goaway frame (docs/signaling.md, Drain): the exact bytes a draining server sends.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "icegate/signal/protocol.hpp"

namespace icegate::signal {
namespace {

TEST(SignalSerialize, Goaway) {
    EXPECT_EQ(serialize(goaway_frame{1500}), R"({"reconnect_ms":1500,"type":"goaway"})");
    const auto j = nlohmann::json::parse(serialize(goaway_frame{0}));
    EXPECT_EQ(j.at("type"), "goaway");
    EXPECT_EQ(j.at("reconnect_ms"), 0);
}

} // namespace
} // namespace icegate::signal
