// The venue's oracle: each model's publication rule by hand, a crash whose
// liquidation each oracle delays by a computable number of steps (and whose
// shortfall follows from the market price at that step), outages, the index
// source, and the cursor engine against the reference scan.

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "sim/engine/oracle_tracker.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// One step = one hour. No diffusion: the price is flat but for a crash that
// takes 40 % off evenly in log price over 2h ... 6h, so the market's log price
// (relative to 100) at grid point k is x_k = ln(0.6) (k - 2) / 4 for k in
// 2 ... 6. One long at 10x, 10 units entered at 100 with 100 of collateral:
// bankruptcy price 90, liquidation price 90 / 0.99 = 90.909 (x = -0.0953).
// The market crosses it at step 3 (x_3 = -0.1277).
nlohmann::json oracle_crash_scenario() {
    auto doc = test::one_long_jump_scenario();
    doc["simulation"]["paths"] = 2;
    doc["shocks"] = {{{"type", "crash"}, {"start", "2h"}, {"duration", "4h"}, {"drop", 0.4}}};
    return doc;
}

double crash_log_price(int k) {
    return std::log(0.6) * std::clamp(k - 2, 0, 4) / 4.0;
}

struct Liquidation {
    std::uint32_t step = 0;
    double fill = 0.0;
    double bad_debt = 0.0;
    double gap = 0.0;
};

Liquidation liquidation_under(const nlohmann::json& oracle,
                              const nlohmann::json& shocks = nlohmann::json::array()) {
    auto doc = oracle_crash_scenario();
    doc["venue"]["oracle"] = oracle;
    for (const auto& shock : shocks) {
        doc["shocks"].push_back(shock);
    }
    const Results r = run_simulation(test::scenario_from(doc));
    REQUIRE(r.events.size() == 1);
    CHECK(r.path_column("liquidations").values[1] == 1.0);
    return {r.events[0].step, r.events[0].fill_price, r.path_column("bad_debt").values[0],
            r.path_column("oracle_gap_max").values[0]};
}

// What the lone long costs when liquidated at step k: it fills at the market
// price 100 e^{x_k}, 10 units bought at 100 against 100 of collateral.
double shortfall_at(int k) {
    return std::max(0.0, 10.0 * (100.0 - 100.0 * std::exp(crash_log_price(k))) - 100.0);
}

}  // namespace

