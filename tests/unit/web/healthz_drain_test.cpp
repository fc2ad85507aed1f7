// /healthz while the server drains (shutdown): 503 "draining", so a load balancer takes the
// node out; 200 "ok" before.
#include "icegate/web/web_routes.hpp"

#include <atomic>

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

namespace http = boost::beast::http;

net::http_response healthz(const web_context& ctx) {
    net::http_request req(http::verb::get, "/healthz", 11);
    return handle_web_request(req, ctx, 1700000000);
}

TEST(WebHealthz, DrainingIs503) {
    std::atomic<bool> draining{false};
    web_context ctx;
    ctx.draining = &draining;
    const auto before = healthz(ctx);
    EXPECT_EQ(before.result(), http::status::ok);
    EXPECT_EQ(before.body(), "ok\n");

    draining = true;
    const auto during = healthz(ctx);
    EXPECT_EQ(during.result(), http::status::service_unavailable);
    EXPECT_EQ(during.body(), "draining\n");
    EXPECT_EQ(during[http::field::cache_control], "no-store");
    EXPECT_FALSE(
        during["Content-Security-Policy"].empty()); // security headers as on every response
}

TEST(WebHealthz, NoFlagIsAlwaysOk) {
    const web_context ctx;
    EXPECT_EQ(healthz(ctx).result(), http::status::ok);
}

} // namespace
} // namespace icegate::app
