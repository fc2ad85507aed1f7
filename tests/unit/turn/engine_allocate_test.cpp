// TURN engine: Allocate (RFC 8656 section 7.2) and the checks every request passes first.
#include "engine_test_fixture.hpp"

namespace icegate::turn::test {
namespace {

using stun::address_family;
namespace status = stun::status;
using EngineAllocate = engine_test;

TEST_F(EngineAllocate, AllocateHappyPath) {
    const auto r = allocate(client());
    ASSERT_TRUE(r.success()) << r.error();
    const auto relayed = r.get<stun::xor_relayed_address>();
    ASSERT_TRUE(relayed);
    EXPECT_EQ(relayed->address, v4(192, 0, 2, 10, 50000));
    EXPECT_EQ(r.get<stun::lifetime>()->value, 600u);
    EXPECT_EQ(r.get<stun::xor_mapped_address>()->address, client().client);
    const auto key = stun::long_term_key_md5("alice", realm, "secret-a");
    EXPECT_TRUE(r.view->check_message_integrity(*key));
    ASSERT_EQ(io.opened.size(), 1u);
    EXPECT_EQ(io.opened[0].family, address_family::ipv4);
    EXPECT_EQ(io.opened[0].port, 0);
    EXPECT_FALSE(io.opened[0].even_port);
    EXPECT_FALSE(io.opened[0].dont_fragment);
    EXPECT_EQ(eng->allocation_count(), 1u);
    EXPECT_EQ(quotas->count("alice"), 1u);
}

TEST_F(EngineAllocate, AllocateRetransmissionGetsTheSameSuccess) {
    const auto first = allocate(client()); // fetches the nonce
    ASSERT_TRUE(first.success());
    const auto id = new_txn();
    const auto c = client(2);
    const auto a = request(
        stun::method::allocate, [](auto& b) { (void)stun::requested_transport{}.encode(b); }, c,
        "alice", "secret-a", id);
    const auto b = request(
        stun::method::allocate, [](auto& b) { (void)stun::requested_transport{}.encode(b); }, c,
        "alice", "secret-a", id);
    ASSERT_TRUE(a.success());
    ASSERT_TRUE(b.success());
    EXPECT_EQ(a.get<stun::xor_relayed_address>()->address,
              b.get<stun::xor_relayed_address>()->address);
    EXPECT_EQ(a.get<stun::lifetime>()->value, b.get<stun::lifetime>()->value);
    EXPECT_EQ(io.opened.size(), 2u); // one per client, none for the retransmission
}

TEST_F(EngineAllocate, SecondAllocateOnTheSameFiveTupleIs437) {
    ASSERT_TRUE(allocate(client()).success());
    EXPECT_EQ(allocate(client()).error(), status::allocation_mismatch);
    EXPECT_EQ(eng->allocation_count(), 1u);
}

TEST_F(EngineAllocate, AllocateWithoutRequestedTransportIs400) {
    const auto r = request(stun::method::allocate, {}, client());
    EXPECT_EQ(r.error(), status::bad_request);
    EXPECT_TRUE(io.opened.empty());
}

TEST_F(EngineAllocate, AllocateTcpIs442) {
    const auto r = request(
        stun::method::allocate,
        [](auto& b) { (void)stun::requested_transport{stun::requested_transport::tcp}.encode(b); },
        client());
    EXPECT_EQ(r.error(), status::unsupported_transport_protocol);
}

TEST_F(EngineAllocate, RequestedFamilyWithoutRelayIs440) {
    const auto r = allocate(client(), [](auto& b) {
        (void)stun::requested_address_family{address_family::ipv6}.encode(b);
    });
    EXPECT_EQ(r.error(), status::address_family_not_supported);
    const std::array<std::uint8_t, 4> bogus{0x03, 0, 0, 0};
    const auto r2 = allocate(
        client(2), [&](auto& b) { (void)b.add(attribute_type::requested_address_family, bogus); });
    EXPECT_EQ(r2.error(), status::address_family_not_supported);
    EXPECT_EQ(quotas->total(), 0u);
}

TEST_F(EngineAllocate, RequestedFamilyIpv6) {
    settings.relay_v6 = true;
    make_engine();
    const auto r = allocate(client(), [](auto& b) {
        (void)stun::requested_address_family{address_family::ipv6}.encode(b);
    });
    ASSERT_TRUE(r.success());
    EXPECT_EQ(r.get<stun::xor_relayed_address>()->address, v6(0x10, 50000));
}

TEST_F(EngineAllocate, OtherUsernameOnTheAllocationIs441) {
    ASSERT_TRUE(allocate(client()).success());
    const auto r = request(stun::method::refresh, {}, client(), "bob", "secret-b");
    EXPECT_EQ(r.error(), status::wrong_credentials);
}

TEST_F(EngineAllocate, UserQuotaIs486AndIsGivenBack) {
    settings.user_quota = 1;
    make_engine();
    ASSERT_TRUE(allocate(client(1)).success());
    EXPECT_EQ(allocate(client(2)).error(), status::allocation_quota_reached);
    EXPECT_TRUE(allocate(client(3), {}, "bob", "secret-b").success()); // another user
    ASSERT_TRUE(refresh(client(1), 0).success());
    EXPECT_TRUE(allocate(client(2)).success());
}

TEST_F(EngineAllocate, TotalQuotaIs486) {
    settings.total_quota = 1;
    make_engine();
    ASSERT_TRUE(allocate(client(1)).success());
    EXPECT_EQ(allocate(client(2), {}, "bob", "secret-b").error(), status::allocation_quota_reached);
}

TEST_F(EngineAllocate, ExhaustedRelayRangeIs508) {
    io.exhausted = true;
    EXPECT_EQ(allocate(client()).error(), status::insufficient_capacity);
    EXPECT_EQ(quotas->total(), 0u);
    EXPECT_EQ(eng->allocation_count(), 0u);
}

TEST_F(EngineAllocate, DontFragmentReachesTheRelaySocket) {
    ASSERT_TRUE(
        allocate(client(), [](auto& b) { (void)stun::dont_fragment{}.encode(b); }).success());
    ASSERT_EQ(io.opened.size(), 1u);
    EXPECT_TRUE(io.opened[0].dont_fragment);
}

TEST_F(EngineAllocate, EvenPortWithoutReserve) {
    ASSERT_TRUE(
        allocate(client(), [](auto& b) { (void)stun::even_port{false}.encode(b); }).success());
    ASSERT_EQ(io.opened.size(), 1u);
    EXPECT_TRUE(io.opened[0].even_port);
}

TEST_F(EngineAllocate, EvenPortReservationIsClaimedWithItsToken) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    ASSERT_TRUE(r.success()) << r.error();
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    ASSERT_EQ(io.opened.size(), 1u);
    EXPECT_TRUE(io.opened[0].even_port);
    const std::uint16_t port = r.get<stun::xor_relayed_address>()->address.port;
    EXPECT_EQ(port % 2, 0);
    // port + 1 is held (bound, not a relay yet) and recorded in the shared table.
    EXPECT_TRUE(io.taken_ports.contains(port + 1));
    EXPECT_EQ(io.open_relays.size(), 1u);
    EXPECT_TRUE(reservations->is_reserved(address_family::ipv4, port + 1));

