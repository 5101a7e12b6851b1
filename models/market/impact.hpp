#pragma once
// Market impact of liquidation orders, and its recovery.
//
// The market price is the exogenous price times an impact factor exp(m); the
// impact state m is the log of that factor. Two shapes of impact, both in log
// price, so the price stays positive however much is sold:
//
//   linear       selling q units moves m by -kappa q (buying by +kappa q);
//   square_root  the square-root law: trading q units from rest moves m by
//                -/+ c sqrt(q / V), with V the daily volume in units and
//                c = Y sigma_daily. The state is read as the quantity already
//                traded that would have moved the price this far,
//                q_eq(m) = V (m / c)^2, and a new order moves it along the
//                same concave curve: m' = -c sqrt((q_eq + q) / V) for a sale
//                from m <= 0 (see docs/models.md for the crossing cases).
//                Splitting an order into pieces then costs exactly what the
//                whole order costs, as it should within one step.
//
// The factor never falls below `floor` (an order book is never emptied to
// zero). Between steps m decays towards 0 with the given half-life
// (resilience: market makers refill the book). A block of q units fills at
// the average price over its units along its own impact (at the floor for the
// units sold once the floor is reached).

#include <cmath>
#include <limits>

#include "models/market/elastic_depth.hpp"

namespace cascade {

enum class ImpactShape { none, linear, square_root };

struct ImpactConfig {
    ImpactShape shape = ImpactShape::none;  // none: liquidations never move the price
    // linear: change in log price per unit of quote notional traded, valued at
    // the initial price (how the scenario states it) ...
    double per_notional = 0.0;
    // ... and per unit of the asset: per_notional x initial price. 0: no impact.
    double kappa = 0.0;
    // square_root: the day's traded volume, in quote notional valued at the
    // initial price (how the scenario states it) and in units of the asset ...
    double daily_volume = 0.0;
    double volume_units = 0.0;
    // ... and c = Y x daily volatility: the move in log price of trading the
    // whole day's volume at once. 0: no impact.
    double scale = 0.0;
    double half_life_seconds = std::numeric_limits<double>::infinity();  // inf: permanent
    double floor = 0.0;  // lowest impact factor exp(m); 0 < floor < 1 when impact is on
    double log_floor = -std::numeric_limits<double>::infinity();  // log(floor), once
    ElasticDepth elastic_depth;  // off unless the scenario asks for it

    bool on() const { return kappa != 0.0 || scale != 0.0; }

