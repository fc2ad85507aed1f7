// worker: thread lifecycle around one io_context.
#include "icegate/net/worker.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

namespace icegate::net {

worker::worker(unsigned index) : index_(index), guard_(boost::asio::make_work_guard(io_)) {}

worker::~worker() {
    stop();
    join();
}

void worker::start() {
    thread_ = std::thread([this] {
        const std::string name = "icegate-w" + std::to_string(index_);
        pthread_setname_np(pthread_self(), name.c_str());
        for (;;) {
            try {
                io_.run();
                return;
            } catch (const std::exception& e) {
                // Handlers do not throw on the data path; if one does, log it and keep serving.
                spdlog::error("worker {}: unexpected exception: {}", index_, e.what());
            }
        }
    });
}

void worker::release() {
    guard_.reset();
}

void worker::stop() {
    guard_.reset();
    io_.stop();
}

void worker::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

} // namespace icegate::net
