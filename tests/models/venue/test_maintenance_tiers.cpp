// The tiered maintenance margin: amounts that make the requirement continuous,
// liquidation prices by hand in the first bracket, in a higher one and exactly
// at a cap, and the one-bracket table as the flat rule bit for bit.

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "models/venue/venue.hpp"
#include "sim/random/streams.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// The last bracket's cap: it has none.
constexpr double kNoCap = std::numeric_limits<double>::infinity();

// The first four brackets of Binance's BTCUSDT table of 2021-03-18 (the
// amounts it publishes: 0, 50, 1,300, 16,300), the last without a cap.
std::vector<MaintenanceBracket> binance_like() {
    std::vector<MaintenanceBracket> tiers = {
        {50'000.0, 0.004, 0.0}, {250'000.0, 0.005, 0.0}, {1e6, 0.01, 0.0}, {kNoCap, 0.025, 0.0}};
    set_maintenance_amounts(tiers);
    return tiers;
}

double equity(Side side, double size, double entry, double collateral, double price) {
    return collateral + sign(side) * size * (price - entry);
}

// Checks that `price` is where equity meets the tiered requirement: equal to
// rounding there, and the direct test flips across it.
void check_crossing(const std::vector<MaintenanceBracket>& tiers, Side side, double size,
                    double entry, double collateral, double price) {
    const double requirement = maintenance_requirement(tiers, size, price);
    CHECK(equity(side, size, entry, collateral, price) ==
          doctest::Approx(requirement).epsilon(1e-9));
    const double outward = side == Side::long_side ? 1.0 - 1e-9 : 1.0 + 1e-9;
    const double inward = side == Side::long_side ? 1.0 + 1e-9 : 1.0 - 1e-9;
    CHECK(below_maintenance(side, size, entry, collateral, tiers, price * outward));
    CHECK(!below_maintenance(side, size, entry, collateral, tiers, price * inward));
}

}  // namespace

TEST_CASE("maintenance amounts make the tiered requirement continuous at every cap") {
    const auto tiers = binance_like();
    // Binance's published amounts, from the caps and rates alone.
    const double published[] = {0.0, 50.0, 1'300.0, 16'300.0};
    for (std::size_t b = 0; b < tiers.size(); ++b) {
        CHECK(tiers[b].amount == doctest::Approx(published[b]).epsilon(1e-12));
    }
    // At each cap both brackets ask the same, by hand: 0.4 % of 50,000 = 200,
    // 0.5 % of 250,000 - 50 = 1,200, 1 % of 1,000,000 - 1,300 = 8,700.
    const double at_cap[] = {200.0, 1'200.0, 8'700.0};
    for (std::size_t b = 0; b + 1 < tiers.size(); ++b) {
        const double cap = tiers[b].notional_cap;
        INFO("cap " << cap);
        const double below = tiers[b].rate * cap - tiers[b].amount;
        const double above = tiers[b + 1].rate * cap - tiers[b + 1].amount;
        CHECK(below == doctest::Approx(at_cap[b]).epsilon(1e-12));
        CHECK(above == doctest::Approx(at_cap[b]).epsilon(1e-12));
        // The table lookup on either side of the cap: no jump.
        CHECK(maintenance_requirement(tiers, 1.0, cap * (1 - 1e-12)) ==
              doctest::Approx(at_cap[b]).epsilon(1e-9));
        CHECK(maintenance_requirement(tiers, 1.0, cap * (1 + 1e-12)) ==
              doctest::Approx(at_cap[b]).epsilon(1e-9));
        // The cap itself belongs to the bracket it closes.
        CHECK(&maintenance_bracket(tiers, cap) == &tiers[b]);
    }
    // Convex: the requirement is the largest of the brackets' lines.
    for (double notional : {1.0, 3e4, 5e4, 7e4, 2.5e5, 6e5, 1e6, 3e6, 1e9}) {
        double largest = -std::numeric_limits<double>::infinity();
        for (const MaintenanceBracket& b : tiers) {
            largest = std::max(largest, b.rate * notional - b.amount);
        }
        CHECK(maintenance_requirement(tiers, 1.0, notional) ==
              doctest::Approx(largest).epsilon(1e-12));
    }
}

