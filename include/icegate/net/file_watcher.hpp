// Watches one file for changes with inotify on its folder, so a file replaced by a rename (as
// `icegate user add` and most editors write) is seen as well as one written in place, created
// or removed. Changes that come within `settle` of the first are reported once.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace icegate::net {

class file_watcher {
public:
    // `on_change` runs on `io`'s thread. Throws std::system_error when inotify is unavailable
    // or the folder cannot be watched.
    file_watcher(boost::asio::io_context& io, const std::filesystem::path& file,
                 std::function<void()> on_change,
                 std::chrono::milliseconds settle = std::chrono::milliseconds(200));
    file_watcher(const file_watcher&) = delete;
    file_watcher& operator=(const file_watcher&) = delete;
    ~file_watcher();

    const std::filesystem::path& file() const noexcept { return file_; }

private:
    void wait();
    void on_readable();

    std::filesystem::path file_;
    std::string name_; // the file's name within its folder
    std::function<void()> on_change_;
    std::chrono::milliseconds settle_;
    boost::asio::posix::stream_descriptor fd_;
    boost::asio::steady_timer timer_;
    bool pending_ = false;
};

} // namespace icegate::net
