// The TURN engine's private state (engine::impl) and the per-method handlers that work on it,
// one function per TURN method, each in its own source file.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "allocation.hpp"
#include "allocation_table.hpp"
#include "icegate/stun/message_view.hpp"
#include "icegate/turn/engine.hpp"
#include "icegate/turn/quota_table.hpp"
#include "icegate/turn/reservation_table.hpp"
#include "revocation_set.hpp"
#include "source_buckets.hpp"
#include "source_line_limit.hpp"
#include "timer_wheel.hpp"

namespace spdlog {
class logger;
}

namespace icegate::turn {

// One request being answered: the parsed message, where it came from and, once verified, the
// credential every response is signed with.
struct request_context {
    const stun::message_view& msg;
    const client_ref& from;
    const clock_reading& now;
    const credential* cred = nullptr;
    bool fingerprint = false; // the request carried one: so does the response
};

// Lifecycle lines of one kind: at most `rate` in each second of the wheel clock, the rest
// counted for the summary line.
struct line_budget {
    std::uint32_t rate = 0; // 0: no cap
    std::int64_t second = -1;
    std::uint32_t used = 0;
    std::uint64_t suppressed = 0; // since the last summary

    bool take(std::int64_t now_second) noexcept {
        if (now_second != second) {
            second = now_second;
            used = 0;
        }
        if (rate == 0 || used < rate) {
            ++used;
            return true;
        }
        ++suppressed;
        return false;
    }
};

// Lines about refused requests (auth failures, quota): at most 5 per source per 10 s summary
// period and 20 a second per engine, from a table of 4096 slots (48 KiB).
inline constexpr std::uint32_t auth_log_per_source = 5;
inline constexpr std::uint32_t auth_log_rate = 20;
inline constexpr std::size_t auth_log_slots = 4096;
// What the log line says for a refusal; empty for no_integrity (the normal first challenge)
// and none, which are not logged.
std::string_view describe(auth_failure f) noexcept;

// Big enough for any UDP payload plus a Data indication's or ChannelData's header.
inline constexpr std::size_t scratch_size = 65536 + 128;

// Pre-authentication limits: buckets per engine, 16 bytes each (512 KiB and 64 KiB). Spoofed
// sources spread over all slots must send slots x rate requests a second before a real
// client's slot runs dry. Allocations need a credential, so few sources ever reach that table.
inline constexpr std::size_t answer_bucket_slots = 32768;
inline constexpr std::size_t allocation_bucket_slots = 4096;
// A fresh hash key for source_buckets from the engine's random source.
source_buckets::key_type random_bucket_key(const std::function<void(std::span<std::uint8_t>)>& r);

struct engine::impl {
    impl(engine_settings s, std::shared_ptr<const authenticator> a,
         std::shared_ptr<const peer_policy> p, std::shared_ptr<quota_table> q,
         std::shared_ptr<reservation_table> rt, io_port& i,
         std::function<void(std::span<std::uint8_t>)> r, std::shared_ptr<live_relays> l);

    // io.open_relay / io.close_relay that also keep `live` in step: every relay socket of an
    // allocation goes through these, so the peer policy sees exactly the live ones.
    result<relay_binding> open_relay(const relay_request& req) noexcept;
    void close_relay(relay_id id, const stun::transport_address& bound) noexcept;
    // True when a lifecycle line of that kind may be logged now; else counts it. A first
    // suppressed line starts the period the summary covers.
    bool log_budget(line_budget& b, mono_time now) noexcept;
    // The summary of suppressed lines, once its period is 10 s old (or at once when `force`).
    void log_summary(mono_time now, bool force) noexcept;
    // Pre-authentication limits (preauth_limits.cpp). True when an error answer to a request
    // from `from` that did not authenticate may go out now, else counts it as suppressed.
    bool may_answer_unauthenticated(const client_ref& from, mono_time now) noexcept;
    // True when `from` may create an allocation now, else counts it as rate limited.
    bool may_allocate(const client_ref& from, mono_time now) noexcept;
    // On the tick: one line summing what the two limits refused, every 10 s when anything.
    void preauth_summary(mono_time now) noexcept;
    // Refused requests (auth_log.cpp): one info line naming the client, transport, username
    // as sent and `reason`, within auth_log_per_source lines per source and summary period and
    // auth_log_rate a second; what is left out is only counted (no allocation) and summed up
    // by auth_log_summary() on the tick every 10 s.
    void log_refusal(const request_context& ctx, std::string_view reason) noexcept;
    void auth_log_summary(mono_time now) noexcept;

    // Files a timer entry for `a` at `when` unless an earlier one is pending.
    void arm(allocation& a, mono_time when);
    // Closes the relays, gives the quota back, logs the end line and forgets the allocation.
    void end_allocation(const five_tuple& key, std::string_view reason, mono_time now) noexcept;
    void on_timer(const timer_entry& t, mono_time now) noexcept;
    // On the tick: drops the timer entries of ended allocations once they make up most of the
    // wheel, gives back table and wheel storage sized for a past peak, and returns freed heap
    // to the kernel after the allocation count has halved.
    void trim() noexcept;
    // The response scratch buffer, reused for every message the engine writes.
    std::span<std::uint8_t> scratch() noexcept { return scratch_buf; }
    // A transaction id for a Data indication: nothing answers indications, so ids only need
    // to differ, not to be unpredictable. A counter from a random start keeps the random
    // source (a getrandom() syscall) off the per-packet path.
    stun::transaction_id next_indication_id() noexcept {
        ++indication_counter;
        stun::transaction_id id = indication_base;
        for (std::size_t i = 0; i < 8; ++i) {
            id[4 + i] ^= static_cast<std::uint8_t>(indication_counter >> (8 * i));
        }
        return id;
    }

