// handle_binding: success (IPv4, IPv6, RFC 3489), 420, 400, silent drops, FINGERPRINT echo,
// SOFTWARE, response size bounds.
#include <gtest/gtest.h>

#include <string>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/binding.hpp"
#include "icegate/stun/credentials.hpp"
#include "test_util.hpp"

namespace icegate::stun {
namespace {

using test::bytes;
using test::raw_message;
using test::tlv;

const transport_address client_v4 = transport_address::v4({198, 51, 100, 7}, 54321);
const transport_address client_v6 = test::v6("20010db8000000000000000000000042", 61000);

struct answer {
    bytes out = bytes(max_binding_response);
    std::size_t size = 0;
    std::span<const std::uint8_t> message() const { return std::span(out).first(size); }
};

answer respond(const bytes& request, const transport_address& source = client_v4,
               std::string_view software_name = {}) {
    answer a;
    a.size = handle_binding(request, source, binding_options{software_name}, a.out);
    return a;
}

bytes binding_request(std::initializer_list<bytes> attrs = {}, bool fingerprint = false) {
    bytes out(512);
    message_builder b(out, {method::binding, message_class::request},
                      transaction_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    for (const bytes& a : attrs) {
        const auto type = static_cast<attribute_type>((a[0] << 8) | a[1]);
        EXPECT_FALSE(b.add(type, std::span(a).subspan(4, (a[2] << 8) | a[3])));
    }
    if (fingerprint) {
        EXPECT_FALSE(b.add_fingerprint());
    }
    out.resize(b.size());
    return out;
}

TEST(Binding, Ipv4SuccessWithXorMappedAddress) {
    const bytes req = binding_request();
    const answer a = respond(req);
    ASSERT_GT(a.size, 0u);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->type(), (message_type{method::binding, message_class::success_response}));
    EXPECT_EQ(v->transaction_id(), message_view::parse(req)->transaction_id());
    EXPECT_EQ(get<xor_mapped_address>(*v)->address, client_v4);
    EXPECT_FALSE(v->contains(attribute_type::mapped_address));
    EXPECT_FALSE(v->contains(attribute_type::software));
    EXPECT_FALSE(v->contains(attribute_type::fingerprint));
    EXPECT_EQ(a.size, 32u);
}

TEST(Binding, Ipv6SuccessWithXorMappedAddress) {
    const answer a = respond(binding_request(), client_v6);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_EQ(get<xor_mapped_address>(*v)->address, client_v6);
    EXPECT_EQ(a.size, 44u);
}

TEST(Binding, Rfc3489RequestGetsMappedAddressAndItsIdBack) {
    const bytes req = raw_message(0x0001, {}, false);
    const answer a = respond(req);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->has_magic_cookie());
    EXPECT_EQ(v->rfc3489_transaction_id(), message_view::parse(req)->rfc3489_transaction_id());
    EXPECT_EQ(get<mapped_address>(*v)->address, client_v4);
    EXPECT_FALSE(v->contains(attribute_type::xor_mapped_address));
}

TEST(Binding, UnknownComprehensionRequiredGets420ListingThem) {
    const bytes req = binding_request(
        {tlv(0x0002, {1, 2, 3, 4}), tlv(0x8abc, {}), tlv(0x7f00, {}), tlv(0x0002, {})});
    const answer a = respond(req);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->type(), (message_type{method::binding, message_class::error_response}));
    EXPECT_EQ(get<error_code_attribute>(*v)->code, 420);
    auto list = get<unknown_attributes>(*v);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0], static_cast<attribute_type>(0x0002));
    EXPECT_EQ((*list)[1], static_cast<attribute_type>(0x7f00));
    EXPECT_FALSE(v->contains(attribute_type::xor_mapped_address));
}

