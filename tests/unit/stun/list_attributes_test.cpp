// UNKNOWN-ATTRIBUTES, PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS.
#include <gtest/gtest.h>

#include <vector>

#include "icegate/stun/attributes.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::from_hex;

TEST(UnknownAttributes, DecodeAndIndex) {
    const bytes value = from_hex("0002 7f00 0004");
    auto u = unknown_attributes::decode(value);
    ASSERT_TRUE(u);
    ASSERT_EQ(u->size(), 3u);
    EXPECT_EQ((*u)[0], static_cast<attribute_type>(0x0002));
    EXPECT_EQ((*u)[2], static_cast<attribute_type>(0x0004));
    EXPECT_EQ(unknown_attributes::decode(from_hex("000200")).error(),
              make_error_code(errc::bad_attribute_value));
    EXPECT_EQ(unknown_attributes::decode({})->size(), 0u);
}

TEST(UnknownAttributes, EncodeFromTypes) {
    bytes out(64);
    message_builder b(out, {method::binding, message_class::error_response}, transaction_id{});
    const attribute_type types[] = {static_cast<attribute_type>(0x0002),
                                    static_cast<attribute_type>(0x7f00),
                                    static_cast<attribute_type>(0x0004)};
    EXPECT_FALSE(unknown_attributes::encode(b, types));
    EXPECT_EQ(bytes(out.begin() + 20, out.begin() + 32), from_hex("000a0006 00027f00 00040000"));
    auto v = message_view::parse(*b.finish());
    ASSERT_TRUE(v);
    EXPECT_EQ(get<unknown_attributes>(*v)->size(), 3u);
}

TEST(PasswordAlgorithm, Decode) {
    auto a = password_algorithm::decode(from_hex("00020000"));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->algorithm, password_algorithm_id::sha256);
    EXPECT_TRUE(a->parameters.empty());
    const bytes with_params = from_hex("00090003 aabbcc");
    auto p = password_algorithm::decode(with_params);
    ASSERT_TRUE(p);
    EXPECT_EQ(static_cast<std::uint16_t>(p->algorithm), 9);
    EXPECT_EQ(p->parameters.size(), 3u);
    EXPECT_FALSE(password_algorithm::decode(from_hex("000100")));
    EXPECT_FALSE(password_algorithm::decode(from_hex("00010004 aabbcc")));
    EXPECT_FALSE(password_algorithm::decode(from_hex("00010000 aa")));
}

TEST(PasswordAlgorithms, IterateWithPaddedParameters) {
    const bytes value = from_hex("00020000 00090003 aabbcc00 00010000");
    auto list = password_algorithms::decode(value);
    ASSERT_TRUE(list);
    std::vector<std::uint16_t> ids;
    std::vector<std::size_t> sizes;
    for (const password_algorithm a : *list) {
        ids.push_back(static_cast<std::uint16_t>(a.algorithm));
        sizes.push_back(a.parameters.size());
    }
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{2, 9, 1}));
    EXPECT_EQ(sizes, (std::vector<std::size_t>{0, 3, 0}));
    EXPECT_TRUE(list->contains(password_algorithm_id::md5));
    const bytes sha = from_hex("00020000");
    auto only_sha = password_algorithms::decode(sha);
    EXPECT_FALSE(only_sha->contains(password_algorithm_id::md5));
}

TEST(PasswordAlgorithms, RejectsTruncatedEntries) {
    EXPECT_FALSE(password_algorithms::decode(from_hex("000200")));
    EXPECT_FALSE(password_algorithms::decode(from_hex("00020000 0009")));
    EXPECT_FALSE(password_algorithms::decode(from_hex("00020000 00090008 aabbcc00")));
    EXPECT_TRUE(password_algorithms::decode({}));
    // The last entry's padding may be left to the attribute's own padding.
    EXPECT_TRUE(password_algorithms::decode(from_hex("00090001 aa")));
}

TEST(PasswordAlgorithms, EncodeRoundTrip) {
    bytes out(128);
    message_builder b(out, {method::binding, message_class::error_response}, transaction_id{});
    const bytes params = {0xaa};
    const password_algorithm list[] = {{password_algorithm_id::md5, {}},
                                       {static_cast<password_algorithm_id>(9), params},
                                       {password_algorithm_id::sha256, {}}};
    EXPECT_FALSE(password_algorithms::encode(b, list));
    EXPECT_EQ(bytes(out.begin() + 20, out.begin() + 40),
              from_hex("80020010 00010000 00090001 aa000000 00020000"));
    auto v = message_view::parse(*b.finish());
    ASSERT_TRUE(v);
    auto decoded = get<password_algorithms>(*v);
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->contains(password_algorithm_id::sha256));
    EXPECT_EQ(std::distance(decoded->begin(), decoded->end()), 3);
}

} // namespace
} // namespace icegate::stun
