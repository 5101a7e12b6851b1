#pragma once
// The maintenance margin in force at each step of one path (see
// models/venue/margin_policy.hpp), and what it does to the liquidation
// prices: with margin m instead of the m0 the books were sorted with, every
// long's log liquidation price moves by log(1 - m0) - log(1 - m) and every
// short's by log(1 + m0) - log(1 + m). The engine adds these offsets to the
// market's log price instead of moving N prices: testing
// x + long_offset < stored trigger is testing x against the moved trigger.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "models/venue/margin_policy.hpp"
#include "sim/engine/realised_volatility.hpp"

namespace cascade {

// The margin for one step, as the finders use it.
struct MarginLevel {
    double maintenance = 0.0;   // m: the reference scan tests equity against it
    double long_offset = 0.0;   // log(1 - m) - log(1 - m0); 0 when m = m0
    double short_offset = 0.0;  // log(1 + m) - log(1 + m0); 0 when m = m0
};

// Where a round (or a step's quiet test) looks at the books: the trigger
// price and, per side, the log price to compare with the books' stored
// liquidation prices, which were sorted under the base margin m0 and without
// funding. With margin m and funding index F (quote per unit, see
// sim/engine/funding_tracker.hpp), a long crosses when
//   log((P (1 - m) - F) / ((1 - m0) P0)) < its stored log liquidation price
// and a short when
//   log((P (1 + m) - F) / ((1 + m0) P0)) > its stored one;
// without funding these are x + long_offset and x + short_offset.
struct TriggerLevel {
    double x = 0.0;            // log of the trigger price over the initial price
    double maintenance = 0.0;  // m in force (the reference scan's test)
    double funding = 0.0;      // F (the reference scan's test)
    double long_x = 0.0;       // a long crosses when long_x < its stored log trigger
    double short_x = 0.0;      // a short when short_x > its stored log trigger
};

class MarginTracker {
  public:
    // `step_years`: the grid's step in years; `window_steps`: returns the
    // realised volatility is measured over (at least 1).
    MarginTracker(const MarginPolicy& policy, double base, double step_years,
                  std::uint32_t window_steps)
        : policy_(policy),
          base_(base),
          volatility_(policy.dynamic() ? RealisedVolatility(step_years, window_steps)
                                       : RealisedVolatility()) {
        level_.maintenance = base;
    }

    bool dynamic() const { return policy_.dynamic(); }
    const MarginLevel& level() const { return level_; }

    // Records the market's log return over the step just finished and sets
    // the margin for the next one.
    void observe(double log_return) {
        const double realised = volatility_.observe(log_return);
        const double m =
            std::clamp(base_ * realised / policy_.reference_volatility, policy_.floor, policy_.cap);
        if (m != level_.maintenance) {
            level_.maintenance = m;
            level_.long_offset = std::log1p(-m) - std::log1p(-base_);
            level_.short_offset = std::log1p(m) - std::log1p(base_);
        }
    }

  private:
    const MarginPolicy& policy_;
    double base_;
    RealisedVolatility volatility_;  // of the market price, while the policy is dynamic
    MarginLevel level_;
};

}  // namespace cascade
