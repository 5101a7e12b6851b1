// The liquidators' profit and the closed-form range of prices where it
// clears their floor (sim/engine/liquidation_profit.hpp), against the
// definition itself on a grid of prices, for longs and shorts.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "sim/engine/liquidation_profit.hpp"
#include "sim/random/streams.hpp"

namespace cascade {

TEST_CASE("liquidation profit by hand: penalty, capped at the equity, less slippage and cost") {
    // A long of 10 units entered at 100 with 100 of margin, sold at 94 x 0.99.
    const LiquidationTerms terms{1.0, 10.0, 100.0, 100.0, 0.99, 0.01, 2.0};
    // Fill 93.06: equity 100 + 10 (93.06 - 100) = 30.6; penalty 9.306;
    // slippage 10 x 0.94 = 9.4: 9.306 - 9.4 - 2.
    CHECK(liquidation_profit(terms, 94.0) == doctest::Approx(9.306 - 9.4 - 2.0).epsilon(1e-12));
    // At 90 x 0.99 = 89.1 the equity is negative: no penalty, the slippage and the cost.
    CHECK(liquidation_profit(terms, 90.0) == doctest::Approx(-9.0 - 2.0).epsilon(1e-12));
    // The equity caps the penalty: at 91 the fill is 90.09, equity 0.9 < 9.009.
    CHECK(liquidation_profit(terms, 91.0) == doctest::Approx(0.9 - 9.1 - 2.0).epsilon(1e-12));
    // A short of 10 at 100 with 100 of margin, bought at 106 x 1.01 = 107.06:
    // equity 29.4, penalty 10.706, slippage 10.6.
    const LiquidationTerms short_terms{-1.0, 10.0, 100.0, 100.0, 1.01, 0.01, 0.0};
    CHECK(liquidation_profit(short_terms, 106.0) == doctest::Approx(10.706 - 10.6).epsilon(1e-12));
}

TEST_CASE("the profitable range of prices is where the profit clears the floor") {
    Rng rng = make_stream(20261123, 0, StreamPurpose::population);
    const auto uniform = [&rng](double lo, double hi) { return lo + (hi - lo) * uniform01(rng); };
    int non_empty = 0;
    int bounded_above = 0;
    for (int trial = 0; trial < 2000; ++trial) {
        const bool is_long = trial % 2 == 0;
        LiquidationTerms t;
        t.sign = is_long ? 1.0 : -1.0;
        t.units = uniform(0.1, 100.0);
        t.entry = 100.0;
        t.collateral = t.units * t.entry * uniform(0.01, 0.5);  // 2x to 100x
        t.fill_factor = is_long ? uniform(0.9, 1.0) : uniform(1.0, 1.1);
        t.penalty_rate = uniform(0.0, 0.05);
        t.cost = uniform(0.0, 50.0);
        const double floor = uniform(0.0, 20.0);
        INFO("trial " << trial);
        const PriceInterval range = profitable_prices(t, floor);
        non_empty += range.empty() ? 0 : 1;
        bounded_above += !range.empty() && std::isfinite(range.hi) ? 1 : 0;
        for (int k = 0; k <= 400; ++k) {
            const double price = 10.0 + k * 0.5;  // 10 to 210
            // Away from the ends (rounding decides there).
            const bool inside =
                !range.empty() && price > range.lo * (1 + 1e-9) && price < range.hi * (1 - 1e-9);
            const bool outside =
                range.empty() || price < range.lo * (1 - 1e-9) || price > range.hi * (1 + 1e-9);
            const double profit = liquidation_profit(t, price);
            if (inside) {
                CHECK(profit >= floor);
            } else if (outside) {
                CHECK(profit < floor);
            }
        }
    }
    // Both kinds of range happen: for shorts the equity falls with the price.
    CHECK(non_empty > 300);
    CHECK(bounded_above > 100);
}

}  // namespace cascade
