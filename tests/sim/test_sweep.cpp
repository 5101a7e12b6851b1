// Sweeps and tuning: grids, common random numbers, agreement with separate
// runs, monotonicity the model guarantees, and a tuned threshold against its
// closed form.

#include <doctest/doctest.h>

#include <cmath>

#include "sim/errors.hpp"
#include "sim/metric_catalog.hpp"
#include "sim/run.hpp"
#include "sim/sweep/grid.hpp"
#include "sim/sweep/sweep.hpp"
#include "sim/sweep/tune.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

using test::same_bits;

// A small crash with a leveraged population and impact, so that the settings
// matter: the venue's margin and penalty change bad debt.
nlohmann::json sweep_crash_scenario() {
    nlohmann::json doc = test::base_scenario();
    doc["simulation"]["paths"] = 640;
    doc["simulation"]["threads"] = 2;
    doc["market"]["price_model"]["volatility"] = 0.8;
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 2e-7}};
    doc["shocks"] = {{{"type", "jump"}, {"time", "6h"}, {"size", -0.08}}};
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_margin", 0.01},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 20000.0}};
    doc["population"]["cohorts"] = nlohmann::json::array(
        {{{"name", "longs"},
          {"side", "long"},
          {"accounts", 2000},
          {"leverage", {{"distribution", "uniform"}, {"min", 2.0}, {"max", 19.0}}},
          {"notional", {{"distribution", "lognormal"}, {"median", 20000.0}, {"sigma", 1.0}}}}});
    return doc;
}

ScenarioSource source_of(const nlohmann::json& doc, std::vector<Override> overrides = {}) {
    return {doc.dump(), "test.json", std::move(overrides)};
}

const SweptMetric& swept(const SweepResults& sweep, std::string_view name) {
    for (const SweptMetric& m : sweep.metrics) {
        if (m.info.name == name) {
            return m;
        }
    }
    throw std::out_of_range(std::string(name));
}

}  // namespace

TEST_CASE("grid axes: ranges include their end, log ranges, lists, and clear errors") {
    const GridAxis linear = parse_grid_axis("/venue/maintenance_margin=0.005:0.02:0.005");
    CHECK(linear.pointer == "/venue/maintenance_margin");
    REQUIRE(linear.values.size() == 4);
    CHECK(linear.values[0] == 0.005);
    CHECK(linear.values[3] == doctest::Approx(0.02).epsilon(1e-15));
    CHECK(parse_grid_axis("/a=3:1:-1").values == std::vector<double>{3, 2, 1});
    const GridAxis log = parse_grid_axis("/a=log:1:100:3");
    REQUIRE(log.values.size() == 3);
    CHECK(log.values[0] == 1.0);
    CHECK(log.values[1] == doctest::Approx(10.0).epsilon(1e-14));
    CHECK(log.values[2] == 100.0);
    CHECK(parse_grid_axis("/a=0.5,2,1e3").values == std::vector<double>{0.5, 2, 1000});
    CHECK(parse_grid_axis("/a=7").values == std::vector<double>{7});
    for (const char* bad : {"/a", "a=1", "/a=", "/a=x", "/a=1:2:0", "/a=1:2:-1", "/a=log:0:1:3",
                            "/a=log:1:2:1", "/a=1:2", "/a=nan", "/a=0:1e9:1", "/a=1,,2"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_grid_axis(bad), InputError);
    }

    Grid grid;
    grid.axes = {parse_grid_axis("/x=1,2,3"), parse_grid_axis("/y=10,20")};
    CHECK(grid.points() == 6);
    CHECK(grid.coordinates(3) == std::vector<std::size_t>{1, 1});  // last axis fastest
    const auto overrides = grid.overrides(5);
    CHECK(overrides[0].value == "3");
    CHECK(overrides[1].value == "20");
    CHECK(exact_json_number(0.1) == "0.10000000000000001");
}

TEST_CASE("grid points are validated before anything runs, each message naming its point") {
    Grid grid;
    grid.axes = {parse_grid_axis("/venue/maintenance_margin=0.01,0.06")};
    try {
        grid_scenarios(source_of(sweep_crash_scenario()), grid);
        FAIL("expected InputError");
    } catch (const InputError& e) {
        REQUIRE(e.diagnostics().size() == 1);
        CHECK(e.diagnostics()[0].message.find("grid point /venue/maintenance_margin=0.06") !=
              std::string::npos);
    }
    grid.axes = {parse_grid_axis("/simulation/seed=1,2")};
    CHECK_THROWS_WITH_AS(grid_scenarios(source_of(sweep_crash_scenario()), grid),
                         doctest::Contains("common random numbers"), InputError);
}

