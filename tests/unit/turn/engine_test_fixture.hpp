// Test harness for the TURN engine: a fake io_port that records every effect, a fake clock,
// deterministic randomness, the real authenticator with one static user, and a client that
// does the 401 -> nonce -> authenticated retry dance.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/turn/auth.hpp"
#include "icegate/turn/engine.hpp"
#include "icegate/turn/live_relays.hpp"
#include "icegate/turn/peer_policy.hpp"
#include "icegate/turn/quota_table.hpp"
#include "icegate/turn/reservation_table.hpp"

namespace icegate::turn::test {

using bytes = std::vector<std::uint8_t>;
using stun::attribute_type;
using stun::transport_address;

inline transport_address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                            std::uint16_t port) {
    return transport_address::v4({a, b, c, d}, port);
}

inline transport_address v6(std::uint8_t last, std::uint16_t port) {
    std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8};
    ip[15] = last;
    return transport_address::v6(ip, port);
}

class fake_io : public io_port {
public:
    struct peer_send {
        relay_id relay;
        transport_address peer;
        bytes data;
    };
    struct client_send {
        client_ref to;
        bytes data;
    };

    result<relay_binding> open_relay(const relay_request& req) noexcept override {
        opened.push_back(req);
        if (exhausted || (req.family == stun::address_family::ipv6 && !v6_available)) {
            return std::make_error_code(exhausted ? std::errc::resource_unavailable_try_again
                                                  : std::errc::address_family_not_supported);
        }
        if (req.adopt >= 0) { // the held socket becomes the relay (consumed even on failure)
            taken_ports.erase(static_cast<std::uint16_t>(req.adopt));
            if (fail_adopt) {
                return std::make_error_code(std::errc::bad_file_descriptor);
            }
        }
        std::uint16_t port = req.port;
        while (port == 0) { // like worker_io: never a reserved port
            port = next_port;
            next_port = static_cast<std::uint16_t>(next_port + 2);
            if (reservations && reservations->is_reserved(req.family, port)) {
                port = 0;
            }
        }
        if (taken_ports.contains(port)) {
            return std::make_error_code(std::errc::address_in_use);
        }
        taken_ports.insert(port);
        const relay_id id = next_id++;
        const auto address =
            req.family == stun::address_family::ipv4 ? v4(192, 0, 2, 10, port) : v6(0x10, port);
        open_relays.insert(id);
        ports[id] = port;
        return relay_binding{id, address};
    }
    void close_relay(relay_id id) noexcept override {
        closed.push_back(id);
        open_relays.erase(id);
        taken_ports.erase(ports[id]);
    }
    // Held ports: the handle is the port number.
    result<std::int64_t> hold_port(stun::address_family, std::uint16_t port) noexcept override {
        if (taken_ports.contains(port)) {
            return std::make_error_code(std::errc::address_in_use);
        }
        taken_ports.insert(port);
        return std::int64_t{port};
    }
    void release_port(std::int64_t handle) noexcept override {
        released.push_back(handle);
        taken_ports.erase(static_cast<std::uint16_t>(handle));
    }
    void send_to_peer(relay_id id, const transport_address& peer,
                      std::span<const std::uint8_t> data) noexcept override {
        to_peer.push_back({id, peer, bytes(data.begin(), data.end())});
    }
    void send_to_client(const client_ref& to,
                        std::span<const std::uint8_t> data) noexcept override {
        to_client.push_back({to, bytes(data.begin(), data.end())});
    }

    std::vector<relay_request> opened;
    std::vector<relay_id> closed;
    std::vector<peer_send> to_peer;
    std::vector<client_send> to_client;
    std::set<relay_id> open_relays;
    std::set<std::uint16_t> taken_ports;
    std::map<relay_id, std::uint16_t> ports;
    std::shared_ptr<const reservation_table> reservations; // the allocator skips these
    std::vector<std::int64_t> released;
    bool exhausted = false;
    bool fail_adopt = false;
    bool v6_available = true;
    relay_id next_id = 1;
    std::uint16_t next_port = 50000;
};

// One parsed response: owns its bytes.
struct reply {
    bytes raw;
    std::optional<stun::message_view> view;

