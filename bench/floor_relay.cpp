// floor_relay: the least a UDP relay can do, as the reference for server CPU per message.
// Per thread: one SO_REUSEPORT listener (4 MiB buffers) and epoll. A client registers with
// "HELO" and gets "RLAY" + the port of a relay socket opened for it on that thread. Its frames
// are [partner relay port][length][payload]: the payload leaves from the client's relay socket
// to that port; what a relay socket receives goes to its client as [0x4000][length][payload]
// through the listener. It checks nothing else. recvmmsg in, sendmmsg out, queues flushed once
// per epoll round, like a batching TURN server.
//   floor_relay [--port P] [--threads N] [--max-seconds S]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t batch = 64;
constexpr std::size_t slot = 2048;
constexpr std::size_t max_relays_per_thread = 4096;

std::atomic<bool> stop{false};

void on_signal(int) {
    stop = true;
}

std::uint64_t key_of(const sockaddr_in& a) {
    return (std::uint64_t{a.sin_addr.s_addr} << 16) | a.sin_port;
}

// Datagrams waiting to leave one socket in a single sendmmsg.
class send_queue {
public:
    send_queue() : buf_(batch * slot) {}
    bool full() const noexcept { return n_ == batch; }
    bool empty() const noexcept { return n_ == 0; }
    // Returns where to write up to `slot` bytes of the next datagram to `to`.
    std::uint8_t* push(const sockaddr_in& to, std::size_t len) {
        names_[n_] = to;
        iov_[n_] = {buf_.data() + n_ * slot, len};
        return buf_.data() + n_++ * slot;
    }
    void flush(int fd) {
        std::array<mmsghdr, batch> msgs{};
        for (std::size_t i = 0; i < n_; ++i) {
            msgs[i].msg_hdr.msg_name = &names_[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
            msgs[i].msg_hdr.msg_iov = &iov_[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        std::size_t sent = 0;
        while (sent < n_) {
            const int m =
                ::sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(n_ - sent), MSG_DONTWAIT);
            if (m <= 0) {
                break; // a full buffer drops the rest, as UDP would
            }
            sent += static_cast<std::size_t>(m);
        }
        n_ = 0;
    }

private:
    std::vector<std::uint8_t> buf_;
    std::array<sockaddr_in, batch> names_{};
    std::array<iovec, batch> iov_{};
    std::size_t n_ = 0;
};

struct relay {
    int fd = -1;
    sockaddr_in client{};
    send_queue out;
    bool dirty = false;
};

int udp_socket(std::uint16_t port, bool reuse_port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    const int size = 4 << 20;
    if (reuse_port) {
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    }
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        std::perror("floor_relay: bind");
        std::exit(1);
    }
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

class worker {
public:
    explicit worker(int listener) : listener_(listener), rx_(batch * slot) {
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        add(listener_, 0);
        for (std::size_t i = 0; i < batch; ++i) {
            iov_[i] = {rx_.data() + i * slot, slot};
        }
    }

    void run() {
        std::array<epoll_event, 64> events{};
        while (!stop) {
            const int n = ::epoll_wait(epfd_, events.data(), events.size(), 100);
            for (int i = 0; i < n; ++i) {
                const std::uint32_t tag = events[i].data.u32;
                if (tag == 0) {
                    drain(listener_, nullptr);
                } else {
                    drain(relays_[tag - 1]->fd, relays_[tag - 1].get());
                }
            }
            flush();
        }
    }

private:
    void add(int fd, std::uint32_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = tag;
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    }

    void drain(int fd, relay* from_relay) {
        for (int round = 0; round < 16; ++round) {
            std::array<mmsghdr, batch> msgs{};
            for (std::size_t i = 0; i < batch; ++i) {
                msgs[i].msg_hdr.msg_name = &names_[i];
                msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
                msgs[i].msg_hdr.msg_iov = &iov_[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            const int n = ::recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) {
                return;
            }
            for (int i = 0; i < n; ++i) {
                const std::uint8_t* d = rx_.data() + static_cast<std::size_t>(i) * slot;
                if (from_relay != nullptr) {
                    to_client(*from_relay, d, msgs[i].msg_len);
                } else {
                    from_client(names_[i], d, msgs[i].msg_len);
                }
            }
            if (static_cast<std::size_t>(n) < batch) {
                return;
            }
        }
    }

    void from_client(const sockaddr_in& src, const std::uint8_t* d, std::size_t len) {
        const auto it = by_client_.find(key_of(src));
        if (len == 4 && std::memcmp(d, "HELO", 4) == 0) {
            const relay* r = it != by_client_.end() ? it->second : open_relay(src);
            if (r != nullptr) {
                std::uint8_t* out = queue_to_client(src, 6);
                std::memcpy(out, "RLAY", 4);
                const std::uint16_t port = htons(local_port(r->fd));
                std::memcpy(out + 4, &port, 2);
            }
            return;
        }
        if (it == by_client_.end() || len < 4) {
            return;
        }
        relay& r = *it->second;
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::memcpy(&to.sin_port, d, 2);
        if (r.out.full()) {
            r.out.flush(r.fd);
        }
        std::memcpy(r.out.push(to, len - 4), d + 4, len - 4);
        if (!r.dirty) {
            r.dirty = true;
            dirty_.push_back(&r);
        }
    }

    void to_client(const relay& r, const std::uint8_t* d, std::size_t len) {
        if (len + 4 > slot) {
            return;
        }
        std::uint8_t* out = queue_to_client(r.client, len + 4);
        out[0] = 0x40;
        out[1] = 0x00;
        out[2] = static_cast<std::uint8_t>(len >> 8);
        out[3] = static_cast<std::uint8_t>(len);
        std::memcpy(out + 4, d, len);
    }

    std::uint8_t* queue_to_client(const sockaddr_in& to, std::size_t len) {
        if (to_clients_.full()) {
            to_clients_.flush(listener_);
        }
        return to_clients_.push(to, len);
    }

    relay* open_relay(const sockaddr_in& client) {
        if (relays_.size() >= max_relays_per_thread) {
            return nullptr;
        }
        auto r = std::make_unique<relay>();
        r->fd = udp_socket(0, false);
        r->client = client;
        relays_.push_back(std::move(r));
        add(relays_.back()->fd, static_cast<std::uint32_t>(relays_.size()));
        by_client_[key_of(client)] = relays_.back().get();
        return relays_.back().get();
    }

    void flush() {
        for (relay* r : dirty_) {
            r->out.flush(r->fd);
            r->dirty = false;
        }
        dirty_.clear();
        if (!to_clients_.empty()) {
            to_clients_.flush(listener_);
        }
    }

    int listener_;
    int epfd_ = -1;
    std::vector<std::uint8_t> rx_;
    std::array<iovec, batch> iov_{};
    std::array<sockaddr_in, batch> names_{};
    std::vector<std::unique_ptr<relay>> relays_;
    std::unordered_map<std::uint64_t, relay*> by_client_;
    std::vector<relay*> dirty_;
    send_queue to_clients_;
};

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    unsigned threads = 2;
    int max_seconds = 1800;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--port") {
            port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
        } else if (a == "--threads") {
            threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
        } else if (a == "--max-seconds") {
            max_seconds = std::atoi(argv[i + 1]);
        } else {
            std::fprintf(stderr, "usage: floor_relay [--port P] [--threads N] [--max-seconds S]\n");
            return 2;
        }
    }
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::vector<int> listeners;
    for (unsigned t = 0; t < threads; ++t) {
        listeners.push_back(udp_socket(port, true));
        port = local_port(listeners.back());
    }
    std::vector<std::thread> pool;
    for (const int fd : listeners) {
        pool.emplace_back([fd] { worker(fd).run(); });
    }
    std::printf("listening on udp://127.0.0.1:%u\nready\n", port);
    std::fflush(stdout);
    for (int s = 0; s < max_seconds * 10 && !stop; ++s) {
        ::usleep(100'000); // bounded life even if nobody stops it
    }
    stop = true;
    for (auto& t : pool) {
        t.join();
    }
    return 0;
}
