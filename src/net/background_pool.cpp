// background_pool: a fixed set of low-priority threads draining a bounded job queue.
#include "icegate/net/background_pool.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace icegate::net {
namespace {

// Linux applies a nice value to one thread when given its thread id. At 19 the pool gets about
// 1.5% of a core that a worker also wants, so a flood of password joins slows other joins but
// not the workers' frames and STUN.
void lower_this_threads_priority() {
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19) != 0) {
        if (auto log = spdlog::get("app")) {
            log->warn("cannot lower the priority of the password hashing thread");
        }
    }
    pthread_setname_np(pthread_self(), "icegate-pwhash");
}

} // namespace

background_pool::background_pool(std::size_t threads, std::size_t max_queued)
    : max_queued_(max_queued) {
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
        threads_.emplace_back([this] { run(); });
    }
}

background_pool::~background_pool() {
    stop();
}

bool background_pool::submit(job j) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || jobs_.size() >= max_queued_) {
            return false;
        }
        jobs_.push_back(std::move(j));
    }
    ready_.notify_one();
    return true;
}

void background_pool::stop() {
    std::deque<job> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(jobs_);
    }
    ready_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    // `dropped` goes here, outside the lock: its captures may take locks of their own.
}

std::size_t background_pool::queued() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void background_pool::run() {
    lower_this_threads_priority();
    for (;;) {
        job j;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) {
                return;
            }
            j = std::move(jobs_.front());
            jobs_.pop_front();
        }
        j();
    }
}

} // namespace icegate::net
