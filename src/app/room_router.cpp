#include "room_router.hpp"

#include <chrono>
#include <functional>

#include <spdlog/spdlog.h>

namespace icegate::app {

namespace {

// A join goes through the password pool again only when its room changed meanwhile (removed,
// made anew): a few rounds is plenty, and bounds how long one join can keep the pool busy.
constexpr int max_password_rounds = 3;

} // namespace

signal::clock_reading signal_clock() noexcept {
    return signal::clock_reading{std::chrono::steady_clock::now(),
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()};
}

room_router::room_router(settings s, std::vector<net::worker*> workers,
                         std::vector<signal::room_table*> tables)
    : settings_(s), workers_(std::move(workers)), tables_(std::move(tables)),
      joins_(settings_.join_rate, settings_.join_rate * 2), refused_joins_(spdlog::get("signal")),
      pool_(settings_.password_threads, settings_.password_queue) {}

room_router::~room_router() {
    shutdown();
}

void room_router::shutdown() {
    pool_.stop();
}

std::size_t room_router::home_of(const std::string& room) const noexcept {
    return std::hash<std::string>{}(room) % workers_.size();
}

void room_router::join(join_flight f) {
    const std::string room = f.req.msg.room;
    post_home(room, [this, f = std::move(f)](signal::room_table& t) mutable {
        join_round(t, std::move(f));
    });
}

// On the home worker: the table's answer goes back, or the password work it asks for goes to
// the pool, whose thread sends the join round again with the verdict. The worker never hashes.
void room_router::join_round(signal::room_table& t, join_flight f) {
    auto r = t.join(f.req, signal_clock()); // a copy: a second round needs the request again
    if (!r.work) {
        f.done(r);
        return;
    }
    auto flight = std::make_shared<join_flight>(std::move(f));
    if (++flight->rounds <= max_password_rounds &&
        pool_.submit([this, flight, work = std::move(*r.work)] {
            if (!flight->wanted->load()) {
                return; // the connection closed: nobody waits for the answer
            }
            flight->req.verdict = signal::run_password_work(work);
            join(std::move(*flight));
        })) {
        return;
    }
    // Beyond the pool's queue, in total over all rooms and workers: the join is refused rather
    // than queued without bound.
    flight->req.conn->deliver(std::make_shared<const std::string>(signal::serialize(
        signal::error_frame{signal::errc::rate_limited, "server busy: try again later"},
        flight->req.msg.id)));
    signal::join_result busy;
    busy.refused = "server busy";
    flight->done(busy);
}

} // namespace icegate::app
