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
// (steps + 1 each) so that no per-path allocation is needed. The kernel works
// in log space: prices are compared and moved multiplicatively, and an exp per
// step is paid only by the observers that need the price itself.
struct PathTrace {
    // log(price_k / initial price) at each grid point; 0 at k = 0.
    std::span<double> cumulative_log_return;
};

class PathKernel {
  public:
    explicit PathKernel(const Scenario& scenario);

    std::uint32_t steps() const { return steps_; }
    void simulate(std::uint64_t path, const PathTrace& trace) const;

  private:
    std::uint64_t seed_;
    std::uint32_t steps_;
    StandardNormal normal_;
    PriceProcess process_;
};

}  // namespace cascade
