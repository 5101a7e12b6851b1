#pragma once
// The order-book depth in force at each step of one path, when it responds
// to realised volatility (models/market/elastic_depth.hpp): a multiplier of
// the scenario's depth, 1 before any return is seen. Liquidity droughts
// (shock overlays) multiply it further, step by step, in the engine.

#include <cstdint>

#include "models/market/elastic_depth.hpp"
#include "sim/engine/realised_volatility.hpp"

namespace cascade {

class DepthTracker {
  public:
    // `step_years`: the grid's step in years; `window_steps`: returns the
    // realised volatility is measured over (at least 1).
    DepthTracker(const ElasticDepth& elastic, double step_years, std::uint32_t window_steps)
        : elastic_(elastic),
          volatility_(elastic.on ? RealisedVolatility(step_years, window_steps)
                                 : RealisedVolatility()) {}

    bool elastic() const { return elastic_.on; }
    // Multiplier of the depth for the current step.
    double multiplier() const { return multiplier_; }

    // Records the market's log return over the step just finished and sets
    // the depth for the next one.
    void observe(double log_return) {
        multiplier_ = elastic_.multiplier(volatility_.observe(log_return));
    }

  private:
    const ElasticDepth& elastic_;
    RealisedVolatility volatility_;
    double multiplier_ = 1.0;
};

}  // namespace cascade
