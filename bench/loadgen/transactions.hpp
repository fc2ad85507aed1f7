// TURN client sockets and a pipelined request runner: many sockets, one request each in
// flight, at most `window` at once, with the 401/438 -> nonce -> signed retry and
// retransmission on timeout. Bounded: every request gives up after a fixed number of tries.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "wire.hpp"

namespace icegate::bench {

struct credentials {
    std::string user;
    std::string password;
};

struct client {
    int fd = -1;
    std::string nonce; // empty: the next request goes unsigned and fetches one (401)
    std::string realm;
    md5_key key{};
    sockaddr_in relayed{}; // from the Allocate success
    bool ok = false;       // the last request succeeded
};

enum class op_kind { allocate, channel_bind, refresh };

struct op {
    op_kind kind = op_kind::allocate;
    std::uint32_t lifetime = 0; // allocate, refresh
    sockaddr_in peer{};         // channel_bind
    std::uint16_t channel = 0;  // channel_bind
};

struct run_result {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    std::uint64_t retransmits = 0;
    double seconds = 0;
    std::map<std::uint16_t, std::uint64_t> errors; // final error codes (0: timeout)
};

// A non-blocking UDP socket on 127.0.0.1 (any port) connected to `server`, 4 MiB buffers.
int open_client_socket(const sockaddr_in& server);

// Runs `ops[i]` on `clients[i]` for every i, `window` requests in flight at most.
run_result run_requests(std::vector<client>& clients, const std::vector<op>& ops,
                        const credentials& cred, std::size_t window);

std::int64_t now_ns() noexcept;

} // namespace icegate::bench
