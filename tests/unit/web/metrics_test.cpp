// metrics_registry: per-worker slots summed into Prometheus text; metrics.allow checks.
#include "icegate/web/metrics.hpp"

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

cidr net(const char* addr, unsigned prefix) {
    return cidr{boost::asio::ip::make_address(addr), prefix};
}

TEST(Metrics, SumsWorkerSlots) {
    metrics_registry r(2);
    r.publish(0, metric::rooms, 3);
    r.publish(1, metric::rooms, 4);
    r.publish(1, metric::allocations_created, 7);
    const std::string text = r.render();
    EXPECT_NE(text.find("\nicegate_signal_rooms 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\nicegate_allocations_created_total 7\n"), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE icegate_allocations gauge\n"), std::string::npos) << text;
    r.publish(0, metric::rooms, 0); // a gauge is replaced, not added to
    EXPECT_NE(r.render().find("\nicegate_signal_rooms 4\n"), std::string::npos);
}

TEST(Metrics, BandwidthDropsAreOneFamilyWithACapLabel) {
    metrics_registry r(2);
    r.publish(0, metric::bandwidth_dropped_allocation, 5);
    r.publish(1, metric::bandwidth_dropped_allocation, 2);
    r.publish(1, metric::bandwidth_dropped_user, 3);
    const std::string text = r.render();
    const std::string family = "icegate_bandwidth_dropped_packets_total";
    EXPECT_NE(text.find("\n# TYPE " + family + " counter\n" + family + "{cap=\"allocation\"} 7\n" +
                        family + "{cap=\"user\"} 3\n" + family + "{cap=\"total\"} 0\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("# HELP " + family), text.rfind("# HELP " + family)); // once
}

TEST(Metrics, AllowListDecides) {
    const std::vector<cidr> allow{net("127.0.0.0", 8), net("::1", 128)};
    EXPECT_TRUE(metrics_allowed(allow, boost::asio::ip::make_address("127.0.0.1")));
    EXPECT_TRUE(metrics_allowed(allow, boost::asio::ip::make_address("::ffff:127.0.0.9")));
    EXPECT_TRUE(metrics_allowed(allow, boost::asio::ip::make_address("::1")));
    EXPECT_FALSE(metrics_allowed(allow, boost::asio::ip::make_address("10.0.0.1")));
    EXPECT_FALSE(metrics_allowed({}, boost::asio::ip::make_address("127.0.0.1")));
}

} // namespace
} // namespace icegate::app
