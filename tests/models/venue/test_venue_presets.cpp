// Venue presets: a preset fills in a real venue's rules under the
// scenario's own /venue keys, which win field by field; every preset runs.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "models/venue/venue_presets.hpp"
#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

nlohmann::json preset_scenario(const std::string& preset) {
    auto doc = test::two_sided_crash_scenario();
    doc["simulation"]["paths"] = 8;
    doc["venue"] = {{"preset", preset}, {"insurance_fund", 5000.0}};
    return doc;
}

}  // namespace

TEST_CASE("the hyperliquid-btc preset fills in Hyperliquid's published rules") {
    const Scenario s = test::scenario_from(preset_scenario("hyperliquid-btc"));
    CHECK(s.venue.initial_margin == 0.025);
    CHECK(s.venue.maintenance_margin == 0.0125);
    CHECK(s.venue.liquidation_penalty == 0.0);
    CHECK(s.venue.insurance_fund == 5000.0);  // the scenario's own
    CHECK(s.venue.partial_liquidation.close_factor == 0.2);
    CHECK(s.venue.partial_liquidation.min_notional == 1e5);
    CHECK(s.venue.partial_liquidation.max_partials == 1);
    CHECK(s.venue.partial_liquidation.cooldown_seconds == 30.0);
    CHECK(s.venue.funding.enabled);
    CHECK(s.venue.funding.interval_seconds == 3600.0);
    CHECK(s.venue.funding.period_seconds == 8 * 3600.0);
    CHECK(s.venue.funding.interest_rate == 0.0001);
    CHECK(s.venue.funding.cap == 0.04);
    CHECK(s.venue.backstop.enabled);
    CHECK(s.venue.backstop.maintenance_fraction == 2.0 / 3.0);
    CHECK(s.venue.backstop.price == BackstopConfig::Price::mark);
    CHECK(s.venue.loss_waterfall.adl == LossWaterfall::Adl::pnl_leverage);
    CHECK(nlohmann::json::parse(s.resolved_json)["venue"]["preset"] == "hyperliquid-btc");
}

TEST_CASE("a preset's fields give way to the scenario's, one by one") {
    auto doc = preset_scenario("hyperliquid-btc");
    doc["venue"]["partial_liquidation"] = {{"close_factor", 0.5}};
    doc["venue"]["initial_margin"] = 0.05;
    const Scenario s = test::scenario_from(doc);
    CHECK(s.venue.partial_liquidation.close_factor == 0.5);
    CHECK(s.venue.partial_liquidation.min_notional == 1e5);  // still the preset's
    CHECK(s.venue.partial_liquidation.max_partials == 1);
    CHECK(s.venue.initial_margin == 0.05);
    CHECK(s.venue.maintenance_margin == 0.0125);

    // A command-line override reaches into a preset's object the same way.
    const Scenario o = parse_scenario(
        preset_scenario("hyperliquid-btc").dump(), "test.json",
        std::vector<Override>{parse_override("/venue/funding={\"interval\":\"8h\",\"cap\":0.01}")});
    CHECK(o.venue.funding.interval_seconds == 8 * 3600.0);
    CHECK(o.venue.funding.period_seconds == 8 * 3600.0);  // the preset's 8h rate period
    CHECK(o.venue.funding.cap == 0.01);

    // The scenario's maintenance_margin replaces a preset's tiers, and tiers a
    // preset's maintenance_margin: never both.
    auto flat = preset_scenario("binance-btcusdt-2021");
    flat["venue"]["maintenance_margin"] = 0.01;
    const Scenario f = test::scenario_from(flat);
    CHECK(f.venue.maintenance_tiers.empty());
    CHECK(f.venue.maintenance_margin == 0.01);
    auto tiered = preset_scenario("hyperliquid-btc");
    tiered["venue"]["maintenance_tiers"] = {{{"notional_cap", 1e5}, {"rate", 0.01}},
                                            {{"rate", 0.02}}};
    CHECK_THROWS_WITH_AS(test::scenario_from(tiered),
                         doctest::Contains("/venue/funding: funding shifts every liquidation"),
                         InputError);
}

TEST_CASE("the binance-btcusdt-2021 preset: the 2021 brackets, continuous amounts") {
    const Scenario s = test::scenario_from(preset_scenario("binance-btcusdt-2021"));
    REQUIRE(s.venue.maintenance_tiers.size() == 4);
    CHECK(s.venue.maintenance_tiers[1].amount == doctest::Approx(50.0));
    CHECK(s.venue.maintenance_tiers[2].amount == doctest::Approx(1300.0));
    CHECK(s.venue.maintenance_tiers[3].amount == doctest::Approx(16300.0));
    CHECK(!s.venue.funding.enabled);
}

TEST_CASE("every venue preset runs, and both engines agree under it") {
    for (const VenuePreset& preset : venue_presets()) {
        INFO("preset " << preset.name);
        const Results r = test::run_on_both_engines(
            test::scenario_from(preset_scenario(std::string(preset.name))));
        CHECK(r.run.max_ledger_imbalance < 1e-12);
    }
}

TEST_CASE("an unknown venue preset is an input error that lists the presets") {
    CHECK_THROWS_WITH_AS(test::scenario_from(preset_scenario("hyperliquid-eth")),
                         doctest::Contains("/venue/preset: expected one of \"hyperliquid-btc\" or "
                                           "\"binance-btcusdt-2021\", got \"hyperliquid-eth\""),
                         InputError);
}

}  // namespace cascade
