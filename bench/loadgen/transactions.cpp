// transactions: the pipelined request runner behind allocations, channel binds and releases.
#include "transactions.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <random>

namespace icegate::bench {

namespace {

constexpr int max_tries = 7;                 // first send + 6 retransmissions
constexpr std::int64_t rto_ns = 250'000'000; // doubled on each retransmission
constexpr int max_challenges = 3;            // 401/438 answers followed per request

struct slot {
    std::size_t index = 0; // into clients/ops
    txid id{};
    int tries = 0;
    int challenges = 0;
    std::int64_t deadline = 0;
    request_builder req{0, {}};
};

class runner {
public:
    runner(std::vector<client>& clients, const std::vector<op>& ops, const credentials& cred)
        : clients_(clients), ops_(ops), cred_(cred), epfd_(::epoll_create1(EPOLL_CLOEXEC)),
          rng_(std::random_device{}()) {}
    ~runner() { ::close(epfd_); }
    runner(const runner&) = delete;
    runner& operator=(const runner&) = delete;

    run_result run(std::size_t window) {
        const std::int64_t start = now_ns();
        std::vector<slot> slots(std::min(window, clients_.size()));
        std::vector<std::size_t> free_slots;
        for (std::size_t s = 0; s < slots.size(); ++s) {
            free_slots.push_back(s);
        }
        std::size_t next = 0;
        std::size_t in_flight = 0;
        std::array<epoll_event, 256> events{};
        while (next < clients_.size() || in_flight > 0) {
            while (next < clients_.size() && !free_slots.empty()) {
                const std::size_t s = free_slots.back();
                free_slots.pop_back();
                begin(slots[s], s, next++);
                ++in_flight;
            }
            const int n = ::epoll_wait(epfd_, events.data(), events.size(), 20);
            for (int i = 0; i < n; ++i) {
                const auto s = static_cast<std::size_t>(events[i].data.u32);
                if (on_readable(slots[s])) {
                    finish(slots[s]);
                    free_slots.push_back(s);
                    --in_flight;
                }
            }
            const std::int64_t now = now_ns();
            for (std::size_t s = 0; s < slots.size(); ++s) {
                if (slots[s].deadline != 0 && now >= slots[s].deadline && on_timeout(slots[s])) {
                    finish(slots[s]);
                    free_slots.push_back(s);
                    --in_flight;
                }
            }
        }
        result_.seconds = static_cast<double>(now_ns() - start) / 1e9;
        return result_;
    }

private:
    void begin(slot& sl, std::size_t s, std::size_t index) {
        sl.index = index;
        sl.tries = 0;
        sl.challenges = 0;
        clients_[index].ok = false;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(s);
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, clients_[index].fd, &ev);
        send_new(sl);
    }

    void finish(slot& sl) {
        sl.deadline = 0;
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, clients_[sl.index].fd, nullptr);
    }

    // A fresh transaction: signed when the client holds a nonce.
    void send_new(slot& sl) {
        for (auto& b : sl.id) {
            b = static_cast<std::uint8_t>(rng_());
        }
        const client& c = clients_[sl.index];
        const op& o = ops_[sl.index];
        static constexpr std::uint16_t methods[] = {method_allocate, method_channel_bind,
                                                    method_refresh};
        sl.req = request_builder(methods[static_cast<int>(o.kind)], sl.id);
        if (o.kind == op_kind::allocate) {
            const std::uint8_t udp[4] = {17, 0, 0, 0};
            sl.req.add(0x0019, udp, sizeof udp); // REQUESTED-TRANSPORT
            sl.req.add_u32(0x000D, o.lifetime);  // LIFETIME
        } else if (o.kind == op_kind::refresh) {
            sl.req.add_u32(0x000D, o.lifetime);
        } else {
            sl.req.add_u32(0x000C, std::uint32_t{o.channel} << 16); // CHANNEL-NUMBER
            sl.req.add_xor_address(0x0012, o.peer);                 // XOR-PEER-ADDRESS
        }
        if (!c.nonce.empty()) {
            sl.req.sign(cred_.user, c.realm, c.nonce, c.key);
        }
        sl.tries = 0;
        transmit(sl);
    }

    void transmit(slot& sl) {
        const auto b = sl.req.bytes();
        (void)::send(clients_[sl.index].fd, b.data(), b.size(), MSG_DONTWAIT);
        sl.deadline = now_ns() + (rto_ns << std::min(sl.tries, 4));
        ++sl.tries;
    }

    // True when the slot's request is over (success or final failure).
    bool on_readable(slot& sl) {
        client& c = clients_[sl.index];
        std::array<std::uint8_t, 1500> buf{};
        for (int i = 0; i < 16; ++i) {
            const ssize_t n = ::recv(c.fd, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n <= 0) {
                return false;
            }
            const auto r = parse_response({buf.data(), static_cast<std::size_t>(n)});
            if (!r || r->id != sl.id) {
                continue; // stray datagram or an answer to an earlier retransmission
            }
            if ((r->error == 401 || r->error == 438) && !r->nonce.empty() &&
                sl.challenges < max_challenges) {
                ++sl.challenges;
                if (!r->realm.empty() && r->realm != c.realm) {
                    c.realm = r->realm;
                    c.key = long_term_key(cred_.user, c.realm, cred_.password);
                }
                c.nonce = r->nonce;
                send_new(sl);
                return false;
            }
            if (r->success()) {
                if (r->relayed) {
                    c.relayed = *r->relayed;
                }
                c.ok = true;
                ++result_.ok;
            } else {
                ++result_.failed;
                ++result_.errors[r->error];
            }
            return true;
        }
        return false;
    }

    bool on_timeout(slot& sl) {
        if (sl.tries >= max_tries) {
            ++result_.failed;
            ++result_.errors[0];
            return true;
        }
        ++result_.retransmits;
        transmit(sl);
        return false;
    }

    std::vector<client>& clients_;
    const std::vector<op>& ops_;
    const credentials& cred_;
    int epfd_;
    std::minstd_rand rng_;
    run_result result_;
};

} // namespace

std::int64_t now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int open_client_socket(const sockaddr_in& server) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    const int size = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

run_result run_requests(std::vector<client>& clients, const std::vector<op>& ops,
                        const credentials& cred, std::size_t window) {
    runner r(clients, ops, cred);
    return r.run(std::max<std::size_t>(window, 1));
}

} // namespace icegate::bench
