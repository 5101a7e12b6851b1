// The scenario parser: defaults, every problem reported at once with its JSON
// pointer, typos caught with a suggestion, overrides validated like the file.

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "sim/errors.hpp"
#include "sim/scenario/json_reader.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// The messages of the InputError that parsing `text` throws, one per line.
std::string errors_of(const std::string& text, const std::vector<Override>& overrides = {}) {
    try {
        parse_scenario(text, "s.json", overrides);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

std::string errors_of_doc(const nlohmann::json& doc) {
    return errors_of(doc.dump());
}

}  // namespace

TEST_CASE("a minimal scenario resolves with every default filled in") {
    const auto doc = nlohmann::json::parse(R"({
        "simulation": {"horizon": "1d", "step": "1h"},
        "market": {"initial_price": 50, "price_model": {"model": "gbm", "volatility": 0.4}}})");
    const Scenario s = test::scenario_from(doc);
    CHECK(s.simulation.grid.steps == 24);
    CHECK(s.simulation.grid.horizon_seconds == 86400.0);
    CHECK(s.simulation.paths == 10000);
    CHECK(s.output.quantile_levels.size() == 7);
    const auto resolved = nlohmann::json::parse(s.resolved_json);
    CHECK(resolved["simulation"]["steps"] == 24);
    CHECK(resolved["simulation"]["seed"] == 1);
    CHECK(resolved["market"]["price_model"]["drift"] == 0.0);
    CHECK(resolved["output"]["sample_paths"] == 10);
    CHECK(resolved["shocks"].is_array());
    // The resolved scenario is itself a valid scenario that resolves to itself.
    CHECK(parse_scenario(s.resolved_json, "resolved.json").resolved_json == s.resolved_json);
}

TEST_CASE("every problem is reported, each with its pointer") {
    auto doc = test::base_scenario();
    doc["simulation"]["paths"] = 0;
    doc["market"]["price_model"]["volatility"] = -0.2;
    doc["market"]["initial_price"] = "100";
    doc["output"]["quantiles"] = {0.5, 0.2};
    const std::string errors = errors_of_doc(doc);
    CHECK(errors.find("s.json: /simulation/paths: must be an integer in [1, 1000000000], got 0") !=
          std::string::npos);
    CHECK(errors.find("s.json: /market/price_model/volatility: must be in [0, 10], got -0.2") !=
          std::string::npos);
    CHECK(errors.find("s.json: /market/initial_price: expected a number, got \"100\"") !=
          std::string::npos);
    CHECK(errors.find("s.json: /output/quantiles/1: levels must be strictly increasing") !=
          std::string::npos);
}

TEST_CASE("unknown keys are errors with a did-you-mean suggestion") {
    auto doc = test::base_scenario();
    doc["simulation"]["seeed"] = 3;
    doc["market"]["price_model"]["volatilty"] = 0.3;
    doc["market"]["price_model"].erase("volatility");
    doc["outptu"] = nlohmann::json::object();
    const std::string errors = errors_of_doc(doc);
    CHECK(errors.find("/simulation/seeed: unknown key (did you mean \"seed\"?)") !=
          std::string::npos);
    CHECK(
        errors.find("/market/price_model/volatilty: unknown key (did you mean \"volatility\"?)") !=
        std::string::npos);
    CHECK(errors.find("/market/price_model/volatility: required field is missing") !=
          std::string::npos);
    CHECK(errors.find("/outptu: unknown key (did you mean \"output\"?)") != std::string::npos);
}

TEST_CASE("an unknown model name is one error, not a cascade of parameter errors") {
    auto doc = test::base_scenario();
    doc["market"]["price_model"]["model"] = "gmb";
    const std::string errors = errors_of_doc(doc);
    CHECK(errors ==
          "s.json: /market/price_model/model: expected one of \"gbm\", \"merton\" or "
          "\"garch\", got \"gmb\" (did you mean \"gbm\"?)");
}

