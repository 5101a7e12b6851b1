// Liquidity realism: liquidity droughts on the grid and in a cascade, depth
// that shrinks with realised volatility (its formula on a constructed return
// sequence, and a hand-computed liquidation under it), the square-root model
// in a run, mechanisms that cannot act reproducing the run without them bit
// for bit, and their validation.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "models/shocks/shock_schedule.hpp"
#include "sim/engine/depth_tracker.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion; one long at 10x entered at 100 (bankruptcy 90, liquidation
// 90 / 0.99 = 90.909 under a 1 % margin) with 100 units, taken by a 10 % jump
// at `jump`. The 5 % jump at 3h before it, which liquidates nothing, gives the
// market a realised volatility. Hourly steps over 10h. Linear impact of 1e-4
// per unit; a fund that covers the shortfall.
nlohmann::json liquidity_jump_scenario(const char* jump = "6h") {
    auto doc = test::one_long_jump_scenario();
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e-6}, {"floor", 0.5}};
    doc["shocks"].push_back({{"type", "jump"}, {"time", jump}, {"size", -0.1}});
    doc["venue"]["insurance_fund"] = 1e6;
    doc["population"]["cohorts"][0]["notional"] = 1e4;
    return doc;
}

// The move of the market's log price by the liquidation: log(market / exogenous)
// at the grid point of the liquidation's step.
double impact_at(const Results& r, std::size_t k) {
    return std::log(r.samples[0].values(0, k) / r.samples[1].values(0, k));
}

using test::check_same_paths;

