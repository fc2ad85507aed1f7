// The data pump: frames with a send timestamp go out of every client socket at a paced total
// rate (sendmmsg), come back on the partner socket (recvmmsg) and are counted and timed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace icegate::bench {

// One client socket of the pump and the 4-byte header its frames start with: ChannelData
// (channel, length) through a TURN server, or (partner's relay port, length) to the floor.
struct pump_socket {
    int fd = -1;
    std::uint8_t header[4] = {};
};

struct pump_settings {
    double rate = 10000;       // frames per second, all sockets together
    double seconds = 5;        // sending time
    double drain = 0.5;        // receive time after the last send (ends sooner when quiet)
    std::size_t payload = 100; // bytes after the 4-byte header (at least 16)
    unsigned threads = 1;
    std::uint32_t run = 0; // stamped into frames: late frames of an earlier run are not counted
};

struct pump_result {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t send_errors = 0; // frames the client socket refused (EAGAIN, ...)
    std::uint64_t stale = 0;       // frames of an earlier run that arrived during this one
    double send_seconds = 0;
    double p50_us = 0;
    double p99_us = 0;
    double max_us = 0;
};

pump_result run_pump(const std::vector<pump_socket>& sockets, const pump_settings& s);

} // namespace icegate::bench