TEST_CASE("model-specific rules") {
    auto doc = test::base_scenario();
    doc["market"]["price_model"] = {{"model", "garch"},
                                    {"long_run_volatility", 0.5},
                                    {"alpha", 0.2},
                                    {"beta", 0.85},
                                    {"degrees_of_freedom", 5}};
    const std::string errors = errors_of_doc(doc);
    CHECK(errors.find("/market/price_model/beta: alpha + beta must be < 1") != std::string::npos);
    // Degrees of freedom only mean something for Student-t innovations.
    CHECK(errors.find("/market/price_model/degrees_of_freedom: only used with \"innovations\": "
                      "\"student_t\"") != std::string::npos);
}

TEST_CASE("time step given as a count, a duration, or both consistently") {
    auto doc = test::base_scenario();
    doc["simulation"].erase("steps");
    CHECK(errors_of_doc(doc).find("/simulation: give the time step") != std::string::npos);
    doc["simulation"]["step"] = "7min";
    CHECK(errors_of_doc(doc).find(
              "/simulation/step: the horizon (1d) must be a whole number of steps") !=
          std::string::npos);
    doc["simulation"]["step"] = "30min";
    CHECK(test::scenario_from(doc).simulation.grid.steps == 48);
    doc["simulation"]["steps"] = 24;
    CHECK(errors_of_doc(doc).find("gives 48 steps over the horizon but \"steps\" says 24") !=
          std::string::npos);
}

TEST_CASE("numbers: integers may be written 1e4, not 2.5, and absurd sizes are refused") {
    auto doc = test::base_scenario();
    doc["simulation"]["paths"] = 1e4;
    CHECK(test::scenario_from(doc).simulation.paths == 10000);
    doc["simulation"]["paths"] = 2.5;
    CHECK(errors_of_doc(doc).find("/simulation/paths: expected an integer") != std::string::npos);
    doc["simulation"]["paths"] = 1e15;
    CHECK(errors_of_doc(doc).find(
              "/simulation/paths: must be an integer in [1, 1000000000], got 1e+15") !=
          std::string::npos);
    doc["simulation"]["paths"] = -5;
    CHECK(errors_of_doc(doc).find("/simulation/paths: must be") != std::string::npos);
}

TEST_CASE("seeds span the whole 64-bit range, and nothing beyond it wraps around") {
    auto doc = test::base_scenario();
    doc["simulation"]["seed"] = std::numeric_limits<std::uint64_t>::max();
    CHECK(test::scenario_from(doc).simulation.seed == std::numeric_limits<std::uint64_t>::max());
    doc["simulation"]["seed"] = 0x1.0p64;  // 2^64 as a float: one past the end
    CHECK(errors_of_doc(doc).find("/simulation/seed: must be an integer in [0, "
                                  "18446744073709551615], got 1.8446744073709552e+19") !=
          std::string::npos);
    CHECK(errors_of(R"({"simulation": {"seed": 18446744073709551616}})")
              .find("/simulation/seed: must be an integer") != std::string::npos);
}

TEST_CASE("did-you-mean knows keys the file left out") {
    auto doc = test::base_scenario();
    doc["simulation"].erase("steps");
    doc["simulation"]["step"] = "1h";
    doc["simulation"]["stpes"] = 24;
    CHECK(errors_of_doc(doc).find("/simulation/stpes: unknown key (did you mean \"steps\"?)") !=
          std::string::npos);
}

TEST_CASE("a crash cut short by the horizon is an error: only part of the drop would happen") {
    auto doc = test::base_scenario();
    doc["shocks"] = nlohmann::json::parse(R"([{"type": "crash", "start": "20h", "duration": "2h",
        "drop": 0.3, "recovery": {"fraction": 0.5, "duration": "3h"}}])");
    CHECK(errors_of_doc(doc).find("s.json: /shocks/0: the crash and its recovery must end by the "
                                  "horizon") != std::string::npos);
    doc["shocks"][0]["start"] = "19h";
    CHECK(errors_of_doc(doc).empty());
}

