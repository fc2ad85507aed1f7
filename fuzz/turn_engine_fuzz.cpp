// libFuzzer target: drive one TURN engine with a script of records (client messages raw or
// signed with a valid long-term credential, peer datagrams, clock ticks, connection closes)
// against a fake io_port, checking that it never crashes, never answers an unauthenticated
// message with much more than it received, and leaves no relay socket open after close_all().
//
// Record: [op: 1][length: 2, big endian][payload: length]. Signed requests: payload[0] picks
// the method, the rest is a list of raw TLVs the harness copies before USERNAME, REALM, NONCE
// and MESSAGE-INTEGRITY.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/credentials.hpp"
#include "icegate/turn/auth.hpp"
#include "icegate/turn/engine.hpp"
#include "icegate/turn/peer_policy.hpp"
#include "icegate/turn/quota_table.hpp"
#include "icegate/turn/reservation_table.hpp"

namespace {

using namespace icegate;
using stun::transport_address;

constexpr std::string_view realm = "icegate.test";
constexpr std::size_t max_unauthenticated_growth = 160;

class fuzz_io : public turn::io_port {
public:
    result<turn::relay_binding> open_relay(const turn::relay_request& req) noexcept override {
        if (req.adopt >= 0 && held.erase(static_cast<std::uint16_t>(req.adopt)) != 1) {
            __builtin_trap(); // adopted a socket that was not held
        }
        if (open.size() >= 64) {
            return std::make_error_code(std::errc::resource_unavailable_try_again);
        }
        const turn::relay_id id = next_id++;
        const std::uint16_t port = req.port != 0 ? req.port : static_cast<std::uint16_t>(id * 2);
        open.insert(id);
        const auto address = req.family == stun::address_family::ipv4
                                 ? transport_address::v4({192, 0, 2, 10}, port)
                                 : transport_address::v6({0x20, 0x01, 0x0d, 0xb8, 1}, port);
        return turn::relay_binding{id, address};
    }
    void close_relay(turn::relay_id id) noexcept override {
        if (open.erase(id) != 1) {
            __builtin_trap(); // closed twice, or never opened
        }
    }
    result<std::int64_t> hold_port(stun::address_family, std::uint16_t port) noexcept override {
        if (!held.insert(port).second) {
            __builtin_trap(); // a port held twice
        }
        return std::int64_t{port};
    }
    void release_port(std::int64_t handle) noexcept override {
        if (held.erase(static_cast<std::uint16_t>(handle)) != 1) {
            __builtin_trap(); // released twice, or never held
        }
    }
    void send_to_peer(turn::relay_id id, const transport_address&,
                      std::span<const std::uint8_t>) noexcept override {
        if (!open.contains(id)) {
            __builtin_trap();
        }
    }
    void send_to_client(const turn::client_ref&,
                        std::span<const std::uint8_t> bytes) noexcept override {
        last.assign(bytes.begin(), bytes.end());
        ++sent;
    }

    std::set<turn::relay_id> open;
    std::set<std::uint16_t> held;
    std::vector<std::uint8_t> last;
    std::size_t sent = 0;
    turn::relay_id next_id = 1;
};

struct harness {
    harness() {
        auto as = std::make_shared<turn::auth_settings>();
        as->realm = std::string(realm);
        as->users.push_back({"alice", *stun::long_term_key_md5("alice", realm, "pw"), {}});
        auth = std::make_shared<turn::authenticator>(as);
        const auto all = turn::prefix::v4({0, 0, 0, 0}, 0);
        policy = std::make_shared<turn::peer_policy>(std::vector<turn::prefix>{all},
                                                     std::vector<turn::prefix>{},
                                                     std::vector<transport_address>{});
        key = *stun::long_term_key_md5("alice", realm, "pw");
    }

    std::shared_ptr<const turn::authenticator> auth;
    std::shared_ptr<const turn::peer_policy> policy;
    stun::md5_key key{};
};

struct session {
    explicit session(const harness& h) : h(h) {
        turn::engine_settings s;
        s.relay_v6 = true;
        s.software = "fuzz";
        s.max_permissions = 4;
        s.max_channels = 4;
        eng = std::make_unique<turn::engine>(
            s, h.auth, h.policy, std::make_shared<turn::quota_table>(),
            std::make_shared<turn::reservation_table>(), io, [this](std::span<std::uint8_t> out) {
                for (auto& b : out) {
                    b = static_cast<std::uint8_t>(++rnd);
                }
            });
    }

