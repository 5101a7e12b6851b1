#pragma once
// Order-book depth that shrinks when the market turns violent, and recovers
// when it calms down.
//
// Market makers widen quotes and pull size when realised volatility rises
// (their inventory risk per unit of size grows with it), so the book a
// liquidation sells into is thinner exactly when cascades happen. With
// realised volatility sigma_k (annualised, over a rolling window of the
// market's own log returns, only returns already seen), the depth in force
// during step k is the scenario's depth times
//
//   D_k = clamp((sigma_k / reference_volatility)^(-elasticity), min_multiplier, max_multiplier)
//
// and D_1 = 1 before any return is seen. A depth multiplier D divides the
// log-price impact of every order by D (see ImpactConfig::with_depth). As
// volatility falls back, D returns towards 1: the book refills.

#include <algorithm>
#include <cmath>

namespace cascade {

struct ElasticDepth {
    bool on = false;
    double elasticity = 0.0;            // 1: depth inversely proportional to volatility
    double reference_volatility = 0.0;  // annualised; D = 1 here
    double window_seconds = 0.0;        // realised volatility over this much history
    double min_multiplier = 0.1;        // thinnest book, as a multiple of the stated depth
    double max_multiplier = 1.0;        // deepest book, as a multiple of the stated depth

    // D for an annualised realised volatility. A volatility of 0 gives
    // max_multiplier (pow(0, -e) is +inf for e > 0).
    double multiplier(double realised_volatility) const {
        return std::clamp(std::pow(realised_volatility / reference_volatility, -elasticity),
                          min_multiplier, max_multiplier);
    }
};

}  // namespace cascade
