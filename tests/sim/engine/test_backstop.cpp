// The backstop vault on paths small enough to work out by hand: which
// crossing accounts it takes over, at which price, what it is left with at
// the horizon, and that what it takes never reaches the market.

#include <doctest/doctest.h>

#include <vector>

#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion, no impact, steps of 1h. One long: 10 units entered at 100
// with 100 of collateral (10x), maintenance 5 %, penalty 1 %: liquidation
// price 90 / 0.95 = 94.74, bankruptcy price 90. At 3h the price jumps by
// `jump` (a fraction) to P = 100 (1 + jump); the account's equity there is
// 100 + 10 (P - 100) and its maintenance requirement 0.05 x 10 x P.
nlohmann::json backstop_long_scenario(double jump) {
    auto doc = test::one_long_jump_scenario();
    doc["simulation"]["paths"] = 2;
    doc["shocks"] = {{{"type", "jump"}, {"time", "3h"}, {"size", jump}}};
    doc["venue"] = {{"initial_margin", 0.1},
                    {"maintenance_margin", 0.05},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 0.0},
                    {"backstop", {{"maintenance_fraction", 2.0 / 3.0}, {"price", "mark"}}}};
    return doc;
}

double backstop_column(const Results& r, const char* name) {
    return r.path_column(name).values[0];
}

}  // namespace

TEST_CASE("the backstop vault takes over a position that gapped below 2/3 of maintenance") {
    // A 9 % gap: P = 91, equity 10, below 2/3 of the requirement (30.33).
    // The vault takes the position at the mark with that equity; the trader
    // keeps nothing, the fund gets no penalty.
    const double price = 91.0;
    const double equity = 10.0;
    SUBCASE("at the mark, held to the horizon") {
        const Results r =
            test::run_on_both_engines(test::scenario_from(backstop_long_scenario(-0.09)));
        REQUIRE(r.events.size() == 1);
        CHECK(r.events[0].backstop == 1);
        CHECK(r.events[0].step == 3);
        CHECK(r.events[0].fill_price == doctest::Approx(price).epsilon(1e-13));
        CHECK(r.events[0].penalty == 0.0);
        CHECK(r.events[0].shortfall == 0.0);
        CHECK(backstop_column(r, "liquidations") == 1.0);
        CHECK(backstop_column(r, "backstop_takeovers") == 1.0);
        CHECK(backstop_column(r, "backstop_notional") ==
              doctest::Approx(10.0 * price).epsilon(1e-13));
        // Nothing moves after the jump: the vault is left with the equity.
        CHECK(backstop_column(r, "backstop_pnl") == doctest::Approx(equity).epsilon(1e-12));
        CHECK(backstop_column(r, "penalties_collected") == 0.0);
        CHECK(backstop_column(r, "bad_debt") == 0.0);
        CHECK(r.run.max_ledger_imbalance < 1e-13);
    }
    SUBCASE("a recovery after the take-over is the vault's: 100 + 10 (P_T - 100)") {
        auto doc = backstop_long_scenario(-0.09);
        doc["shocks"].push_back({{"type", "jump"}, {"time", "6h"}, {"size", 0.05}});
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        const double final_price = 91.0 * 1.05;
        CHECK(backstop_column(r, "final_price") == doctest::Approx(final_price).epsilon(1e-13));
        CHECK(backstop_column(r, "backstop_pnl") ==
              doctest::Approx(100.0 + 10.0 * (final_price - 100.0)).epsilon(1e-12));
    }
    SUBCASE("at the bankruptcy price: the vault takes no equity, the position at 90") {
        auto doc = backstop_long_scenario(-0.09);
        doc["venue"]["backstop"]["price"] = "bankruptcy";
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        REQUIRE(r.events.size() == 1);
        CHECK(r.events[0].fill_price == doctest::Approx(90.0).epsilon(1e-13));
        CHECK(backstop_column(r, "backstop_notional") == doctest::Approx(900.0).epsilon(1e-13));
        // Its PnL is the same: the position at 90 is worth 10 (P - 90) = equity.
        CHECK(backstop_column(r, "backstop_pnl") == doctest::Approx(equity).epsilon(1e-11));
    }
    SUBCASE("what the vault takes never reaches the market") {
        auto doc = backstop_long_scenario(-0.09);
        doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e-4}};
        Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(backstop_column(r, "final_price") == doctest::Approx(price).epsilon(1e-13));
        doc["venue"].erase("backstop");
        r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(backstop_column(r, "final_price") < price * 0.99);  // sold into the book
        CHECK(backstop_column(r, "backstop_takeovers") == 0.0);
    }
}