    const auto claim = allocate(client(2), [&](auto& b) { (void)token->encode(b); });
    ASSERT_TRUE(claim.success()) << claim.error();
    EXPECT_EQ(claim.get<stun::xor_relayed_address>()->address.port, port + 1);
    ASSERT_EQ(io.opened.size(), 2u);
    EXPECT_EQ(io.opened[1].port, port + 1);
    EXPECT_EQ(io.opened[1].adopt, port + 1);
    EXPECT_TRUE(io.opened[1].reserved);
    EXPECT_FALSE(reservations->is_reserved(address_family::ipv4, port + 1));
    // A token works once.
    EXPECT_EQ(allocate(client(3), [&](auto& b) { (void)token->encode(b); }).error(),
              status::insufficient_capacity);
}

TEST_F(EngineAllocate, ReservationIsClaimedOnAnotherWorker) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    ASSERT_TRUE(r.success()) << r.error();
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    const std::uint16_t port = r.get<stun::xor_relayed_address>()->address.port;

    fake_io other_io;
    other_io.reservations = reservations;
    other_io.next_port = 60000;
    const auto other = make_worker_engine(other_io);
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [&](stun::message_builder& b) {
            (void)stun::requested_transport{}.encode(b);
            (void)token->encode(b);
        },
        true); // the nonce is stateless: the other worker accepts it
    other->on_client_message(msg, client(2), now());
    ASSERT_EQ(other_io.to_client.size(), 1u);
    const reply claim(other_io.to_client.back().data);
    ASSERT_TRUE(claim.success()) << claim.error();
    EXPECT_EQ(claim.get<stun::xor_relayed_address>()->address.port, port + 1);
    ASSERT_EQ(other_io.opened.size(), 1u);
    EXPECT_TRUE(other_io.opened[0].reserved);
    EXPECT_EQ(other->allocation_count(), 1u);
    // Claimed: not on this worker either.
    EXPECT_EQ(allocate(client(3), [&](auto& b) { (void)token->encode(b); }).error(),
              status::insufficient_capacity);
}

