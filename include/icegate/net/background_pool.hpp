// background_pool: the threads that run room password hashing (argon2id, ~10 ms of CPU each) off
// the workers, behind a bounded queue, at the lowest CPU priority so workers always win.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace icegate::net {

class background_pool {
public:
    using job = std::function<void()>;

    // `threads` threads (at least one), at most `max_queued` jobs waiting.
    background_pool(std::size_t threads, std::size_t max_queued);
    background_pool(const background_pool&) = delete;
    background_pool& operator=(const background_pool&) = delete;
    ~background_pool();

    // Queues `j`; false when the queue is full or the pool has stopped (the job is dropped).
    // Thread-safe. A job must not throw.
    bool submit(job j);

    // Drops the jobs still queued (destroyed on the calling thread, never run), lets running
    // ones finish, and joins the threads. Idempotent; later submits are refused.
    void stop();

    std::size_t queued() const;

private:
    void run();

    std::size_t max_queued_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

} // namespace icegate::net
