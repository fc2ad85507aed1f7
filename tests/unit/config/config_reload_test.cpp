// plan_reload: which keys a reload takes, and which keep their running value (named).
#include "icegate/config/config_reload.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace icegate::app {
namespace {

std::shared_ptr<const config> cfg(const std::string& extra) {
    return parse_config("workers: 2\nlisten: [udp://127.0.0.1:3478]\nstate_dir: /tmp/ig-state\n"
                        "relay: {address: 127.0.0.1, ports: 40000-40999}\n" +
                            extra,
                        "/tmp/icegate.yaml");
}

TEST(PlanReload, TakesLiveKeys) {
    const auto running = cfg("log: {level: info}\nsignal: {room_capacity: 6}\n");
    const auto next = cfg("log: {level: debug}\nsignal: {room_capacity: 3, join_rate: 9}\n"
                          "limits: {user_quota: 2, max_lifetime: 10m}\n"
                          "peers: {allow: [198.51.100.0/24]}\n"
                          "auth: {secrets: [s3cret-s3cret-s3cret]}\n");
    const auto plan = plan_reload(*running, *next);
    EXPECT_TRUE(plan.restart_keys.empty());
    const auto& e = *plan.effective;
    EXPECT_EQ(e.log.level, "debug");
    EXPECT_EQ(e.signal.room_capacity, 3u);
    EXPECT_EQ(e.signal.join_rate, 9u);
    EXPECT_EQ(e.limits.user_quota, 2u);
    EXPECT_EQ(e.limits.max_lifetime, std::chrono::minutes(10));
    ASSERT_EQ(e.peers.allow.size(), 1u);
    EXPECT_EQ(e.auth.secrets, std::vector<std::string>{"s3cret-s3cret-s3cret"});
}

TEST(PlanReload, RestartKeysKeepTheirRunningValueAndAreNamed) {
    const auto running = cfg("");
    const auto next =
        parse_config("workers: 3\nlisten: [udp://127.0.0.1:3479]\nstate_dir: /tmp/ig-other\n"
                     "relay: {address: 127.0.0.2, ports: 41000-41999}\n"
                     "http: {listen: 127.0.0.1:8444}\nlimits: {tcp_buffer: 4096, user_quota: 3}\n",
                     "/tmp/icegate.yaml");
    const auto plan = plan_reload(*running, *next);
    EXPECT_EQ(plan.restart_keys,
              (std::vector<std::string>{"listen", "workers", "state_dir", "relay.address",
                                        "relay.ports", "http.listen", "limits.tcp_buffer"}));
    const auto& e = *plan.effective;
    EXPECT_EQ(e.workers, 2u);
    EXPECT_EQ(e.listen.at(0).to_string(), "udp://127.0.0.1:3478");
    EXPECT_EQ(e.state_dir, running->state_dir);
    EXPECT_EQ(e.relay.address, running->relay.address);
    EXPECT_EQ(e.relay.ports.first, 40000);
    EXPECT_FALSE(e.http.listen);
    EXPECT_EQ(e.limits.tcp_buffer, running->limits.tcp_buffer);
    EXPECT_EQ(e.limits.user_quota, 3u); // live, beside a restart-only key of the same section
}

TEST(PlanReload, SameConfigChangesNothing) {
    const auto running = cfg("http: {listen: 127.0.0.1:8443}\n");
    const auto next = cfg("http: {listen: 127.0.0.1:8443}\n");
    EXPECT_TRUE(plan_reload(*running, *next).restart_keys.empty());
}

} // namespace
} // namespace icegate::app