TEST_F(EngineAllocate, AllocatorSkipsReservedPorts) {
    ASSERT_TRUE(reservations->reserve({9, 9, 9, 9, 9, 9, 9, 9}, address_family::ipv4, 50000, -1,
                                      now().mono + std::chrono::seconds(30)));
    const auto r = allocate(client(1));
    ASSERT_TRUE(r.success()) << r.error();
    EXPECT_EQ(r.get<stun::xor_relayed_address>()->address.port, 50002);
}

TEST_F(EngineAllocate, ReservationExpires) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    const std::uint16_t port = r.get<stun::xor_relayed_address>()->address.port;
    tick_through(std::chrono::seconds(29));
    EXPECT_TRUE(reservations->is_reserved(address_family::ipv4, port + 1));
    tick_through(std::chrono::seconds(2));
    EXPECT_FALSE(reservations->is_reserved(address_family::ipv4, port + 1));
    EXPECT_EQ(reservations->size(), 0u);
    EXPECT_EQ(io.released, std::vector<std::int64_t>{port + 1}); // the held socket let go
    EXPECT_FALSE(io.taken_ports.contains(port + 1));
    EXPECT_EQ(allocate(client(2), [&](auto& b) { (void)token->encode(b); }).error(),
              status::insufficient_capacity);
}

TEST_F(EngineAllocate, ReservedPortStaysBoundUntilClaimed) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    const std::uint16_t next = r.get<stun::xor_relayed_address>()->address.port + 1;
    EXPECT_TRUE(io.taken_ports.contains(next)); // held, so nothing else on the host can take it
    const auto c = allocate(client(2), [&](auto& b) { (void)token->encode(b); });
    ASSERT_TRUE(c.success()) << c.error();
    EXPECT_EQ(io.opened.back().adopt, next); // the held socket became the relay
    EXPECT_TRUE(io.released.empty());
}

TEST_F(EngineAllocate, ClaimThatCannotAdoptIs508) {
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    const auto token = r.get<stun::reservation_token>();
    ASSERT_TRUE(token);
    io.fail_adopt = true;
    EXPECT_EQ(allocate(client(2), [&](auto& b) { (void)token->encode(b); }).error(),
              status::insufficient_capacity);
    EXPECT_EQ(quotas->count("alice"), 1u); // the claimer's quota was given back
}

TEST_F(EngineAllocate, ReservationRetriesWhenTheNextPortIsTaken) {
    io.taken_ports.insert(50001);
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    ASSERT_TRUE(r.success());
    EXPECT_EQ(r.get<stun::xor_relayed_address>()->address.port, 50002);
    EXPECT_FALSE(io.open_relays.contains(1)); // the first try was closed
}

TEST_F(EngineAllocate, ReservationRetriesWhenTheNextPortIsReservedAlready) {
    // 50001 is unbound (held by another worker's reservation), but not free to reserve again.
    ASSERT_TRUE(reservations->reserve({9, 9, 9, 9, 9, 9, 9, 9}, address_family::ipv4, 50001, -1,
                                      now().mono + std::chrono::seconds(30)));
    const auto r = allocate(client(1), [](auto& b) { (void)stun::even_port{true}.encode(b); });
    ASSERT_TRUE(r.success());
    EXPECT_EQ(r.get<stun::xor_relayed_address>()->address.port, 50002);
    EXPECT_EQ(io.open_relays.size(), 1u);
    EXPECT_EQ(reservations->size(), 2u);
}

TEST_F(EngineAllocate, UnknownReservationTokenIs508) {
    const stun::reservation_token token{{1, 2, 3, 4, 5, 6, 7, 8}};
    EXPECT_EQ(allocate(client(), [&](auto& b) { (void)token.encode(b); }).error(),
              status::insufficient_capacity);
}