TEST_CASE("tiered liquidation prices by hand: first bracket, a higher one, exactly at a cap") {
    const auto tiers = binance_like();
    SUBCASE("first bracket: 1 BTC long at 20,000 with 2,000, and the short") {
        // Bankruptcy 18,000; 18,000 / 0.996, notional 18,072 < 50,000.
        const double p = liquidation_price(Side::long_side, 1.0, 20'000.0, 2'000.0, tiers);
        CHECK(p == doctest::Approx(18'000.0 / 0.996).epsilon(1e-14));
        check_crossing(tiers, Side::long_side, 1.0, 20'000.0, 2'000.0, p);
        const double s = liquidation_price(Side::short_side, 1.0, 20'000.0, 2'000.0, tiers);
        CHECK(s == doctest::Approx(22'000.0 / 1.004).epsilon(1e-14));
        check_crossing(tiers, Side::short_side, 1.0, 20'000.0, 2'000.0, s);
    }
    SUBCASE("fourth bracket: 100 BTC long at 20,000 with 200,000, and the short") {
        // Bankruptcy 18,000; (18,000 - 16,300 / 100) / (1 - 0.025) = 18,294.36,
        // notional 1.83 million: in the bracket above 1 million. The first
        // bracket's rate alone would give 18,072.29, a later liquidation.
        const double p = liquidation_price(Side::long_side, 100.0, 20'000.0, 200'000.0, tiers);
        CHECK(p == doctest::Approx(17'837.0 / 0.975).epsilon(1e-13));
        CHECK(100.0 * p > 1e6);
        check_crossing(tiers, Side::long_side, 100.0, 20'000.0, 200'000.0, p);
        // Bankruptcy 22,000; (22,000 + 163) / 1.025 = 21,622.44.
        const double s = liquidation_price(Side::short_side, 100.0, 20'000.0, 200'000.0, tiers);
        CHECK(s == doctest::Approx(22'163.0 / 1.025).epsilon(1e-13));
        check_crossing(tiers, Side::short_side, 100.0, 20'000.0, 200'000.0, s);
    }
    SUBCASE("at a cap: the liquidation notional is exactly 250,000") {
        // 10 BTC long at 27,000 with 21,200: at 25,000 the equity is 1,200, the
        // requirement at the cap. Bankruptcy 24,880; the second bracket's root
        // (24,880 - 5) / 0.995 and the third's (24,880 - 130) / 0.99 are both
        // 25,000.
        const double p = liquidation_price(Side::long_side, 10.0, 27'000.0, 21'200.0, tiers);
        CHECK(p == doctest::Approx(25'000.0).epsilon(1e-14));
        check_crossing(tiers, Side::long_side, 10.0, 27'000.0, 21'200.0, p);
        // The short mirror: entry 23,000, bankruptcy 25,120; (25,120 + 5) / 1.005
        // and (25,120 + 130) / 1.01 are 25,000.
        const double s = liquidation_price(Side::short_side, 10.0, 23'000.0, 21'200.0, tiers);
        CHECK(s == doctest::Approx(25'000.0).epsilon(1e-14));
        check_crossing(tiers, Side::short_side, 10.0, 23'000.0, 21'200.0, s);
    }
    SUBCASE("a long without leverage is never liquidated") {
        CHECK(liquidation_price(Side::long_side, 10.0, 100.0, 1'000.0, tiers) == 0.0);
        CHECK(liquidation_price(Side::long_side, 10.0, 100.0, 1'500.0, tiers) == 0.0);
        // Equity 510 at a price of 1, against a requirement of 0.04.
        CHECK(!below_maintenance(Side::long_side, 10.0, 100.0, 1'500.0, tiers, 1.0));
    }
}

TEST_CASE("a tiered price is where equity meets the requirement, on random accounts") {
    const auto tiers = binance_like();
    Rng rng = make_stream(11, 0, StreamPurpose::population);
    for (int i = 0; i < 2000; ++i) {
        const Side side = i % 2 == 0 ? Side::long_side : Side::short_side;
        const double entry = 20'000.0 * (0.9 + 0.2 * uniform01(rng));
        const double size = std::exp(-3.0 + 10.0 * uniform01(rng));  // 0.05 to 1,100 BTC
        const double leverage = 1.5 + 18.0 * uniform01(rng);
        const double collateral = size * entry / leverage;
        const double p = liquidation_price(side, size, entry, collateral, tiers);
        INFO("account " << i << ": size " << size << ", leverage " << leverage);
        check_crossing(tiers, side, size, entry, collateral, p);
    }
}

TEST_CASE("a one-bracket table is the flat maintenance margin, bit for bit") {
    const std::vector<MaintenanceBracket> one = {{kNoCap, 0.0125, 0.0}};
    Rng rng = make_stream(12, 0, StreamPurpose::population);
    for (int i = 0; i < 1000; ++i) {
        const Side side = i % 2 == 0 ? Side::long_side : Side::short_side;
        const double entry = 100.0 * (0.5 + uniform01(rng));
        const double size = std::exp(10.0 * uniform01(rng));
        const double collateral = size * entry / (1.0 + 39.0 * uniform01(rng));
        CHECK(test::same_bits(liquidation_price(side, size, entry, collateral, one),
                              liquidation_price(side, size, entry, collateral, 0.0125)));
        const double price = 100.0 * (0.3 + 1.4 * uniform01(rng));
        CHECK(test::same_bits(maintenance_requirement(one, size, price), 0.0125 * size * price));
        CHECK(below_maintenance(side, size, entry, collateral, one, price) ==
              below_maintenance(side, size, entry, collateral, 0.0125, price));
    }
}

}  // namespace cascade