TEST_CASE("oracle publication rules, step by step") {
    const std::vector<double> seen = {-0.1, -0.3, 0.2, 0.05, -0.4, -0.41, 0.0};
    const auto published = [&](const OracleConfig& config, std::vector<std::uint8_t> frozen = {}) {
        frozen.resize(frozen.empty() ? 0 : seen.size(), 0);
        const OracleRules rules(config, 60.0, frozen);
        OracleTracker oracle(rules);
        std::vector<double> out;
        for (std::size_t k = 1; k <= seen.size(); ++k) {
            out.push_back(oracle.update(static_cast<std::uint32_t>(k), seen[k - 1]));
        }
        return out;
    };
    SUBCASE("latency: the reading of `delay` steps ago, the initial price before the start") {
        OracleConfig c;
        c.kind = OracleConfig::Kind::latency;
        c.delay_seconds = 120.0;
        CHECK(published(c) == std::vector<double>{0.0, 0.0, -0.1, -0.3, 0.2, 0.05, -0.4});
    }
    SUBCASE("ema: half-life of one step weighs the newest reading by one half") {
        OracleConfig c;
        c.kind = OracleConfig::Kind::ema;
        c.half_life_seconds = 60.0;
        double ema = 0.0;
        const auto out = published(c);
        for (std::size_t k = 0; k < seen.size(); ++k) {
            ema = ema + 0.5 * (seen[k] - ema);
            CHECK(out[k] == doctest::Approx(ema).epsilon(1e-15));
        }
    }
    SUBCASE("twap: the mean of the last `window` readings, zeros before the start") {
        OracleConfig c;
        c.kind = OracleConfig::Kind::twap;
        c.window_seconds = 180.0;
        const auto out = published(c);
        for (std::size_t k = 0; k < seen.size(); ++k) {
            double sum = 0.0;
            for (std::size_t j = k >= 2 ? k - 2 : 0; j <= k; ++j) {
                sum += seen[j];
            }
            CHECK(out[k] == doctest::Approx(sum / 3.0).epsilon(1e-15));
        }
    }
    SUBCASE("push: on a move of the deviation, or when the heartbeat is due") {
        OracleConfig c;
        c.kind = OracleConfig::Kind::push;
        c.deviation = 0.2;  // log(0.8) = -0.223, log(1.2) = 0.182
        c.heartbeat_seconds = 180.0;
        // -0.1: small, no push. -0.3: pushed. 0.2: +0.5 from -0.3, pushed.
        // 0.05 and -0.4 ... : -0.4 is -0.6 from 0.2, pushed; -0.41 small;
        // 0.0 small but three steps after the last push: the heartbeat.
        CHECK(published(c) == std::vector<double>{0.0, -0.3, 0.2, 0.2, -0.4, -0.4, 0.0});
    }
    SUBCASE("an outage freezes the last value; the reading goes on underneath") {
        OracleConfig c;
        c.kind = OracleConfig::Kind::latency;
        c.delay_seconds = 60.0;
        CHECK(published(c, {0, 0, 1, 1, 0, 0, 0}) ==
              std::vector<double>{0.0, -0.1, -0.1, -0.1, 0.05, -0.4, -0.41});
        c.kind = OracleConfig::Kind::instant;
        CHECK(published(c, {1, 0, 0, 0, 0, 1, 1}) ==
              std::vector<double>{0.0, -0.3, 0.2, 0.05, -0.4, -0.4, -0.4});
    }
    SUBCASE("twap stays the window's mean over many wraps of its ring") {
        OracleConfig c;
        c.kind = OracleConfig::Kind::twap;
        c.window_seconds = 7 * 60.0;
        const OracleRules rules(c, 60.0, {});
        OracleTracker oracle(rules);
        std::vector<double> history;
        double last = 0.0;
        for (std::uint32_t k = 1; k <= 10'000; ++k) {
            history.push_back(std::sin(0.37 * k) * 1e3 + 1e-3 * k);
            last = oracle.update(k, history.back());
        }
        double sum = 0.0;
        for (std::size_t j = history.size() - 7; j < history.size(); ++j) {
            sum += history[j];
        }
        CHECK(last == doctest::Approx(sum / 7.0).epsilon(1e-13));
    }
}

TEST_CASE("each oracle delays the crash's liquidation by the steps its rule implies") {
    // The instant oracle: the step the market crosses, at the market price.
    const Liquidation instant = liquidation_under({{"model", "instant"}});
    CHECK(instant.step == 3);
    CHECK(instant.fill == doctest::Approx(100.0 * std::exp(crash_log_price(3))).epsilon(1e-14));
    CHECK(instant.bad_debt == doctest::Approx(shortfall_at(3)).epsilon(1e-12));
    CHECK(instant.gap == 0.0);

    // Two hours late: it sees x_3 at step 5, when the market is two steps lower.
    const Liquidation late = liquidation_under({{"model", "latency"}, {"delay", "2h"}});
    CHECK(late.step == 5);
    CHECK(late.fill == doctest::Approx(100.0 * std::exp(crash_log_price(5))).epsilon(1e-14));
    CHECK(late.bad_debt == doctest::Approx(shortfall_at(5)).epsilon(1e-12));
    CHECK(late.bad_debt > 5.0 * instant.bad_debt);
    CHECK(late.gap == doctest::Approx(std::expm1(crash_log_price(3) - crash_log_price(5))));

    // EMA with a one-hour half-life: weight 1/2 on each new reading.
    double ema = 0.0;
    std::uint32_t ema_step = 0;
    for (int k = 1; k <= 10 && ema_step == 0; ++k) {
        ema += 0.5 * (crash_log_price(k) - ema);
        if (ema < std::log(0.9 / 0.99)) {
            ema_step = static_cast<std::uint32_t>(k);
        }
    }
    CHECK(ema_step == 4);
    CHECK(liquidation_under({{"model", "ema"}, {"half_life", "1h"}}).step == ema_step);

    // TWAP over 3h: (x_2 + x_3 + x_4) / 3 = x_3 is the first mean past the trigger.
    CHECK(liquidation_under({{"model", "twap"}, {"window", "3h"}}).step == 4);

    // Push: a 10 % deviation is reached at step 3 (e^{x_3} = 0.88), a 20 % one
    // only at step 4 (0.77); with a 50 % deviation the 2h heartbeat pushes
    // x_2 = 0 at step 2 and x_4 at step 4.
    CHECK(liquidation_under({{"model", "push"}, {"deviation", 0.1}, {"heartbeat", "1d"}}).step ==
          3);
    CHECK(liquidation_under({{"model", "push"}, {"deviation", 0.2}, {"heartbeat", "1d"}}).step ==
          4);
    CHECK(liquidation_under({{"model", "push"}, {"deviation", 0.5}, {"heartbeat", "2h"}}).step ==
          4);
}

