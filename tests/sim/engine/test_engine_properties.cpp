// Properties of the engine on many random scenarios: the cursor engine equals
// the reference scan engine, and value is conserved on every path, also with
// the liquidity mechanisms on (square-root impact, elastic depth, droughts)
// with a tiered maintenance margin, with the loss waterfall after the fund
// (ADL, socialised loss), with partial liquidation, and with every venue
// mechanism on (those, and the oracle with its outages).

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

// A small random scenario with both sides, impact and shocks, where cascades,
// shortfalls and bad debt all happen on some paths. With `liquidity`, the
// same scenario (its draws come first) then gets a random square-root or
// linear impact with elastic depth, and a liquidity drought; with `oracle`,
// after those, a random oracle (any model, either source) and an outage; with
// `tiered`, a tiered maintenance margin instead of the flat one; with
// `waterfall`, ADL (either ranking) and sometimes socialised loss; with
// `partial`, last, partial liquidation (a random close factor, notional floor,
// limit and cooldown of 0 to 3 steps); with `funding`, perpetual funding at
// a random interval, interest and cap (never with `tiered`: refused); with
// `capacity`, liquidators that absorb a random notional an hour; with
// `latency`, liquidators that act 1 to 3 steps after an account crosses; with
// `backstop`, a backstop vault below a random share of maintenance, at the
// mark or the bankruptcy price; with `profit`, liquidators that pass over
// liquidations earning them less than a random minimum after a random cost
// (penalties on 1e4 positions are 0 to 200: some pay, many do not).
struct Mechanisms {
    bool liquidity = false;
    bool oracle = false;
    bool tiered = false;
    bool waterfall = false;
    bool partial = false;
    bool funding = false;
    bool capacity = false;
    bool latency = false;
    bool backstop = false;
    bool profit = false;
};

// Four brackets whose caps the cohorts' notionals (lognormal around 1e4) span,
// rates rising from 5-20 % of the initial margin to at most 95 % of it.
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

nlohmann::json random_oracle(Rng& rng) {
    const char* source = rng() % 2 == 0 ? "market" : "index";
    switch (rng() % 5) {
        case 0:
            return {{"model", "instant"}, {"source", source}};
        case 1:
            return {{"model", "latency"},
                    {"delay", fmt::format("{}min", 30 * (1 + rng() % 4))},
                    {"source", source}};
        case 2:
            return {{"model", "ema"},
                    {"half_life", fmt::format("{}min", 5 + rng() % 90)},
                    {"source", source}};
        case 3:
            return {{"model", "twap"},
                    {"window", fmt::format("{}h", 1 + rng() % 3)},
                    {"source", source}};
        default:
            return {{"model", "push"},
                    {"deviation", between(rng, 0.002, 0.05)},
                    {"heartbeat", fmt::format("{}h", 1 + rng() % 4)},
                    {"source", source}};
    }
}

nlohmann::json random_scenario(std::uint64_t seed, Mechanisms mechanisms = {}) {
    const bool liquidity = mechanisms.liquidity;
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
    if (liquidity) {
        nlohmann::json& book = doc["market"]["impact"];
        if (rng() % 2 == 0) {
            // 1e4 notional is 100 units; a day's volume of 1e5 to 1e7 units.
            book["model"] = "square_root";
            book.erase("per_notional");
            book["daily_volume"] = between(rng, 1e7, 1e9);
            book["volatility"] = between(rng, 0.02, 0.1);
            book["Y"] = between(rng, 0.5, 1.0);
        }
        book["elastic_depth"] = {{"elasticity", between(rng, 0.5, 2.0)},
                                 {"reference_volatility", between(rng, 0.3, 1.5)},
                                 {"window", fmt::format("{}h", 1 + rng() % 6)},
                                 {"min_multiplier", between(rng, 0.05, 0.5)},
                                 {"max_multiplier", between(rng, 1.0, 3.0)}};
        doc["shocks"].push_back({{"type", "liquidity_drought"},
                                 {"start", fmt::format("{}min", 300 + rng() % 120)},
                                 {"duration", fmt::format("{}min", 30 + rng() % 600)},
                                 {"depth_factor", between(rng, 0.1, 0.9)}});
    }
    if (mechanisms.oracle) {
        doc["venue"]["oracle"] = random_oracle(rng);
        doc["shocks"].push_back({{"type", "oracle_outage"},
                                 {"start", fmt::format("{}min", 330 + rng() % 60)},
                                 {"duration", fmt::format("{}min", 30 + rng() % 180)}});
    }
    if (mechanisms.tiered) {
        doc["venue"].erase("maintenance_margin");
        doc["venue"]["maintenance_tiers"] = random_tiers(rng, im);
    }
    if (mechanisms.waterfall) {
        doc["venue"]["loss_waterfall"] = {{"adl", rng() % 2 == 0 ? "pnl_leverage" : "pro_rata"},
                                          {"socialised_loss", rng() % 3 == 0}};
    }
    if (mechanisms.partial) {
        nlohmann::json partial = {{"close_factor", between(rng, 0.1, 0.8)},
                                  {"min_notional", between(rng, 1e3, 2e4)},
                                  {"cooldown", fmt::format("{}min", 30 * (rng() % 4))}};
        if (rng() % 2 == 0) {
            partial["max_partials"] = 1 + rng() % 4;
        }
        doc["venue"]["partial_liquidation"] = partial;
    }
    if (mechanisms.funding) {
        // Rates of up to several % an interval: funding that moves triggers.
        doc["venue"]["funding"] = {{"interval", fmt::format("{}min", 30 * (1 + rng() % 8))},
                                   {"interest_rate", between(rng, -0.01, 0.03)},
                                   {"interest_band", between(rng, 0.0, 0.03)},
                                   {"cap", between(rng, 0.001, 0.05)}};
    }
    if (mechanisms.capacity) {
        // A few to a few dozen 1e4 positions an hour (steps of 30 min).
        doc["venue"]["liquidators"] = {{"capacity", between(rng, 2e4, 5e5)}, {"window", "1h"}};
    }
    if (mechanisms.latency) {
        doc["venue"]["liquidators"]["latency"] = fmt::format("{}min", 30 * (1 + rng() % 3));
    }
    if (mechanisms.backstop) {
        doc["venue"]["backstop"] = {{"maintenance_fraction", between(rng, 0.0, 0.8)},
                                    {"price", rng() % 2 == 0 ? "mark" : "bankruptcy"}};
    }
    if (mechanisms.profit) {
        doc["venue"]["liquidators"]["cost"] = between(rng, 0.0, 60.0);
        doc["venue"]["liquidators"]["min_profit"] = between(rng, 0.0, 20.0);
    }
    return doc;
}