TEST_F(EngineAllocate, ReservationTokenWithEvenPortOrFamilyIs400) {
    const stun::reservation_token token{{1, 2, 3, 4, 5, 6, 7, 8}};
    EXPECT_EQ(allocate(client(1),
                       [&](auto& b) {
                           (void)stun::even_port{false}.encode(b);
                           (void)token.encode(b);
                       })
                  .error(),
              status::bad_request);
    EXPECT_EQ(allocate(client(2),
                       [&](auto& b) {
                           (void)stun::requested_address_family{address_family::ipv4}.encode(b);
                           (void)token.encode(b);
                       })
                  .error(),
              status::bad_request);
}

TEST_F(EngineAllocate, DualStackAllocation) {
    settings.relay_v6 = true;
    make_engine();
    const auto r = allocate(client(), [](auto& b) {
        (void)stun::additional_address_family{address_family::ipv6}.encode(b);
    });
    ASSERT_TRUE(r.success()) << r.error();
    std::vector<transport_address> relayed;
    for (const stun::attribute a : *r.view) {
        if (a.type == attribute_type::xor_relayed_address) {
            relayed.push_back(
                stun::xor_relayed_address::decode(a.value, r.view->transaction_id())->address);
        }
    }
    ASSERT_EQ(relayed.size(), 2u);
    EXPECT_TRUE(relayed[0].is_v4());
    EXPECT_FALSE(relayed[1].is_v4());
    EXPECT_FALSE(r.get<stun::address_error_code>());
    // Both families accept permissions.
    EXPECT_TRUE(create_permission(client(), {peer_a, v6(0x99, 5000)}).success());
}

TEST_F(EngineAllocate, DualStackWithoutIpv6GetsAddressErrorCode) {
    const auto r = allocate(client(), [](auto& b) {
        (void)stun::additional_address_family{address_family::ipv6}.encode(b);
    });
    ASSERT_TRUE(r.success()) << r.error();
    const auto aec = r.get<stun::address_error_code>();
    ASSERT_TRUE(aec);
    EXPECT_EQ(aec->family, address_family::ipv6);
    EXPECT_EQ(aec->code, status::address_family_not_supported);
    EXPECT_EQ(io.opened.size(), 1u);
}

TEST_F(EngineAllocate, DualStackBadCombinationsAre400) {
    settings.relay_v6 = true;
    make_engine();
    EXPECT_EQ(allocate(client(1),
                       [](auto& b) {
                           (void)stun::additional_address_family{address_family::ipv4}.encode(b);
                       })
                  .error(),
              status::bad_request);
    EXPECT_EQ(allocate(client(2),
                       [](auto& b) {
                           (void)stun::requested_address_family{address_family::ipv4}.encode(b);
                           (void)stun::additional_address_family{address_family::ipv6}.encode(b);
                       })
                  .error(),
              status::bad_request);
    EXPECT_EQ(allocate(client(3),
                       [](auto& b) {
                           (void)stun::even_port{true}.encode(b);
                           (void)stun::additional_address_family{address_family::ipv6}.encode(b);
                       })
                  .error(),
              status::bad_request);
}

TEST_F(EngineAllocate, AllocateLifetimeIsClamped) {
    const auto lifetime = [](std::uint32_t v) {
        return [v](stun::message_builder& b) { (void)stun::lifetime{v}.encode(b); };
    };
    EXPECT_EQ(allocate(client(1), lifetime(100000)).get<stun::lifetime>()->value, 3600u);
    EXPECT_EQ(allocate(client(2), lifetime(60)).get<stun::lifetime>()->value, 600u);
    EXPECT_EQ(allocate(client(3), lifetime(1800)).get<stun::lifetime>()->value, 1800u);
}

TEST_F(EngineAllocate, ExternalAddressIsAdvertisedWithTheBoundPort) {
    settings.external_v4 = v4(203, 0, 113, 200, 0);
    make_engine();
    const auto r = allocate(client());
    EXPECT_EQ(r.get<stun::xor_relayed_address>()->address, v4(203, 0, 113, 200, 50000));
}

TEST_F(EngineAllocate, UnknownComprehensionRequiredAttributeIs420WithoutAuth) {
    const std::array<std::uint8_t, 4> value{1, 2, 3, 4};
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [&](auto& b) { (void)b.add(static_cast<attribute_type>(0x7ff0), value); }, false);
    const auto r = send(msg, client());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error(), status::unknown_attribute);
    const auto unknown = r->get<stun::unknown_attributes>();
    ASSERT_TRUE(unknown);
    ASSERT_EQ(unknown->size(), 1u);
    EXPECT_EQ((*unknown)[0], static_cast<attribute_type>(0x7ff0));
}

