#pragma once
// Simulates one path from its own random streams. The kernel is immutable and
// shared by all threads; everything a path changes lives in its PathTrace.

#include <cstdint>
#include <span>

#include "models/price/price_process.hpp"
#include "models/shocks/shock_schedule.hpp"
#include "sim/random/variates.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

// Per-step values of one path, written by the kernel into caller-owned rows
// (steps + 1 each) so that no per-path allocation is needed.
struct PathTrace {
    std::span<double> price;  // market price at each grid point
};

class PathKernel {
  public:
    explicit PathKernel(const Scenario& scenario);

    std::uint32_t steps() const { return steps_; }
    void simulate(std::uint64_t path, const PathTrace& trace) const;

  private:
    std::uint64_t seed_;
    std::uint32_t steps_;
    double initial_price_;
    StandardNormal normal_;
    PriceProcess process_;
};

}  // namespace cascade
