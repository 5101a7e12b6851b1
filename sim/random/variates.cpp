#include "sim/random/variates.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace cascade {

namespace {

// Marsaglia & Tsang (2000), "The Ziggurat Method for Generating Random
// Variables", 256 layers, with f(x) = exp(-x^2 / 2) left unnormalised.
// r is the start of the tail and v the common area of every layer; the base
// layer is the rectangle [0, r] x [0, f(r)] plus the tail beyond r:
//   v = r f(r) + integral_r^inf f = r f(r) + sqrt(pi / 2) erfc(r / sqrt 2).
// r is the root of "the recursion x_{i+1} = f^-1(v / x_i + f(x_i)) from x_1 = r
// leaves a top layer x_255 (1 - f(x_255)) of area exactly v"; both values were
// recomputed to 50 digits (mpmath) and are rounded here to the nearest double:
//   r = 3.65415288536100877164542972...
//   v = 0.00492867323397465534736177540...
// The paper prints v = 0.00492867323399, which is that value to 12 digits
// (relative error 3e-12); the recursion amplifies it, leaving the top layer's
// area off by 1e-9 relative. With the full value it is off by 1e-13 (double
// rounding through 254 steps), which no sample size can detect.
// Hard-coded rather than computed, so the tables do not depend on a libm erfc.
constexpr double kTailStart = 3.6541528853610088;
constexpr double kLayerArea = 0.0049286732339746553;

double density(double x) {
    return std::exp(-0.5 * x * x);
}

}  // namespace

StandardNormal::StandardNormal() {
    x_[0] = kLayerArea / density(kTailStart);  // width of the base rectangle with area v
    x_[1] = kTailStart;
    for (std::size_t i = 1; i < 255; ++i) {
        x_[i + 1] = std::sqrt(-2.0 * std::log(kLayerArea / x_[i] + density(x_[i])));
    }
    x_[256] = 0.0;  // the top layer ends at the mode
    for (std::size_t i = 0; i < 256; ++i) {
        ratio_[i] = x_[i + 1] / x_[i];
    }
    for (std::size_t i = 0; i < 257; ++i) {
        f_[i] = density(x_[i]);
    }
}

// Reached when the candidate |x| lies beyond x_[layer + 1]: in the base layer it
// falls in the tail; elsewhere it is in the wedge between the rectangle and the
// curve. A rejection restarts from a fresh 64-bit draw, as the method requires.
StandardNormal::SlowDraw StandardNormal::sample_slow(Rng rng, std::uint32_t layer, double x) const {
    for (;;) {
        if (layer == 0) {
            // Marsaglia (1964): exact sample of Z | Z > r, with the candidate's sign.
            const double r = x_[1];
            double t = 0.0;
            double e = 0.0;
            do {
                t = -std::log(uniform_open01(rng)) / r;
                e = -std::log(uniform_open01(rng));
            } while (e + e < t * t);
            return {std::copysign(r + t, x), rng};
        }
        // Wedge: a uniform height within the layer, accepted under the curve.
        const double y = f_[layer] + uniform01(rng) * (f_[layer + 1] - f_[layer]);
        if (y < density(x)) {
            return {x, rng};
        }
        // Rejected: a whole new attempt, quick accept included (as operator()).
        const std::uint64_t bits = rng();
        layer = static_cast<std::uint32_t>(bits & 0xffU);
        const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
        x = detail::ziggurat_signed(u * x_[layer], bits);
        if (u < ratio_[layer]) {
            return {x, rng};
        }
    }
}

}  // namespace cascade