TEST_CASE("a frozen oracle delays liquidation by exactly the outage") {
    // The market crosses at 3h; an outage of 2h from 3h holds the oracle at
    // the price of 2h until the first publication at 5h.
    const auto outage = [](const char* start, const char* duration) {
        return nlohmann::json::array(
            {{{"type", "oracle_outage"}, {"start", start}, {"duration", duration}}});
    };
    const Liquidation frozen = liquidation_under({{"model", "instant"}}, outage("3h", "2h"));
    CHECK(frozen.step == 5);
    CHECK(frozen.bad_debt == doctest::Approx(shortfall_at(5)).epsilon(1e-12));
    // At 5h the instant oracle publishes the market price itself: no gap then.
    CHECK(frozen.gap == 0.0);
    CHECK(liquidation_under({{"model", "instant"}}, outage("3h", "3h")).step == 6);
    // An outage over before the crossing changes nothing.
    CHECK(liquidation_under({{"model", "instant"}}, outage("1h", "2h")).step == 3);
    // Under a lagging oracle it adds to the lag: the 1h-late value of 3h is x_2.
    CHECK(liquidation_under({{"model", "latency"}, {"delay", "1h"}}, outage("3h", "2h")).step == 5);
}

TEST_CASE("oracle series and per-path gap columns") {
    auto doc = oracle_crash_scenario();
    doc["venue"]["oracle"] = {{"model", "latency"}, {"delay", "2h"}};
    const Scenario scenario = test::scenario_from(doc);
    // An oracle of its own puts its two series among the defaults.
    REQUIRE(scenario.output.series.size() == kDefaultSeriesCount + 2);
    const Results r = run_simulation(scenario);
    const auto band = [&](std::string_view name) -> const std::vector<double>& {
        for (const StepSeries& s : r.series) {
            if (s.info.name == name) {
                return s.mean;
            }
        }
        FAIL("no series " << name);
        throw;
    };
    const auto& oracle = band("oracle_price");
    const auto& gap = band("oracle_gap");
    for (int k = 0; k <= 10; ++k) {
        const double expected_oracle = 100.0 * std::exp(crash_log_price(std::max(k - 2, 0)));
        CHECK(oracle[k] == doctest::Approx(expected_oracle).epsilon(1e-14));
        // After step 5 the long is gone; with no impact the market is x_k throughout.
        CHECK(gap[k] ==
              doctest::Approx(expected_oracle / (100.0 * std::exp(crash_log_price(k))) - 1.0)
                  .epsilon(1e-13));
    }
    CHECK(r.path_column("oracle_gap_mean").values[0] == r.path_column("oracle_gap_max").values[0]);
    // Without an oracle: no oracle series by default, and gaps of 0 (NaN for
    // the mean of a path without liquidations).
    auto plain = oracle_crash_scenario();
    const Scenario no_oracle = test::scenario_from(plain);
    CHECK(no_oracle.output.series.size() == kDefaultSeriesCount);
    plain["shocks"] = nlohmann::json::array();
    const Results calm = run_simulation(test::scenario_from(plain));
    CHECK(calm.path_column("oracle_gap_max").values[0] == 0.0);
    CHECK(std::isnan(calm.path_column("oracle_gap_mean").values[0]));
}

