// libFuzzer target: feed a TCP/TLS byte stream to next_frame() in arbitrary chunk sizes and
// check that the framing is consistent (frames tile the stream, sizes are sane).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "icegate/stun/channel_data.hpp"
#include "icegate/stun/message_view.hpp"
#include "icegate/stun/stream_framer.hpp"

namespace {

using namespace icegate::stun;

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

// Consumes every whole frame at the front of `buffered`; returns the bytes consumed, or
// nothing when the stream must be closed.
std::optional<std::size_t> drain(std::span<const std::uint8_t> buffered) {
    std::size_t used = 0;
    while (true) {
        const auto rest = buffered.subspan(used);
        auto f = next_frame(rest);
        if (!f) {
            return std::nullopt;
        }
        check(f->size >= 4 && f->message_size <= f->size && f->size - f->message_size < 4);
        if (f->size > rest.size()) {
            return used;
        }
        const auto frame = rest.first(f->message_size);
        if (f->kind == frame_kind::stun) {
            (void)message_view::parse(frame);
        } else {
            check(channel_data::parse(frame).has_value());
        }
        used += f->size;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    // The first byte picks the chunk size the "network" delivers.
    const std::size_t chunk = std::max<std::size_t>(1, bytes[0] % 64);
    const std::span<const std::uint8_t> stream(bytes + 1, size - 1);
    std::vector<std::uint8_t> buffer;
    std::size_t total_used = 0;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
        const auto piece = stream.subspan(at, std::min(chunk, stream.size() - at));
        buffer.insert(buffer.end(), piece.begin(), piece.end());
        const auto used = drain(buffer);
        if (!used) {
            return 0;
        }
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*used));
        total_used += *used;
    }
    // Chunking must not change the result: the whole stream at once consumes the same.
    const auto all_at_once = drain(stream);
    check(all_at_once.has_value() && *all_at_once == total_used);
    return 0;
}