TEST_CASE("the backstop's share of maintenance decides which accounts it takes") {
    SUBCASE("a 6 % fall crosses but stays above 2/3: sold into the market with the penalty") {
        // P = 94: equity 40 against 2/3 x 47 = 31.33.
        const Results r =
            test::run_on_both_engines(test::scenario_from(backstop_long_scenario(-0.06)));
        REQUIRE(r.events.size() == 1);
        CHECK(r.events[0].backstop == 0);
        CHECK(r.events[0].penalty > 0.0);
        CHECK(backstop_column(r, "backstop_takeovers") == 0.0);
        CHECK(backstop_column(r, "backstop_pnl") == 0.0);
    }
    SUBCASE("maintenance_fraction 1 takes over every liquidation") {
        auto doc = backstop_long_scenario(-0.06);
        doc["venue"]["backstop"]["maintenance_fraction"] = 1.0;
        const Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events[0].backstop == 1);
    }
    SUBCASE("maintenance_fraction 0 takes only bankrupt accounts, so there is no bad debt") {
        auto doc = backstop_long_scenario(-0.09);  // equity 10 > 0: the market
        doc["venue"]["backstop"]["maintenance_fraction"] = 0.0;
        Results r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events[0].backstop == 0);
        // A 15 % gap: P = 85, past the bankruptcy price: equity -50.
        doc["shocks"][0]["size"] = -0.15;
        const double price = 85.0;
        r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(r.events[0].backstop == 1);
        CHECK(backstop_column(r, "bad_debt") == 0.0);
        CHECK(backstop_column(r, "backstop_pnl") ==
              doctest::Approx(100.0 + 10.0 * (price - 100.0)).epsilon(1e-12));
        // Without it, the same gap is bad debt.
        doc["venue"].erase("backstop");
        r = test::run_on_both_engines(test::scenario_from(doc));
        CHECK(backstop_column(r, "bad_debt") ==
              doctest::Approx(-(100.0 + 10.0 * (price - 100.0))).epsilon(1e-12));
    }
}

TEST_CASE("accounts waiting for liquidator capacity go to the backstop once below 2/3") {
    // Three such longs; the liquidators take 900 an hour, one 940 account a
    // step. At 2h the price falls 6 % (all three cross, above 2/3): the
    // first goes to the market, two wait. At 3h it falls 5 % more (P =
    // 89.3, equity -7): the vault takes both waiting accounts.
    auto doc = backstop_long_scenario(-0.06);
    doc["shocks"] = {{{"type", "jump"}, {"time", "2h"}, {"size", -0.06}},
                     {{"type", "jump"}, {"time", "3h"}, {"size", -0.05}}};
    doc["population"]["cohorts"][0]["accounts"] = 3;
    doc["venue"]["liquidators"] = {{"capacity", 900.0}, {"window", "1h"}};
    const Results r = test::run_on_both_engines(test::scenario_from(doc));
    REQUIRE(r.events.size() == 3);
    CHECK(r.events[0].step == 2);
    CHECK(r.events[0].backstop == 0);
    CHECK(r.events[1].step == 3);
    CHECK(r.events[1].backstop == 1);
    CHECK(r.events[2].step == 3);
    CHECK(r.events[2].backstop == 1);
    CHECK(backstop_column(r, "backstop_takeovers") == 2.0);
    CHECK(backstop_column(r, "under_water_time") == 2 * 3600.0);
    CHECK(backstop_column(r, "bad_debt") == 0.0);
    CHECK(r.run.max_ledger_imbalance < 1e-13);
}

TEST_CASE("a backstop that takes nobody on a path leaves that path bit for bit as without it") {
    // With the backstop, every round runs through the engine's overlay
    // rounds instead of the plain one: on a path where it takes nobody (f = 0
    // and no account bankrupt at the mark), those rounds must reproduce the
    // plain engine exactly, liquidation after liquidation.
    const auto file = test::source_dir() / "scenarios/partial-liquidation.json";
    const std::vector<Override> base = {parse_override("/simulation/paths=100"),
                                        parse_override("/simulation/threads=1")};
    std::vector<Override> with = base;
    with.push_back(parse_override(R"(/venue/backstop={"maintenance_fraction":0})"));
    const Results plain = run_simulation(load_scenario(file, base));
    const Results vault = run_simulation(load_scenario(file, with));
    const std::vector<double>& takeovers = vault.path_column("backstop_takeovers").values;
    std::size_t compared = 0;
    double liquidations = 0.0;
    for (std::size_t p = 0; p < takeovers.size(); ++p) {
        if (takeovers[p] != 0.0) {
            continue;
        }
        ++compared;
        liquidations += plain.path_column("liquidations").values[p];
        for (const PathColumn& column : plain.paths) {
            INFO("path " << p << ", column " << column.info.name);
            CHECK(test::same_bits(column.values[p], vault.path_column(column.info.name).values[p]));
        }
    }
    REQUIRE(compared > 0);
    CHECK(liquidations > 1000.0);  // the comparison covers real cascades
}

TEST_CASE("backstop validation") {
    auto doc = backstop_long_scenario(-0.09);
    doc["venue"]["backstop"]["maintenance_fraction"] = 1.5;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/backstop/maintenance_fraction"), InputError);
    doc = backstop_long_scenario(-0.09);
    doc["venue"]["backstop"].erase("maintenance_fraction");
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/backstop/maintenance_fraction: required"),
                         InputError);
    doc = backstop_long_scenario(-0.09);
    doc["venue"]["backstop"]["price"] = "oracle";
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/backstop/price: expected one of"), InputError);
}

}  // namespace cascade
