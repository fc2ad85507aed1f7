// One allocation's relay socket: a bare non-blocking UDP descriptor bound in the worker's port
// slice and watched by the worker's relay poller (worker_io), not by Asio's reactor.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "icegate/stun/transport_address.hpp"

namespace icegate::net {

class relay_socket {
public:
    static constexpr std::size_t batch = 16;
    static constexpr std::size_t slot_size = 4000; // payload larger than this is dropped

    // One recvmmsg() worth of headers: lives on the caller's stack, never on the heap.
    struct rx_batch {
        std::array<mmsghdr, batch> msgs;
        std::array<iovec, batch> iov;
        std::array<sockaddr_storage, batch> names;
    };

    // Takes ownership of `fd`, already registered with `poll_fd` (the worker's epoll set).
    relay_socket(int poll_fd, int fd) noexcept : poll_fd_(poll_fd), fd_(fd) {}
    relay_socket(const relay_socket&) = delete;
    relay_socket& operator=(const relay_socket&) = delete;
    ~relay_socket();

    // Reads up to `batch` datagrams into `rx` (batch * slot_size bytes), slot i at
    // i * slot_size; returns how many (0 when none or on error). Never blocks.
    int receive(std::span<std::uint8_t> rx, rx_batch& b) noexcept;
    void send(const stun::transport_address& peer, std::span<const std::uint8_t> bytes) noexcept;

private:
    int poll_fd_;
    int fd_;
};

} // namespace icegate::net