TEST(Binding, BadAttributeInsideASoundHeaderGets400) {
    const bytes req = raw_message(0x0001, {0x00, 0x06, 0x00, 0x09, 'a', 'b', 'c', 'd'});
    const answer a = respond(req);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->message_class(), message_class::error_response);
    EXPECT_EQ(get<error_code_attribute>(*v)->code, 400);
    EXPECT_EQ(get<error_code_attribute>(*v)->reason, "Bad Request");
    EXPECT_EQ(v->transaction_id(), (transaction_id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
}

TEST(Binding, SilentForEverythingButBindingRequests) {
    EXPECT_EQ(respond(raw_message(0x0011, {})).size, 0u); // indication
    EXPECT_EQ(respond(raw_message(0x0101, {})).size, 0u); // success response
    EXPECT_EQ(respond(raw_message(0x0111, {})).size, 0u); // error response
    EXPECT_EQ(respond(raw_message(0x0003, {})).size, 0u); // Allocate request
    EXPECT_EQ(respond(test::from_hex("4001 0000")).size, 0u);
    EXPECT_EQ(respond(bytes(20, 0xFF)).size, 0u);
    EXPECT_EQ(respond(bytes{}).size, 0u);
    EXPECT_EQ(respond(bytes(19)).size, 0u);
}

TEST(Binding, SilentForBadHeaderLengths) {
    bytes req = binding_request({tlv(0x0024, {0, 0, 0, 1})});
    req[3] = 12; // longer than the datagram
    EXPECT_EQ(respond(req).size, 0u);
    req[3] = 6; // not a multiple of 4
    EXPECT_EQ(respond(req).size, 0u);
    req = binding_request();
    req.push_back(0); // trailing byte
    EXPECT_EQ(respond(req).size, 0u);
}

TEST(Binding, FingerprintIsEchoedAndChecked) {
    const bytes req = binding_request({tlv(0x0006, {'u'})}, true);
    const answer a = respond(req);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->check_fingerprint());
    EXPECT_EQ(v->attribute_at(v->attribute_count() - 1).type, attribute_type::fingerprint);

    bytes bad = req;
    bad.back() ^= 0xFF;
    EXPECT_EQ(respond(bad).size, 0u);
}

TEST(Binding, SoftwareOnlyWhenSet) {
    const answer with = respond(binding_request(), client_v4, "icegate/0.1");
    auto v = message_view::parse(with.message());
    ASSERT_TRUE(v);
    EXPECT_EQ(get<software>(*v)->value, "icegate/0.1");
    const answer without = respond(binding_request(), client_v4, "");
    EXPECT_FALSE(message_view::parse(without.message())->contains(attribute_type::software));
}

TEST(Binding, SoftwareIsDroppedRatherThanAmplify) {
    const std::string long_name(100, 's');
    const bytes small = binding_request();
    const answer a = respond(small, client_v6, long_name);
    ASSERT_GT(a.size, 0u);
    EXPECT_FALSE(message_view::parse(a.message())->contains(attribute_type::software));
    EXPECT_LE(a.size, small.size() + max_binding_growth);
    // A request big enough to cover it gets it.
    const bytes big = binding_request({tlv(0x8022, bytes(100, 'c'))});
    const answer b = respond(big, client_v6, long_name);
    EXPECT_EQ(get<software>(*message_view::parse(b.message()))->value, long_name);
}

TEST(Binding, ResponsesNeverGrowMuchBeyondTheRequest) {
    const std::string name(40, 's');
    const std::vector<bytes> requests = {
        binding_request(), binding_request({}, true), raw_message(0x0001, {}, false),
        binding_request({tlv(0x0002, {}), tlv(0x0004, {}), tlv(0x0005, {})}, true),
        raw_message(0x0001, {0x00, 0x06, 0x00, 0x09, 'a', 'b', 'c', 'd'})};
    for (const bytes& req : requests) {
        for (const auto& source : {client_v4, client_v6}) {
            const answer a = respond(req, source, name);
            ASSERT_GT(a.size, 0u);
            EXPECT_LE(a.size, req.size() + max_binding_growth);
            EXPECT_LE(a.size, max_binding_response);
        }
    }
}

TEST(Binding, TooSmallAnOutputBufferDrops) {
    bytes out(31);
    EXPECT_EQ(handle_binding(binding_request(), client_v4, {}, out), 0u);
    bytes exact(32);
    EXPECT_EQ(handle_binding(binding_request(), client_v4, {}, exact), 32u);
}

TEST(Binding, SoftwareNeverCrowdsOutTheAnswer) {
    bytes exact(32);
    const binding_options options{"icegate"};
    ASSERT_EQ(handle_binding(binding_request(), client_v4, options, exact), 32u);
    EXPECT_FALSE(message_view::parse(exact)->contains(attribute_type::software));
}

TEST(Binding, MessageIntegrityIsIgnoredAndNotSent) {
    // RFC 5769 2.1 carries USERNAME, MESSAGE-INTEGRITY and FINGERPRINT.
    const bytes req = test::load_vector("rfc5769_request.hex");
    const answer a = respond(req);
    auto v = message_view::parse(a.message());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->message_class(), message_class::success_response);
    EXPECT_FALSE(v->contains(attribute_type::message_integrity));
    EXPECT_TRUE(v->check_fingerprint());
    EXPECT_EQ(get<xor_mapped_address>(*v)->address, client_v4);
}

TEST(Binding, BadSourceFamilyDrops) {
    transport_address bad = client_v4;
    bad.family = static_cast<address_family>(9);
    EXPECT_EQ(respond(binding_request(), bad).size, 0u);
}

} // namespace
} // namespace icegate::stun