TEST_CASE("a sweep equals separate runs of its points, for any thread count") {
    Grid grid;
    grid.axes = {parse_grid_axis("/venue/maintenance_margin=0.01,0.02"),
                 parse_grid_axis("/venue/liquidation_penalty=0.005,0.02")};
    const nlohmann::json doc = sweep_crash_scenario();
    std::vector<SweepResults> sweeps;
    for (const char* threads : {"1", "2"}) {
        const auto scenarios =
            grid_scenarios(source_of(doc, {{"/simulation/threads", threads, "test"}}), grid);
        sweeps.push_back(run_sweep(scenarios, grid));
    }
    for (std::size_t m = 0; m < sweeps[0].metrics.size(); ++m) {
        for (std::size_t p = 0; p < grid.points(); ++p) {
            INFO(sweeps[0].metrics[m].info.name << " at point " << p);
            CHECK(same_bits(sweeps[0].metrics[m].value[p], sweeps[1].metrics[m].value[p]));
            CHECK(same_bits(sweeps[0].metrics[m].difference_standard_error[p],
                            sweeps[1].metrics[m].difference_standard_error[p]));
        }
    }
    // Each point, run on its own with every output recorded, gives the same metrics.
    for (std::size_t p = 0; p < grid.points(); ++p) {
        const Scenario alone = parse_scenario(doc.dump(), "test.json", grid.overrides(p));
        const Results results = run_simulation(alone);
        for (std::size_t m = 0; m < metric_catalog().size(); ++m) {
            INFO(results.metrics[m].info.name << " at point " << p);
            CHECK(same_bits(results.metrics[m].value, sweeps[0].metrics[m].value[p]));
            CHECK(same_bits(results.metrics[m].standard_error,
                            sweeps[0].metrics[m].standard_error[p]));
            CHECK(same_bits(results.metrics[m].sum, sweeps[0].metrics[m].sum[p]));
            CHECK(same_bits(results.metrics[m].sum_squares, sweeps[0].metrics[m].sum_squares[p]));
        }
    }
    CHECK(sweeps[0].max_leverage[0] == doctest::Approx(20.0));
    // The margin changes bad debt; the baseline differs from itself by exactly 0.
    CHECK(swept(sweeps[0], "bad_debt_mean").value[0] != swept(sweeps[0], "bad_debt_mean").value[2]);
    CHECK(swept(sweeps[0], "bad_debt_mean").difference[0] == 0.0);
    CHECK(swept(sweeps[0], "bad_debt_mean").difference_standard_error[0] == 0.0);
}

TEST_CASE("common random numbers: differences between nearby points are measured precisely") {
    Grid grid;
    grid.axes = {parse_grid_axis("/venue/maintenance_margin=0.010,0.011")};
    const SweepResults sweep =
        run_sweep(grid_scenarios(source_of(sweep_crash_scenario()), grid), grid);
    for (const char* name : {"bad_debt_mean", "liquidated_notional_mean", "bad_debt_es95"}) {
        INFO(name);
        const SweptMetric& m = swept(sweep, name);
        REQUIRE(m.standard_error[1] > 0.0);
        REQUIRE(m.difference[1] != 0.0);
        // Independent runs would give sqrt(2) x the point's error; paired paths
        // cancel almost all of it.
        CHECK(m.difference_standard_error[1] < 0.25 * m.standard_error[1]);
        CHECK(m.difference_standard_error[1] > 0.0);
    }
}