    explicit reply(bytes b) : raw(std::move(b)) {
        auto v = stun::message_view::parse(raw);
        if (v) {
            view = *v;
        }
    }
    reply(const reply& o) : reply(o.raw) {}
    bool success() const {
        return view && view->message_class() == stun::message_class::success_response;
    }
    std::uint16_t error() const {
        if (!view) {
            return 0;
        }
        auto e = stun::get<stun::error_code_attribute>(*view);
        return e ? e->code : 0;
    }
    template <class T>
    std::optional<T> get() const {
        if (!view) {
            return std::nullopt;
        }
        auto r = stun::get<T>(*view);
        return r ? std::optional<T>(*r) : std::nullopt;
    }
};

using attribute_writer = std::function<void(stun::message_builder&)>;

inline constexpr std::string_view realm = "icegate.test";

class engine_test : public ::testing::Test {
protected:
    void SetUp() override { make_engine(); }

    void make_engine() {
        auto as = std::make_shared<auth_settings>();
        as->realm = std::string(realm);
        user_key alice{"alice", *stun::long_term_key_md5("alice", realm, "secret-a"), {}};
        user_key bob{"bob", *stun::long_term_key_md5("bob", realm, "secret-b"), {}};
        as->users = {alice, bob};
        as->nonce_key.fill(7);
        auth = std::make_shared<authenticator>(as);
        policy = std::make_shared<peer_policy>(std::vector<prefix>{}, std::vector<prefix>{},
                                               std::vector<transport_address>{});
        quotas = std::make_shared<quota_table>();
        reservations = std::make_shared<reservation_table>();
        io.reservations = reservations;
        eng = make_worker_engine(io);
    }

    // An engine on another worker: its own io, the same auth, quotas and reservations.
    std::unique_ptr<engine> make_worker_engine(fake_io& worker_io) {
        return std::make_unique<engine>(
            settings, auth, policy, quotas, reservations, worker_io,
            [this](std::span<std::uint8_t> out) {
                for (auto& b : out) {
                    b = static_cast<std::uint8_t>(++random_state);
                }
            },
            live);
    }

