// STUN Binding and the TURN client transactions of the probe.
#include "turn_client.hpp"

#include <openssl/rand.h>

#include "icegate/stun/attributes.hpp"
#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/credentials.hpp"

namespace icegate::probe::detail {

namespace {

using namespace std::chrono_literals;
using stun::message_view;

constexpr auto first_rto = 500ms; // RFC 8489 section 6.2.1's initial RTO
constexpr std::size_t max_request = 2048;

const char* method_name(stun::method m) {
    switch (m) {
    case stun::method::binding:
        return "Binding";
    case stun::method::allocate:
        return "Allocate";
    case stun::method::refresh:
        return "Refresh";
    case stun::method::channel_bind:
        return "ChannelBind";
    default:
        return "request";
    }
}

stun::transaction_id random_id() {
    stun::transaction_id id{};
    if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
        throw step_failure("no randomness for a transaction id");
    }
    return id;
}

message_view parsed(const std::vector<std::uint8_t>& bytes) {
    auto v = message_view::parse(bytes);
    if (!v) {
        throw step_failure("unparsable response");
    }
    return *v;
}

std::uint16_t error_code_of(const message_view& m) {
    const auto e = stun::get<stun::error_code_attribute>(m);
    return e ? e->code : 0;
}

void expect_success(const message_view& m, const std::string& what) {
    if (m.message_class() != stun::message_class::success_response) {
        throw step_failure(what + ": " + error_text(m));
    }
}

} // namespace

std::string error_text(const message_view& m) {
    const auto e = stun::get<stun::error_code_attribute>(m);
    if (!e) {
        return "error response without ERROR-CODE";
    }
    const std::string_view reason =
        e->reason.empty() ? stun::default_reason_phrase(e->code) : e->reason;
    return std::to_string(e->code) + " " + std::string(reason);
}

turn_client::turn_client(link& l, turn_credentials credentials)
    : link_(l), credentials_(std::move(credentials)) {}

std::vector<std::uint8_t> turn_client::transact(stun::method method, const attributes& add,
                                                bool sign) {
    std::array<std::uint8_t, max_request> buffer{};
    const auto id = random_id();
    stun::message_builder b(buffer, {method, stun::message_class::request}, id);
    add(b);
    if (sign) {
        stun::username{credentials_.username}.encode(b);
        stun::realm{realm_}.encode(b);
        stun::nonce{nonce_}.encode(b);
        b.add_message_integrity(key_);
    }
    b.add_fingerprint();
    const auto request = b.finish();
    if (!request) {
        throw step_failure(std::string("cannot build the ") + method_name(method) +
                           " request: " + request.error().message());
    }
    auto rto = std::chrono::duration_cast<clock::duration>(first_rto);
    while (clock::now() < link_.deadline()) {
        link_.send(*request);
        const auto until = link_.is_stream() ? link_.deadline() : clock::now() + rto;
        rto *= 2;
        while (const auto got = link_.receive(until)) {
            const auto v = message_view::parse(*got);
            if (v && stun::is_response(v->message_class()) && v->transaction_id() == id &&
                v->method() == method) {
                return {got->begin(), got->end()};
            }
        }
    }
    throw step_failure(std::string("no ") + method_name(method) + " response within the timeout");
}

void turn_client::learn_challenge(const message_view& m) {
    const auto realm = stun::get<stun::realm>(m);
    const auto nonce = stun::get<stun::nonce>(m);
    if (!realm || !nonce) {
        throw step_failure(error_text(m) + " without REALM and NONCE");
    }
    realm_ = std::string(realm->value);
    nonce_ = std::string(nonce->value);
    if (credentials_.key_md5) {
        key_ = *credentials_.key_md5;
        return;
    }
    const auto key =
        stun::long_term_key_md5(credentials_.username, realm_, credentials_.password.value_or(""));
    if (!key) {
        throw step_failure("cannot derive the long-term key: " + key.error().message());
    }
    key_ = *key;
}