    engine_settings settings;
    std::shared_ptr<const authenticator> auth;
    std::shared_ptr<const peer_policy> policy;
    std::shared_ptr<quota_table> quotas;
    std::shared_ptr<reservation_table> reservations; // EVEN-PORT R, shared by all workers
    io_port& io;
    std::function<void(std::span<std::uint8_t>)> random;
    std::shared_ptr<live_relays> live;   // may be null: not tracked
    std::shared_ptr<spdlog::logger> log; // "turn", or null: no logging
    line_budget created_lines;
    line_budget ended_lines;
    std::optional<mono_time> suppressing_since; // a summary is pending

    allocation_table allocations;
    timer_wheel wheel;
    std::size_t stale_timers = 0; // wheel entries left behind by ended allocations (about)
    std::size_t trim_mark = 0;    // the most allocations live since memory was last given back
    std::uint64_t next_serial = 1;
    mono_time last_seen; // the latest clock reading, for inputs that come without one
    engine_counters counters;
    bool draining = false;                            // set_draining(): new Allocates are refused
    std::optional<stun::transport_address> alternate; // ALTERNATE-SERVER while draining
    std::array<std::uint8_t, scratch_size> scratch_buf{};
    stun::transaction_id indication_base{};
    std::uint64_t indication_counter = 0;
    bandwidth_bucket total_bandwidth; // this engine's share of limits.total_bandwidth
    // Any bandwidth cap set (kept by set_settings): the one test a packet pays without caps.
    bool bandwidth_capped =
        (settings.allocation_bandwidth | settings.user_bandwidth | settings.total_bandwidth) != 0;
    source_buckets answer_buckets{answer_bucket_slots, random_bucket_key(random)};
    source_buckets allocation_buckets{allocation_bucket_slots, random_bucket_key(random)};
    std::uint64_t period_suppressed = 0;    // answers suppressed since the last summary
    std::uint64_t period_rate_limited = 0;  // allocations refused since the last summary
    std::optional<mono_time> preauth_since; // the summary period's start
    source_line_limit refusal_sources{auth_log_slots, random_bucket_key(random)};
    line_budget refusal_lines{auth_log_rate};
    std::optional<mono_time> refusal_log_since; // the refusal summary period's start

    // Credentials of signaling sessions that are gone (revoke_rest_user): their REST user
    // parts, refused until their time; and how many were dropped early (the set was full).
    revocation_set revoked_users;
    std::uint64_t revocations_forgotten = 0;
};

// Seconds on the monotonic clock: the timer wheel's unit (due times round up).
std::int64_t wheel_seconds(mono_time t) noexcept;
std::int64_t wheel_seconds_ceil(mono_time t) noexcept;

// The bandwidth caps (bandwidth.cpp): true when `bytes` of payload relayed for `a` either way
// stay within every cap, and then charged to each; else counted as dropped. With no cap
// configured this is one test and branch per packet.
bool admit_capped(engine::impl& e, allocation& a, std::size_t bytes, mono_time now) noexcept;
inline bool admit_bandwidth(engine::impl& e, allocation& a, std::size_t bytes,
                            mono_time now) noexcept {
    return !e.bandwidth_capped || admit_capped(e, a, bytes, now);
}
// A reload that changed a rate: every bucket this engine charges starts full again, so debt
// run up at the old rate does not hold packets back under the new one.
void refill_bandwidth(engine::impl& e) noexcept;

// Handlers, one per TURN method (RFC 8656 sections 7-11), called after authentication.
void handle_allocate(engine::impl& e, const request_context& ctx) noexcept;
void handle_refresh(engine::impl& e, const request_context& ctx) noexcept;
void handle_create_permission(engine::impl& e, const request_context& ctx) noexcept;
void handle_channel_bind(engine::impl& e, const request_context& ctx) noexcept;
// Send indication (section 11.2): never answered, no credentials.
void handle_send_indication(engine::impl& e, const stun::message_view& msg, const client_ref& from,
                            const clock_reading& now) noexcept;
// ChannelData from a client (section 12.6) and datagrams from peers (sections 11.3, 12.7).
void handle_client_channel_data(engine::impl& e, std::span<const std::uint8_t> bytes,
                                const client_ref& from, const clock_reading& now) noexcept;
void handle_peer_datagram(engine::impl& e, relay_id relay, const stun::transport_address& peer,
                          std::span<const std::uint8_t> bytes, const clock_reading& now) noexcept;

// The caller's allocation for a non-Allocate request: answers 437 (none) or 441 (another
// username) and returns null in those cases.
allocation* owned_allocation(engine::impl& e, const request_context& ctx) noexcept;

// RFC 8656 section 7.2: min(requested, max), but never below the default; absent: default.
std::chrono::seconds grant_lifetime(const engine_settings& s,
                                    std::optional<std::uint32_t> requested) noexcept;

} // namespace icegate::turn
