#pragma once
// Distribution transforms written here rather than taken from <random>: the
// standard library's distributions differ between implementations, and the
// results of a scenario must not depend on which one a user compiled with.

#include <array>
#include <cstdint>

#include "sim/random/streams.hpp"

namespace cascade {

// Standard normal variates by the Marsaglia-Tsang ziggurat (256 layers, 64-bit
// draws), with Marsaglia's exact tail method. The tables are built once by the
// constructor; draws are const, so one instance is shared by all threads.
class StandardNormal {
  public:
    StandardNormal();
    double operator()(Rng& rng) const;  // defined inline below: it is the hot path

  private:
    // The slow path takes and returns the generator by value: were its address
    // to escape into an out-of-line call, the compiler would keep the caller's
    // 128-bit state in memory on the hot path too (a store-forwarding stall
    // that tripled the cost of a step with GCC 12).
    struct SlowDraw {
        double value;
        Rng rng;
    };
    SlowDraw sample_slow(Rng rng, std::uint32_t layer, double x) const;
    std::array<double, 257> x_{};      // layer edges, x_[0] = v / f(r), x_[1] = r, ..., x_[256] = 0
    std::array<double, 256> ratio_{};  // x_[i+1] / x_[i]: quick-accept threshold for layer i
    std::array<double, 257> f_{};      // exp(-x_[i]^2 / 2)
};

// Exponential with mean 1 by inversion. Inline, like every variate that takes
// the generator by reference (see StandardNormal::SlowDraw).
inline double standard_exponential(Rng& rng);

// Uniform on (-1, 1), symmetric, never 0.
inline double uniform_open_pm1(Rng& rng);

// Student-t with `dof` > 0 degrees of freedom (Bailey's polar method, exact).
inline double student_t(Rng& rng, double dof);

}  // namespace cascade

#include "sim/random/variates_inl.hpp"
