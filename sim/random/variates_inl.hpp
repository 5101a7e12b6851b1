#pragma once
// Inline hot path of StandardNormal; included at the end of variates.hpp.

#include <bit>
#include <cstdint>

#include "sim/random/variates.hpp"

namespace cascade {

namespace detail {
// Gives the non-negative `magnitude` the sign held in bit 8 of `bits` by setting
// the IEEE sign bit: branch-free.
inline double ziggurat_signed(double magnitude, std::uint64_t bits) {
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(magnitude) | ((bits & 0x100U) << 55));
}
}  // namespace detail

// One 64-bit draw per attempt: bits 0-7 pick the layer, bit 8 the sign, bits
// 11-63 the uniform (53 bits, as uniform01). The fields do not overlap, so they
// are independent. 98.5% of attempts end at the quick accept.
inline double StandardNormal::operator()(Rng& rng) const {
    const std::uint64_t bits = rng();
    const auto layer = static_cast<std::uint32_t>(bits & 0xffU);
    const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
    const double x = detail::ziggurat_signed(u * x_[layer], bits);
    if (u >= ratio_[layer]) [[unlikely]] {
        return sample_slow(rng, layer, x);
    }
    return x;
}

}  // namespace cascade
