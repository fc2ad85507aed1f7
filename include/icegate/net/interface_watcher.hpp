// The host's own addresses for the peer policy: every address of every local interface, read
// at start and again whenever the kernel reports an address added or removed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "icegate/stun/transport_address.hpp"

namespace icegate::net {

// Every IPv4 and IPv6 address of every interface (up or down, loopback included), ports 0,
// sorted and without duplicates; nullopt when getifaddrs fails.
std::optional<std::vector<stun::transport_address>> interface_addresses();

// The first address of the family on an interface that is up, neither loopback, unspecified,
// multicast nor IPv6 link-local: what `relay.address: auto` resolves to. nullopt: none.
std::optional<boost::asio::ip::address> first_usable_address(bool v6);

// What changed between two sorted lists, for the log: "added 203.0.113.9; removed ::1".
std::string describe_change(const std::vector<stun::transport_address>& before,
                            const std::vector<stun::transport_address>& after);

// Watches a NETLINK_ROUTE socket subscribed to IPv4 and IPv6 address events on one worker's
// io_context; on any event it reads the interfaces again and, when the list differs, calls
// `on_change` with the new one (on that worker's thread). Without netlink (a sandbox that
// forbids it) it reads the interfaces every 2 s instead. Touched only on its worker's thread.
class interface_watcher {
public:
    using change_fn = std::function<void(const std::vector<stun::transport_address>&)>;

    // `current`: the list the running policy was built from.
    interface_watcher(boost::asio::io_context& io, std::vector<stun::transport_address> current,
                      change_fn on_change);
    interface_watcher(const interface_watcher&) = delete;
    interface_watcher& operator=(const interface_watcher&) = delete;
    ~interface_watcher();

    // Subscribes, then reads the interfaces once: a change since `current` was read is seen.
    void start();
    void close() noexcept;

private:
    void do_wait();
    void on_readable();
    void do_poll();
    void rescan();

    boost::asio::posix::stream_descriptor netlink_;
    boost::asio::steady_timer poll_timer_;
    std::vector<stun::transport_address> current_;
    change_fn on_change_;
    bool closed_ = false;
};

} // namespace icegate::net
