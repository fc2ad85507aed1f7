// pump: paced sendmmsg out of every socket, recvmmsg back, latency histogram (1 us buckets).
#include "pump.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>

#include "transactions.hpp"

namespace icegate::bench {

namespace {

constexpr std::uint32_t frame_magic = 0xB3E7C0DE;
constexpr std::size_t send_batch = 32;
constexpr std::size_t recv_batch = 64;
constexpr std::size_t recv_slot = 2048;
constexpr std::size_t histogram_buckets = 100'000; // 1 us each; the last one collects the rest
constexpr std::int64_t quiet_ns = 100'000'000;     // drain ends after this long without data

struct shard {
    std::vector<pump_socket> sockets;
    std::vector<std::uint64_t> histogram = std::vector<std::uint64_t>(histogram_buckets);
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t stale = 0;
};

class shard_runner {
public:
    shard_runner(shard& sh, const pump_settings& s, double rate)
        : sh_(sh), s_(s), rate_(rate), frame_size_(4 + std::max<std::size_t>(s.payload, 16)),
          tx_(send_batch * frame_size_), rx_(recv_batch * recv_slot) {
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        for (std::size_t i = 0; i < sh_.sockets.size(); ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = static_cast<std::uint32_t>(i);
            ::epoll_ctl(epfd_, EPOLL_CTL_ADD, sh_.sockets[i].fd, &ev);
        }
        for (std::size_t i = 0; i < recv_batch; ++i) {
            rx_iov_[i] = {rx_.data() + i * recv_slot, recv_slot};
        }
    }
    ~shard_runner() { ::close(epfd_); }
    shard_runner(const shard_runner&) = delete;
    shard_runner& operator=(const shard_runner&) = delete;