    clock_reading now() const {
        return {std::chrono::steady_clock::time_point{} + elapsed, 1'700'000'000 + elapsed.count()};
    }
    void advance(std::chrono::seconds s) {
        elapsed += s;
        eng->on_tick(now());
    }
    // Ticks every second up to `s` later, as the I/O layer would.
    void tick_through(std::chrono::seconds s) {
        for (std::int64_t i = 0; i < s.count(); ++i) {
            advance(std::chrono::seconds(1));
        }
    }

    client_ref client(std::uint8_t n = 1, client_transport t = client_transport::udp) const {
        // One client host (the nonce is bound to the IP address), one port per five-tuple.
        return {v4(198, 51, 100, 1, static_cast<std::uint16_t>(40000 + n)), v4(192, 0, 2, 1, 3478),
                t, n};
    }

    stun::transaction_id new_txn() {
        stun::transaction_id id{};
        ++txn_counter;
        for (std::size_t i = 0; i < 8; ++i) {
            id[i] = static_cast<std::uint8_t>(txn_counter >> (8 * i));
        }
        return id;
    }

    bytes build(stun::method m, stun::message_class cls, const stun::transaction_id& id,
                const attribute_writer& attrs, bool sign, std::string_view user = "alice",
                std::string_view password = "secret-a", bool fingerprint = false) {
        bytes buf(4096);
        stun::message_builder b(buf, {m, cls}, id);
        if (attrs) {
            attrs(b);
        }
        if (sign) {
            (void)stun::username{user}.encode(b);
            (void)stun::realm{realm}.encode(b);
            (void)stun::nonce{nonce}.encode(b);
            const auto key = stun::long_term_key_md5(user, realm, password);
            (void)b.add_message_integrity(*key);
        }
        if (fingerprint) {
            (void)b.add_fingerprint();
        }
        const auto out = b.finish();
        EXPECT_TRUE(out.has_value());
        return bytes(out->begin(), out->end());
    }

    // Sends `msg` from `from` and returns what the engine answered (or nullopt).
    std::optional<reply> send(const bytes& msg, const client_ref& from) {
        const std::size_t before = io.to_client.size();
        eng->on_client_message(msg, from, now());
        if (io.to_client.size() == before) {
            return std::nullopt;
        }
        EXPECT_EQ(io.to_client.size(), before + 1);
        EXPECT_EQ(io.to_client.back().to, from);
        return reply(io.to_client.back().data);
    }

    // An authenticated request: fetches a nonce first (401 or 438) when it has none.
    reply request(stun::method m, const attribute_writer& attrs, const client_ref& from,
                  std::string_view user = "alice", std::string_view password = "secret-a",
                  std::optional<stun::transaction_id> id = std::nullopt) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (nonce.empty()) {
                auto r =
                    send(build(m, stun::message_class::request, new_txn(), attrs, false), from);
                EXPECT_TRUE(r && r->error() == stun::status::unauthorized);
                take_nonce(*r);
            }
            auto r = send(build(m, stun::message_class::request, id ? *id : new_txn(), attrs, true,
                                user, password),
                          from);
            EXPECT_TRUE(r.has_value());
            if (r->error() == stun::status::stale_nonce) {
                take_nonce(*r);
                continue;
            }
            return *r;
        }
        ADD_FAILURE() << "no nonce accepted";
        return reply(bytes{});
    }

    void take_nonce(const reply& r) {
        const auto n = r.get<stun::nonce>();
        ASSERT_TRUE(n.has_value());
        nonce = std::string(n->value);
    }

    reply allocate(const client_ref& from, const attribute_writer& extra = {},
                   std::string_view user = "alice", std::string_view password = "secret-a") {
        return request(
            stun::method::allocate,
            [&](stun::message_builder& b) {
                (void)stun::requested_transport{}.encode(b);
                if (extra) {
                    extra(b);
                }
            },
            from, user, password);
    }

    reply create_permission(const client_ref& from, std::vector<transport_address> peers) {
        return request(
            stun::method::create_permission,
            [&](stun::message_builder& b) {
                for (const auto& p : peers) {
                    (void)stun::xor_peer_address{p}.encode(b);
                }
            },
            from);
    }

    reply channel_bind(const client_ref& from, std::uint16_t channel,
                       const transport_address& peer) {
        return request(
            stun::method::channel_bind,
            [&](stun::message_builder& b) {
                (void)stun::channel_number{channel}.encode(b);
                (void)stun::xor_peer_address{peer}.encode(b);
            },
            from);
    }

    reply refresh(const client_ref& from, std::optional<std::uint32_t> lifetime) {
        return request(
            stun::method::refresh,
            [&](stun::message_builder& b) {
                if (lifetime) {
                    (void)stun::lifetime{*lifetime}.encode(b);
                }
            },
            from);
    }

    void send_indication(const client_ref& from, const transport_address& peer, const bytes& data) {
        const auto msg = build(
            stun::method::send, stun::message_class::indication, new_txn(),
            [&](stun::message_builder& b) {
                (void)stun::xor_peer_address{peer}.encode(b);
                (void)stun::data{data}.encode(b);
            },
            false);
        eng->on_client_message(msg, from, now());
    }

    void channel_data(const client_ref& from, std::uint16_t channel, const bytes& data,
                      bool padded = false) {
        bytes out(data.size() + 8);
        const auto framing =
            padded ? stun::channel_framing::stream : stun::channel_framing::datagram;
        const auto n = stun::channel_data{channel, data}.build(out, framing);
        ASSERT_TRUE(n.has_value());
        out.resize(*n);
        eng->on_client_message(out, from, now());
    }

    relay_id relay_of(const reply& allocate_success) const {
        const auto relayed = allocate_success.get<stun::xor_relayed_address>();
        EXPECT_TRUE(relayed.has_value());
        for (const auto& [id, port] : io.ports) {
            if (relayed && port == relayed->address.port && io.open_relays.contains(id)) {
                return id;
            }
        }
        ADD_FAILURE() << "relay not found";
        return 0;
    }

    engine_settings settings;
    fake_io io;
    std::shared_ptr<const authenticator> auth;
    std::shared_ptr<const peer_policy> policy;
    std::shared_ptr<quota_table> quotas;
    std::shared_ptr<reservation_table> reservations;
    std::shared_ptr<live_relays> live = std::make_shared<live_relays>(); // shared by workers
    std::unique_ptr<engine> eng;
    std::chrono::seconds elapsed{1000};
    std::string nonce;
    std::uint64_t txn_counter = 0;
    std::uint8_t random_state = 0;
};

// Peers the default policy allows (documentation ranges) and denies (private).
inline const transport_address peer_a = v4(203, 0, 113, 5, 6000);
inline const transport_address peer_b = v4(203, 0, 113, 6, 7000);
inline const transport_address denied_peer = v4(10, 0, 0, 1, 6000);

} // namespace icegate::turn::test
