// The drain on SIGTERM (docs/operations.md): server::begin_drain refuses new work on every
// worker while live allocations go on, and ends once nothing is left or the grace is over;
// on_stop_signal is the CLI's side of it (log lines, sd_notify, a second signal).
#include "drain.hpp"

#include <systemd/sd-daemon.h>

#include <future>
#include <limits>
#include <string>

#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"
#include "icegate/signal/protocol.hpp"

namespace icegate::app {

namespace {

// goaway's reconnect_ms: a balancer has taken the node out by then (its /healthz fails), so a
// client that comes back lands on another node; clients add their own jitter.
constexpr std::uint32_t goaway_reconnect_ms = 1000;
// How often worker 0 asks every worker what is left: a poll is a post per worker, cheap.
constexpr std::chrono::milliseconds poll_every{200};
// systemd waits the grace plus this: the final stop takes up to a second more.
constexpr std::chrono::seconds stop_margin{10};

constexpr std::size_t unknown = std::numeric_limits<std::size_t>::max();
// A handover waits this long for the workers to pin and detach (they do it in milliseconds).
constexpr std::chrono::seconds handover_wait{10};

// The UDP clients of `engine`'s live allocations get sockets of their own on the listener they
// came through; then every listener stops taking new flows. Returns the number pinned.
std::size_t hand_over(turn::engine& engine, std::vector<std::unique_ptr<net::udp_listener>>& udp) {
    std::size_t pinned = 0;
    engine.for_each_client([&](const turn::client_ref& c) {
        if (c.transport != turn::client_transport::udp) {
            return;
        }
        for (auto& u : udp) {
            if (u->index() == c.conn) {
                pinned += u->pin(c.client) ? 1 : 0;
                break;
            }
        }
    });
    for (auto& u : udp) {
        u->detach();
    }
    return pinned;
}

} // namespace

std::chrono::seconds server::begin_drain(std::function<void(std::size_t left)> done, bool handover,
                                         std::size_t* pinned) {
    const std::chrono::seconds grace = cfg_->shutdown.grace;
    if (!started_ || grace.count() == 0 || draining_.exchange(true)) {
        return std::chrono::seconds(0);
    }
    left_ = std::make_unique<std::atomic<std::size_t>[]>(slots_.size());
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        left_[i].store(unknown);
    }
    std::optional<stun::transport_address> alternate;
    if (const auto& a = cfg_->shutdown.alternate_server) {
        alternate = net::to_transport_address(a->address, a->port);
    }
    const auto goaway = std::make_shared<const std::string>(
        signal::serialize(signal::goaway_frame{goaway_reconnect_ms}));
    struct handover_count {
        explicit handover_count(std::size_t workers) : workers_left(workers) {}
        std::atomic<std::size_t> workers_left;
        std::atomic<std::size_t> pinned{0};
        std::promise<void> all_done;
    };
    const auto count = std::make_shared<handover_count>(slots_.size());
    for (auto& slot : slots_) {
        slot.w->post([&slot, alternate, goaway, handover, count] {
            slot.engine->set_draining(alternate);
            if (handover) {
                count->pinned += hand_over(*slot.engine, slot.udp);
            }
            for (auto& s : slot.streams) {
                s->stop_accepting();
            }
            if (slot.https) {
                if (handover) {
                    slot.https->stop_accepting();
                }
                slot.https->drain(goaway);
            }
            if (--count->workers_left == 0) {
                count->all_done.set_value();
            }
        });
    }
    if (handover) {
        count->all_done.get_future().wait_for(handover_wait);
        if (pinned != nullptr) {
            *pinned = count->pinned.load();
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + grace;
    // Made here, not on worker 0: stop() (on this thread) looks at it.
    drain_timer_ = std::make_unique<boost::asio::steady_timer>(slots_.front().w->io());
    slots_.front().w->post([this, deadline, done = std::move(done)]() mutable {
        drain_tick(deadline, std::move(done));
    });
    return grace;
}

// On worker 0: asks every worker for its count, and looks at the answers a poll later.
void server::drain_tick(std::chrono::steady_clock::time_point deadline,
                        std::function<void(std::size_t)> done) {
    for (std::size_t w = 0; w < slots_.size(); ++w) {
        slots_[w].w->post([this, w] {
            const auto& slot = slots_[w];
            const std::size_t sockets = slot.https ? slot.https->websockets() : 0;
            left_[w].store(slot.engine->allocation_count() + sockets, std::memory_order_relaxed);
        });
    }
    drain_timer_->expires_after(poll_every);
    drain_timer_->async_wait(
        [this, deadline, done = std::move(done)](const boost::system::error_code& ec) mutable {
            if (ec) {
                return; // stop(): the drain was cut short
            }
            const std::size_t n = left();
            if (n == 0 || std::chrono::steady_clock::now() >= deadline) {
                done(n);
                return;
            }
            drain_tick(deadline, std::move(done));
        });
}

// Allocations plus WebSockets over all workers, as last reported; `unknown` before every
// worker has answered once.
std::size_t server::left() const noexcept {
    std::size_t sum = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        const std::size_t n = left_[i].load(std::memory_order_relaxed);
        if (n == unknown) {
            return unknown;
        }
        sum += n;
    }
    return sum;
}

std::function<void(std::size_t left)> end_of_drain(boost::asio::io_context& main_io) {
    const auto started = std::chrono::steady_clock::now();
    return [&main_io, started](std::size_t left) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        if (left == 0) {
            spdlog::get("app")->info("drain done after {} ms: nothing left", ms.count());
        } else {
            spdlog::get("app")->info(
                "grace over after {} ms: closing what is left ({} allocations and WebSockets)",
                ms.count(), left == unknown ? std::string("unknown") : std::to_string(left));
        }
        main_io.stop(); // thread-safe: this runs on worker 0
    };
}

bool on_stop_signal(server& srv, boost::asio::io_context& main_io, int sig) {
    auto log = spdlog::get("app");
    if (srv.draining()) {
        log->info("signal {}: stopping now, the drain cut short", sig);
        main_io.stop();
        return false;
    }
    const auto grace = srv.begin_drain(end_of_drain(main_io));
    if (grace.count() == 0) {
        log->info("signal {}: shutting down", sig);
        sd_notify(0, "STOPPING=1");
        main_io.stop();
        return false;
    }
    log->info("signal {}: draining for up to {} s (new work refused, live allocations kept); "
              "a second SIGTERM or SIGINT stops at once",
              sig, grace.count());
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(grace + stop_margin);
    sd_notify(0, ("STOPPING=1\nEXTEND_TIMEOUT_USEC=" + std::to_string(usec.count())).c_str());
    return true;
}

} // namespace icegate::app