    void run(std::int64_t start, std::int64_t end) {
        std::size_t cursor = 0;
        for (std::int64_t now = now_ns(); now < end; now = now_ns()) {
            const auto due =
                static_cast<std::uint64_t>(static_cast<double>(now - start) * 1e-9 * rate_);
            std::uint64_t backlog =
                due > sh_.sent + sh_.send_errors ? due - sh_.sent - sh_.send_errors : 0;
            backlog = std::min<std::uint64_t>(backlog, 1024);
            while (backlog > 0 && !sh_.sockets.empty()) {
                const auto k = std::min<std::uint64_t>(backlog, send_batch);
                send_frames(sh_.sockets[cursor], static_cast<std::size_t>(k));
                cursor = (cursor + 1) % sh_.sockets.size();
                backlog -= k;
            }
            poll(due >= sh_.sent + sh_.send_errors + 1 ? 0 : 1);
        }
        // Drain: stop when nothing has arrived for quiet_ns, or at the drain limit.
        const auto limit = end + static_cast<std::int64_t>(s_.drain * 1e9);
        std::int64_t last = now_ns();
        for (std::int64_t now = last; now < limit && now - last < quiet_ns; now = now_ns()) {
            if (poll(10) > 0) {
                last = now_ns();
            }
        }
    }

private:
    void send_frames(const pump_socket& ps, std::size_t k) {
        std::array<mmsghdr, send_batch> msgs{};
        std::array<iovec, send_batch> iov{};
        const std::int64_t ts = now_ns();
        for (std::size_t i = 0; i < k; ++i) {
            std::uint8_t* f = tx_.data() + i * frame_size_;
            std::memcpy(f, ps.header, 4);
            put_u16(f + 2, static_cast<std::uint16_t>(frame_size_ - 4));
            std::memcpy(f + 4, &ts, 8);
            std::memcpy(f + 12, &s_.run, 4);
            std::memcpy(f + 16, &frame_magic, 4);
            iov[i] = {f, frame_size_};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int m = ::sendmmsg(ps.fd, msgs.data(), static_cast<unsigned>(k), MSG_DONTWAIT);
        const std::size_t ok = m > 0 ? static_cast<std::size_t>(m) : 0;
        sh_.sent += ok;
        sh_.send_errors += k - ok;
    }

    // Waits up to `timeout_ms` and drains what is readable; returns frames received.
    std::uint64_t poll(int timeout_ms) {
        std::array<epoll_event, 64> events{};
        const int n = ::epoll_wait(epfd_, events.data(), events.size(), timeout_ms);
        std::uint64_t got = 0;
        for (int i = 0; i < n; ++i) {
            got += drain(sh_.sockets[events[i].data.u32].fd);
        }
        return got;
    }

    std::uint64_t drain(int fd) {
        std::uint64_t got = 0;
        for (int round = 0; round < 8; ++round) {
            std::array<mmsghdr, recv_batch> msgs{};
            for (std::size_t i = 0; i < recv_batch; ++i) {
                msgs[i].msg_hdr.msg_iov = &rx_iov_[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            const int n = ::recvmmsg(fd, msgs.data(), recv_batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) {
                break;
            }
            const std::int64_t now = now_ns();
            for (int i = 0; i < n; ++i) {
                const std::uint8_t* f = rx_.data() + static_cast<std::size_t>(i) * recv_slot;
                std::uint32_t magic = 0;
                if (msgs[i].msg_len < 20 ||
                    (std::memcpy(&magic, f + 16, 4), magic != frame_magic)) {
                    continue;
                }
                std::uint32_t run = 0;
                std::memcpy(&run, f + 12, 4);
                if (run != s_.run) {
                    ++sh_.stale;
                    continue;
                }
                std::int64_t ts = 0;
                std::memcpy(&ts, f + 4, 8);
                const auto us =
                    static_cast<std::uint64_t>(std::max<std::int64_t>(now - ts, 0)) / 1000;
                ++sh_.histogram[std::min<std::uint64_t>(us, histogram_buckets - 1)];
                ++got;
            }
            if (static_cast<std::size_t>(n) < recv_batch) {
                break;
            }
        }
        sh_.received += got;
        return got;
    }

    shard& sh_;
    const pump_settings& s_;
    double rate_;
    std::size_t frame_size_;
    std::vector<std::uint8_t> tx_;
    std::vector<std::uint8_t> rx_;
    std::array<iovec, recv_batch> rx_iov_{};
    int epfd_ = -1;
};

double percentile(const std::vector<std::uint64_t>& h, std::uint64_t total, double q) {
    if (total == 0) {
        return 0;
    }
    const auto want = static_cast<std::uint64_t>(q * static_cast<double>(total - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < h.size(); ++i) {
        seen += h[i];
        if (seen >= want) {
            return static_cast<double>(i) + 0.5;
        }
    }
    return static_cast<double>(h.size());
}

} // namespace

pump_result run_pump(const std::vector<pump_socket>& sockets, const pump_settings& s) {
    const unsigned threads = std::max(1u, s.threads);
    std::vector<shard> shards(threads);
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        shards[i % threads].sockets.push_back(sockets[i]);
    }
    const std::int64_t start = now_ns();
    const std::int64_t end = start + static_cast<std::int64_t>(s.seconds * 1e9);
    std::vector<std::thread> workers;
    for (auto& sh : shards) {
        workers.emplace_back([&sh, &s, start, end, threads] {
            shard_runner r(sh, s, s.rate / threads);
            r.run(start, end);
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    pump_result out;
    out.send_seconds = s.seconds;
    std::vector<std::uint64_t> histogram(histogram_buckets);
    for (const auto& sh : shards) {
        out.sent += sh.sent;
        out.received += sh.received;
        out.send_errors += sh.send_errors;
        out.stale += sh.stale;
        for (std::size_t i = 0; i < histogram_buckets; ++i) {
            histogram[i] += sh.histogram[i];
        }
    }
    out.p50_us = percentile(histogram, out.received, 0.50);
    out.p99_us = percentile(histogram, out.received, 0.99);
    out.max_us = percentile(histogram, out.received, 1.0);
    return out;
}

} // namespace icegate::bench
