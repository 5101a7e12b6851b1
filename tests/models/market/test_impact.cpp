// Log-linear impact: the move, the floor, the fill averaged over the units,
// and resilience.

#include <doctest/doctest.h>

#include <cmath>

#include "models/market/impact.hpp"

namespace cascade {

TEST_CASE("a sale walks the book down, and its fill is the average over its units") {
    const ImpactConfig impact = linear_impact(0.01, 1e-9);
    const ImpactMove sale = apply_impact(impact, 0.0, 10.0);  // kappa Q = 0.1
    CHECK(sale.after == doctest::Approx(-0.1).epsilon(1e-15));
    // mean of exp(-kappa u) over u in [0, 10]: (1 - e^-0.1) / 0.1
    CHECK(sale.fill_factor == doctest::Approx((1 - std::exp(-0.1)) / 0.1).epsilon(1e-14));
    const ImpactMove purchase = apply_impact(impact, 0.0, -10.0);
    CHECK(purchase.after == doctest::Approx(0.1).epsilon(1e-15));
    CHECK(purchase.fill_factor == doctest::Approx((std::exp(0.1) - 1) / 0.1).epsilon(1e-14));
    const ImpactMove nothing = apply_impact(impact, -0.3, 0.0);
    CHECK(nothing.after == -0.3);
    CHECK(nothing.fill_factor == 1.0);
}

TEST_CASE("at the floor, the rest of the order fills at the floor price") {
    const ImpactConfig impact = linear_impact(0.01, 0.95);
    const ImpactMove sale = apply_impact(impact, 0.0, 10.0);
    const double d = -std::log(0.95);  // the move the floor allows
    CHECK(sale.after == doctest::Approx(std::log(0.95)).epsilon(1e-15));
    // The first d / kappa units walk from 1 to 0.95; the other 10 - d / kappa fill at 0.95.
    const double expected = ((1 - 0.95) / 0.01 + (10 - d / 0.01) * 0.95) / 10;
    CHECK(sale.fill_factor == doctest::Approx(expected).epsilon(1e-14));
    CHECK(sale.fill_factor > 0.95);
    // Already at the floor: a further sale fills at the floor.
    const ImpactMove more = apply_impact(impact, std::log(0.95), 5.0);
    CHECK(more.after == std::log(0.95));
    CHECK(more.fill_factor == doctest::Approx(1.0).epsilon(1e-15));
}

TEST_CASE("impact halves every half-life") {
    const ImpactConfig impact = linear_impact(0.01, 0.01, 600.0);
    const double per_step = impact_decay_per_step(impact, 60.0);
    CHECK(std::pow(per_step, 10) == doctest::Approx(0.5).epsilon(1e-14));
    CHECK(impact_decay_per_step(ImpactConfig{}, 60.0) == 1.0);  // permanent
}

}  // namespace cascade
