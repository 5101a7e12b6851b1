#pragma once
// Inline hot path of StandardNormal; included at the end of variates.hpp.

#include <bit>
#include <cmath>
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
        const SlowDraw slow = sample_slow(rng, layer, x);
        rng = slow.rng;
        return slow.value;
    }
    return x;
}

inline double standard_exponential(Rng& rng) {
    return -std::log(uniform_open01(rng));
}

// 53 signed bits plus one half-step: |k + 0.5| < 2^52 is exact.
inline double uniform_open_pm1(Rng& rng) {
    const auto k = static_cast<std::int64_t>(rng()) >> 11;  // in [-2^52, 2^52)
    return (static_cast<double>(k) + 0.5) * 0x1.0p-52;
}

// Bailey (1994), "Polar generation of random variates with the t-distribution":
// for (U, V) uniform on the unit disc and W = U^2 + V^2,
// U sqrt(dof (W^(-2/dof) - 1) / W) is exactly Student-t with dof degrees of freedom.
inline double student_t(Rng& rng, double dof) {
    double u = 0.0;
    double w = 0.0;
    do {
        u = uniform_open_pm1(rng);
        const double v = uniform_open_pm1(rng);
        w = u * u + v * v;
    } while (w > 1.0);  // w > 0 always: the uniforms are never 0
    // expm1(log(w) * -2/dof) is W^(-2/dof) - 1 without the cancellation that
    // pow(w, -2/dof) - 1 suffers when dof is large and the exponent is small.
    return u * std::sqrt(dof * std::expm1(std::log(w) * (-2.0 / dof)) / w);
}

}  // namespace cascade
