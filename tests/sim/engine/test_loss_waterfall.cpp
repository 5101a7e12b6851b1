// The loss waterfall after the insurance fund, on a scenario small enough to
// work out by hand: one bankrupt long, two profitable shorts to deleverage.
// The ADL queue's order and fills, pro rata shares, the haircut of socialised
// loss, what ADL takes out of the market order, and that a waterfall the fund
// never reaches changes nothing.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/errors.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// No diffusion; the price jumps from 100 to 80 (J = -0.2) at 3h. The long:
// 10 units entered at 100 with 100 of collateral (10x), bankruptcy price 90;
// it fills at 80 with equity 100 + 10 (80 - 100) = -100, a shortfall of 100.
// The fund holds 10: 90 is left for the waterfall, the shortfall of 9 of the
// 10 units.
//
// Two shorts, profitable at 80, ranked by PnL % x effective leverage:
//   "patient": entered at 120, 2x, notional `patient` (8.333 units for 1000):
//      PnL % = 40 / 60 = 0.667, leverage 80 / (60 + 40) = 0.8: score 0.533;
//   "levered": entered at 110, 5x, notional `levered` (9.091 units for 1000):
//      PnL % = 30 / 22 = 1.364, leverage 80 / (22 + 30) = 1.538: score 2.098.
// (Per unit: collateral = entry / leverage.)
nlohmann::json waterfall_scenario(const std::string& adl, bool socialised, double patient = 1000,
                                  double levered = 1000) {
    auto doc = test::one_long_jump_scenario();
    doc["simulation"]["paths"] = 2;
    doc["shocks"] = {{{"type", "jump"}, {"time", "3h"}, {"size", -0.2}}};
    doc["venue"]["insurance_fund"] = 10.0;
    doc["venue"]["loss_waterfall"] = {{"adl", adl}, {"socialised_loss", socialised}};
    doc["population"]["cohorts"].push_back({{"name", "patient"},
                                            {"side", "short"},
                                            {"accounts", 1},
                                            {"leverage", 2.0},
                                            {"notional", patient},
                                            {"entry_price", 1.2}});
    doc["population"]["cohorts"].push_back({{"name", "levered"},
                                            {"side", "short"},
                                            {"accounts", 1},
                                            {"leverage", 5.0},
                                            {"notional", levered},
                                            {"entry_price", 1.1}});
    return doc;
}

struct PathEnd {
    double bad_debt = 0.0;
    double fund_final = 0.0;
    double adl_notional = 0.0;
    double adl_accounts = 0.0;
    double socialised = 0.0;
    double final_price = 0.0;
    double liquidations = 0.0;
};

PathEnd first_path(const nlohmann::json& doc) {
    const Results r = test::run_on_both_engines(test::scenario_from(doc));
    CHECK(r.run.max_ledger_imbalance < 1e-13);
    const auto at = [&](const char* column) { return r.path_column(column).values[0]; };
    return {at("bad_debt"),     at("insurance_fund_final"), at("adl_notional"),
            at("adl_accounts"), at("socialised_loss"),      at("final_price"),
            at("liquidations")};
}

}  // namespace

