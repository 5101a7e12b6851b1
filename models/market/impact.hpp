#pragma once
// Market impact of liquidation orders, and its recovery.
//
// The market price is the exogenous price times an impact factor exp(m).
// Selling q units of the asset moves m by -kappa q (buying by +kappa q): linear
// in the quantity, in log price, so the price stays positive however much is
// sold. The factor never falls below `floor` (an order book is never emptied
// to zero). Between steps m decays towards 0 with the given half-life
// (resilience: market makers refill the book). A block of q units fills at the
// average price over its units along its own impact (at the floor for the
// units sold once the floor is reached).

#include <cmath>
#include <limits>

namespace cascade {

struct ImpactConfig {
    // Change in log price per unit of quote notional traded, valued at the
    // initial price (how the scenario states it) ...
    double per_notional = 0.0;
    // ... and per unit of the asset: per_notional x initial price. 0: no impact.
    double kappa = 0.0;
    double half_life_seconds = std::numeric_limits<double>::infinity();  // inf: permanent
    double floor = 0.0;  // lowest impact factor exp(m); 0 < floor < 1 when impact is on
};

struct ImpactMove {
    double after = 0.0;        // m after the order
    double fill_factor = 1.0;  // average fill over exp(m_before) ... exp(m_after), / exp(m_before)
};

// Impact of a net order of `net_sold` units (negative: net bought), from state `m`.
inline ImpactMove apply_impact(const ImpactConfig& impact, double m, double net_sold) {
    if (impact.kappa == 0.0 || net_sold == 0.0) {
        return {m, 1.0};
    }
    double after = m - impact.kappa * net_sold;
    const double log_floor = std::log(impact.floor);
    if (after < log_floor) {
        after = log_floor;
    }
    const double d = m - after;  // > 0 for a sale, < 0 for a purchase
    // Average over the units: the first d / kappa of them walk the book from
    // exp(m) down to exp(after), the rest (if the floor stopped the move) fill
    // at the floor. Without a floor this is (1 - e^-d) / d.
    const double walked = -std::expm1(-d) / impact.kappa;
    const double at_floor = (net_sold - d / impact.kappa) * std::exp(-d);
    const double fill = (walked + at_floor) / net_sold;
    return {after, fill};
}

// Multiplier applied to m once per step of `step_seconds`.
inline double impact_decay_per_step(const ImpactConfig& impact, double step_seconds) {
    if (!std::isfinite(impact.half_life_seconds)) {
        return 1.0;
    }
    return std::exp2(-step_seconds / impact.half_life_seconds);
}

}  // namespace cascade
