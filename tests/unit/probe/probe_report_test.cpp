// The text and JSON forms of a probe report.
#include "icegate/probe/probe_report.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace icegate::probe {
namespace {

report sample() {
    report r;
    r.steps = {{"turn udp 127.0.0.1:3478 binding", step_status::ok, 0.42, "mapped 127.0.0.1:5000"},
               {"turn udp 127.0.0.1:3478 allocate", step_status::failed, 12.34,
                "Allocate: 401 Unauthorized"},
               {"wss 127.0.0.1:8443/ws join", step_status::skipped, 0, "no token"}};
    r.total_ms = 13.0;
    r.timeout_ms = 5000;
    return r;
}

TEST(ProbeReport, StepLineAlignsNamesAndTimes) {
    const step s{"stun udp 127.0.0.1:3478 binding", step_status::ok, 1.26, "mapped 1.2.3.4:5"};
    EXPECT_EQ(format_step(s, 35),
              "ok   stun udp 127.0.0.1:3478 binding         1.3 ms  mapped 1.2.3.4:5");
    const step f{"x", step_status::failed, 5000.04, ""};
    EXPECT_EQ(format_step(f, 1), "FAIL x  5000.0 ms");
    const step k{"y", step_status::skipped, 0, "why"};
    EXPECT_EQ(format_step(k, 1), "skip y     0.0 ms  why");
}

TEST(ProbeReport, TextEndsWithTheVerdict) {
    auto r = sample();
    const auto text = format_text(r);
    EXPECT_NE(text.find("FAIL turn udp 127.0.0.1:3478 allocate"), std::string::npos) << text;
    EXPECT_NE(text.find("401 Unauthorized"), std::string::npos);
    EXPECT_NE(text.find("probe FAILED: 1 of 3 steps failed"), std::string::npos) << text;
    r.steps[1].status = step_status::ok;
    EXPECT_NE(format_text(r).find("probe ok: 3 steps in 13.0 ms"), std::string::npos);
}

TEST(ProbeReport, OkNeedsAPassedStepAndNoFailure) {
    report r;
    EXPECT_FALSE(r.ok());
    r.steps.push_back({"a", step_status::skipped, 0, ""});
    EXPECT_FALSE(r.ok()) << "only skipped steps: nothing was probed";
    EXPECT_NE(format_text(r).find("probe FAILED: nothing was probed (1 steps skipped)"),
              std::string::npos);
    r.steps.push_back({"b", step_status::ok, 0, ""});
    EXPECT_TRUE(r.ok());
    r.steps.push_back({"c", step_status::failed, 0, ""});
    EXPECT_FALSE(r.ok());
}

TEST(ProbeReport, JsonIsOneObjectWithSteps) {
    const auto text = format_json(sample());
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line";
    const auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["ms"], 13.0);
    EXPECT_EQ(j["timeout_ms"], 5000.0);
    ASSERT_EQ(j["steps"].size(), 3U);
    EXPECT_EQ(j["steps"][0]["name"], "turn udp 127.0.0.1:3478 binding");
    EXPECT_EQ(j["steps"][0]["ok"], true);
    EXPECT_EQ(j["steps"][0]["ms"], 0.4);
    EXPECT_EQ(j["steps"][0]["detail"], "mapped 127.0.0.1:5000");
    EXPECT_FALSE(j["steps"][0].contains("skipped"));
    EXPECT_EQ(j["steps"][1]["ok"], false);
    EXPECT_EQ(j["steps"][1]["ms"], 12.3);
    EXPECT_EQ(j["steps"][2]["ok"], true);
    EXPECT_EQ(j["steps"][2]["skipped"], true);
}

TEST(ProbeReport, JsonReplacesBytesThatAreNotUtf8) {
    report r;
    r.steps.push_back({"a", step_status::failed, 1, std::string("bad \xff byte")});
    const auto j = nlohmann::json::parse(format_json(r));
    EXPECT_EQ(j["steps"][0]["detail"], "bad \xef\xbf\xbd byte");
}

} // namespace
} // namespace icegate::probe