TEST_F(EngineAllocate, ChallengeIsSmallAndUnsigned) {
    settings.software = "icegate test";
    make_engine();
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [](auto& b) { (void)stun::requested_transport{}.encode(b); }, false);
    const auto r = send(msg, client());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error(), status::unauthorized);
    EXPECT_TRUE(r->get<stun::realm>());
    EXPECT_TRUE(r->get<stun::nonce>());
    EXPECT_TRUE(r->view->contains(attribute_type::password_algorithms));
    EXPECT_FALSE(r->view->contains(attribute_type::software));
    EXPECT_FALSE(r->view->contains(attribute_type::message_integrity));
    EXPECT_LE(r->raw.size(), msg.size() + 120);
}

TEST_F(EngineAllocate, WrongPasswordIs401AndMissingRealmIs400) {
    ASSERT_TRUE(allocate(client(1)).success()); // has a nonce now
    EXPECT_EQ(allocate(client(2), {}, "alice", "wrong").error(), status::unauthorized);
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [&](auto& b) {
            (void)stun::requested_transport{}.encode(b);
            (void)stun::username{"alice"}.encode(b);
            (void)stun::nonce{nonce}.encode(b);
            (void)b.add_message_integrity(*stun::long_term_key_md5("alice", realm, "secret-a"));
        },
        false);
    const auto r = send(msg, client(3));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error(), status::bad_request);
    EXPECT_EQ(eng->allocation_count(), 1u);
}

TEST_F(EngineAllocate, SoftwareAndFingerprintOnAuthenticatedResponses) {
    settings.software = "icegate test";
    make_engine();
    ASSERT_TRUE(allocate(client(1)).success()); // nonce
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [](auto& b) { (void)stun::requested_transport{}.encode(b); }, true, "alice", "secret-a",
        true);
    const auto r = send(msg, client(2));
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->success()) << r->error();
    EXPECT_EQ(r->get<stun::software>()->value, "icegate test");
    EXPECT_TRUE(r->view->check_fingerprint());
    EXPECT_TRUE(
        r->view->check_message_integrity(*stun::long_term_key_md5("alice", realm, "secret-a")));
}

TEST_F(EngineAllocate, BadFingerprintIsDropped) {
    auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [](auto& b) { (void)stun::requested_transport{}.encode(b); }, false, "", "", true);
    msg.back() ^= 1;
    EXPECT_FALSE(send(msg, client()).has_value());
}

TEST_F(EngineAllocate, BindingIsAnsweredWithoutAuth) {
    const auto msg =
        build(stun::method::binding, stun::message_class::request, new_txn(), {}, false);
    const auto r = send(msg, client());
    ASSERT_TRUE(r && r->success());
    EXPECT_EQ(r->get<stun::xor_mapped_address>()->address, client().client);
}

TEST_F(EngineAllocate, IndicationsAndResponsesAreNeverAnswered) {
    const auto ind =
        build(stun::method::allocate, stun::message_class::indication, new_txn(), {}, false);
    EXPECT_FALSE(send(ind, client()).has_value());
    const auto resp =
        build(stun::method::allocate, stun::message_class::success_response, new_txn(), {}, false);
    EXPECT_FALSE(send(resp, client()).has_value());
}

TEST_F(EngineAllocate, UnsupportedMethodIs400) {
    const auto msg =
        build(stun::method::connect, stun::message_class::request, new_txn(), {}, false);
    const auto r = send(msg, client());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error(), status::bad_request);
}

TEST_F(EngineAllocate, StaleNonceIs438WithAFreshOne) {
    ASSERT_TRUE(allocate(client(1)).success());
    const std::string old = nonce;
    elapsed += std::chrono::seconds(3600);
    const auto msg = build(
        stun::method::allocate, stun::message_class::request, new_txn(),
        [](auto& b) { (void)stun::requested_transport{}.encode(b); }, true);
    const auto r = send(msg, client(2));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->error(), status::stale_nonce);
    EXPECT_NE(std::string(r->get<stun::nonce>()->value), old);
}

} // namespace
} // namespace icegate::turn::test