TEST_CASE("without impact, a higher maintenance margin never adds bad debt on any path") {
    nlohmann::json doc = sweep_crash_scenario();
    doc["market"]["impact"] = {{"model", "none"}};
    doc["venue"]["liquidation_penalty"] = 0.0;
    doc["venue"]["insurance_fund"] = 0.0;
    Grid grid;
    grid.axes = {parse_grid_axis("/venue/maintenance_margin=0.002:0.042:0.01")};
    const auto scenarios = grid_scenarios(source_of(doc), grid);
    std::vector<std::vector<double>> bad_debt;
    for (const Scenario& s : scenarios) {
        bad_debt.push_back(run_simulation(s).path_column("bad_debt").values);
    }
    std::size_t strictly_less = 0;
    for (std::size_t p = 0; p + 1 < bad_debt.size(); ++p) {
        for (std::size_t path = 0; path < bad_debt[p].size(); ++path) {
            INFO("margin index " << p << ", path " << path);
            // Each account's shortfall can only shrink (see docs/models.md); the
            // sums agree to rounding when nothing changed.
            CHECK(bad_debt[p + 1][path] <= bad_debt[p][path] * (1 + 1e-12) + 1e-9);
            strictly_less += bad_debt[p + 1][path] < bad_debt[p][path] * (1 - 1e-9) ? 1 : 0;
        }
    }
    CHECK(strictly_less > 10);  // the margin does matter on these paths
}

TEST_CASE("tune recovers the closed-form maximum leverage for a bad-debt probability") {
    // One step of GBM, no impact, no fund: a long at leverage L entered at S0
    // ends with bad debt exactly when S_T < S0 (1 - 1/L), so
    // P(bad debt) = Phi((ln(1 - 1/L) + sigma^2 T / 2) / (sigma sqrt(T))) and the
    // largest L with P <= p is 1 / (1 - exp(sigma sqrt(T) z_p - sigma^2 T / 2)).
    nlohmann::json doc = test::base_scenario();
    const double sigma = 0.5;
    doc["simulation"] = {
        {"paths", 20000}, {"horizon", "1d"}, {"steps", 1}, {"seed", 11}, {"threads", 2}};
    doc["market"]["price_model"]["volatility"] = sigma;
    doc["venue"] = {{"initial_margin", 0.01},
                    {"maintenance_margin", 0.005},
                    {"liquidation_penalty", 0.0},
                    {"insurance_fund", 0.0}};
    doc["population"]["cohorts"] = nlohmann::json::array({{{"name", "one"},
                                                           {"side", "long"},
                                                           {"accounts", 1},
                                                           {"leverage", 10.0},
                                                           {"notional", 1000.0}}});
    TuneOptions options;
    options.parameter = "/population/cohorts/0/leverage";
    options.low = 2.0;
    options.high = 50.0;
    options.prefer_high = true;
    options.target = parse_target("p_bad_debt <= 0.01");
    options.tolerance = 1e-3;
    const TuneResult result = run_tune(source_of(doc), options);

    const double t = 1.0 / 365.0;
    const double z = -2.3263478740408408;  // Phi^-1(0.01)
    const double analytic =
        1.0 / (1.0 - std::exp(sigma * std::sqrt(t) * z - 0.5 * sigma * sigma * t));
    INFO(result.sentence);
    CHECK(result.status == TuneStatus::found);
    REQUIRE(std::isfinite(result.ci_low));
    REQUIRE(std::isfinite(result.ci_high));
    CHECK(result.ci_low <= result.value);
    CHECK(result.value <= result.ci_high);
    CHECK(result.ci_low <= analytic);
    CHECK(analytic <= result.ci_high);
    // The interval is informative: a few percent of the answer, not the range.
    CHECK(result.ci_high - result.ci_low < 0.1 * analytic);
    CHECK(result.sentence.find("largest /population/cohorts/0/leverage") != std::string::npos);

    // A target no setting in the range meets is said to be so.
    options.target = parse_target("p_bad_debt <= 0.00001");
    options.low = 30.0;
    const TuneResult impossible = run_tune(source_of(doc), options);
    CHECK(impossible.status == TuneStatus::cannot_be_met);
    CHECK(impossible.sentence.find("cannot be met") != std::string::npos);
}

TEST_CASE("tune targets: operators, bounds from the scenario, and errors") {
    const TuneTarget a = parse_target("bad_debt_es99 <= insurance_fund");
    CHECK(a.metric == "bad_debt_es99");
    CHECK(a.at_most);
    CHECK(!a.strict);
    CHECK(!a.bound);
    CHECK(a.bound_pointer == "/venue/insurance_fund");
    const TuneTarget b = parse_target("p_fund_exhausted<0.05");
    CHECK(b.strict);
    CHECK(*b.bound == 0.05);
    CHECK(!parse_target("final_price_mean >= /market/initial_price").at_most);
    for (const char* bad : {"p_bad_debt", "nonsense <= 1", "p_bad_debt <= ", "p_bad_debt <= inf"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_target(bad), InputError);
    }
}

}  // namespace cascade