TEST_CASE("durations need their unit") {
    auto doc = test::base_scenario();
    doc["simulation"]["horizon"] = 24;
    CHECK(errors_of_doc(doc).find("/simulation/horizon: expected a duration with its unit") !=
          std::string::npos);
    doc["simulation"]["horizon"] = "24 hours";
    CHECK(errors_of_doc(doc).find("/simulation/horizon: expected a duration") != std::string::npos);
    doc["simulation"]["horizon"] = "0h";
    CHECK(errors_of_doc(doc).find("/simulation/horizon: must be a duration in (0,") !=
          std::string::npos);
    CHECK(parse_duration("1.5d")->seconds == 129600.0);
    CHECK(parse_duration("250ms")->seconds == 0.25);
    CHECK(!parse_duration("5 parsecs"));
}

TEST_CASE("a shock that starts after the horizon is an error, not a silent no-op") {
    auto doc = test::base_scenario();
    doc["shocks"] = nlohmann::json::parse(
        R"([{"type": "crash", "start": "2d", "duration": "1h", "drop": 0.3}])");
    CHECK(errors_of_doc(doc).find("/shocks/0/start: is at or after the horizon") !=
          std::string::npos);
    doc["shocks"][0]["type"] = "crsh";
    CHECK(errors_of_doc(doc).find("/shocks/0/type: expected one of \"volatility\", \"crash\", "
                                  "\"jump\", \"liquidity_drought\" or \"oracle_outage\", got "
                                  "\"crsh\" (did you mean \"crash\"?)") != std::string::npos);
}

TEST_CASE("malformed files: syntax errors, duplicate keys, wrong top-level type, empty") {
    CHECK(errors_of("{\"simulation\": {,}}").find("s.json: invalid JSON: parse error at line 1") !=
          std::string::npos);
    CHECK(errors_of(R"({"name": "a", "name": "b"})") ==
          "s.json: /name: duplicate key (JSON objects must not repeat a key)");
    CHECK(errors_of(R"({"simulation": {"paths": 1, "paths": 2}})") ==
          "s.json: /simulation/paths: duplicate key (JSON objects must not repeat a key)");
    CHECK(errors_of(R"({"shocks": [{}, {"a": 1, "a": 2}]})") ==
          "s.json: /shocks/1/a: duplicate key (JSON objects must not repeat a key)");
    CHECK(errors_of("[1, 2]") == "s.json: expected a JSON object at the top level, got an array");
    CHECK(errors_of("  \n") == "s.json: file is empty; expected a JSON scenario object");
    CHECK(errors_of("{\"volatility\": NaN}").find("invalid JSON") != std::string::npos);
    CHECK(errors_of("{\"name\": \"\xff\xfe\"}").find("invalid JSON") != std::string::npos);
}