std::vector<std::uint8_t> turn_client::authenticated(stun::method method, const attributes& add,
                                                     const char* what) {
    for (int attempt = 0;; ++attempt) {
        auto bytes = transact(method, add, true);
        const auto v = parsed(bytes);
        if (v.message_class() == stun::message_class::success_response) {
            if (!v.check_message_integrity(key_)) {
                throw step_failure(std::string(what) +
                                   ": the response's MESSAGE-INTEGRITY does not verify");
            }
            return bytes;
        }
        const auto code = error_code_of(v);
        if (code == stun::status::stale_nonce && attempt == 0) {
            learn_challenge(v);
            continue;
        }
        if (code == stun::status::unauthorized) {
            throw step_failure(std::string(what) + ": " + error_text(v) + " (user \"" +
                               credentials_.username + "\", realm \"" + realm_ +
                               "\": wrong user name, password or secret?)");
        }
        return bytes; // other errors: the caller decides
    }
}

stun::transport_address turn_client::binding() {
    const auto bytes = transact(
        stun::method::binding, [](stun::message_builder&) {}, false);
    const auto v = parsed(bytes);
    expect_success(v, "Binding");
    const auto mapped = stun::get<stun::xor_mapped_address>(v);
    if (!mapped) {
        throw step_failure("Binding response without XOR-MAPPED-ADDRESS");
    }
    return mapped->address;
}

stun::transport_address turn_client::allocate() {
    std::optional<stun::address_family> family;
    const attributes add = [&family](stun::message_builder& b) {
        stun::requested_transport{}.encode(b);
        if (family) {
            stun::requested_address_family{*family}.encode(b);
        }
    };
    if (nonce_.empty()) {
        // Unsigned first: the 401 names the realm and hands out a nonce.
        const auto bytes = transact(stun::method::allocate, add, false);
        const auto v = parsed(bytes);
        if (error_code_of(v) != stun::status::unauthorized) {
            expect_success(v, "Allocate without credentials");
            throw step_failure("the server allocated without asking for credentials");
        }
        learn_challenge(v);
    }
    auto bytes = authenticated(stun::method::allocate, add, "Allocate");
    if (error_code_of(parsed(bytes)) == stun::status::address_family_not_supported) {
        family = stun::address_family::ipv6; // a server with an IPv6 relay address only
        bytes = authenticated(stun::method::allocate, add, "Allocate (IPv6)");
    }
    const auto v = parsed(bytes);
    expect_success(v, "Allocate");
    const auto relayed = stun::get<stun::xor_relayed_address>(v);
    if (!relayed) {
        throw step_failure("Allocate response without XOR-RELAYED-ADDRESS");
    }
    return relayed->address;
}

void turn_client::channel_bind(std::uint16_t channel, const stun::transport_address& peer) {
    const auto bytes = authenticated(
        stun::method::channel_bind,
        [&](stun::message_builder& b) {
            stun::channel_number{channel}.encode(b);
            stun::xor_peer_address{peer}.encode(b);
        },
        "ChannelBind");
    expect_success(parsed(bytes), "ChannelBind to " + peer.to_string());
}

void turn_client::release() {
    const auto bytes = authenticated(
        stun::method::refresh, [](stun::message_builder& b) { stun::lifetime{0}.encode(b); },
        "Refresh");
    expect_success(parsed(bytes), "Refresh");
}

void turn_client::send_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data) {
    std::array<std::uint8_t, max_request> buffer{};
    const stun::channel_data cd{channel, data};
    const auto size = cd.build(buffer, link_.is_stream() ? stun::channel_framing::stream
                                                         : stun::channel_framing::datagram);
    if (!size) {
        throw step_failure("cannot build ChannelData: " + size.error().message());
    }
    link_.send(std::span<const std::uint8_t>(buffer.data(), *size));
}

std::optional<std::vector<std::uint8_t>>
turn_client::receive_channel_data(std::uint16_t channel, clock::time_point until) {
    while (const auto got = link_.receive(until)) {
        if (stun::classify(*got) != stun::packet_kind::channel_data) {
            continue;
        }
        const auto cd = stun::channel_data::parse(*got);
        if (cd && cd->channel == channel) {
            return std::vector<std::uint8_t>(cd->data.begin(), cd->data.end());
        }
    }
    return std::nullopt;
}

} // namespace icegate::probe::detail
