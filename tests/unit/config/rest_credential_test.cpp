// TURN REST credentials: known answers from Python's hmac and base64.
#include "icegate/config/rest_credential.hpp"

#include <gtest/gtest.h>

namespace icegate::app {
namespace {

TEST(RestCredential, PasswordKnownAnswers) {
    // python3: base64.b64encode(hmac.new(b"change-me", b"1700000600:alice", "sha1").digest())
    EXPECT_EQ(rest_password("change-me", "1700000600:alice"), "SrLe35AIZGA8DidXXcjFetdr/z8=");
    EXPECT_EQ(rest_password("north", "1700003600:bob@example"), "in08hm0HWHBWmHgtKl/irP1yAZc=");
    const auto c = make_rest_credential("change-me", "alice", 1700000600);
    EXPECT_EQ(c.username, "1700000600:alice");
    EXPECT_EQ(c.password, "SrLe35AIZGA8DidXXcjFetdr/z8=");
}

} // namespace
} // namespace icegate::app
