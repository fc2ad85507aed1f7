// The limits a TCP/TLS listener's connections obey: shared by the listener, which admits
// them, and its sessions, which time out and bound their buffers by them.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

namespace icegate::net {

class source_limiter;

struct stream_limits {
    std::chrono::seconds idle_timeout{300};
    std::chrono::seconds handshake_timeout{10};
    // From accept until the first STUN message (TLS handshake included): a connection that
    // sends none by then is closed.
    std::chrono::seconds preauth_timeout{10};
    std::size_t read_buffer = 65536 + 4;  // largest frame a connection may send
    std::size_t initial_buffer = 2048;    // the read buffer grows from this as frames need it
    std::size_t write_queue = 256 * 1024; // bytes queued before a slow reader is dropped
    std::size_t max_connections = 10000;  // per worker and listener
    // Connections one source may hold across workers and listeners; null: no limit.
    std::shared_ptr<source_limiter> per_source;
};

} // namespace icegate::net