using test::same_bits;
using test::same_event;

}  // namespace

namespace {

void check_engines_agree(Mechanisms mechanisms) {
    std::uint64_t liquidations = 0;
    std::uint64_t bad_debt_paths = 0;
    std::uint64_t multi_round_paths = 0;
    std::uint64_t oracle_gap_paths = 0;
    std::uint64_t adl_paths = 0;
    std::uint64_t socialised_paths = 0;
    std::uint64_t partial_paths = 0;
    std::uint64_t funded_paths = 0;
    std::uint64_t waiting_paths = 0;
    std::uint64_t backstop_paths = 0;
    std::uint64_t passed_over_paths = 0;  // accounts still passed over at the horizon
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        INFO("scenario seed " << seed);
        const Scenario scenario = test::scenario_from(random_scenario(seed, mechanisms));
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
        liquidations += fast.events.size();
        for (std::size_t p = 0; p < 40; ++p) {
            bad_debt_paths += fast.path_column("bad_debt").values[p] > 0 ? 1 : 0;
            multi_round_paths += fast.path_column("max_cascade_rounds").values[p] > 1 ? 1 : 0;
            oracle_gap_paths += fast.path_column("oracle_gap_max").values[p] > 0 ? 1 : 0;
            adl_paths += fast.path_column("adl_notional").values[p] > 0 ? 1 : 0;
            socialised_paths += fast.path_column("socialised_loss").values[p] > 0 ? 1 : 0;
            partial_paths += fast.path_column("partial_liquidations").values[p] > 0 ? 1 : 0;
            funded_paths += fast.path_column("funding_index").values[p] != 0 ? 1 : 0;
            waiting_paths += fast.path_column("under_water_time").values[p] > 0 ? 1 : 0;
            backstop_paths += fast.path_column("backstop_takeovers").values[p] > 0 ? 1 : 0;
            passed_over_paths += fast.path_column("passed_over").values[p] > 0 ? 1 : 0;
        }
    }
    // The scenarios exercise what they are meant to.
    // Liquidators that want a profit pass over bankrupt accounts (no penalty
    // to earn): they stay open, and their loss is not bad debt.
    CHECK(liquidations > (mechanisms.profit ? 2000 : 5000));
    CHECK((mechanisms.profit || mechanisms.backstop || bad_debt_paths > 50));
    // Only the instant oracle on the market cascades within a step; every
    // other oracle holds its value for the step, and is then off the market.
    // Under a latency the accounts a round's impact pushes below maintenance
    // wait for a later step: the cascade spreads over steps instead.
    CHECK((mechanisms.latency || multi_round_paths > (mechanisms.oracle ? 30 : 100)));
    CHECK((mechanisms.oracle ? oracle_gap_paths > 500 : oracle_gap_paths == 0));
    CHECK((mechanisms.waterfall ? adl_paths > 50 : adl_paths == 0));
    CHECK((mechanisms.waterfall ? socialised_paths > 20 : socialised_paths == 0));
    CHECK((mechanisms.partial ? partial_paths > 200 : partial_paths == 0));
    CHECK((mechanisms.funding ? funded_paths > 1000 : funded_paths == 0));
    // The backstop takes over accounts that wait long enough to fall below
    // its share of maintenance: fewer paths keep any waiting.
    CHECK((mechanisms.capacity || mechanisms.latency || mechanisms.profit
               ? waiting_paths > (mechanisms.backstop ? 50 : 200)
               : waiting_paths == 0));
    CHECK((mechanisms.backstop ? backstop_paths > 200 : backstop_paths == 0));
    CHECK((mechanisms.profit ? passed_over_paths > 200 : passed_over_paths == 0));
}