    turn::clock_reading now() const {
        return {std::chrono::steady_clock::time_point{} + std::chrono::seconds(elapsed),
                1'700'000'000 + elapsed};
    }

    turn::client_ref client(bool tcp) const {
        return {transport_address::v4({198, 51, 100, 1}, tcp ? 40001 : 40000),
                transport_address::v4({192, 0, 2, 1}, 3478),
                tcp ? turn::client_transport::tcp : turn::client_transport::udp, tcp ? 2u : 1u};
    }

    void raw(std::span<const std::uint8_t> bytes, bool tcp) {
        const std::size_t before = io.sent;
        eng->on_client_message(bytes, client(tcp), now());
        // Without a valid MESSAGE-INTEGRITY nothing here is authenticated: no amplification.
        if (io.sent != before && io.last.size() > bytes.size() + max_unauthenticated_growth) {
            __builtin_trap();
        }
    }

    std::string fetch_nonce(const turn::client_ref& from) {
        std::array<std::uint8_t, 64> buf{};
        stun::message_builder b(buf, {stun::method::refresh, stun::message_class::request},
                                stun::transaction_id{9});
        const auto msg = b.finish();
        eng->on_client_message(*msg, from, now());
        const auto reply = stun::message_view::parse(io.last);
        const auto n = reply ? stun::get<stun::nonce>(*reply) : stun::errc::attribute_missing;
        return n ? std::string(n->value) : std::string();
    }

    void signed_request(std::span<const std::uint8_t> payload) {
        static constexpr std::array<stun::method, 6> methods = {
            stun::method::allocate,     stun::method::refresh, stun::method::create_permission,
            stun::method::channel_bind, stun::method::send,    stun::method::binding};
        if (payload.empty()) {
            return;
        }
        const bool tcp = (payload[0] & 0x80) != 0;
        const auto m = methods[(payload[0] & 0x7f) % methods.size()];
        const auto from = client(tcp);
        const std::string nonce = fetch_nonce(from);
        std::array<std::uint8_t, 2048> buf{};
        const auto cls = m == stun::method::send ? stun::message_class::indication
                                                 : stun::message_class::request;
        stun::message_builder b(buf, {m, cls},
                                stun::transaction_id{static_cast<std::uint8_t>(++txn)});
        copy_tlvs(b, payload.subspan(1));
        (void)stun::username{"alice"}.encode(b);
        (void)stun::realm{realm}.encode(b);
        (void)stun::nonce{nonce}.encode(b);
        (void)b.add_message_integrity(h.key);
        if (const auto msg = b.finish()) {
            eng->on_client_message(*msg, from, now());
        }
    }

    static void copy_tlvs(stun::message_builder& b, std::span<const std::uint8_t> p) {
        while (p.size() >= 4) {
            const auto type = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
            const std::size_t len = std::min<std::size_t>((p[2] << 8) | p[3], p.size() - 4);
            const auto t = static_cast<stun::attribute_type>(type);
            if (t != stun::attribute_type::message_integrity &&
                t != stun::attribute_type::message_integrity_sha256 &&
                t != stun::attribute_type::fingerprint) {
                (void)b.add(t, p.subspan(4, len));
            }
            p = p.subspan(4 + len);
        }
    }

    void peer(std::span<const std::uint8_t> payload) {
        if (payload.empty()) {
            return;
        }
        static const std::array<transport_address, 3> peers = {
            transport_address::v4({203, 0, 113, 5}, 6000),
            transport_address::v4({203, 0, 113, 6}, 7000),
            transport_address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5},
                                  6000)};
        const turn::relay_id relay = (payload[0] & 0x0f) % (io.next_id + 1);
        eng->on_peer_datagram(relay, peers[(payload[0] >> 4) % peers.size()], payload.subspan(1),
                              now());
    }

    const harness& h;
    fuzz_io io;
    std::unique_ptr<turn::engine> eng;
    std::int64_t elapsed = 1000;
    std::uint8_t rnd = 0;
    std::uint8_t txn = 0;
};

void run(session& s, std::span<const std::uint8_t> input) {
    while (input.size() >= 3) {
        const std::uint8_t op = input[0];
        const std::size_t len = std::min<std::size_t>((input[1] << 8) | input[2], input.size() - 3);
        const auto payload = input.subspan(3, len);
        input = input.subspan(3 + len);
        switch (op % 6) {
        case 0:
        case 1:
            s.raw(payload, op % 6 == 1);
            break;
        case 2:
            s.signed_request(payload);
            break;
        case 3:
            s.peer(payload);
            break;
        case 4:
            s.elapsed += payload.empty() ? 1 : payload[0];
            s.eng->on_tick(s.now());
            break;
        case 5:
            s.eng->on_client_closed(s.client((op & 0x80) != 0));
            break;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    static const harness h;
    session s(h);
    run(s, {bytes, size});
    s.eng->close_all();
    if (!s.io.open.empty() || s.eng->allocation_count() != 0) {
        __builtin_trap();
    }
    return 0;
}
