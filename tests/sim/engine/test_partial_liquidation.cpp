// Partial liquidation on a path small enough to work out by hand: one 10x
// long, a price that steps down, chunks at the expected steps and sizes, the
// margin each chunk leaves behind, the re-armed liquidation prices, the
// cooldown, the limit on partials, the notional floor, and that the mechanism
// switched off changes nothing.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion, no impact: every fill is the price itself. Steps of 1h; the
// price is 100, then 94 from step 2 (jump at 2h), 93 from step 3, 92 from
// step 5.
//
// The long: 10 units entered at 100 with 100 of collateral (10x); maintenance
// 5 %, penalty 1 %. Liquidation price (100 - 100 / 10) / 0.95 = 94.737.
// Partial liquidation: 25 % of what is open, positions of 500 or more (at the
// triggering price), at most 2 partials, a 2h cooldown.
//
// Step 2, price 94: notional 940, equity 100 + 10 (94 - 100) = 40 > 0: a
//   partial. 2.5 units close with 25 of collateral: PnL -15, equity 10,
//   penalty 0.01 x 2.5 x 94 = 2.35, 7.65 kept as margin. Left: 7.5 units with
//   75 + 7.65 = 82.65, liquidation price (100 - 82.65 / 7.5) / 0.95 = 93.663.
//   Cooling down until step 4.
// Step 3, price 93: below 93.663, but cooling down.
// Step 4, price 93: the second partial. Notional 697.5, equity 82.65 - 52.5 =
//   30.15 > 0. 1.875 units close with 20.6625: PnL -13.125, equity 7.5375,
//   penalty 1.74375, 5.79375 kept. Left: 5.625 units with 67.78125,
//   liquidation price (100 - 67.78125 / 5.625) / 0.95 = 92.579. Until step 6.
// Step 5, price 92: below 92.579, cooling down.
// Step 6, price 92: 2 partials done: the rest closes in full. Equity
//   67.78125 + 5.625 (92 - 100) = 22.78125, penalty 5.175.
nlohmann::json stepping_down(const std::string& cooldown = "2h") {
    auto doc = test::one_long_jump_scenario();
    doc["simulation"]["paths"] = 2;
    doc["shocks"] = {{{"type", "jump"}, {"time", "2h"}, {"size", 94.0 / 100.0 - 1.0}},
                     {{"type", "jump"}, {"time", "3h"}, {"size", 93.0 / 94.0 - 1.0}},
                     {{"type", "jump"}, {"time", "5h"}, {"size", 92.0 / 93.0 - 1.0}}};
    doc["venue"] = {{"initial_margin", 0.1},
                    {"maintenance_margin", 0.05},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 0.0},
                    {"partial_liquidation",
                     {{"close_factor", 0.25},
                      {"min_notional", 500.0},
                      {"max_partials", 2},
                      {"cooldown", cooldown}}}};
    return doc;
}

struct Chunk {
    std::uint32_t step;
    double size;
    double trigger;
    double fill;
    double penalty;
};

void check_chunks(const Results& r, const std::vector<Chunk>& expected) {
    std::vector<LiquidationEvent> events;
    for (const LiquidationEvent& e : r.events) {
        if (e.path == 0) {
            events.push_back(e);
        }
    }
    REQUIRE(events.size() == expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) {
        INFO("liquidation " << k);
        CHECK(events[k].step == expected[k].step);
        CHECK(events[k].account == 0);
        CHECK(events[k].size == doctest::Approx(expected[k].size).epsilon(1e-12));
        CHECK(events[k].trigger_price == doctest::Approx(expected[k].trigger).epsilon(1e-12));
        CHECK(events[k].fill_price == doctest::Approx(expected[k].fill).epsilon(1e-12));
        CHECK(events[k].penalty == doctest::Approx(expected[k].penalty).epsilon(1e-12));
        CHECK(events[k].shortfall == 0.0);
    }
}

const double kFirstTrigger = 90.0 / 0.95;
const double kSecondTrigger = (100.0 - 82.65 / 7.5) / 0.95;
const double kThirdTrigger = (100.0 - 67.78125 / 5.625) / 0.95;

}  // namespace

