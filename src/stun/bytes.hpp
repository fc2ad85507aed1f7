// Big-endian load/store helpers for the STUN codec (private to src/stun).
#pragma once

#include <cstddef>
#include <cstdint>

namespace icegate::stun::detail {

inline std::uint16_t load_u16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

inline std::uint64_t load_u64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_u32(p)} << 32) | load_u32(p + 4);
}

inline void store_u16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

inline void store_u32(std::uint8_t* p, std::uint32_t v) noexcept {
    store_u16(p, static_cast<std::uint16_t>(v >> 16));
    store_u16(p + 2, static_cast<std::uint16_t>(v));
}

inline void store_u64(std::uint8_t* p, std::uint64_t v) noexcept {
    store_u32(p, static_cast<std::uint32_t>(v >> 32));
    store_u32(p + 4, static_cast<std::uint32_t>(v));
}

// Attribute values are padded to a multiple of 4 bytes.
constexpr std::size_t pad4(std::size_t n) noexcept {
    return (n + 3) & ~std::size_t{3};
}

} // namespace icegate::stun::detail
