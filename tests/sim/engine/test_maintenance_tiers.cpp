// The tiered maintenance margin through whole runs: a whale liquidated at its
// tiered price (where the first bracket's rate alone would spare it), and a
// one-bracket table reproducing the flat maintenance_margin bit for bit. The
// cursor-against-reference comparison and conservation under tiers are in
// test_engine_properties.cpp.

#include <doctest/doctest.h>

#include <cmath>

#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion; the price jumps by `jump` at 3h. One 10x long of 100 units at
// 20,000 (notional 2 million), under the first four brackets of Binance's
// BTCUSDT table: its liquidation price is (18,000 - 16,300 / 100) / 0.975 =
// 18,294.36, against 18,000 / 0.996 = 18,072.29 at the first rate alone.
nlohmann::json whale_scenario(double jump) {
    auto doc = test::base_scenario();
    doc["simulation"] = {{"paths", 2}, {"horizon", "10h"}, {"steps", 10}, {"seed", 5}};
    doc["market"]["initial_price"] = 20'000.0;
    doc["market"]["price_model"] = {{"model", "gbm"}, {"volatility", 0.0}};
    doc["shocks"] = {{{"type", "jump"}, {"time", "3h"}, {"size", jump}}};
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_tiers",
                     {{{"notional_cap", 50'000}, {"rate", 0.004}},
                      {{"notional_cap", 250'000}, {"rate", 0.005}, {"maintenance_amount", 50}},
                      {{"notional_cap", 1'000'000}, {"rate", 0.01}},
                      {{"rate", 0.025}}}}};
    doc["population"]["cohorts"] = nlohmann::json::array({{{"name", "whale"},
                                                           {"side", "long"},
                                                           {"accounts", 1},
                                                           {"leverage", 10.0},
                                                           {"notional", 2e6}}});
    doc["output"] = {{"sample_paths", 1}};
    return doc;
}

}  // namespace

TEST_CASE("a whale is liquidated at its tiered price, which the first rate alone would miss") {
    // -9 %: 18,200, below the tiered 18,294.36, above the flat 18,072.29.
    const auto doc = whale_scenario(-0.09);
    const Results r = run_simulation(test::scenario_from(doc));
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].step == 3);
    CHECK(r.events[0].trigger_price == doctest::Approx(17'837.0 / 0.975).epsilon(1e-13));
    CHECK(r.events[0].fill_price == doctest::Approx(18'200.0).epsilon(1e-12));
    CHECK(r.events[0].shortfall == 0.0);
    for (double n : r.path_column("liquidations").values) {
        CHECK(n == 1.0);
    }
    RunOptions reference;
    reference.engine = EngineKind::reference_scan;
    CHECK(run_simulation(test::scenario_from(doc), reference).events.size() == 1);

    auto flat = doc;
    flat["venue"].erase("maintenance_tiers");
    flat["venue"]["maintenance_margin"] = 0.004;
    CHECK(run_simulation(test::scenario_from(flat)).events.empty());
    // And a smaller fall stays above the tiered price too.
    CHECK(run_simulation(test::scenario_from(whale_scenario(-0.08))).events.empty());
}

TEST_CASE("a one-bracket table reproduces the flat maintenance_margin bit for bit") {
    // Flat 2 %, with longs of many sizes.
    nlohmann::json doc = test::two_sided_crash_scenario();
    doc["population"]["cohorts"][0]["notional"] = {
        {"distribution", "lognormal"}, {"median", 1e4}, {"sigma", 1.0}};
    doc["output"]["sample_paths"] = 64;
    const Results flat = run_simulation(test::scenario_from(doc));
    doc["venue"].erase("maintenance_margin");
    doc["venue"]["maintenance_tiers"] = {{{"rate", 0.02}}};
    for (const EngineKind engine : {EngineKind::cursor, EngineKind::reference_scan}) {
        RunOptions options;
        options.engine = engine;
        const Results one = run_simulation(test::scenario_from(doc), options);
        for (const PathColumn& column : flat.paths) {
            INFO(column.info.name);
            const auto& other = one.path_column(column.info.name).values;
            REQUIRE(other.size() == column.values.size());
            for (std::size_t p = 0; p < other.size(); ++p) {
                CHECK(test::same_bits(column.values[p], other[p]));
            }
        }
        REQUIRE(one.events.size() == flat.events.size());
        for (std::size_t e = 0; e < flat.events.size(); ++e) {
            CHECK(test::same_bits(one.events[e].trigger_price, flat.events[e].trigger_price));
            CHECK(test::same_bits(one.events[e].fill_price, flat.events[e].fill_price));
        }
    }
    CHECK(flat.events.size() > 100);
}

}  // namespace cascade