TEST_CASE("partial liquidation: the expected chunks at the expected steps") {
    SUBCASE("a 2h cooldown: chunks at steps 2 and 4, the rest at step 6") {
        const Results r = test::run_on_both_engines(test::scenario_from(stepping_down()));
        check_chunks(r, {{2, 2.5, kFirstTrigger, 94.0, 2.35},
                         {4, 1.875, kSecondTrigger, 93.0, 1.74375},
                         {6, 5.625, kThirdTrigger, 92.0, 5.175}});
        CHECK(r.path_column("liquidations").values[0] == 3.0);
        CHECK(r.path_column("partial_liquidations").values[0] == 2.0);
        CHECK(r.path_column("penalties_collected").values[0] ==
              doctest::Approx(2.35 + 1.74375 + 5.175).epsilon(1e-12));
        CHECK(r.path_column("liquidated_notional").values[0] ==
              doctest::Approx(2.5 * 94 + 1.875 * 93 + 5.625 * 92).epsilon(1e-12));
        CHECK(r.path_column("bad_debt").values[0] == 0.0);
        CHECK(r.run.max_ledger_imbalance < 1e-13);
        // One account, liquidated three times.
        CHECK(r.cohorts[0].liquidated_accounts_mean == 1.0);
        // Open interest: 10 units, 7.5 after step 2, 5.625 after step 4, none after step 6.
        const auto open_series =
            std::find_if(r.series.begin(), r.series.end(),
                         [](const StepSeries& s) { return s.info.name == "open_interest"; });
        REQUIRE(open_series != r.series.end());
        const StepSeries& open = *open_series;
        CHECK(open.mean[1] == 10.0);
        CHECK(open.mean[2] == doctest::Approx(7.5).epsilon(1e-12));
        CHECK(open.mean[5] == doctest::Approx(5.625).epsilon(1e-12));
        CHECK(open.mean[6] == doctest::Approx(0.0));
    }
    SUBCASE("no cooldown: the second chunk as soon as the price crosses again, at step 3") {
        const Results r = test::run_on_both_engines(test::scenario_from(stepping_down("0s")));
        check_chunks(r, {{2, 2.5, kFirstTrigger, 94.0, 2.35},
                         {3, 1.875, kSecondTrigger, 93.0, 1.74375},
                         {5, 5.625, kThirdTrigger, 92.0, 5.175}});
    }
    SUBCASE("a cooldown shorter than a step still waits for the next step") {
        const Results r = test::run_on_both_engines(test::scenario_from(stepping_down("30min")));
        check_chunks(r, {{2, 2.5, kFirstTrigger, 94.0, 2.35},
                         {3, 1.875, kSecondTrigger, 93.0, 1.74375},
                         {5, 5.625, kThirdTrigger, 92.0, 5.175}});
    }
    SUBCASE("one partial at most: the rest closes when the price next crosses") {
        auto doc = stepping_down();
        doc["venue"]["partial_liquidation"]["max_partials"] = 1;
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        // The rest (7.5 units, 82.65) at step 4: equity 30.15, penalty 0.01 x 7.5 x 93.
        check_chunks(r, {{2, 2.5, kFirstTrigger, 94.0, 2.35},
                         {4, 7.5, kSecondTrigger, 93.0, 0.01 * 7.5 * 93.0}});
        CHECK(r.path_column("partial_liquidations").values[0] == 1.0);
    }
    SUBCASE("below min_notional the whole position closes at once") {
        auto doc = stepping_down();
        doc["venue"]["partial_liquidation"]["min_notional"] = 941.0;  // the notional is 940
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        check_chunks(r, {{2, 10.0, kFirstTrigger, 94.0, 9.4}});
        CHECK(r.path_column("partial_liquidations").values[0] == 0.0);
    }
    SUBCASE("a position past its bankruptcy price closes in full") {
        // A jump straight to 85, below the bankruptcy price 90: equity -150.
        auto doc = stepping_down();
        doc["shocks"] = {{{"type", "jump"}, {"time", "2h"}, {"size", -0.15}}};
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events.front().size == 10.0);
        CHECK(r.path_column("partial_liquidations").values[0] == 0.0);
        CHECK(r.path_column("bad_debt").values[0] == doctest::Approx(50.0).epsilon(1e-12));
    }
}

TEST_CASE("partial liquidation of a short mirrors the long") {
    // 10 units short at 100 with 100: liquidation price 110 / 1.05 = 104.762.
    // At 106: equity 100 - 60 = 40; 2.5 units close with 25, PnL -15, penalty
    // 2.65, 7.35 kept: 7.5 units with 82.35 left, liquidation price
    // (100 + 82.35 / 7.5) / 1.05 = 105.695, crossed again at 107 (step 4).
    auto doc = stepping_down();
    doc["population"]["cohorts"][0]["side"] = "short";
    doc["shocks"] = {{{"type", "jump"}, {"time", "2h"}, {"size", 0.06}},
                     {{"type", "jump"}, {"time", "4h"}, {"size", 107.0 / 106.0 - 1.0}}};
    doc["venue"]["partial_liquidation"]["max_partials"] = 1;
    const Results r = test::run_on_both_engines(test::scenario_from(doc));
    check_chunks(r, {{2, 2.5, 110.0 / 1.05, 106.0, 2.65},
                     {4, 7.5, (100.0 + 82.35 / 7.5) / 1.05, 107.0, 0.01 * 7.5 * 107.0}});
}