TEST_CASE("loss waterfall: the fund, then the ADL queue, then a haircut, then bad debt") {
    SUBCASE("off: what the fund cannot cover is bad debt") {
        const PathEnd end = first_path(waterfall_scenario("off", false));
        CHECK(end.fund_final == 0.0);
        CHECK(end.bad_debt == doctest::Approx(90.0).epsilon(1e-12));
        CHECK(end.adl_notional == 0.0);
        CHECK(end.adl_accounts == 0.0);
        CHECK(end.socialised == 0.0);
        CHECK(end.liquidations == 1.0);
    }
    SUBCASE("ranked queue: the top account takes all 9 units at the bankruptcy price 90") {
        const PathEnd end = first_path(waterfall_scenario("pnl_leverage", false));
        CHECK(end.fund_final == 0.0);
        CHECK(end.bad_debt == 0.0);  // exactly: no rounding residue
        CHECK(end.adl_notional == doctest::Approx(9.0 * 90.0).epsilon(1e-12));
        CHECK(end.adl_accounts == 1.0);  // "levered" (9.09 units) is enough
        CHECK(end.socialised == 0.0);
        CHECK(end.liquidations == 1.0);  // deleveraged shorts are not liquidations
    }
    SUBCASE("the ranking decides who is hit: the top account alone cannot cover 9 units") {
        // "levered" now holds 4.091 units (450 / 110): it closes all of them,
        // and "patient" the remaining 4.909.
        const PathEnd end = first_path(waterfall_scenario("pnl_leverage", false, 1000, 450));
        CHECK(end.bad_debt == 0.0);
        CHECK(end.adl_notional == doctest::Approx(810.0).epsilon(1e-12));
        CHECK(end.adl_accounts == 2.0);
    }
    SUBCASE("pro rata: every profitable account closes the same share") {
        const PathEnd end = first_path(waterfall_scenario("pro_rata", false));
        CHECK(end.bad_debt == 0.0);
        CHECK(end.adl_notional == doctest::Approx(810.0).epsilon(1e-12));
        CHECK(end.adl_accounts == 2.0);
    }
    SUBCASE("a short side too small: ADL takes what it holds, the rest is bad debt") {
        // 300 / 120 + 450 / 110 = 6.591 units absorb 6.591 / 10 of the
        // shortfall of 100; 90 - 65.91 = 24.09 is left.
        const double units = 300.0 / 120.0 + 450.0 / 110.0;
        const PathEnd end = first_path(waterfall_scenario("pnl_leverage", false, 300, 450));
        CHECK(end.adl_notional == doctest::Approx(units * 90.0).epsilon(1e-12));
        CHECK(end.adl_accounts == 2.0);
        CHECK(end.bad_debt == doctest::Approx(90.0 - 100.0 * units / 10.0).epsilon(1e-12));
        CHECK(end.socialised == 0.0);
    }
    SUBCASE("... and with socialised loss the rest is a haircut, not bad debt") {
        const double units = 300.0 / 120.0 + 450.0 / 110.0;
        const PathEnd end = first_path(waterfall_scenario("pnl_leverage", true, 300, 450));
        CHECK(end.adl_notional == doctest::Approx(units * 90.0).epsilon(1e-12));
        CHECK(end.socialised == doctest::Approx(90.0 - 100.0 * units / 10.0).epsilon(1e-12));
        CHECK(end.bad_debt == 0.0);
    }
    SUBCASE("socialised loss alone: the whole 90 is a haircut on the counterparty's profit") {
        // The counterparty bought the long's 10 units at 80 from a trader who
        // paid 100 for them: it holds 200 of profit, enough for the haircut.
        const PathEnd end = first_path(waterfall_scenario("off", true));
        CHECK(end.socialised == doctest::Approx(90.0).epsilon(1e-12));
        CHECK(end.bad_debt == 0.0);
        CHECK(end.adl_notional == 0.0);
    }
    SUBCASE("losses the fund covers never reach the waterfall: results identical to off") {
        auto with = waterfall_scenario("pnl_leverage", true);
        auto without = waterfall_scenario("off", false);
        with["venue"]["insurance_fund"] = 1000.0;
        without["venue"]["insurance_fund"] = 1000.0;
        const Results a = run_simulation(test::scenario_from(with));
        const Results b = run_simulation(test::scenario_from(without));
        test::check_same_paths(a, b);
        CHECK(a.path_column("insurance_fund_paid").values[0] == doctest::Approx(100.0));
    }
}

TEST_CASE("ADL takes the deleveraged units out of the market order") {
    // Linear impact, kappa = per_notional x initial price per unit, no decay.
    // The round's fill is priced for the whole order of 10 units:
    //   fill = 80 (1 - e^-d) / d,  d = 10 kappa;
    // the shortfall S = 10 (100 - fill) - 100, the fund pays 10, and ADL takes
    // a = 10 (S - 10) / S units off the order: the market moves by
    // -kappa (10 - a) instead of -kappa 10.
    const double per_notional = 2e-3;
    const double kappa = per_notional * 100.0;
    auto doc = waterfall_scenario("pnl_leverage", false);
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", per_notional}};
    const PathEnd end = first_path(doc);
    const double d = 10.0 * kappa;
    const double fill = 80.0 * -std::expm1(-d) / d;
    const double shortfall = 10.0 * (100.0 - fill) - 100.0;
    const double adl_units = 10.0 * (shortfall - 10.0) / shortfall;
    CHECK(end.bad_debt == 0.0);
    CHECK(end.adl_notional == doctest::Approx(adl_units * 90.0).epsilon(1e-12));
    CHECK(end.final_price ==
          doctest::Approx(80.0 * std::exp(-kappa * (10.0 - adl_units))).epsilon(1e-12));

    doc["venue"]["loss_waterfall"]["adl"] = "off";
    const PathEnd off = first_path(doc);
    CHECK(off.final_price == doctest::Approx(80.0 * std::exp(-d)).epsilon(1e-12));
    CHECK(off.bad_debt == doctest::Approx(shortfall - 10.0).epsilon(1e-12));
}

