// A worker: one thread running one io_context. Everything a worker owns is touched only on
// its thread; other threads post() to it.
#pragma once

#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace icegate::net {

class worker {
public:
    explicit worker(unsigned index);
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker();

    unsigned index() const noexcept { return index_; }
    boost::asio::io_context& io() noexcept { return io_; }

    void start();
    // Lets the loop finish once no work is left (pending handlers still run).
    void release();
    // Stops the loop at once.
    void stop();
    void join();
    bool running_in_this_thread() noexcept { return io_.get_executor().running_in_this_thread(); }

    template <class F>
    void post(F&& f) {
        boost::asio::post(io_, std::forward<F>(f));
    }

private:
    unsigned index_;
    boost::asio::io_context io_{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
    std::thread thread_;
};

} // namespace icegate::net
