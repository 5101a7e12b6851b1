// Properties of the engine on many random scenarios: the cursor engine equals
// the reference scan engine, and value is conserved on every path.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "sim/random/streams.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

double between(Rng& rng, double lo, double hi) {
    return lo + (hi - lo) * uniform01(rng);
}

// A tiered maintenance table for initial margin `im`: four brackets with caps
// around the cohorts' median notional (1e4), rates rising below im.
nlohmann::json random_tiers(Rng& rng, double im) {
    nlohmann::json tiers = nlohmann::json::array();
    double cap = between(rng, 1e3, 5e3);
    double rate = im * between(rng, 0.05, 0.2);
    for (int b = 0; b < 4; ++b) {
        nlohmann::json bracket = {{"rate", rate}};
        if (b < 3) {
            bracket["notional_cap"] = cap;
        }
        tiers.push_back(bracket);
        cap *= between(rng, 2.0, 8.0);
        rate = std::min(rate + im * between(rng, 0.0, 0.25), im * 0.95);
    }
    return tiers;
}

// A small random scenario with both sides, impact and shocks, where cascades,
// shortfalls and bad debt all happen on some paths. `tiered`: a tiered
// maintenance margin instead of the flat one (drawn after everything else, so
// the rest of the scenario is the same).
nlohmann::json random_scenario(std::uint64_t seed, bool tiered = false) {
    Rng rng = make_stream(seed, 0, StreamPurpose::population);
    const double im = between(rng, 0.02, 0.1);
    nlohmann::json cohorts = nlohmann::json::array();
    const int count = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < count; ++c) {
        const double lo = between(rng, 0.9, 1.0), hi = between(rng, 1.0, 1.1);
        cohorts.push_back(
            {{"name", fmt::format("c{}", c)},
             {"side", rng() % 3 == 0 ? "short" : "long"},
             {"accounts", rng() % 60},
             {"leverage", {{"distribution", "uniform"}, {"min", 1.0}, {"max", 1.0 / im}}},
             {"notional", {{"distribution", "lognormal"}, {"median", 1e4}, {"sigma", 1.0}}},
             {"entry_price", {{"distribution", "uniform"}, {"min", lo}, {"max", hi}}}});
    }
    nlohmann::json impact = {{"model", "linear"},
                             {"per_notional", between(rng, 1e-7, 2e-6)},
                             {"floor", between(rng, 0.05, 0.6)}};
    if (rng() % 2 == 0) {
        impact["half_life"] = fmt::format("{}min", 5 + rng() % 120);
    }
    nlohmann::json doc = {
        {"name", "random"},
        {"simulation",
         {{"paths", 40}, {"horizon", "1d"}, {"steps", 48}, {"seed", seed}, {"threads", 2}}},
        {"market",
         {{"initial_price", 100.0},
          {"price_model",
           {{"model", "merton"},
            {"volatility", between(rng, 0.3, 2.0)},
            {"jump_intensity", between(rng, 0.0, 200.0)},
            {"jump_mean", -0.02},
            {"jump_stdev", 0.05}}},
          {"impact", impact}}},
        {"shocks",
         {{{"type", "crash"},
           {"start", "6h"},
           {"duration", fmt::format("{}min", 10 + rng() % 200)},
           {"drop", between(rng, 0.05, 0.5)}},
          {{"type", "jump"}, {"time", "20h"}, {"size", between(rng, -0.2, 0.4)}}}},
        {"venue",
         {{"initial_margin", im},
          {"maintenance_margin", im * between(rng, 0.2, 0.8)},
          {"liquidation_penalty", between(rng, 0.0, 0.02)},
          {"insurance_fund", rng() % 3 == 0 ? 0.0 : between(rng, 0.0, 5e4)}}},
        {"population", {{"cohorts", cohorts}, {"over_leverage", "clip"}}},
        {"output", {{"sample_paths", 40}}}};
    if (tiered) {
        doc["venue"].erase("maintenance_margin");
        doc["venue"]["maintenance_tiers"] = random_tiers(rng, im);
    }
    return doc;
}

using test::same_bits;

