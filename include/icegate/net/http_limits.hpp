// The limits of the HTTPS listener's connections, HTTP and WebSocket: shared by the listener,
// its sessions and the pure request framing (http_framing.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace icegate::net {

class source_limiter;

struct http_limits {
    std::chrono::seconds handshake_timeout{10}; // TLS handshake
    std::chrono::seconds header_timeout{10};    // first byte to end of a request
    std::chrono::seconds idle_timeout{60};      // keep-alive between requests
    std::uint32_t header_limit = 8 * 1024;      // bytes of request line + headers
    std::uint32_t body_limit = 16 * 1024;       // bytes of request body
    std::size_t max_connections = 65536;        // per worker, HTTP and WebSocket together
    // WebSocket: a frame announcing more than ws_message_limit closes the socket at once
    // (1009). A message past ws_buffer_limit (the app's own limit) is not buffered further:
    // the handler gets its first ws_buffer_limit + 1 bytes (so it can answer too_large and
    // keep the session) and the rest is dropped as it arrives.
    std::size_t ws_message_limit = 1024 * 1024;
    std::size_t ws_buffer_limit = 64 * 1024;
    std::size_t ws_queue_bytes = 1024 * 1024; // queued output before a slow reader is closed
    // Connections one source may hold across workers and listeners; null: no limit.
    std::shared_ptr<source_limiter> per_source;
};

} // namespace icegate::net