TEST_CASE("oracles on a random book: cursor equals reference scan, value is conserved") {
    auto doc = test::base_scenario();
    doc["simulation"] = {{"paths", 40}, {"horizon", "2d"}, {"steps", 192}, {"seed", 31}};
    doc["market"]["price_model"] = {{"model", "gbm"}, {"volatility", 1.5}};
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 2e-7}};
    doc["shocks"] = {{{"type", "crash"}, {"start", "6h"}, {"duration", "2h"}, {"drop", 0.25}},
                     {{"type", "oracle_outage"}, {"start", "7h"}, {"duration", "45min"}}};
    doc["venue"] = {{"initial_margin", 0.1},
                    {"maintenance_margin", 0.02},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 2000.0}};
    doc["population"]["cohorts"] = test::two_sided_cohorts(300, 9.5);
    const nlohmann::json oracles[] = {
        {{"model", "instant"}},
        {{"model", "instant"}, {"source", "index"}},
        {{"model", "latency"}, {"delay", "30min"}},
        {{"model", "ema"}, {"half_life", "20min"}},
        {{"model", "twap"}, {"window", "1h"}},
        {{"model", "push"}, {"deviation", 0.01}, {"heartbeat", "1h"}, {"source", "index"}}};
    for (const auto& oracle : oracles) {
        INFO(oracle.dump());
        doc["venue"]["oracle"] = oracle;
        const Results cursor = test::run_on_both_engines(test::scenario_from(doc));
        double liquidations = 0.0;
        for (std::size_t p = 0; p < 40; ++p) {
            CHECK(cursor.path_column("ledger_imbalance").values[p] < 1e-13);
            liquidations += cursor.path_column("liquidations").values[p];
        }
        CHECK(liquidations > 100.0);
    }
}

TEST_CASE("the index oracle equals the market's when liquidations move no price") {
    auto doc = test::base_scenario();
    doc["simulation"] = {{"paths", 30}, {"horizon", "1d"}, {"steps", 96}, {"seed", 4}};
    doc["market"]["price_model"] = {{"model", "gbm"}, {"volatility", 2.0}};
    doc["venue"] = {{"initial_margin", 0.1}, {"maintenance_margin", 0.03}};
    doc["population"]["cohorts"] = nlohmann::json::array(
        {{{"name", "longs"},
          {"side", "long"},
          {"accounts", 200},
          {"leverage", {{"distribution", "uniform"}, {"min", 3}, {"max", 9.5}}},
          {"notional", 1e4}}});
    const Results market = run_simulation(test::scenario_from(doc));
    doc["venue"]["oracle"] = {{"model", "instant"}, {"source", "index"}};
    doc["output"]["series"] = {"price", "exogenous_price", "liquidated_notional", "insurance_fund",
                               "open_interest"};
    const Results index = run_simulation(test::scenario_from(doc));
    for (const PathColumn& column : market.paths) {
        INFO(column.info.name);
        CHECK(test::same_bits(column.values, index.path_column(column.info.name).values));
    }
    // With impact the index oracle no longer sees the venue's own selling.
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e-6}};
    const Results impact_index = run_simulation(test::scenario_from(doc));
    doc["venue"].erase("oracle");
    const Results impact_market = run_simulation(test::scenario_from(doc));
    double a = 0.0;
    double b = 0.0;
    for (std::size_t p = 0; p < 30; ++p) {
        a += impact_index.path_column("liquidations").values[p];
        b += impact_market.path_column("liquidations").values[p];
    }
    CHECK(a < b);
}

TEST_CASE("oracle validation") {
    auto doc = oracle_crash_scenario();
    const auto error_for = [&](const nlohmann::json& oracle) {
        doc["venue"]["oracle"] = oracle;
        try {
            test::scenario_from(doc);
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_for({{"model", "latency"}, {"delay", "20min"}})
              .find("/venue/oracle/delay: must be at least half a time step") != std::string::npos);
    CHECK(error_for({{"model", "twap"}, {"window", "11h"}})
              .find("/venue/oracle/window: must be at most the horizon") != std::string::npos);
    CHECK(error_for({{"model", "push"}, {"deviation", 1.5}, {"heartbeat", "1h"}})
              .find("/venue/oracle/deviation") != std::string::npos);
    CHECK(error_for({{"model", "instant"}, {"source", "indx"}}).find("did you mean \"index\"") !=
          std::string::npos);
    CHECK(error_for({{"model", "chainlink"}}).find("/venue/oracle/model") != std::string::npos);
    CHECK(error_for({{"model", "ema"}}).find("/venue/oracle/half_life") != std::string::npos);
    doc["venue"].erase("oracle");
    doc["shocks"].push_back({{"type", "oracle_outage"}, {"start", "12h"}, {"duration", "1h"}});
    CHECK_THROWS_WITH_AS(test::scenario_from(doc), doctest::Contains("/shocks/1/start"),
                         InputError);
    // Left out: the instant oracle on the market, written into the resolved scenario.
    doc["shocks"].erase(1);
    CHECK(nlohmann::json::parse(test::scenario_from(doc).resolved_json)["venue"]["oracle"] ==
          nlohmann::json({{"model", "instant"}, {"source", "market"}}));
}

}  // namespace cascade
