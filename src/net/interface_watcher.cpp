// interface_watcher: getifaddrs for the list, rtnetlink address events for the changes.
#include "icegate/net/interface_watcher.hpp"

#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>

#include "icegate/net/endpoint.hpp"

namespace icegate::net {

namespace {

using stun::transport_address;

// A non-blocking NETLINK_ROUTE socket in the IPv4 and IPv6 address groups, or -1.
int open_netlink() {
    const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        return -1;
    }
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Up to `limit` addresses of `list`, then how many more.
std::string join(const std::vector<transport_address>& list, std::size_t limit = 8) {
    std::string out;
    for (std::size_t i = 0; i < list.size() && i < limit; ++i) {
        std::string a = list[i].to_string();
        a.resize(a.rfind(':')); // the port (always 0 here)
        if (a.starts_with('[')) {
            a = a.substr(1, a.size() - 2);
        }
        out += (i == 0 ? "" : ", ") + a;
    }
    if (list.size() > limit) {
        out += " and " + std::to_string(list.size() - limit) + " more";
    }
    return out;
}

bool usable_relay(const boost::asio::ip::address& a) {
    if (a.is_loopback() || a.is_unspecified() || a.is_multicast()) {
        return false;
    }
    return a.is_v4() || !a.to_v6().is_link_local();
}

} // namespace

std::optional<boost::asio::ip::address> first_usable_address(bool v6) {
    namespace ip = boost::asio::ip;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return std::nullopt;
    }
    std::optional<ip::address> found;
    for (auto* i = list; i != nullptr && !found; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0 ||
            i->ifa_addr->sa_family != (v6 ? AF_INET6 : AF_INET)) {
            continue;
        }
        sockaddr_storage ss{};
        std::memcpy(&ss, i->ifa_addr, v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
        const auto t = to_transport_address(ss);
        ip::address_v6::bytes_type b6{};
        std::copy_n(t.bytes.begin(), b6.size(), b6.begin());
        const ip::address a = v6 ? ip::address(ip::address_v6(b6))
                                 : ip::address(ip::address_v4({b6[0], b6[1], b6[2], b6[3]}));
        if (usable_relay(a)) {
            found = a;
        }
    }
    ::freeifaddrs(list);
    return found;
}

std::optional<std::vector<transport_address>> interface_addresses() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return std::nullopt;
    }
    std::vector<transport_address> out;
    for (const auto* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr) {
            continue;
        }
        const int family = i->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6) {
            continue;
        }
        sockaddr_storage ss{};
        std::memcpy(&ss, i->ifa_addr,
                    family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
        transport_address a = net::to_transport_address(ss);
        a.port = 0;
        out.push_back(a);
    }
    ::freeifaddrs(list);
    std::ranges::sort(out);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string describe_change(const std::vector<transport_address>& before,
                            const std::vector<transport_address>& after) {
    std::vector<transport_address> added;
    std::vector<transport_address> removed;
    std::ranges::set_difference(after, before, std::back_inserter(added));
    std::ranges::set_difference(before, after, std::back_inserter(removed));
    std::string out;
    if (!added.empty()) {
        out = "added " + join(added);
    }
    if (!removed.empty()) {
        out += (out.empty() ? "removed " : "; removed ") + join(removed);
    }
    return out;
}

interface_watcher::interface_watcher(boost::asio::io_context& io,
                                     std::vector<transport_address> current, change_fn on_change)
    : netlink_(io), poll_timer_(io), current_(std::move(current)),
      on_change_(std::move(on_change)) {}

interface_watcher::~interface_watcher() {
    close();
}

void interface_watcher::start() {
    const int fd = open_netlink();
    if (fd >= 0) {
        netlink_.assign(fd);
        do_wait();
    } else {
        spdlog::get("app")->warn("cannot watch interface addresses through netlink ({}): reading "
                                 "them every 2 s instead",
                                 std::strerror(errno));
        do_poll();
    }
    rescan();
}

void interface_watcher::close() noexcept {
    closed_ = true;
    boost::system::error_code ec;
    netlink_.close(ec);
    try {
        poll_timer_.cancel();
    } catch (const boost::system::system_error&) {
        // Only a broken reactor throws here; the closed_ flag already stops the poll.
    }
}

void interface_watcher::do_wait() {
    netlink_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [this](const boost::system::error_code& ec) {
                            if (!ec && !closed_) {
                                on_readable();
                            }
                        });
}

// The messages themselves do not matter (we only joined the address groups): drain them, then
// read the whole list again. A full socket buffer (ENOBUFS) lost some: the rescan covers that.
void interface_watcher::on_readable() {
    std::array<char, 8192> buf{};
    for (int i = 0; i < 64; ++i) {
        const ssize_t n = ::recv(netlink_.native_handle(), buf.data(), buf.size(), 0);
        if (n < 0 && errno != ENOBUFS && errno != EINTR) {
            break; // EAGAIN: drained
        }
    }
    rescan();
    do_wait();
}

void interface_watcher::do_poll() {
    poll_timer_.expires_after(std::chrono::seconds(2));
    poll_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !closed_) {
            rescan();
            do_poll();
        }
    });
}

void interface_watcher::rescan() {
    auto now = interface_addresses();
    if (!now || *now == current_) {
        return; // getifaddrs failed (out of memory, descriptors): keep what we have
    }
    spdlog::get("app")->info("local addresses changed ({}): the peer policy refuses the new set",
                             describe_change(current_, *now));
    current_ = std::move(*now);
    on_change_(current_);
}

} // namespace icegate::net