TEST_CASE("--set overrides go through the same validation and name themselves") {
    const std::string text = test::base_scenario().dump();
    const Scenario s =
        parse_scenario(text, "s.json",
                       std::vector<Override>{parse_override("/simulation/paths=250"),
                                             parse_override("/name=renamed"),
                                             parse_override("/output/quantiles=[0.1,0.9]")});
    CHECK(s.simulation.paths == 250);
    CHECK(s.name == "renamed");
    CHECK(s.output.quantile_levels == std::vector<double>{0.1, 0.9});

    CHECK(errors_of(text, {parse_override("/simulation/paths=-1")}) ==
          "s.json: /simulation/paths: must be an integer in [1, 1000000000], got -1 (value from "
          "--set /simulation/paths=-1)");
    CHECK(errors_of(text, {parse_override("/simulaton/paths=5")})
              .find("/simulaton: unknown key (did you mean \"simulation\"?)") != std::string::npos);
    CHECK(errors_of(text, {parse_override("/simulation/paths/x=5")}) ==
          "--set /simulation/paths/x=5: /simulation/paths/x: /simulation/paths is 1000, which has "
          "no member \"x\"");
    CHECK(errors_of(text, {parse_override("simulation/paths=5")}).find("is not a JSON pointer") !=
          std::string::npos);
    CHECK_THROWS_AS(parse_override("/simulation/paths"), InputError);
    // Overrides name themselves in messages, whatever shortcut made them.
    CHECK(errors_of(text, {Override{"/simulation/seed", "-1", "--seed -1"}})
              .find("got -1 (value from --seed -1)") != std::string::npos);
    // Tagging follows pointer tokens, not text prefixes.
    CHECK(
        errors_of(text,
                  {parse_override("/simulation/step=5"), parse_override("/simulation/steps=0")})
            .find("/simulation/steps: must be an integer in [1, 10000000], got 0 (value from --set "
                  "/simulation/steps=0)") != std::string::npos);
    // Arrays: an index up to the length, or "-", appends; a missing array is created.
    const auto crash = R"({"type": "crash", "start": "1h", "duration": "1h", "drop": 0.1})";
    const Scenario appended =
        parse_scenario(text, "s.json",
                       std::vector<Override>{parse_override(std::string("/shocks/-=") + crash),
                                             parse_override(std::string("/shocks/1=") + crash),
                                             parse_override("/shocks/1/drop=0.2")});
    CHECK(appended.shocks.size() == 2);
    CHECK(std::get<CrashShock>(appended.shocks[1]).drop == 0.2);
    CHECK(errors_of(text, {parse_override("/shocks/3/drop=0.2")})
              .find("/shocks holds 0 elements; expected an index from 0 to 0") !=
          std::string::npos);
    // A section the file leaves to its defaults can still be set.
    auto doc = test::base_scenario();
    doc.erase("output");
    CHECK(parse_scenario(doc.dump(), "s.json",
                         std::vector<Override>{parse_override("/output/sample_paths=3")})
              .output.sample_paths == 3);
}

}  // namespace cascade