std::string liquidity_errors_of(const nlohmann::json& doc) {
    try {
        parse_scenario(doc.dump(), "s.json");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a liquidity drought divides the depth over its window, time-weighted in part-steps") {
    const TimeGrid grid{10 * 3600.0, 10};  // hourly steps
    // A fifth of the depth from 2.5h to 5h; a half from 4h to 6h.
    const std::vector<Shock> shocks = {LiquidityDrought{2.5 * 3600, 2.5 * 3600, 0.2},
                                       LiquidityDrought{4 * 3600, 2 * 3600, 0.5}};
    const ShockSchedule schedule(grid, shocks);
    // Step 3 (2h-3h) is half inside: impact per unit 1 + 0.5 (1/0.2 - 1) = 3 times.
    const std::vector<double> expected = {1, 1, 1.0 / 3.0, 0.2, 0.2 * 0.5, 0.5, 1, 1, 1, 1};
    for (std::size_t k = 0; k < expected.size(); ++k) {
        INFO("step " << k + 1);
        CHECK(schedule.depth_multiplier(k) == doctest::Approx(expected[k]).epsilon(1e-15));
        // The price is not touched.
        CHECK(schedule.log_shift(k) == 0.0);
        CHECK(schedule.volatility_multiplier(k) == 1.0);
    }
    CHECK(schedule.depth_multiplier(3) == 0.2);  // a whole step: the factor itself
    // No drought, no depth schedule.
    CHECK(ShockSchedule(grid, {}).depth_multipliers().empty());
}

TEST_CASE("a drought multiplies the impact of the same liquidation by 1 / factor, only inside") {
    const Results plain = run_simulation(test::scenario_from(liquidity_jump_scenario()));
    REQUIRE(plain.events.size() == 1);
    REQUIRE(plain.events[0].step == 6);
    const double normal = impact_at(plain, 6);
    // 1e4 / 100 = 100 units sold at kappa = 1e-6 x 100 per unit: -0.01.
    CHECK(normal == doctest::Approx(-0.01).epsilon(1e-12));

    for (const double factor : {0.5, 0.3}) {
        INFO("depth factor " << factor);
        auto doc = liquidity_jump_scenario();
        doc["shocks"].push_back({{"type", "liquidity_drought"},
                                 {"start", "5h"},
                                 {"duration", "2h"},
                                 {"depth_factor", factor}});
        const Results dry = run_simulation(test::scenario_from(doc));
        REQUIRE(dry.events.size() == 1);
        CHECK(impact_at(dry, 6) == doctest::Approx(normal / factor).epsilon(1e-12));
        // The fill walks the thinner book: (1 - e^-d) / d of the pre-trade price.
        const double d = 0.01 / factor;
        CHECK(dry.events[0].fill_price ==
              doctest::Approx(100.0 * 0.95 * 0.9 * -std::expm1(-d) / d).epsilon(1e-12));
        // The price model is untouched: the exogenous paths are the same.
        CHECK(dry.samples[1].values.data == plain.samples[1].values.data);

        // A drought that ends before the liquidation changes nothing at all.
        doc = liquidity_jump_scenario();
        doc["shocks"].push_back({{"type", "liquidity_drought"},
                                 {"start", "1h"},
                                 {"duration", "4h"},
                                 {"depth_factor", factor}});
        check_same_paths(plain, run_simulation(test::scenario_from(doc)));
    }
    // Half the depth over exactly the liquidation's step (5h-6h) doubles its impact.
    auto doc = liquidity_jump_scenario();
    doc["shocks"].push_back({{"type", "liquidity_drought"},
                             {"start", "5h"},
                             {"duration", "1h"},
                             {"depth_factor", 0.5}});
    const Results half = run_simulation(test::scenario_from(doc));
    CHECK(impact_at(half, 6) == doctest::Approx(2.0 * normal).epsilon(1e-12));
}

TEST_CASE("elastic depth follows its formula over a constructed return sequence") {
    ElasticDepth elastic;
    elastic.on = true;
    elastic.elasticity = 1.5;
    elastic.reference_volatility = 0.8;
    elastic.min_multiplier = 0.05;
    elastic.max_multiplier = 2.0;
    const double dt = 3600.0 / (365.0 * 86400.0);
    DepthTracker depth(elastic, dt, 3);
    CHECK(depth.elastic());
    CHECK(depth.multiplier() == 1.0);  // before any return
    const double returns[] = {0.0, 0.004, -0.03, 0.01, 0.0, 0.0, 0.0, 0.0005};
    for (std::size_t i = 0; i < std::size(returns); ++i) {
        INFO("after return " << i);
        depth.observe(returns[i]);
        // The window: the last three returns seen (fewer at the start).
        double sum = 0.0;
        std::size_t n = 0;
        for (std::size_t j = i + 1 - std::min<std::size_t>(i + 1, 3); j <= i; ++j, ++n) {
            sum += returns[j] * returns[j];
        }
        const double sigma = std::sqrt(sum / (static_cast<double>(n) * dt));
        const double expected = std::clamp(std::pow(sigma / 0.8, -1.5), 0.05, 2.0);
        CHECK(depth.multiplier() == doctest::Approx(expected).epsilon(1e-12));
    }
    // The violent stretch thins the book to the floor, the calm one after it
    // brings it back to the cap: the book recovers as volatility falls.
    DepthTracker replay(elastic, dt, 3);
    double thinnest = 1.0;
    for (const double r : returns) {
        replay.observe(r);
        thinnest = std::min(thinnest, replay.multiplier());
    }
    CHECK(thinnest < 0.4);
    CHECK(replay.multiplier() > 1.0);
}

TEST_CASE("elastic depth thins the book after a jump: a liquidation computed by hand") {
    auto doc = liquidity_jump_scenario();
    doc["market"]["impact"]["elastic_depth"] = {{"elasticity", 1.0},
                                                {"reference_volatility", 0.5},
                                                {"window", "4h"},
                                                {"min_multiplier", 0.01}};
    const Results r = run_simulation(test::scenario_from(doc));
    REQUIRE(r.events.size() == 1);
    REQUIRE(r.events[0].step == 6);
    // Before step 6 the window holds the returns of steps 2-5, one of them log 0.95.
    const double dt = 3600.0 / (365.0 * 86400.0);
    const double sigma = std::abs(std::log(0.95)) / std::sqrt(4.0 * dt);
    const double depth = std::clamp(0.5 / sigma, 0.01, 1.0);
    REQUIRE(depth < 0.5);  // far thinner than stated
    const double d = 0.01 / depth;
    CHECK(impact_at(r, 6) == doctest::Approx(-d).epsilon(1e-12));
    CHECK(r.events[0].fill_price ==
          doctest::Approx(100.0 * 0.95 * 0.9 * -std::expm1(-d) / d).epsilon(1e-12));

    // Jumps further apart: by step 9 the 5 % return has left the 4h window and
    // the window is calm (no return at all): the book is back to its full depth.
    doc["shocks"][1]["time"] = "9h";
    const Results later = run_simulation(test::scenario_from(doc));
    REQUIRE(later.events.size() == 1);
    REQUIRE(later.events[0].step == 9);
    CHECK(impact_at(later, 9) == doctest::Approx(-0.01).epsilon(1e-12));
}

TEST_CASE("mechanisms that cannot act reproduce the run without them bit for bit") {
    nlohmann::json doc = test::two_sided_crash_scenario();
    doc["market"]["price_model"]["volatility"] = 1.0;
    doc["market"]["impact"]["half_life"] = "2h";
    const Results plain = run_simulation(test::scenario_from(doc));
    CHECK(plain.path_column("liquidations").values[0] > 0.0);
    CHECK(plain.path_column("max_cascade_rounds").values[0] > 1.0);

    SUBCASE("elastic depth pinned at the stated depth") {
        doc["market"]["impact"]["elastic_depth"] = {{"elasticity", 2.0},
                                                    {"reference_volatility", 0.5},
                                                    {"window", "3h"},
                                                    {"min_multiplier", 1.0},
                                                    {"max_multiplier", 1.0}};
        check_same_paths(plain, run_simulation(test::scenario_from(doc)));
    }
    SUBCASE("elastic depth with elasticity 0") {
        doc["market"]["impact"]["elastic_depth"] = {
            {"elasticity", 0.0}, {"reference_volatility", 0.5}, {"window", "3h"}};
        check_same_paths(plain, run_simulation(test::scenario_from(doc)));
    }
    SUBCASE("a drought of depth factor 1") {
        doc["shocks"].push_back({{"type", "liquidity_drought"},
                                 {"start", "1h"},
                                 {"duration", "10h"},
                                 {"depth_factor", 1.0}});
        check_same_paths(plain, run_simulation(test::scenario_from(doc)));
    }
    SUBCASE("elastic depth next to a volatility-scaled margin leaves the margin alone") {
        doc["venue"]["margin_policy"] = {{"model", "volatility_scaled"},
                                         {"window", "2h"},
                                         {"reference_volatility", 0.6},
                                         {"floor", 0.005},
                                         {"cap", 0.04}};
        const Results margin_only = run_simulation(test::scenario_from(doc));
        doc["market"]["impact"]["elastic_depth"] = {{"elasticity", 1.0},
                                                    {"reference_volatility", 0.5},
                                                    {"window", "5h"},
                                                    {"min_multiplier", 1.0}};
        check_same_paths(margin_only, run_simulation(test::scenario_from(doc)));
    }
    SUBCASE("and when they can act, they do") {
        doc["shocks"].push_back({{"type", "liquidity_drought"},
                                 {"start", "1h"},
                                 {"duration", "10h"},
                                 {"depth_factor", 0.3}});
        const Results dry = run_simulation(test::scenario_from(doc));
        CHECK_FALSE(test::same_bits(plain.path_column("min_price").values,
                                    dry.path_column("min_price").values));
    }
}

TEST_CASE("square-root impact in a run: the liquidation moves the price by the law") {
    auto doc = liquidity_jump_scenario();
    // 100 units are 1 % of a day's volume of 1e4 units (1e6 quote at 100).
    doc["market"]["impact"] = {
        {"model", "square_root"}, {"daily_volume", 1e6}, {"volatility", 0.04}, {"Y", 0.75}};
    const Results r = run_simulation(test::scenario_from(doc));
    REQUIRE(r.events.size() == 1);
    const double x = 0.75 * 0.04 * std::sqrt(0.01);
    CHECK(impact_at(r, 6) == doctest::Approx(-x).epsilon(1e-12));
    // The average over the units from rest, 2 (1 - (1 + x) e^-x) / x^2, in long
    // double: in double the difference would keep only about 5 digits at x = 0.003.
    const long double lx = x;
    const auto average =
        static_cast<double>(2.0L * (1.0L - (1.0L + lx) * std::exp(-lx)) / (lx * lx));
    CHECK(r.events[0].fill_price == doctest::Approx(100.0 * 0.95 * 0.9 * average).epsilon(1e-13));
    CHECK(r.run.max_ledger_imbalance < 1e-12);
    const auto resolved = nlohmann::json::parse(test::scenario_from(doc).resolved_json);
    CHECK(resolved["market"]["impact"]["floor"] == 0.01);
    CHECK(resolved["market"]["impact"]["Y"] == 0.75);
}

TEST_CASE("the shipped liquidity-crunch scenario: engines agree, and the thin book matters") {
    const auto file = test::source_dir() / "scenarios/liquidity-crunch.json";
    const std::vector<Override> few = {parse_override("/simulation/paths=8"),
                                       parse_override("/output/sample_paths=8")};
    const Scenario scenario = load_scenario(file, few);
    CHECK(scenario.market.impact.shape == ImpactShape::square_root);
    CHECK(scenario.market.impact.elastic_depth.on);
    RunOptions reference;
    reference.engine = EngineKind::reference_scan;
    const Results cursor = run_simulation(scenario);
    const Results scan = run_simulation(scenario, reference);
    check_same_paths(cursor, scan);
    REQUIRE(cursor.events.size() == scan.events.size());
    CHECK(cursor.run.max_ledger_imbalance < 1e-12);
    // Without the drought and the elastic depth the same paths liquidate less.
    std::vector<Override> steady = few;
    steady.push_back(parse_override("/market/impact/elastic_depth/min_multiplier=1"));
    steady.push_back(parse_override("/shocks/1/depth_factor=1"));
    const Results calm = run_simulation(load_scenario(file, steady));
    double thin = 0.0;
    double deep = 0.0;
    for (std::size_t p = 0; p < 8; ++p) {
        thin += cursor.path_column("liquidated_notional").values[p];
        deep += calm.path_column("liquidated_notional").values[p];
    }
    CHECK(thin > 1.5 * deep);
}

TEST_CASE("liquidity validation: every bad parameter named by its pointer") {
    auto doc = liquidity_jump_scenario();
    doc["market"]["impact"] = {{"model", "square_root"}, {"volatility", 0.0}, {"Y", 200}};
    std::string errors = liquidity_errors_of(doc);
    CHECK(errors.find("s.json: /market/impact/daily_volume: required field is missing") !=
          std::string::npos);
    CHECK(errors.find("s.json: /market/impact/volatility: must be in [1e-06, 10], got 0") !=
          std::string::npos);
    CHECK(errors.find("s.json: /market/impact/Y: must be in [0.001, 100], got 200") !=
          std::string::npos);

    doc["market"]["impact"] = {{"model", "square_root"},
                               {"daily_volume", 1e8},
                               {"volatility", 0.04},
                               {"depth_1pct", 1e6},
                               {"elastic_depth",
                                {{"elasticity", -1},
                                 {"reference_volatility", 0.5},
                                 {"window", "0s"},
                                 {"min_multiplier", 1.5},
                                 {"max_multiplier", 0.5}}}};
    errors = liquidity_errors_of(doc);
    CHECK(errors.find("s.json: /market/impact/depth_1pct: unknown key") != std::string::npos);
    CHECK(errors.find(
              "s.json: /market/impact/elastic_depth/elasticity: must be in [0, 10], got -1") !=
          std::string::npos);
    CHECK(errors.find("s.json: /market/impact/elastic_depth/window: must be") != std::string::npos);
    CHECK(errors.find(
              "s.json: /market/impact/elastic_depth/min_multiplier: must be in (0, 1], got 1.5") !=
          std::string::npos);
    CHECK(
        errors.find(
            "s.json: /market/impact/elastic_depth/max_multiplier: must be in [1, 1000], got 0.5") !=
        std::string::npos);

    doc = liquidity_jump_scenario();
    doc["market"]["impact"] = {{"model", "none"}, {"elastic_depth", {{"elasticity", 1}}}};
    CHECK(liquidity_errors_of(doc).find("/market/impact/elastic_depth: unknown key") !=
          std::string::npos);

    doc = liquidity_jump_scenario();
    doc["shocks"].push_back({{"type", "liquidity_drought"},
                             {"start", "1h"},
                             {"duration", "2h"},
                             {"depth_factor", 0.0}});
    doc["shocks"].push_back({{"type", "liquidity_drought"},
                             {"start", "10h"},
                             {"duration", "2h"},
                             {"depth_factor", 1.5}});
    doc["shocks"].push_back({{"type", "liquidity_droght"}, {"start", "1h"}});
    errors = liquidity_errors_of(doc);
    CHECK(errors.find("s.json: /shocks/2/depth_factor: must be in (0, 1], got 0") !=
          std::string::npos);
    CHECK(errors.find("s.json: /shocks/3/depth_factor: must be in (0, 1], got 1.5") !=
          std::string::npos);
    CHECK(errors.find("s.json: /shocks/3/start: is at or after the horizon") != std::string::npos);
    CHECK(errors.find("s.json: /shocks/4/type: expected one of") != std::string::npos);
    CHECK(errors.find("(did you mean \"liquidity_drought\"?)") != std::string::npos);

    // A drought needs a book to thin.
    doc = liquidity_jump_scenario();
    doc["market"].erase("impact");
    doc["shocks"].push_back({{"type", "liquidity_drought"},
                             {"start", "1h"},
                             {"duration", "2h"},
                             {"depth_factor", 0.5}});
    CHECK(liquidity_errors_of(doc).find(
              "s.json: /shocks/2/type: a liquidity drought thins the order book, "
              "but /market/impact/model is \"none\"") != std::string::npos);
}

}  // namespace cascade
