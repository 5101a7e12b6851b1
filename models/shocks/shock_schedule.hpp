#pragma once
// Shock overlays resolved onto the time grid once per run, so the per-step
// cost of any number of shocks is two array loads (and a third, only in steps
// that liquidate, when there are liquidity droughts).

#include <cstdint>
#include <span>
#include <vector>

#include "models/shocks/shock.hpp"
#include "models/time_grid.hpp"

namespace cascade {

class ShockSchedule {
  public:
    ShockSchedule(const TimeGrid& grid, std::span<const Shock> shocks);

    // Step k moves the grid from t_{k-1} to t_k; index k-1 holds its values.
    // Multiplier of the model's diffusive volatility over that step.
    double volatility_multiplier(std::size_t step_index) const {
        return volatility_multiplier_[step_index];
    }
    // Deterministic change of the log price over that step (crashes, recoveries, jumps).
    double log_shift(std::size_t step_index) const { return log_shift_[step_index]; }

    // Multiplier of the book's depth over that step (liquidity droughts).
    double depth_multiplier(std::size_t step_index) const {
        return depth_multiplier_.empty() ? 1.0 : depth_multiplier_[step_index];
    }

    std::span<const double> volatility_multipliers() const { return volatility_multiplier_; }
    std::span<const double> log_shifts() const { return log_shift_; }
    // One per step; empty when no shock changes the depth.
    std::span<const double> depth_multipliers() const { return depth_multiplier_; }

    // Whether the oracle is frozen at grid time t_k (index k - 1): inside an
    // outage window, start <= t_k < start + duration. Empty when no outage.
    std::span<const std::uint8_t> oracle_frozen() const { return oracle_frozen_; }

  private:
    std::vector<double> volatility_multiplier_;
    std::vector<double> log_shift_;
    std::vector<double> depth_multiplier_;
    std::vector<std::uint8_t> oracle_frozen_;
};

}  // namespace cascade
