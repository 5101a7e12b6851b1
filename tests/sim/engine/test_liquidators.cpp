// Liquidator capacity on a path small enough to work out by hand: accounts
// beyond the step's capacity wait, below maintenance, in book order, and a
// recovery lets the waiting ones survive.

#include <doctest/doctest.h>

#include <vector>

#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion, no impact; steps of 1h. Three identical longs: 10 units
// entered at 100 with 100 of collateral (10x), maintenance 5 %: liquidation
// price 90 / 0.95 = 94.74. The price jumps to 94 at 2h: all three cross, 940
// of notional each. The liquidators absorb 900 an hour: an account is taken
// whole while any capacity is left, so one a step, in book order (ties by
// account index): steps 2, 3 and 4. Waiting at the ends of steps 2 and 3: 2,
// then 1 account (1,880 of notional at most): 3 account-hours under water.
nlohmann::json three_longs_one_liquidator() {
    auto doc = test::one_long_jump_scenario();
    doc["simulation"]["paths"] = 2;
    doc["shocks"] = {{{"type", "jump"}, {"time", "2h"}, {"size", -0.06}}};
    doc["population"]["cohorts"][0]["accounts"] = 3;
    doc["venue"] = {{"initial_margin", 0.1},
                    {"maintenance_margin", 0.05},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 0.0},
                    {"liquidators", {{"capacity", 900.0}, {"window", "1h"}}}};
    doc["output"]["sample_paths"] = 1;
    return doc;
}

std::vector<std::uint32_t> steps_of(const Results& r) {
    std::vector<std::uint32_t> steps;
    for (const LiquidationEvent& e : r.events) {
        steps.push_back(e.step);
    }
    return steps;
}

}  // namespace

TEST_CASE("liquidator capacity: accounts beyond it wait, in book order") {
    SUBCASE("900 an hour takes one 940 account a step: steps 2, 3, 4") {
        const Results r =
            test::run_on_both_engines(test::scenario_from(three_longs_one_liquidator()));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{2, 3, 4});
        CHECK(r.events[0].account == 0);
        CHECK(r.events[1].account == 1);
        CHECK(r.events[2].account == 2);
        CHECK(r.path_column("liquidations").values[0] == 3.0);
        CHECK(r.path_column("capacity_shortfall_max").values[0] ==
              doctest::Approx(2 * 940.0).epsilon(1e-12));
        CHECK(r.path_column("under_water_time").values[0] == 3 * 3600.0);
        CHECK(r.run.max_ledger_imbalance < 1e-13);
    }
    SUBCASE("capacity for all three: one step, nothing waits") {
        auto doc = three_longs_one_liquidator();
        doc["venue"]["liquidators"]["capacity"] = 2000.0;  // 940 + 940 leaves 120 > 0: all three
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{2, 2, 2});
        CHECK(r.path_column("under_water_time").values[0] == 0.0);
        CHECK(r.path_column("capacity_shortfall_max").values[0] == 0.0);
    }
    SUBCASE("a recovery before the liquidators get to them: the waiting accounts survive") {
        // Back up 2 % at 3h: 95.88, above their liquidation price.
        auto doc = three_longs_one_liquidator();
        doc["shocks"].push_back({{"type", "jump"}, {"time", "3h"}, {"size", 0.02}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{2});
        CHECK(r.path_column("under_water_time").values[0] == 2 * 3600.0);
    }
    SUBCASE("a day's capacity spread over the steps: 21,600 a day is 900 an hour") {
        auto doc = three_longs_one_liquidator();
        doc["venue"]["liquidators"] = {{"capacity", 21600.0}, {"window", "1d"}};
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{2, 3, 4});
    }
}

TEST_CASE("liquidator capacity validation") {
    auto doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"]["capacity"] = 0.0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("/venue/liquidators/capacity"),
                         InputError);
    doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"].erase("window");
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/liquidators/window: required"), InputError);
    doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"].erase("capacity");
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/liquidators/capacity: required"), InputError);
    doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"]["latency"] = "-1min";
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("/venue/liquidators/latency"),
                         InputError);
    doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"]["gas"] = 10.0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/liquidators/gas: unknown key"), InputError);
    doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"]["min_profit"] = -1.0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/liquidators/min_profit"), InputError);
    doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"]["cost"] = "20";
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("/venue/liquidators/cost"),
                         InputError);
}

