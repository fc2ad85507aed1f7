// The known-attribute registry and the comprehension-required range.
#include <gtest/gtest.h>

#include "icegate/stun/attribute_type.hpp"

namespace icegate::stun {
namespace {

TEST(AttributeType, ComprehensionRequiredRange) {
    EXPECT_TRUE(is_comprehension_required(static_cast<attribute_type>(0x0000)));
    EXPECT_TRUE(is_comprehension_required(static_cast<attribute_type>(0x7FFF)));
    EXPECT_FALSE(is_comprehension_required(static_cast<attribute_type>(0x8000)));
    EXPECT_FALSE(is_comprehension_required(attribute_type::fingerprint));
    EXPECT_TRUE(is_comprehension_required(attribute_type::message_integrity));
}

TEST(AttributeType, RegistryKnowsEveryListedAttribute) {
    const std::uint16_t known[] = {0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x0014, 0x0015, 0x001C,
                                   0x001D, 0x001E, 0x0020, 0x8002, 0x8003, 0x8022, 0x8023, 0x8028,
                                   0x000C, 0x000D, 0x0012, 0x0013, 0x0016, 0x0017, 0x0018, 0x0019,
                                   0x001A, 0x0022, 0x8000, 0x8001, 0x8004, 0x002A, 0x0003, 0x0026,
                                   0x0027, 0x802B, 0x802C, 0x0024, 0x0025, 0x8029, 0x802A};
    for (std::uint16_t t : known) {
        EXPECT_TRUE(is_known_attribute(static_cast<attribute_type>(t))) << std::hex << t;
    }
    EXPECT_EQ(std::size(known), 39u);
    std::size_t total = 0;
    for (std::uint32_t t = 0; t <= 0xFFFF; ++t) {
        total += is_known_attribute(static_cast<attribute_type>(t)) ? 1 : 0;
    }
    EXPECT_EQ(total, std::size(known)); // nothing else
}

TEST(AttributeType, Names) {
    EXPECT_EQ(attribute_name(attribute_type::xor_mapped_address), "XOR-MAPPED-ADDRESS");
    EXPECT_EQ(attribute_name(attribute_type::message_integrity_sha256), "MESSAGE-INTEGRITY-SHA256");
    EXPECT_EQ(attribute_name(static_cast<attribute_type>(0x0002)), "");
}

} // namespace
} // namespace icegate::stun
