// The stun:/turn: probe: Binding, two allocations, a channel between their relays and a
// ChannelData round trip through both, then both allocations released.
#include <openssl/rand.h>

#include "probe_run.hpp"
#include "turn_client.hpp"

namespace icegate::probe::detail {

namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t channel = 0x4000;
constexpr std::size_t payload_size = 32;
constexpr auto first_resend = 250ms;

// The relayed half of the round trip: `from` sends until `to` receives the same bytes.
void relay_once(turn_client& from, turn_client& to, const std::vector<std::uint8_t>& payload,
                link& to_link, const char* leg) {
    auto wait = std::chrono::duration_cast<clock::duration>(first_resend);
    while (clock::now() < to_link.deadline()) {
        from.send_channel_data(channel, payload);
        const auto got = to.receive_channel_data(channel, clock::now() + wait);
        wait *= 2;
        if (!got) {
            continue;
        }
        if (*got != payload) {
            throw step_failure(std::string(leg) + ": the relayed data changed on the way");
        }
        return;
    }
    throw step_failure(std::string(leg) + ": nothing arrived within the timeout");
}

class turn_flow {
public:
    turn_flow(const probe_job& job, clock::time_point deadline, std::vector<step>& out)
        : job_(job), deadline_(deadline), steps_(out, job.target.label()) {}

    void run() {
        const bool stream = job_.target.transport != transport::udp;
        if (stream && !steps_.run("connect", [&] { return open(a_); })) {
            return;
        }
        if (!steps_.run("binding", [&] { return binding(); }) ||
            job_.target.scheme == scheme::stun) {
            return;
        }
        if (job_.credentials.empty()) {
            steps_.skip("allocate", job_.skip_reason);
            return;
        }
        if (steps_.run("allocate", [&] { return allocate(a_, ca_, relay_a_); }) &&
            steps_.run("allocate 2", [&] { return allocate(b_, cb_, relay_b_); }) &&
            steps_.run("channel bind", [&] { return bind(); })) {
            steps_.run("relay round trip", [&] { return round_trip(); });
        }
        release();
    }

private:
    std::string open(std::unique_ptr<link>& l) {
        std::string detail;
        l = open_link(io_, job_.target, job_.trust, deadline_, &detail);
        return detail;
    }

    std::string binding() {
        if (!a_) {
            open(a_);
        }
        ca_.emplace(*a_, job_.credentials);
        return "mapped " + ca_->binding().to_string();
    }

    std::string allocate(std::unique_ptr<link>& l, std::optional<turn_client>& c,
                         std::optional<stun::transport_address>& relay) {
        if (!l) {
            open(l);
        }
        if (!c) {
            c.emplace(*l, job_.credentials);
        }
        relay = c->allocate();
        return "relay " + relay->to_string() + ", realm \"" + c->realm() + "\"";
    }

    std::string bind() {
        ca_->channel_bind(channel, *relay_b_);
        cb_->channel_bind(channel, *relay_a_);
        return "channel 0x4000 each way";
    }

    std::string round_trip() {
        std::vector<std::uint8_t> payload(payload_size);
        RAND_bytes(payload.data(), static_cast<int>(payload.size()));
        relay_once(*ca_, *cb_, payload, *b_, "relay 1 -> relay 2");
        relay_once(*cb_, *ca_, payload, *a_, "relay 2 -> relay 1");
        return std::to_string(payload_size) + " bytes relay 1 -> relay 2 -> relay 1";
    }

    // Ends what was allocated, so that a probe from cron does not hold the user's quota for
    // the allocations' lifetime (over TCP/TLS closing would do, UDP needs the Refresh).
    void release() {
        if (!relay_a_ && !relay_b_) {
            return;
        }
        steps_.run("release", [&] {
            if (relay_a_) {
                ca_->release();
            }
            if (relay_b_) {
                cb_->release();
            }
            return std::string(relay_a_ && relay_b_ ? "both allocations" : "one allocation");
        });
    }

    const probe_job& job_;
    clock::time_point deadline_;
    step_recorder steps_;
    boost::asio::io_context io_{1};
    std::unique_ptr<link> a_, b_;
    std::optional<turn_client> ca_, cb_;
    std::optional<stun::transport_address> relay_a_, relay_b_;
};

} // namespace

bool step_recorder::run(std::string_view name, const std::function<std::string()>& body) {
    step s;
    s.name = prefix_ + " " + std::string(name);
    const auto start = clock::now();
    try {
        s.detail = body();
    } catch (const std::exception& e) {
        s.status = step_status::failed;
        s.detail = e.what();
    }
    s.ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    out_.push_back(std::move(s));
    return out_.back().status == step_status::ok;
}

void step_recorder::skip(std::string_view name, std::string why) {
    out_.push_back({prefix_ + " " + std::string(name), step_status::skipped, 0, std::move(why)});
}

void probe_stun_turn(const probe_job& job, clock::time_point deadline, std::vector<step>& out) {
    turn_flow(job, deadline, out).run();
}

std::vector<step> run_job(const probe_job& job, clock::time_point deadline) {
    std::vector<step> out;
    if (!job.skip_target.empty()) {
        step_recorder(out, job.target.label()).skip("probe", job.skip_target);
    } else if (job.target.scheme == scheme::wss) {
        probe_wss(job, deadline, out);
    } else {
        probe_stun_turn(job, deadline, out);
    }
    return out;
}

std::string random_hex(std::size_t bytes) {
    std::vector<std::uint8_t> raw(bytes);
    RAND_bytes(raw.data(), static_cast<int>(raw.size()));
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const auto b : raw) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

} // namespace icegate::probe::detail