bool same_event(const LiquidationEvent& a, const LiquidationEvent& b) {
    return a.path == b.path && a.step == b.step && a.round == b.round && a.account == b.account &&
           a.cohort == b.cohort && a.side == b.side && same_bits(a.size, b.size) &&
           same_bits(a.trigger_price, b.trigger_price) && same_bits(a.fill_price, b.fill_price) &&
           same_bits(a.penalty, b.penalty) && same_bits(a.shortfall, b.shortfall);
}

// What the differential tests over random scenarios found.
struct Exercised {
    std::uint64_t liquidations = 0;
    std::uint64_t bad_debt_paths = 0;
    std::uint64_t multi_round_paths = 0;
};

// Runs both engines on 40 random scenarios and requires bit-identical results.
Exercised compare_engines(bool tiered) {
    Exercised seen;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        INFO("scenario seed " << seed);
        const Scenario scenario = test::scenario_from(random_scenario(seed, tiered));
        RunOptions reference;
        reference.engine = EngineKind::reference_scan;
        const Results fast = run_simulation(scenario);
        const Results slow = run_simulation(scenario, reference);
        REQUIRE(fast.paths.size() == slow.paths.size());
        for (std::size_t c = 0; c < fast.paths.size(); ++c) {
            INFO("column " << fast.paths[c].info.name);
            for (std::size_t p = 0; p < fast.paths[c].values.size(); ++p) {
                REQUIRE(same_bits(fast.paths[c].values[p], slow.paths[c].values[p]));
            }
        }
        REQUIRE(fast.events.size() == slow.events.size());
        for (std::size_t e = 0; e < fast.events.size(); ++e) {
            REQUIRE(same_event(fast.events[e], slow.events[e]));
        }
        for (std::size_t s = 0; s < fast.series.size(); ++s) {
            CHECK(fast.series[s].quantiles.data == slow.series[s].quantiles.data);
            CHECK(fast.series[s].mean == slow.series[s].mean);
        }
        seen.liquidations += fast.events.size();
        for (std::size_t p = 0; p < 40; ++p) {
            seen.bad_debt_paths += fast.path_column("bad_debt").values[p] > 0 ? 1 : 0;
            seen.multi_round_paths += fast.path_column("max_cascade_rounds").values[p] > 1 ? 1 : 0;
        }
    }
    return seen;
}

}  // namespace

TEST_CASE("the cursor engine equals the reference scan engine on random scenarios") {
    const Exercised seen = compare_engines(false);
    // The scenarios exercise what they are meant to.
    CHECK(seen.liquidations > 5000);
    CHECK(seen.bad_debt_paths > 50);
    CHECK(seen.multi_round_paths > 100);
}

TEST_CASE("the cursor engine equals the reference scan engine under tiered maintenance") {
    // The reference looks up each account's bracket at its notional at the
    // market price; the cursor uses the liquidation prices solved once at build.
    const Exercised seen = compare_engines(true);
    CHECK(seen.liquidations > 5000);
    CHECK(seen.bad_debt_paths > 50);
    CHECK(seen.multi_round_paths > 100);
}

TEST_CASE("value is conserved on every path, and the fund's own books add up") {
    for (std::uint64_t seed = 100; seed < 130; ++seed) {
        INFO("scenario seed " << seed);
        // Every third scenario with a tiered maintenance margin.
        const auto doc = random_scenario(seed, seed % 3 == 0);
        const Results r = run_simulation(test::scenario_from(doc));
        CHECK(r.run.max_ledger_imbalance < 1e-12);
        const double fund0 = doc["venue"]["insurance_fund"];
        const auto& final_fund = r.path_column("insurance_fund_final").values;
        for (std::size_t p = 0; p < final_fund.size(); ++p) {
            // A second identity, from the outputs alone: start + penalties - payouts = end.
            const double expected = fund0 + r.path_column("penalties_collected").values[p] -
                                    r.path_column("insurance_fund_paid").values[p];
            CHECK(final_fund[p] == doctest::Approx(expected).epsilon(1e-12).scale(fund0 + 1.0));
            CHECK(r.path_column("insurance_fund_min").values[p] >= 0.0);
            CHECK(r.path_column("bad_debt").values[p] >= 0.0);
            // Bad debt only once the fund is empty.
            if (r.path_column("bad_debt").values[p] > 0.0) {
                CHECK(r.path_column("insurance_fund_min").values[p] == 0.0);
            }
        }
    }
}

}  // namespace cascade