TEST_CASE("loss waterfall validation") {
    auto doc = waterfall_scenario("pnl_leverage", true);
    doc["venue"]["loss_waterfall"]["adl"] = "pnl";
    CHECK_THROWS_WITH_AS(
        test::scenario_from(doc),
        doctest::Contains("/venue/loss_waterfall/adl: expected one of \"off\", \"pnl_leverage\""),
        InputError);
    doc = waterfall_scenario("pro_rata", true);
    doc["venue"]["loss_waterfall"]["socialised_loss"] = "yes";
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/loss_waterfall/socialised_loss: expected"),
                         InputError);
    doc = waterfall_scenario("pro_rata", true);
    doc["venue"]["loss_waterfall"]["insurance"] = true;
    CHECK_THROWS_WITH_AS(test::scenario_from(doc),
                         doctest::Contains("/venue/loss_waterfall/insurance: unknown key"),
                         InputError);
}

}  // namespace cascade

namespace cascade {

TEST_CASE("the shipped adl-queue scenario: engines agree, and ADL takes on the bad debt") {
    const auto file = test::source_dir() / "scenarios/adl-queue.json";
    // No fund and no penalties to refill it: every shortfall reaches the waterfall.
    const std::vector<Override> few = {
        parse_override("/simulation/paths=6"), parse_override("/output/sample_paths=6"),
        parse_override("/venue/insurance_fund=0"), parse_override("/venue/liquidation_penalty=0")};
    const Scenario scenario = load_scenario(file, few);
    CHECK(scenario.venue.loss_waterfall.adl == LossWaterfall::Adl::pnl_leverage);
    const Results queue = test::run_on_both_engines(scenario);
    CHECK(queue.run.max_ledger_imbalance < 1e-12);

    std::vector<Override> off = few;
    off.push_back(parse_override("/venue/loss_waterfall/adl=off"));
    const Results none = run_simulation(load_scenario(file, off));
    for (std::size_t p = 0; p < 6; ++p) {
        INFO("path " << p);
        CHECK(queue.path_column("adl_notional").values[p] > 0.0);
        CHECK(queue.path_column("adl_accounts").values[p] > 0.0);
        CHECK(none.path_column("adl_notional").values[p] == 0.0);
        // What ADL took on would have been bad debt.
        CHECK(none.path_column("bad_debt").values[p] >
              queue.path_column("bad_debt").values[p] + 1e4);
        // The deleveraged units never reached the market: its trough is no deeper.
        CHECK(queue.path_column("min_price").values[p] >= none.path_column("min_price").values[p]);
    }
}

TEST_CASE("the cumulative ADL series: recorded by default with ADL, ends at the per-path total") {
    const auto file = test::source_dir() / "scenarios/adl-queue.json";
    const std::vector<Override> few = {parse_override("/simulation/paths=6"),
                                       parse_override("/venue/insurance_fund=0"),
                                       parse_override("/venue/liquidation_penalty=0"),
                                       parse_override("/output/quantiles=[0.0001,0.5,0.9999]")};
    const Scenario scenario = load_scenario(file, few);
    REQUIRE(std::find(scenario.output.series.begin(), scenario.output.series.end(),
                      SeriesKind::adl_notional) != scenario.output.series.end());
    const Results r = run_simulation(scenario);
    const StepSeries* adl = nullptr;
    for (const StepSeries& s : r.series) {
        adl = s.info.name == "adl_notional" ? &s : adl;
    }
    REQUIRE(adl != nullptr);
    const std::vector<double>& totals = r.path_column("adl_notional").values;
    double mean = 0.0;
    for (double v : totals) {
        mean += v / static_cast<double>(totals.size());
    }
    CHECK(adl->mean.front() == 0.0);
    CHECK(adl->mean.back() == doctest::Approx(mean).epsilon(1e-12));
    // At the horizon the bands lie within the paths' totals, and every band
    // is non-decreasing in time, as each path's cumulative sum is.
    const std::size_t last = adl->quantiles.rows - 1;
    CHECK(adl->quantiles(last, 0) >= *std::min_element(totals.begin(), totals.end()));
    CHECK(adl->quantiles(last, 2) <= *std::max_element(totals.begin(), totals.end()));
    CHECK(adl->quantiles(last, 2) > 0.0);
    for (std::size_t k = 1; k <= last; ++k) {
        for (std::size_t j = 0; j < 3; ++j) {
            CHECK(adl->quantiles(k, j) >= adl->quantiles(k - 1, j));
        }
    }
    // Without ADL it is not among the defaults.
    std::vector<Override> off = few;
    off.push_back(parse_override("/venue/loss_waterfall/adl=off"));
    const Scenario none = load_scenario(file, off);
    CHECK(std::find(none.output.series.begin(), none.output.series.end(),
                    SeriesKind::adl_notional) == none.output.series.end());
}

}  // namespace cascade