    // The same book with depth multiplied by `depth` (> 0): the log-price
    // impact of every order from rest divided by `depth`. Linear: kappa /
    // depth. Square root: c / depth (the same as V x depth^2). The floor and
    // the resilience do not change.
    ImpactConfig with_depth(double depth) const {
        ImpactConfig deeper = *this;
        deeper.kappa = kappa / depth;
        deeper.scale = scale / depth;
        return deeper;
    }
};

// A linear impact of `kappa` per unit, as the scenario parser builds it.
inline ImpactConfig linear_impact(
    double kappa, double floor,
    double half_life_seconds = std::numeric_limits<double>::infinity()) {
    ImpactConfig c;
    c.shape = ImpactShape::linear;
    c.kappa = kappa;
    c.floor = floor;
    c.log_floor = std::log(floor);
    c.half_life_seconds = half_life_seconds;
    return c;
}

// A square-root impact: `volume_units` traded per day, c = `scale`.
inline ImpactConfig square_root_impact(
    double volume_units, double scale, double floor,
    double half_life_seconds = std::numeric_limits<double>::infinity()) {
    ImpactConfig c = linear_impact(0.0, floor, half_life_seconds);
    c.shape = ImpactShape::square_root;
    c.volume_units = volume_units;
    c.scale = scale;
    return c;
}

struct ImpactMove {
    double after = 0.0;        // m after the order
    double fill_factor = 1.0;  // average fill over the order's units, / exp(m_before)
};

namespace detail {

// Integrals of e^(-s t) and t e^(-s t) over t in [0, d], s = +1 or -1, without
// cancellation for small d (where the second is about d^2 / 2).
inline double integral_exp(double s, double d) {
    return -std::expm1(-s * d) / s;
}
inline double integral_t_exp(double s, double d) {
    if (d < 1.0) {
        // sum over n >= 0 of (-s)^n d^(n+2) / (n! (n+2)); the 25th term is below 1e-25.
        double term = d * d;  // (-s)^n d^(n+2) / n!
        double sum = 0.0;
        for (int n = 0; n < 25; ++n) {
            sum += term / (n + 2);
            term *= -s * d / (n + 1);
        }
        return sum;
    }
    // s = 1: 1 - (1 + d) e^-d, at least 0.26 here; s = -1: (d - 1) e^d + 1, all terms >= 0.
    return s > 0 ? -std::expm1(-d) - d * std::exp(-d) : (d - 1.0) * std::exp(d) + 1.0;
}

}  // namespace detail

// Square-root impact of a net order of `net_sold` units from state `m`.
//
// Along one branch of the curve (sales: m = -x, buys: m = +x, x >= 0) the
// quantity traded from rest to x is k x^2, k = V / c^2, and the price factor is
// e^(-s x) (s = +1 for the sale branch, -1 for the buy branch). The value of
// the units between x = a and x = b (a <= b), relative to the price at the
// point the walk starts from, is
//   walking out from a:  2k [a I0(s, b - a) + I1(s, b - a)]
//   walking in from b:   2k [b I0(-s, b - a) - I1(-s, b - a)]
// with I0(s, d) = int_0^d e^(-s t) dt and I1(s, d) = int_0^d t e^(-s t) dt.
// An order against the state's branch first walks in to 0, then out on the
// other branch. The fill factor is the total value over the units, relative
// to exp(m).
inline ImpactMove apply_square_root_impact(const ImpactConfig& impact, double m, double net_sold) {
    if (impact.scale == 0.0 || net_sold == 0.0) {
        return {m, 1.0};
    }
    const double k = impact.volume_units / (impact.scale * impact.scale);
    const double s = net_sold > 0.0 ? 1.0 : -1.0;  // the branch this order walks out on
    const double units = std::abs(net_sold);
    double value = 0.0;  // of the units filled so far, relative to exp(m)
    double left = units;
    double start = 0.0;        // x where the outward walk starts
    double start_price = 1.0;  // its price factor, relative to exp(m)
    const bool against = s > 0 ? m > 0.0 : m < 0.0;
    if (against) {
        // Walk in along the other branch (s_b = -s) towards 0.
        const double b = std::abs(m);
        const double held = k * b * b;  // units that bring the state back to 0
        if (left <= held) {
            const double a = std::sqrt(b * b - left / k);
            value =
                2.0 * k * (b * detail::integral_exp(s, b - a) - detail::integral_t_exp(s, b - a));
            return {s > 0 ? a : -a, value / units};
        }
        value = 2.0 * k * (b * detail::integral_exp(s, b) - detail::integral_t_exp(s, b));
        left -= held;
        start_price = std::exp(-m);
    } else {
        start = std::abs(m);
    }
    // Walk out on branch s from `start`.
    double end = std::sqrt(start * start + left / k);
    const double x_floor = -impact.log_floor;  // sales stop here
    double at_floor = 0.0;                     // units left to fill at the floor
    if (s > 0 && end > x_floor) {
        end = x_floor > start ? x_floor : start;
        at_floor = left - k * (end * end - start * start);
    }
    const double d = end - start;
    value +=
        start_price * 2.0 * k * (start * detail::integral_exp(s, d) + detail::integral_t_exp(s, d));
    if (at_floor > 0.0) {
        value += at_floor * std::exp(impact.log_floor - m);
    }
    return {s > 0 ? -end : end, value / units};
}

// Impact of a net order of `net_sold` units (negative: net bought), from state `m`.
inline ImpactMove apply_impact(const ImpactConfig& impact, double m, double net_sold) {
    if (impact.shape == ImpactShape::square_root) {
        return apply_square_root_impact(impact, m, net_sold);
    }
    if (impact.kappa == 0.0 || net_sold == 0.0) {
        return {m, 1.0};
    }
    double after = m - impact.kappa * net_sold;
    if (after < impact.log_floor) {
        after = impact.log_floor;
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