void check_conservation(Mechanisms mechanisms) {
    for (std::uint64_t seed = 100; seed < 130; ++seed) {
        INFO("scenario seed " << seed);
        const auto doc = random_scenario(seed, mechanisms);
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
            CHECK(r.path_column("adl_notional").values[p] >= 0.0);
            CHECK(r.path_column("socialised_loss").values[p] >= 0.0);
            CHECK(r.path_column("passed_over_deficit").values[p] >= 0.0);
            // Bad debt only once the fund is empty.
            if (r.path_column("bad_debt").values[p] > 0.0) {
                CHECK(r.path_column("insurance_fund_min").values[p] == 0.0);
            }
        }
    }
}

}  // namespace

// Every mechanism at once; and every one but the loss waterfall, with a
// profit floor (which keeps insolvent accounts out of the market, so that
// shortfalls, and the waterfall after them, all but vanish).
constexpr Mechanisms kEveryMechanism{.liquidity = true,
                                     .oracle = true,
                                     .waterfall = true,
                                     .partial = true,
                                     .funding = true,
                                     .capacity = true,
                                     .latency = true,
                                     .backstop = true};
constexpr Mechanisms kEveryMechanismAndAProfitFloor = [] {
    Mechanisms m = kEveryMechanism;
    m.waterfall = false;
    m.profit = true;
    return m;
}();

TEST_CASE("the cursor engine equals the reference scan engine on random scenarios") {
    check_engines_agree({});
}

TEST_CASE("the engines agree with square-root impact, elastic depth and droughts on") {
    check_engines_agree({.liquidity = true});
}

TEST_CASE("the engines agree under tiered maintenance") {
    // The reference looks up each account's bracket at its notional at the
    // trigger price; the cursor uses the liquidation prices solved at build.
    check_engines_agree({.tiered = true});
}

TEST_CASE("the engines agree with the loss waterfall: ADL queues and socialised loss") {
    // The ADL queue is built from the accounts each engine still holds open.
    check_engines_agree({.waterfall = true});
}

TEST_CASE("the engines agree with partial liquidation: chunks, cooldowns, re-armed accounts") {
    check_engines_agree({.partial = true});
}

TEST_CASE(
    "the engines agree with every venue mechanism on: liquidity, oracle, tiers, ADL, partials") {
    check_engines_agree(
        {.liquidity = true, .oracle = true, .tiered = true, .waterfall = true, .partial = true});
}

TEST_CASE("value is conserved on every path, and the fund's own books add up") {
    check_conservation({});
}

TEST_CASE("value is conserved with square-root impact, elastic depth and droughts on") {
    check_conservation({.liquidity = true});
}

TEST_CASE("value is conserved with ADL and socialised loss") {
    check_conservation({.waterfall = true});
}

TEST_CASE("value is conserved with partial liquidation") {
    check_conservation({.partial = true});
}

TEST_CASE(
    "value is conserved with every venue mechanism on: liquidity, oracle, tiers, ADL, partials") {
    check_conservation(
        {.liquidity = true, .oracle = true, .tiered = true, .waterfall = true, .partial = true});
}

TEST_CASE("the engines agree with perpetual funding moving every trigger") {
    check_engines_agree({.funding = true});
}

TEST_CASE("the engines agree with liquidator capacity: accounts wait, in book order") {
    check_engines_agree({.capacity = true});
}

TEST_CASE("the engines agree with funding, partials, ADL, the oracle and liquidity together") {
    check_engines_agree(kEveryMechanism);
}

TEST_CASE("the engines agree with every mechanism but the waterfall, and a profit floor") {
    check_engines_agree(kEveryMechanismAndAProfitFloor);
}

TEST_CASE("the engines agree with a backstop vault taking accounts out of the market") {
    check_engines_agree({.backstop = true});
}

TEST_CASE("value is conserved with a backstop vault") {
    check_conservation({.backstop = true});
}

TEST_CASE("the engines agree with liquidator latency: accounts wait out their spell") {
    check_engines_agree({.latency = true});
}

TEST_CASE("value is conserved with liquidator latency") {
    check_conservation({.latency = true});
}

TEST_CASE("the engines agree with liquidators that want a profit: passed-over accounts wait") {
    check_engines_agree({.profit = true});
}

TEST_CASE("value is conserved with liquidators that want a profit") {
    check_conservation({.profit = true});
}

TEST_CASE("the engines agree with a profit floor, capacity, latency and a backstop together") {
    // The backstop takes over what the liquidators pass over once it sinks
    // below its share of maintenance.
    check_engines_agree({.capacity = true, .latency = true, .backstop = true, .profit = true});
}

TEST_CASE("value is conserved with liquidator capacity") {
    check_conservation({.capacity = true});
}

TEST_CASE("value is conserved with funding, partials, ADL, the oracle and liquidity") {
    check_conservation(kEveryMechanism);
}

TEST_CASE("value is conserved with every mechanism but the waterfall, and a profit floor") {
    check_conservation(kEveryMechanismAndAProfitFloor);
}

}  // namespace cascade
