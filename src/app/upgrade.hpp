// `kill -USR2` on `icegate serve`: an upgrade without a dropped call (docs/operations.md,
// Upgrade). The running process starts its successor (whatever executable is now at the path it
// was started from, with the same arguments); the successor loads its config and says so; the
// running process hands over (server::begin_drain with handover: its live UDP clients get
// sockets of their own, its listeners close) and tells the successor to bind; once the
// successor listens it becomes systemd's main process, and this one drains as on SIGTERM.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server.hpp"

namespace icegate::app {

// How this process was started: its executable's path and its arguments.
struct launch {
    std::filesystem::path exe;
    std::vector<std::string> args;

    static launch of(std::span<char*> args);
};

// The running process's side, on `main_io`'s thread. Returns true when a drain goes on (the
// caller keeps waiting for signals; `main_io` stops when it ends), false when the upgrade did
// not start and this process goes on serving as before.
bool on_upgrade_signal(server& srv, boost::asio::io_context& main_io, const launch& self);

// The successor's side: present when the environment names the channel to its predecessor.
class upgrade_channel {
public:
    static std::optional<upgrade_channel> from_environment();
    // The config loaded: tells the predecessor, and waits until it has handed over. Throws
    // when it does not answer.
    void loaded() const;
    // Listening: the predecessor starts its drain.
    void ready() const;
    // Calls `gone` on `io`'s thread a little after the predecessor exited (the channel
    // closes with it, as its sockets leave the SO_REUSEPORT group).
    void watch(boost::asio::io_context& io, std::function<void()> gone);

private:
    explicit upgrade_channel(int fd) : fd_(fd) {}
    int fd_;
    std::shared_ptr<boost::asio::posix::stream_descriptor> watched_;
    std::shared_ptr<boost::asio::steady_timer> after_;
};

} // namespace icegate::app
