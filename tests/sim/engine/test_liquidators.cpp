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
    doc["venue"]["liquidators"]["min_profit"] = 10.0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/liquidators/min_profit: unknown key"),
                         InputError);
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