namespace cascade {
namespace {

nlohmann::json with_population() {
    auto doc = test::base_scenario();
    doc["venue"] = {{"initial_margin", 0.02}, {"maintenance_margin", 0.01}};
    doc["population"]["cohorts"] = nlohmann::json::array(
        {{{"name", "a"},
          {"side", "long"},
          {"accounts", 10},
          {"leverage", {{"distribution", "uniform"}, {"min", 1}, {"max", 20}}},
          {"notional", 1000}}});
    return doc;
}

std::string problems(const nlohmann::json& doc) {
    try {
        test::scenario_from(doc);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("venue and population: required together, margins ordered, leverage within the maximum") {
    auto doc = with_population();
    CHECK(problems(doc).empty());
    const Scenario s = test::scenario_from(doc);
    CHECK(s.population.cohorts.size() == 1);
    CHECK(std::get<FixedDistribution>(s.population.cohorts[0].entry_price).value == 1.0);

    doc.erase("venue");
    // One error, not a second one per cohort about a maximum leverage nobody set.
    CHECK(problems(doc) ==
          "test.json: /venue: required field is missing: a population needs the "
          "venue's margin and liquidation rules");

    doc = with_population();
    doc["venue"]["initial_margin"] = 1.01;  // out of range: no follow-on leverage error
    CHECK(problems(doc) == "test.json: /venue/initial_margin: must be in (0, 1], got 1.01");

    doc = with_population();
    doc["population"]["positions_csv"] = "";
    CHECK(problems(doc).find("/population/positions_csv: must name a file") != std::string::npos);
    doc["population"].erase("positions_csv");
    doc["population"]["cohorts"][0]["name"] = "";
    CHECK(problems(doc).find("/population/cohorts/0/name: must not be empty") != std::string::npos);

    doc = with_population();
    doc["venue"]["maintenance_margin"] = 0.03;
    CHECK(problems(doc).find("/venue/maintenance_margin: must be below initial_margin (0.02)") !=
          std::string::npos);

    doc = with_population();
    doc["population"]["cohorts"][0]["leverage"] = {
        {"distribution", "lognormal"}, {"median", 10}, {"sigma", 0.5}};
    CHECK(problems(doc).find("/population/cohorts/0/leverage: can reach leverage inf, above the "
                             "venue maximum 50") != std::string::npos);
    doc["population"]["over_leverage"] = "clip";
    CHECK(problems(doc).empty());

    doc = with_population();
    doc["population"]["cohorts"].push_back(doc["population"]["cohorts"][0]);
    CHECK(problems(doc).find("/population/cohorts/1/name: \"a\" names two cohorts") !=
          std::string::npos);

    doc = with_population();
    doc["population"]["cohorts"][0]["side"] = "lnog";
    CHECK(
        problems(doc).find("/population/cohorts/0/side: expected one of \"long\" or \"short\", got "
                           "\"lnog\" (did you mean \"long\"?)") != std::string::npos);
}

TEST_CASE("maintenance tiers: amounts computed, the table checked, one margin rule at a time") {
    auto doc = with_population();
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_tiers",
                     {{{"notional_cap", 50'000}, {"rate", 0.004}},
                      {{"notional_cap", 250'000}, {"rate", 0.005}},
                      {{"notional_cap", 1e6}, {"rate", 0.01}, {"maintenance_amount", 1300}},
                      {{"rate", 0.025}}}}};
    REQUIRE(problems(doc).empty());
    const Scenario s = test::scenario_from(doc);
    REQUIRE(s.venue.maintenance_tiers.size() == 4);
    CHECK(std::isnan(s.venue.maintenance_margin));
    CHECK(std::isinf(s.venue.maintenance_tiers[3].notional_cap));
    // The resolved scenario carries the computed amounts (Binance's 0, 50, 1,300, 16,300).
    const auto resolved = nlohmann::json::parse(s.resolved_json)["venue"];
    CHECK(!resolved.contains("maintenance_margin"));
    const double amounts[] = {0.0, 50.0, 1300.0, 16300.0};
    for (std::size_t b = 0; b < 4; ++b) {
        CHECK(resolved["maintenance_tiers"][b]["maintenance_amount"].get<double>() ==
              doctest::Approx(amounts[b]).epsilon(1e-12));
    }
    CHECK(!resolved["maintenance_tiers"][3].contains("notional_cap"));
    // The resolved venue, amounts included, is itself valid.
    auto again = doc;
    again["venue"] = resolved;
    CHECK(problems(again).empty());

    const auto with = [&](const char* pointer, nlohmann::json value) {
        auto changed = doc;
        changed[nlohmann::json::json_pointer(pointer)] = std::move(value);
        return problems(changed);
    };
    const auto has = [](const std::string& text, const std::string& part) {
        INFO(text);
        CHECK(text.find(part) != std::string::npos);
    };
    has(with("/venue/maintenance_tiers/1/maintenance_amount", 60),
        "/venue/maintenance_tiers/1/maintenance_amount: must be 50, got 60: the previous "
        "bracket's amount plus (rate - previous rate) x previous cap");
    has(with("/venue/maintenance_tiers/0/maintenance_amount", 1),
        "/venue/maintenance_tiers/0/maintenance_amount: must be 0, got 1");
    has(with("/venue/maintenance_tiers/2/notional_cap", 250'000),
        "/venue/maintenance_tiers/2/notional_cap: caps must be strictly increasing: 250000 "
        "follows 250000");
    has(with("/venue/maintenance_tiers/2/rate", 0.0045),
        "/venue/maintenance_tiers/2/rate: must be at least the previous bracket's rate (0.005), "
        "got 0.0045");
    has(with("/venue/maintenance_tiers/3/rate", 0.05),
        "/venue/maintenance_tiers/3/rate: must be below initial_margin (0.05), got 0.05");
    has(with("/venue/maintenance_tiers/0/rate", 0),
        "/venue/maintenance_tiers/0/rate: must be in (0, 1)");
    has(with("/venue/maintenance_tiers/3/notional_cap", 2e6),
        "/venue/maintenance_tiers/3/notional_cap: the last bracket has no cap");
    has(with("/venue/maintenance_tiers/1", {{"rate", 0.005}}),
        "/venue/maintenance_tiers/1/notional_cap: required field is missing: every bracket but "
        "the last has a cap");
    has(with("/venue/maintenance_tiers", nlohmann::json::array()),
        "/venue/maintenance_tiers: needs at least one bracket");
    has(with("/venue/maintenance_tiers/0/cap", 1), "/venue/maintenance_tiers/0/cap: unknown key");
    has(with("/venue/maintenance_margin", 0.01),
        "/venue/maintenance_margin: give either maintenance_margin (one rate at every notional) "
        "or maintenance_tiers, not both");
    has(with("/venue/margin_policy", {{"model", "volatility_scaled"},
                                      {"window", "1h"},
                                      {"reference_volatility", 0.5},
                                      {"floor", 0.001},
                                      {"cap", 0.04}}),
        "/venue/margin_policy/model: a dynamic margin policy scales one maintenance_margin; "
        "under maintenance_tiers the liquidation prices would not move by a common factor");
    CHECK(with("/venue/margin_policy", {{"model", "flat"}}).empty());
    // Neither rule: the flat one is asked for, as before tiers existed.
    doc["venue"].erase("maintenance_tiers");
    has(problems(doc), "/venue/maintenance_margin: required field is missing");
}

TEST_CASE(
    "impact: exactly one way to state its size, and depth converts to log impact per notional") {
    auto doc = test::base_scenario();
    doc["market"]["impact"] = {{"model", "linear"}, {"depth_1pct", 1e6}, {"per_notional", 1e-6}};
    CHECK(problems(doc).find("/market/impact: give the impact's size as exactly one of") !=
          std::string::npos);
    doc["market"]["impact"] = {{"model", "linear"}, {"depth_2pct", 1e6}, {"half_life", "10min"}};
    const Scenario s = test::scenario_from(doc);
    // Selling 1e6 of notional at the initial price (100) moves the price by 2 %.
    CHECK(s.market.impact.kappa * 1e6 / 100.0 == doctest::Approx(-std::log(0.98)).epsilon(1e-14));
    CHECK(s.market.impact.half_life_seconds == 600.0);
    CHECK(s.market.impact.floor == 0.01);
    doc["market"].erase("impact");
    const auto resolved = nlohmann::json::parse(test::scenario_from(doc).resolved_json);
    CHECK(resolved["market"]["impact"]["model"] == "none");
}

TEST_CASE("output series: names checked, repeats refused") {
    auto doc = test::base_scenario();
    doc["output"]["series"] = {"price", "insurance_fnd"};
    CHECK(problems(doc).find("/output/series/1: expected one of") != std::string::npos);
    CHECK(problems(doc).find("(did you mean \"insurance_fund\"?)") != std::string::npos);
    doc["output"]["series"] = {"price", "price"};
    CHECK(problems(doc).find("/output/series/1: \"price\" is listed twice") != std::string::npos);
}

TEST_CASE("output bands: a method by name, a relative error the sketch supports") {
    auto doc = test::base_scenario();
    doc["output"]["band_method"] = "sketched";
    CHECK(problems(doc).find("/output/band_method: expected one of") != std::string::npos);
    CHECK(problems(doc).find("(did you mean \"sketch\"?)") != std::string::npos);
    doc["output"]["band_method"] = "sketch";
    doc["output"]["band_relative_error"] = 0.1;
    CHECK(problems(doc).find("/output/band_relative_error") != std::string::npos);
    doc["output"]["band_relative_error"] = 0.002;
    const Scenario scenario = test::scenario_from(doc);
    CHECK(scenario.output.band_method == BandMethod::sketch);
    CHECK(scenario.output.band_relative_error == 0.002);
    const auto resolved =
        nlohmann::json::parse(test::scenario_from(test::base_scenario()).resolved_json);
    CHECK(resolved["output"]["band_method"] == "auto");
    CHECK(resolved["output"]["band_relative_error"] == 0.001);
}

TEST_CASE("automatic bands are exact while every path's values take at most 2 GiB") {
    OutputConfig output;
    output.series = {SeriesKind::price, SeriesKind::insurance_fund};
    const std::uint64_t points = 1025;
    // 2 series x 1025 points x 8 bytes a path: 2 GiB is 130,944.1 paths' worth.
    const std::uint64_t most = kExactBandsAutoBytes / (2 * points * sizeof(double));
    CHECK(most == 130944);
    CHECK(output.bands_for(most, points) == BandMethod::exact);
    CHECK(output.bands_for(most + 1, points) == BandMethod::sketch);
    output.band_method = BandMethod::exact;
    CHECK(output.bands_for(10 * most, points) == BandMethod::exact);
    output.band_method = BandMethod::sketch;
    CHECK(output.bands_for(1, points) == BandMethod::sketch);
}

}  // namespace cascade

namespace cascade {

TEST_CASE("hostile inputs found by fuzzing end in input errors, not crashes or hangs") {
    const auto message = [](const std::string& text, const std::vector<Override>& overrides = {}) {
        try {
            parse_scenario(text, "f.json", overrides);
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    // Nesting deep enough to overflow a recursive parser's stack.
    CHECK(message(std::string(100000, '[')) ==
          "f.json: invalid JSON: nested more than 64 levels deep");
    // Numbers no double can hold, in the file or in an override.
    CHECK(message(R"({"simulation": {"paths": 1e400}})").find("invalid JSON: number overflow") !=
          std::string::npos);
    const std::string good = test::base_scenario().dump();
    CHECK(message(good, {parse_override("/simulation/paths=1e400")})
              .find("--set /simulation/paths=1e400: /simulation/paths: invalid value: number "
                    "overflow") != std::string::npos);
    // Deep nesting through an override: in its value, its pointer, or both together.
    CHECK(message(good, {parse_override("/x=" + std::string(10000, '['))})
              .find("nested more than 64 levels deep") != std::string::npos);
    std::string deep_pointer;
    for (int i = 0; i < 30000; ++i) {
        deep_pointer += "/x";
    }
    CHECK(message(good, {parse_override(deep_pointer + "=1")})
              .find("the pointer is more than 64 levels deep") != std::string::npos);
    std::string pointer_40;
    for (int i = 0; i < 40; ++i) {
        pointer_40 += "/a";
    }
    CHECK(message(good, {parse_override("/$schema" + pointer_40 + "=" + std::string(40, '[') +
                                        std::string(40, ']'))})
              .find("the overrides make the scenario nest more than 64 levels deep") !=
          std::string::npos);
    // Bytes that are not UTF-8 in an override.
    CHECK_THROWS_WITH_AS(parse_override("/name=\xff"), "--set: not valid UTF-8", InputError);
    // An impact slope beyond the range of a double.
    auto doc = test::base_scenario();
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e300}};
    CHECK(message(doc.dump()).find("/market/impact/per_notional: must be in (0, 1e+06]") !=
          std::string::npos);
    // A lognormal so narrow that every draw equals its median would never
    // clear a lower bound at the median: rejected rather than looping forever.
    doc = test::base_scenario();
    doc["venue"] = {{"initial_margin", 0.02}, {"maintenance_margin", 0.01}};
    doc["population"]["cohorts"] = nlohmann::json::array({{{"name", "x"},
                                                           {"side", "long"},
                                                           {"accounts", 1},
                                                           {"notional", 100},
                                                           {"leverage",
                                                            {{"distribution", "lognormal"},
                                                             {"median", 2},
                                                             {"sigma", 1e-300},
                                                             {"min", 2},
                                                             {"max", 10}}}}});
    CHECK(
        message(doc.dump()).find("/population/cohorts/0/leverage/sigma: must be in [1e-09, 10]") !=
        std::string::npos);
    // A zero horizon has no time step to count an oracle's heartbeat in: the
    // horizon's error, not a NaN converted to a step count.
    doc = test::base_scenario();
    doc["simulation"]["horizon"] = "0d";
    doc["venue"]["oracle"] = {{"model", "push"}, {"deviation", 0.005}, {"heartbeat", "1h"}};
    const std::string zero_horizon = message(doc.dump());
    CHECK(zero_horizon.find("/simulation/horizon") != std::string::npos);
    CHECK(zero_horizon.find("/venue/oracle") == std::string::npos);
}

}  // namespace cascade
