// Where each room's work runs: every room has one home worker, whose room_table alone touches
// it (design.md section 2). The router posts a room's work there, sends joins that need a
// password check through the password pool, and holds the per-address join limiter.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "icegate/net/background_pool.hpp"
#include "icegate/net/worker.hpp"
#include "icegate/signal/rate_limiter.hpp"
#include "icegate/signal/room_table.hpp"
#include "refused_join_log.hpp"

namespace icegate::app {

class room_router {
public:
    struct settings {
        double join_rate = 5; // joins per second per client IP; burst 2x
        // Password checks and hashes waiting for the pool, server-wide; beyond: "server busy".
        // At ~12 ms each, a full queue is about 0.4 s of work for one pool thread.
        std::size_t password_queue = 32;
        std::size_t password_threads = 1;
    };

    // A join on its way: to the room's home worker, through the password pool when the room
    // table asks for argon2id work, and back to the home worker with the verdict.
    struct join_flight {
        signal::join_request req;
        // Called on the home worker with the outcome (never with work to do). Not called when
        // the connection closed while the password work waited.
        std::function<void(const signal::join_result&)> done;
        std::shared_ptr<const std::atomic<bool>> wanted; // false once the connection closed
        int rounds = 0;                                  // trips through the pool so far
    };

    // `tables[i]` is touched only on `workers[i]`.
    room_router(settings s, std::vector<net::worker*> workers,
                std::vector<signal::room_table*> tables);
    ~room_router();

    // Stops the password pool (queued work dropped, running work finished): call before the
    // workers stop, since its jobs post to them. Idempotent.
    void shutdown();

    signal::join_limiter& joins() noexcept { return joins_; }
    // The "join refused" lines of every worker (capped per address; summed on the tick).
    refused_join_log& refused_joins() noexcept { return refused_joins_; }

    // Runs the join on the room's home worker; `f.done` gets its outcome. From any thread.
    void join(join_flight f);

    // Runs `f(table)` on the home worker of `room`: at once when that is this thread (every
    // frame of a connection for one room takes the same path, so their order holds), else
    // posted there.
    template <class F>
    void post_home(const std::string& room, F&& f) {
        const auto home = home_of(room);
        if (workers_[home]->running_in_this_thread()) {
            f(*tables_[home]);
            return;
        }
        workers_[home]->post([t = tables_[home], f = std::forward<F>(f)]() mutable { f(*t); });
    }

private:
    std::size_t home_of(const std::string& room) const noexcept;
    void join_round(signal::room_table& t, join_flight f);

    settings settings_;
    std::vector<net::worker*> workers_;
    std::vector<signal::room_table*> tables_;
    signal::join_limiter joins_;
    refused_join_log refused_joins_;
    net::background_pool pool_; // last: stopped and joined first, while the rest is whole
};

// The signaling clock of this process: the steady clock and Unix time in ms.
signal::clock_reading signal_clock() noexcept;

} // namespace icegate::app