TEST_CASE("partial liquidation switched off changes nothing") {
    auto on = test::two_sided_crash_scenario();
    auto off = on;
    on["venue"]["partial_liquidation"] = {{"close_factor", 1.0}, {"min_notional", 100.0}};
    test::check_same_paths(run_simulation(test::scenario_from(on)),
                           run_simulation(test::scenario_from(off)));
    // And switched on, it does change the cascade.
    on["venue"]["partial_liquidation"] = {{"close_factor", 0.5}, {"min_notional", 100.0}};
    const Results partial = run_simulation(test::scenario_from(on));
    double partials = 0.0;
    for (double n : partial.path_column("partial_liquidations").values) {
        partials += n;
    }
    CHECK(partials > 0.0);
}

TEST_CASE("partial liquidation validation") {
    auto doc = stepping_down();
    doc["venue"]["partial_liquidation"]["close_factor"] = 0.0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/partial_liquidation/close_factor"), InputError);
    doc = stepping_down();
    doc["venue"]["partial_liquidation"]["close_factor"] = 1.5;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/partial_liquidation/close_factor"), InputError);
    doc = stepping_down();
    doc["venue"]["partial_liquidation"]["min_notional"] = 0.0;
    doc["venue"]["partial_liquidation"].erase("max_partials");
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/partial_liquidation/min_notional: with "
                                           "close_factor 0.25 a position would be cut"),
                         InputError);
    doc = stepping_down();
    doc["venue"]["partial_liquidation"]["max_partials"] = 0;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/partial_liquidation/max_partials"), InputError);
    doc = stepping_down("-1h");
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/partial_liquidation/cooldown"), InputError);
    doc = stepping_down();
    doc["venue"]["partial_liquidation"]["chunk"] = 0.2;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/partial_liquidation/chunk: unknown key"),
                         InputError);
}

}  // namespace cascade

namespace cascade {

TEST_CASE("the shipped partial-liquidation scenario: engines agree, whales go in parts") {
    const auto file = test::source_dir() / "scenarios/partial-liquidation.json";
    const std::vector<Override> few = {parse_override("/simulation/paths=4"),
                                       parse_override("/output/sample_paths=4")};
    const Scenario scenario = load_scenario(file, few);
    CHECK(scenario.venue.partial_liquidation.close_factor == 0.2);
    const Results parts = test::run_on_both_engines(scenario);
    CHECK(parts.run.max_ledger_imbalance < 1e-12);

    std::vector<Override> whole = few;
    whole.push_back(parse_override("/venue/partial_liquidation/close_factor=1"));
    const Results at_once = run_simulation(load_scenario(file, whole));
    for (std::size_t p = 0; p < 4; ++p) {
        INFO("path " << p);
        const double partials = parts.path_column("partial_liquidations").values[p];
        CHECK(partials > 50.0);
        CHECK(at_once.path_column("partial_liquidations").values[p] == 0.0);
        // Every partial liquidation is one more liquidation of an account
        // already counted, or of one that then survived.
        CHECK(parts.path_column("liquidations").values[p] >
              at_once.path_column("liquidations").values[p]);
    }
    // An account liquidated twice on a path was first cut by 20 %: its first
    // row closed a fifth of what its two rows closed together, and at a
    // notional of 100,000 or more.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<LiquidationEvent>> by_account;
    for (const LiquidationEvent& e : parts.events) {
        by_account[{e.path, e.account}].push_back(e);
    }
    std::size_t twice = 0;
    for (const auto& [key, rows] : by_account) {
        REQUIRE(rows.size() <= 2);  // max_partials 1
        if (rows.size() == 2) {
            ++twice;
            CHECK(rows[0].size / (rows[0].size + rows[1].size) == doctest::Approx(0.2));
            CHECK(rows[0].step < rows[1].step);  // the cooldown: not in the same step
            CHECK(5.0 * rows[0].size * rows[0].trigger_price >= 1e5 * (1 - 1e-9));
        }
    }
    CHECK(twice > 100);
}

}  // namespace cascade
