// The volatility-scaled maintenance margin: a hand-computed liquidation it
// causes, equivalence with the flat policy when it cannot move, and the
// cursor engine against the reference scan under it.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion: the price is flat except for a 5 % jump at 3h; one long at 10x
// entered at 100, whose equity ratio after the jump, (100/10 - 5) / 95 = 5.26 %,
// stays above a flat 1 % maintenance margin.
nlohmann::json jump_scenario() {
    return test::one_long_jump_scenario();
}

nlohmann::json scaled(double floor, double cap, const char* window = "4h") {
    return {{"model", "volatility_scaled"},
            {"window", window},
            {"reference_volatility", 0.5},
            {"floor", floor},
            {"cap", cap}};
}

}  // namespace

TEST_CASE("a volatility-scaled margin liquidates the step after a jump, at the moved price") {
    auto flat = jump_scenario();
    const Results calm = run_simulation(test::scenario_from(flat));
    CHECK(calm.path_column("liquidations").values[0] == 0.0);

    auto doc = jump_scenario();
    doc["venue"]["margin_policy"] = scaled(0.005, 0.2);
    const Results r = run_simulation(test::scenario_from(doc));
    // The jump's step: the first whose exogenous price is below 100.
    const Matrix& exogenous = r.samples[1].values;
    std::size_t jump = 0;
    while (exogenous(0, jump) >= 100.0) {
        ++jump;
    }
    REQUIRE(jump == 3);
    // After step 3 the window holds 3 returns, one of them log(0.95):
    // sigma = |log 0.95| / sqrt(3 dt), m = 0.01 x sigma / 0.5.
    const double dt = 3600.0 / (365.0 * 86400.0);
    const double sigma = std::abs(std::log(0.95)) / std::sqrt(3.0 * dt);
    const double m = std::clamp(0.01 * sigma / 0.5, 0.005, 0.2);
    REQUIRE(m > (10.0 - 5.0) / 95.0);  // so the account falls below it at step 4
    for (double n : r.path_column("liquidations").values) {
        CHECK(n == 1.0);
    }
    CHECK(r.path_column("first_liquidation_time").values[0] == 4 * 3600.0);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].step == 4);
    // The liquidation price in force: bankruptcy price 90 over (1 - m).
    CHECK(r.events[0].trigger_price == doctest::Approx(90.0 / (1.0 - m)).epsilon(1e-12));
    CHECK(r.events[0].fill_price == doctest::Approx(95.0).epsilon(1e-12));
    CHECK(r.events[0].shortfall == 0.0);
}

TEST_CASE("a margin policy that cannot move reproduces the flat margin bit for bit") {
    nlohmann::json doc = test::two_sided_crash_scenario();
    const Results flat = run_simulation(test::scenario_from(doc));
    doc["venue"]["margin_policy"] = scaled(0.02, 0.02);
    const Results pinned = run_simulation(test::scenario_from(doc));
    for (const PathColumn& column : flat.paths) {
        INFO(column.info.name);
        CHECK(test::same_bits(column.values, pinned.path_column(column.info.name).values));
    }
    CHECK(flat.path_column("liquidations").values[0] > 0.0);
}

TEST_CASE("under a moving margin the cursor engine matches the reference scan") {
    nlohmann::json doc = test::base_scenario();
    doc["simulation"]["paths"] = 40;
    doc["market"]["price_model"]["volatility"] = 1.2;
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e-6}};
    doc["venue"] = {{"initial_margin", 0.1},
                    {"maintenance_margin", 0.02},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 1000.0},
                    {"margin_policy", scaled(0.005, 0.09, "3h")}};
    doc["population"]["cohorts"] = test::two_sided_cohorts(400, 9.5);
    const Results cursor = test::run_on_both_engines(test::scenario_from(doc));
    // The margin moved enough to matter: more liquidations than under the flat 2 %.
    doc["venue"].erase("margin_policy");
    const Results flat = run_simulation(test::scenario_from(doc));
    double moving = 0.0;
    double fixed = 0.0;
    for (std::size_t p = 0; p < 40; ++p) {
        moving += cursor.path_column("liquidations").values[p];
        fixed += flat.path_column("liquidations").values[p];
    }
    CHECK(moving != fixed);
}

TEST_CASE("margin policy validation") {
    auto doc = jump_scenario();
    doc["venue"]["margin_policy"] = scaled(0.02, 0.05);  // floor above the base 1 %
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("must bracket"), InputError);
    doc["venue"]["margin_policy"] = scaled(0.005, 0.004);
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("at least floor"), InputError);
    doc["venue"]["margin_policy"] = {{"model", "volatility_scaled"}};
    CHECK_THROWS_AS(test::scenario_from(doc), InputError);
    doc["venue"]["margin_policy"] = {{"model", "tiered"}};
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("flat"), InputError);
    doc["venue"].erase("margin_policy");
    CHECK(test::scenario_from(doc).resolved_json.find("\"flat\"") != std::string::npos);
}

}  // namespace cascade
