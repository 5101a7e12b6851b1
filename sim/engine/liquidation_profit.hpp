#pragma once
// What a liquidation earns the liquidators, and the market prices at which it
// would earn them at least their minimum (docs/models.md#liquidators).
//
// Liquidating q units of an account whose margin for them is C and whose
// entry price, moved by funding, is E, at the pre-round market price P: its
// order alone fills at P f (f: the order's average fill factor along its own
// impact, below 1 for a sale, above for a purchase), where the account's
// equity is e = C + s q (P f - E) (s = +1 long, -1 short). The liquidators
// earn the penalty, capped at that equity and nothing when it is negative,
// and bear the order's slippage and a cost per liquidation:
//
//   profit(P) = max(0, min(pi q P f, e)) - q P |1 - f| - cost.
//
// With f held, both terms of the min are linear in P, so the prices where
// profit >= min_profit (>= 0, cost >= 0) form one interval [lo, hi]: the
// penalty term grows with P, the equity term grows for a long and falls for
// a short, and the slippage grows. (Below zero equity the profit is at most
// -cost - slippage, which clears a floor of min_profit >= 0 only when all
// three are 0, where every price does.)

#include <algorithm>
#include <cmath>
#include <limits>

namespace cascade {

struct LiquidationTerms {
    double sign = 1.0;          // s: +1 long (its order sells), -1 short (buys)
    double units = 0.0;         // q
    double collateral = 0.0;    // C: the margin of those units
    double entry = 0.0;         // E: the entry price, moved by the funding index
    double fill_factor = 1.0;   // f: the order's average fill over the pre-round price
    double penalty_rate = 0.0;  // pi
    double cost = 0.0;          // per liquidation
};

// The liquidators' profit at pre-round market price `price`.
inline double liquidation_profit(const LiquidationTerms& t, double price) {
    const double fill = price * t.fill_factor;
    const double equity = t.collateral + t.sign * t.units * (fill - t.entry);
    const double reward = equity > 0.0 ? std::min(t.penalty_rate * t.units * fill, equity) : 0.0;
    return reward - t.units * std::abs(price - fill) - t.cost;
}

// The market prices at which the liquidation would earn at least
// `min_profit`, f held: [lo, hi], empty when lo > hi. Each of the two linear
// conditions a P >= b bounds P from one side.
struct PriceInterval {
    double lo = 0.0;
    double hi = std::numeric_limits<double>::infinity();

    bool empty() const { return !(lo <= hi); }
    bool contains(double price) const { return lo <= price && price <= hi; }
};

inline PriceInterval profitable_prices(const LiquidationTerms& t, double min_profit) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const double q = t.units;
    const double slip = q * std::abs(1.0 - t.fill_factor);  // slippage per unit of price
    PriceInterval range;
    const auto bound = [&range](double a, double b) {  // a P >= b, P > 0
        if (a > 0.0) {
            range.lo = std::max(range.lo, b / a);
        } else if (a < 0.0) {
            range.hi = std::min(range.hi, b / a);
        } else if (b > 0.0) {
            range.lo = kInf;  // never
        }
    };
    // The penalty term: pi q f P - slip P - cost >= min_profit.
    bound(t.penalty_rate * q * t.fill_factor - slip, min_profit + t.cost);
    // The equity term: C + s q (f P - E) - slip P - cost >= min_profit.
    bound(t.sign * q * t.fill_factor - slip,
          min_profit + t.cost - t.collateral + t.sign * q * t.entry);
    return range;
}

}  // namespace cascade