namespace {

// The three longs of three_longs_one_liquidator (10 units at 100, margin 100,
// liquidation price 94.74), without a capacity, and liquidators whose
// liquidation costs them `cost`. At 94 the penalty is 1 % of 940 = 9.4
// (the equity, 40, does not cap it): the liquidators earn 9.4 - cost, with no
// impact to slip on. Ten hourly steps.
nlohmann::json three_longs_costly_liquidators(double cost) {
    auto doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"] = {{"cost", cost}};
    return doc;
}

}  // namespace

TEST_CASE("liquidators' minimum profit: they pass over an account until it pays") {
    SUBCASE("a cost of 9.3 leaves 0.1: liquidated at step 2") {
        const Results r =
            test::run_on_both_engines(test::scenario_from(three_longs_costly_liquidators(9.3)));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{2, 2, 2});
        CHECK(r.path_column("under_water_time").values[0] == 0.0);
        CHECK(r.path_column("passed_over").values[0] == 0.0);
    }
    SUBCASE("a cost of 9.5: never worth it, below maintenance from step 2 to the end") {
        // Steps 2 to 10 at 94: 9 steps of 3 accounts waiting.
        const Results r =
            test::run_on_both_engines(test::scenario_from(three_longs_costly_liquidators(9.5)));
        CHECK(r.events.empty());
        CHECK(r.path_column("liquidations").values[0] == 0.0);
        CHECK(r.path_column("under_water_time").values[0] == 3 * 9 * 3600.0);
        CHECK(r.path_column("passed_over").values[0] == 3.0);
        // Their losses are open, not bad debt; solvent at 94 (equity 40 each).
        CHECK(r.path_column("bad_debt").values[0] == 0.0);
        CHECK(r.path_column("passed_over_deficit").values[0] == 0.0);
    }
    SUBCASE("passed over into bankruptcy: the deficit is open, not bad debt") {
        // Down 5 % more at 4h, to 89.3: each owes 100 + 10 (89.3 - 100) = -7,
        // and its penalty would be 0: never worth liquidating.
        auto doc = three_longs_costly_liquidators(9.5);
        doc["shocks"].push_back({{"type", "jump"}, {"time", "4h"}, {"size", -0.05}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events.empty());
        CHECK(r.path_column("bad_debt").values[0] == 0.0);
        CHECK(r.path_column("passed_over").values[0] == 3.0);
        CHECK(r.path_column("passed_over_deficit").values[0] ==
              doctest::Approx(3 * 7.0).epsilon(1e-9));
        // Without the floor they go at 94 (step 2) with their penalty, solvent.
        doc["venue"].erase("liquidators");
        const Results plain = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(plain) == std::vector<std::uint32_t>{2, 2, 2});
        CHECK(plain.path_column("passed_over_deficit").values[0] == 0.0);
    }
    SUBCASE("a minimum profit of 1 on a cost of 8.5: 0.1 short, so never") {
        auto doc = three_longs_costly_liquidators(8.5);
        doc["venue"]["liquidators"]["min_profit"] = 1.0;
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events.empty());
        CHECK(r.path_column("passed_over").values[0] == 3.0);
        doc["venue"]["liquidators"]["min_profit"] = 0.85;  // 0.9 left: enough
        CHECK(steps_of(test::run_on_both_engines(test::scenario_from(doc))) ==
              std::vector<std::uint32_t>{2, 2, 2});
    }
    SUBCASE("the price rises into the range where it pays: liquidated then") {
        // Cost 9.45: it pays from 94.5 up, while below 94.74 (still below
        // maintenance). 94 x 1.005 = 94.47 at 3h is not enough; x 1.001 =
        // 94.5645 at 4h is: 9.45645 - 9.45 > 0. Waiting at the ends of steps
        // 2 and 3.
        auto doc = three_longs_costly_liquidators(9.45);
        doc["shocks"].push_back({{"type", "jump"}, {"time", "3h"}, {"size", 0.005}});
        doc["shocks"].push_back({{"type", "jump"}, {"time", "4h"}, {"size", 0.001}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{4, 4, 4});
        CHECK(r.events[0].fill_price == doctest::Approx(94.0 * 1.005 * 1.001).epsilon(1e-12));
        CHECK(r.events[0].penalty == doctest::Approx(9.4 * 1.005 * 1.001).epsilon(1e-12));
        CHECK(r.path_column("under_water_time").values[0] == 2 * 3 * 3600.0);
        CHECK(r.path_column("passed_over").values[0] == 0.0);
    }
    SUBCASE("a rise above maintenance and a fall back: still not worth it, waiting only below") {
        // Cost 9.5. 94 -> x 1.01 = 94.94 at 3h (above 94.74: not waiting in
        // step 3) -> x 0.99 = 93.99 at 4h (below again, worth 9.399): waiting
        // at the ends of steps 2 and 4 to 10, 8 steps.
        auto doc = three_longs_costly_liquidators(9.5);
        doc["shocks"].push_back({{"type", "jump"}, {"time", "3h"}, {"size", 0.01}});
        doc["shocks"].push_back({{"type", "jump"}, {"time", "4h"}, {"size", -0.01}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events.empty());
        CHECK(r.path_column("under_water_time").values[0] == 3 * 8 * 3600.0);
    }
    SUBCASE("their own order's slippage counts against them") {
        // One account; 1e-5 of log price per unit of notional at the
        // initial price: 1e-3 per unit, so its 10 units sell from 94 at an
        // average factor f = (1 - e^-0.01) / 0.01 = 0.9950166. Penalty
        // 0.01 x 940 f = 9.3532, slippage 940 (1 - f) = 4.6844: 4.6688 left.
        auto doc = three_longs_costly_liquidators(4.66);
        doc["population"]["cohorts"][0]["accounts"] = 1;
        doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e-5}};
        CHECK(steps_of(test::run_on_both_engines(test::scenario_from(doc))) ==
              std::vector<std::uint32_t>{2});
        doc["venue"]["liquidators"]["cost"] = 4.68;  // without the slippage, 4.67 would be left
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events.empty());
        CHECK(r.path_column("passed_over").values[0] == 1.0);
    }
    SUBCASE("the backstop vault takes over what the liquidators leave once it sinks far enough") {
        // Cost 9.5: never worth it. The vault takes an account below half its
        // maintenance requirement: 100 + 10 (P - 100) < 0.5 x 0.05 x 10 P,
        // P < 92.31. At 4h the price falls 2 %, to 92.12: taken over in step 4.
        auto doc = three_longs_costly_liquidators(9.5);
        doc["venue"]["backstop"] = {{"maintenance_fraction", 0.5}};
        doc["shocks"].push_back({{"type", "jump"}, {"time", "4h"}, {"size", -0.02}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{4, 4, 4});
        CHECK(r.events[0].backstop == 1);
        CHECK(r.path_column("backstop_takeovers").values[0] == 3.0);
        CHECK(r.path_column("under_water_time").values[0] == 2 * 3 * 3600.0);
        CHECK(r.path_column("passed_over").values[0] == 0.0);
    }
}

