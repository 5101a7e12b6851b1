// Edge cases of the engine: nothing to liquidate, everything liquidated, the
// impact floor, an empty insurance fund.

#include <doctest/doctest.h>

#include <cmath>

#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

nlohmann::json crash_scenario(double drop, double accounts) {
    auto doc = test::base_scenario();
    doc["simulation"] = {{"paths", 20}, {"horizon", "1d"}, {"steps", 24}, {"seed", 3}};
    doc["market"]["price_model"] = {{"model", "gbm"}, {"volatility", 0.5}};
    doc["shocks"] = {{{"type", "crash"}, {"start", "2h"}, {"duration", "1h"}, {"drop", drop}}};
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_margin", 0.02},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 1000.0}};
    doc["population"]["cohorts"] = nlohmann::json::array(
        {{{"name", "longs"},
          {"side", "long"},
          {"accounts", accounts},
          {"leverage", {{"distribution", "uniform"}, {"min", 5}, {"max", 20}}},
          {"notional", 1e4}}});
    return doc;
}

double sum(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) {
        s += x;
    }
    return s;
}

}  // namespace

TEST_CASE("empty cohorts: a population of nobody runs and liquidates nobody") {
    const Results r = run_simulation(test::scenario_from(crash_scenario(0.5, 0)));
    CHECK(sum(r.path_column("liquidations").values) == 0.0);
    CHECK(r.cohorts.size() == 1);
    CHECK(r.cohorts[0].accounts == 0);
    CHECK(r.metric("bad_debt_mean").value == 0.0);
    CHECK(r.metric("p_fund_exhausted").value == 0.0);
}

TEST_CASE("a crash deep enough liquidates every account, and open interest goes to zero") {
    const Results r = run_simulation(test::scenario_from(crash_scenario(0.9, 50)));
    for (double n : r.path_column("liquidations").values) {
        CHECK(n == 50.0);
    }
    const auto& oi = r.series[4];
    REQUIRE(oi.info.name == "open_interest");
    CHECK(oi.mean.front() > 0.0);
    CHECK(oi.mean.back() == 0.0);
}

TEST_CASE("the impact floor keeps the market price positive however much is sold") {
    auto doc = crash_scenario(0.3, 200);
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1.0}, {"floor", 0.2}};
    const Results r = run_simulation(test::scenario_from(doc));
    const auto& market = r.samples[0].values;     // price
    const auto& exogenous = r.samples[1].values;  // exogenous price
    for (std::size_t i = 0; i < market.data.size(); ++i) {
        CHECK(market.data[i] > 0.0);
        CHECK(market.data[i] >= 0.2 * exogenous.data[i] * (1 - 1e-12));
    }
    // The floor is reached: a huge sale pins the price at floor x exogenous.
    const std::size_t last = market.cols - 1;
    CHECK(market(0, last) == doctest::Approx(0.2 * exogenous(0, last)).epsilon(1e-12));
}

TEST_CASE("a fund that starts at zero: penalties fill it, shortfalls become bad debt at once") {
    auto doc = crash_scenario(0.5, 100);
    doc["venue"]["insurance_fund"] = 0.0;
    doc["venue"]["liquidation_penalty"] = 0.0;
    doc["market"]["impact"] = {{"model", "linear"}, {"depth_1pct", 1e5}};
    const Results r = run_simulation(test::scenario_from(doc));
    CHECK(r.metric("p_fund_exhausted").value == 1.0);  // empty from the start
    CHECK(r.metric("p_bad_debt").value > 0.5);         // a 50 % crash in an hour gaps through
    CHECK(sum(r.path_column("insurance_fund_paid").values) == 0.0);
}

}  // namespace cascade
