// Perpetual funding on a path small enough to work out by hand: the rate
// formula, the index paid every interval, the liquidation price it moves, the
// settlement it enters, and that funding at a zero rate changes nothing.

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "sim/engine/funding_tracker.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion, no shock, no impact: the price stays at 100 and the premium
// of the market over the index is 0, so every hour the rate is the interest
// rate, 1.2 % (the band of 1 lets it through whole), and every position pays
// 1.2 % of 100 = 1.2 per unit: the index F is 1.2 k after k hours.
//
// The long: 10 units entered at 100 with 100 of collateral (10x), maintenance
// 5 %, penalty 1 %. Its equity is 100 + 10 (100 - 100 - F) = 100 - 10 F,
// its requirement 50: it is liquidated once F > 5, i.e. in step 6 (F = 6,
// paid at the end of step 5), at the liquidation price (90 + 6) / 0.95 =
// 101.05 in force then, filled at 100: equity 40, penalty 10. (Not 1 % an
// hour: F = 5 would put the price exactly on the liquidation price, where
// rounding decides.)
// The short (same terms) receives the funding: its liquidation price
// (110 + F) / 1.05 rises, and it is never liquidated.
nlohmann::json funded(const std::string& interval = "1h", double interest = 0.012) {
    auto doc = test::one_long_jump_scenario();
    doc["simulation"]["paths"] = 2;
    doc["shocks"] = nlohmann::json::array();
    doc["population"]["cohorts"].push_back({{"name", "short"},
                                            {"side", "short"},
                                            {"accounts", 1},
                                            {"leverage", 10.0},
                                            {"notional", 1000.0}});
    doc["venue"] = {{"initial_margin", 0.1},
                    {"maintenance_margin", 0.05},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 0.0},
                    {"funding",
                     {{"interval", interval},
                      {"interest_rate", interest},
                      {"interest_band", 1.0},
                      {"cap", 0.1}}}};
    doc["output"]["sample_paths"] = 2;
    return doc;
}

}  // namespace

TEST_CASE("funding rate: premium plus the clamped interest term, capped (Binance, Hyperliquid)") {
    FundingConfig config;
    config.enabled = true;
    config.interval_seconds = config.period_seconds = 8 * 3600;
    config.interest_rate = 0.0001;
    config.interest_band = 0.0005;
    config.cap = 0.004;
    // Premium 0.2 %: interest - premium = -0.19 % is clamped to -0.05 %.
    CHECK(FundingTracker::rate(config, 0.002) == doctest::Approx(0.0015).epsilon(1e-12));
    // Premium 0.003 %: the interest term closes the gap to 0.01 % exactly.
    CHECK(FundingTracker::rate(config, 0.00003) == doctest::Approx(0.0001).epsilon(1e-12));
    // A deep discount (-1 %) pays the shorts' side, up to the cap.
    CHECK(FundingTracker::rate(config, -0.01) == -0.004);
    CHECK(FundingTracker::rate(config, 0.01) == 0.004);
    // Hyperliquid: the 8-hour rate, paid an eighth every hour; its example,
    // a 1 % premium: 1 % - 0.05 % = 0.95 % for 8 h, 0.11875 % an hour.
    config.interval_seconds = 3600;
    config.period_seconds = 8 * 3600;
    config.cap = 0.04;
    CHECK(FundingTracker::rate(config, 0.01) == doctest::Approx(0.0095 / 8).epsilon(1e-12));
}

TEST_CASE("funding moves the liquidation price by the funding index") {
    SUBCASE("1.2 % an hour: the long is liquidated in step 6, at (90 + 6) / 0.95") {
        const Results r = test::run_on_both_engines(test::scenario_from(funded()));
        REQUIRE(r.events.size() == 2);  // the long, on each path
        const LiquidationEvent& e = r.events.front();
        CHECK(e.side == 1);
        CHECK(e.step == 6);
        CHECK(e.size == 10.0);
        CHECK(e.trigger_price == doctest::Approx(96.0 / 0.95).epsilon(1e-12));
        CHECK(e.fill_price == doctest::Approx(100.0).epsilon(1e-12));
        CHECK(e.penalty == doctest::Approx(10.0).epsilon(1e-12));
        CHECK(e.shortfall == 0.0);
        // The long's PnL at its funding-shifted entry 106: it lost 60, kept 30
        // after the penalty; the counterparty gained the 60.
        CHECK(r.path_column("penalties_collected").values[0] == doctest::Approx(10.0));
        CHECK(r.path_column("funding_index").values[0] == doctest::Approx(12.0).epsilon(1e-12));
        CHECK(r.run.max_ledger_imbalance < 1e-13);
    }
    SUBCASE("3-hourly funding reaches only F = 3.6 in 10 hours: nobody is liquidated") {
        const Results r = test::run_on_both_engines(test::scenario_from(funded("3h")));
        CHECK(r.events.empty());
        CHECK(r.path_column("funding_index").values[0] == doctest::Approx(3.6).epsilon(1e-12));
    }
    SUBCASE("a negative rate: the longs receive, the short is liquidated instead") {
        // F = -1.2 k after k hours: the short's equity 100 - 10 (100 - (100 +
        // F)) = 100 + 10 F falls below 50 once F < -5, in step 6 at
        // (110 - 6) / 1.05.
        const Results r = test::run_on_both_engines(test::scenario_from(funded("1h", -0.012)));
        REQUIRE(r.events.size() == 2);
        const LiquidationEvent& e = r.events.front();
        CHECK(e.side == -1);
        CHECK(e.step == 6);
        CHECK(e.trigger_price == doctest::Approx(104.0 / 1.05).epsilon(1e-12));
        CHECK(r.path_column("funding_index").values[0] == doctest::Approx(-12.0).epsilon(1e-12));
    }
}

TEST_CASE("funding at a zero rate changes nothing") {
    auto with = test::two_sided_crash_scenario();
    with["market"]["impact"] = {{"model", "none"}};  // no premium
    auto without = with;
    with["venue"]["funding"] = {
        {"interval", "1h"}, {"interest_rate", 0.0}, {"interest_band", 0.0}, {"cap", 0.01}};
    const Results a = run_simulation(test::scenario_from(with));
    const Results b = run_simulation(test::scenario_from(without));
    test::check_same_paths(a, b);
    CHECK(a.events.size() == b.events.size());
}

TEST_CASE("funding validation") {
    auto doc = funded();
    doc["venue"]["funding"].erase("cap");
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/funding/cap: required"), InputError);
    doc = funded("10min");  // steps of 1h
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/funding/interval: must be at least half a time "
                                           "step"),
                         InputError);
    doc = funded();
    doc["venue"]["funding"]["cap"] = 0.0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("/venue/funding/cap"),
                         InputError);
    doc = funded();
    doc["venue"].erase("maintenance_margin");
    doc["venue"]["maintenance_tiers"] = {{{"notional_cap", 1e4}, {"rate", 0.01}}, {{"rate", 0.02}}};
    CHECK_THROWS_WITH_AS(
        test::scenario_from(doc),
        doctest::Contains("/venue/funding: funding shifts every liquidation price"), InputError);
}

}  // namespace cascade