TEST_CASE("liquidator latency: an account waits that long below maintenance") {
    // The same three longs, all below maintenance from step 2 (94 < 94.74).
    auto doc = three_longs_one_liquidator();
    doc["venue"]["liquidators"] = {{"latency", "2h"}};
    SUBCASE("2h: all three at step 4, after waiting through steps 2 and 3") {
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{4, 4, 4});
        CHECK(r.path_column("under_water_time").values[0] == 3 * 2 * 3600.0);
        CHECK(r.path_column("capacity_shortfall_max").values[0] == 0.0);
        CHECK(r.run.max_ledger_imbalance < 1e-13);
    }
    SUBCASE("30 min rounds up to a whole step: step 3") {
        doc["venue"]["liquidators"]["latency"] = "30min";
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{3, 3, 3});
        CHECK(r.path_column("under_water_time").values[0] == 3 * 3600.0);
    }
    SUBCASE("0s changes nothing") {
        doc["venue"]["liquidators"]["latency"] = "0s";
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{2, 2, 2});
        CHECK(r.path_column("under_water_time").values[0] == 0.0);
    }
    SUBCASE("a recovery first: they survive; the next crossing starts the clock again") {
        // Back to 96 at 3h (above 94.74), down to 94 again at 5h: a new
        // spell from step 5, liquidated at step 7.
        doc["shocks"].push_back({{"type", "jump"}, {"time", "3h"}, {"size", 96.0 / 94.0 - 1.0}});
        doc["shocks"].push_back({{"type", "jump"}, {"time", "5h"}, {"size", 94.0 / 96.0 - 1.0}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{7, 7, 7});
        CHECK(r.path_column("under_water_time").values[0] == 3 * (1 + 2) * 3600.0);
    }
    SUBCASE("with a capacity of one account an hour: steps 3, 4, 5") {
        doc["venue"]["liquidators"] = {{"capacity", 900.0}, {"window", "1h"}, {"latency", "1h"}};
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(steps_of(r) == std::vector<std::uint32_t>{3, 4, 5});
        // Waiting at the ends of steps 2, 3 and 4: 3, 2 and 1 accounts.
        CHECK(r.path_column("under_water_time").values[0] == (3 + 2 + 1) * 3600.0);
    }
}

}  // namespace cascade
