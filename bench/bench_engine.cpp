// Cost of the cascade engine per path-step, against the bare exogenous price
// path timed alternately with it in the same process, for populations of 1e4
// to 1e7 accounts, quiet, calm and crash; and the cursor engine against the reference
// scan engine. One thread, thread CPU time, medians of repeated runs.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/harness.hpp"
#include "sim/path_kernel.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

using cascade::EngineKind;
using cascade::bench::kNone;

constexpr const char* kUsage =
    "usage: bench_engine [--quick] [--tsv] [MAX_ACCOUNTS]\n"
    "  engine cost per path-step for 1e4 .. MAX_ACCOUNTS accounts (default 1e7, 1e6 with\n"
    "  --quick), quiet, calm\n"
    "  and crash, vs the bare price path; the reference scan engine vs the cursor engine\n";

// One day. "crash": an 8 % fall over an hour from hour 6, which liquidates
// about 2 % of the accounts; "calm": no shock and 5 % volatility, which
// liquidates about 0.015 % (accounts that start right at their trigger);
// "quiet": a price that does not move, nothing liquidated: the engine's cost
// when it has nothing to do.
enum Market { quiet, calm, crash };
constexpr const char* kMarketNames[] = {"quiet", "calm", "crash"};

// `change`, when given, edits the scenario before it is read: a venue mechanism.
using Change = std::function<void(nlohmann::json&)>;

cascade::Scenario scenario(std::uint64_t accounts, Market market, std::uint32_t steps = 1440,
                           const Change& change = {}) {
    const bool falls = market == crash;
    // Mostly 2-5x leverage, Pareto sizes, entries within 10 % of the start.
    const auto cohort = [](const char* name, const char* side, std::uint64_t count) {
        return nlohmann::json{
            {"name", name},
            {"side", side},
            {"accounts", count},
            {"leverage",
             {{"distribution", "lognormal"},
              {"median", 3},
              {"sigma", 0.5},
              {"min", 1},
              {"max", 50}}},
            {"notional",
             {{"distribution", "pareto"}, {"minimum", 100}, {"alpha", 1.5}, {"maximum", 1e6}}},
            {"entry_price", {{"distribution", "uniform"}, {"min", 0.9}, {"max", 1.1}}}};
    };
    nlohmann::json doc = {
        {"name", "bench"},
        {"simulation", {{"paths", 1}, {"horizon", "1d"}, {"steps", steps}, {"seed", 1}}},
        {"market",
         {{"initial_price", 2000.0},
          {"price_model",
           {{"model", "merton"},
            {"volatility", falls            ? 0.6
                           : market == calm ? 0.05
                                            : 0.0},
            {"jump_intensity", falls ? 10 : 0},
            {"jump_mean", -0.01},
            {"jump_stdev", 0.02}}},
          // The book deepens with the population, so a crash liquidates
          // about the same share of it at every size.
          {"impact",
           {{"model", "linear"},
            {"depth_2pct", 5e7 * std::max<double>(accounts, 1e4) / 1e6},
            {"half_life", "30min"}}}}},
        {"venue",
         {{"initial_margin", 0.02},
          {"maintenance_margin", 0.01},
          {"liquidation_penalty", 0.01},
          {"insurance_fund", 1e6}}},
        {"population",
         {{"cohorts",
           {cohort("longs", "long", accounts * 6 / 10),
            cohort("shorts", "short", accounts * 4 / 10)}}}},
        {"output", {{"sample_paths", 0}}}};
    doc["shocks"] = nlohmann::json::array();
    if (falls) {
        doc["shocks"] = {{{"type", "crash"}, {"start", "6h"}, {"duration", "1h"}, {"drop", 0.08}}};
    }
    if (change) {
        change(doc);
    }
    return cascade::parse_scenario(doc.dump(), "bench");
}

// Simulates paths [0, paths), `repeat` times over.
struct PathLoop {
    const cascade::PathKernel& kernel;
    std::uint64_t paths;
    int repeat = 1;
    cascade::PathTraceStorage storage{kernel.steps()};
    std::vector<std::uint64_t> cohorts = std::vector<std::uint64_t>(kernel.cohorts());
    std::uint64_t liquidations = 0;  // over the last pass

    void operator()() {
        for (int r = 0; r < repeat; ++r) {
            liquidations = 0;
            for (std::uint64_t p = 0; p < paths; ++p) {
                cascade::PathOutcome outcome;
                kernel.simulate(p, storage.view(), outcome, cohorts);
                liquidations += outcome.liquidations;
            }
        }
    }
    double path_steps() const { return static_cast<double>(paths) * repeat * kernel.steps(); }
};

std::string accounts_name(std::uint64_t n) {
    int e = 0;
    for (std::uint64_t v = n; v >= 10 && v % 10 == 0; v /= 10) {
        ++e;
    }
    return n == 1 || n != static_cast<std::uint64_t>(std::pow(10, e)) ? std::to_string(n)
                                                                      : "1e" + std::to_string(e);
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = cascade::bench::parse_options(argc, argv, kUsage);
    const std::uint64_t max_accounts = options.number(0, options.quick ? 1'000'000 : 10'000'000);
    const std::uint64_t paths = options.quick ? 40 : 200;
    const int repetitions = options.quick ? 3 : 7;
    cascade::bench::Report report(options.tsv);

    // Baseline: the crash scenario's exogenous price path, no engine.
    const cascade::Population nobody;
    const auto base_scenario = scenario(0, crash);
    const cascade::PathKernel bare(base_scenario, nobody);
    std::vector<double> row(bare.steps() + 1);
    const auto bare_paths = [&] {
        for (std::uint64_t p = 0; p < paths; ++p) {
            bare.simulate_exogenous(p, row);
        }
    };
    const double path_steps = static_cast<double>(paths) * bare.steps();

    report.section("cascade engine (cursor), one thread, " + std::to_string(bare.steps()) +
                   " steps x " + std::to_string(paths) + " paths");
    report.row("bare price path (baseline)",
               cascade::bench::median_seconds(repetitions, bare_paths) * 1e9 / path_steps,
               "ns/path-step", 1.0, "bare price path");

    struct Size {
        std::uint64_t accounts;
        double ratio[3];         // per market: vs the bare path
        double ns[3];            // per path-step
        double liquidations[3];  // per path
    };
    std::vector<Size> sizes;
    for (std::uint64_t n = 10'000; n <= max_accounts; n *= 10) {
        Size size{n, {}, {}, {}};
        // The markets differ in the price only: one population serves all.
        const auto first = scenario(n, quiet);
        const auto population = cascade::build_population(first.population, first.venue, 2000.0, 1);
        for (Market market : {quiet, calm, crash}) {
            const cascade::PathKernel kernel(scenario(n, market), population, EngineKind::cursor);
            PathLoop loop{kernel, paths};
            const auto c = cascade::bench::compare(repetitions, bare_paths, loop);
            const double per_path = static_cast<double>(loop.liquidations) / paths;
            size.ratio[market] = c.ratio;
            size.ns[market] = c.seconds * 1e9 / path_steps;
            size.liquidations[market] = per_path;
            char note[96];
            std::snprintf(note, sizeof note, "%.2g %% liquidated, %s a path",
                          100.0 * per_path / static_cast<double>(n),
                          cascade::bench::Report::format(per_path).c_str());
            report.row(accounts_name(n) + " accounts, " + kMarketNames[market], size.ns[market],
                       "ns/path-step", c.ratio, "bare price path", note);
        }
        sizes.push_back(size);
    }
    if (sizes.size() > 1) {
        const Size& small = sizes.front();
        const Size& large = sizes.back();
        const std::string span =
            accounts_name(large.accounts) + " / " + accounts_name(small.accounts) + " accounts";
        const char* notes[] = {"nothing liquidated: the engine alone", "target <= 1.5",
                               "grows with the liquidations"};
        for (Market market : {calm, quiet, crash}) {
            report.row(std::string(kMarketNames[market]) + ", largest / smallest population", kNone,
                       "", large.ratio[market] / small.ratio[market], span, notes[market]);
        }
        // Crash minus calm, per liquidation more: the part of the crash cost
        // that grows with the population, per account liquidated.
        const auto per_liquidation = [](const Size& s) {
            return (s.ns[crash] - s.ns[calm]) * 1440.0 /
                   (s.liquidations[crash] - s.liquidations[calm]);
        };
        for (const Size& s : sizes) {
            report.row("crash - calm, per liquidation, " + accounts_name(s.accounts),
                       per_liquidation(s), "ns", per_liquidation(s) / per_liquidation(small),
                       "the same at " + accounts_name(small.accounts));
        }
    }

    // Partial liquidation, two ways: Hyperliquid's shape (one partial, a
    // cooldown) and a repeated close factor with no cooldown (the heaviest
    // use of the re-armed accounts' heap).
    const Change partial_hyperliquid = [](nlohmann::json& d) {
        d["venue"]["partial_liquidation"] = {{"close_factor", 0.2},
                                             {"min_notional", 1e4},
                                             {"max_partials", 1},
                                             {"cooldown", "1min"}};
    };
    const Change partial_repeated = [](nlohmann::json& d) {
        d["venue"]["partial_liquidation"] = {{"close_factor", 0.5}, {"min_notional", 1e3}};
    };

    // Each venue mechanism against the default rules, on the same paths: what
    // it costs per path-step, calm (mostly quiet steps) and crash.
    const std::uint64_t mechanism_accounts = std::min<std::uint64_t>(100'000, max_accounts);
    report.section("venue mechanisms vs the default rules, one thread, " +
                   accounts_name(mechanism_accounts) + " accounts");
    const std::pair<const char*, Change> mechanisms[] = {
        {"oracle: latency 1 min",
         [](nlohmann::json& d) {
             d["venue"]["oracle"] = {{"model", "latency"}, {"delay", "1min"}};
         }},
        {"oracle: ema, half-life 2 min",
         [](nlohmann::json& d) {
             d["venue"]["oracle"] = {{"model", "ema"}, {"half_life", "2min"}};
         }},
        {"oracle: push 0.5 %, heartbeat 1 h",
         [](nlohmann::json& d) {
             d["venue"]["oracle"] = {{"model", "push"}, {"deviation", 0.005}, {"heartbeat", "1h"}};
         }},
        {"oracle: outage 6h-8h",
         [](nlohmann::json& d) {
             d["shocks"].push_back(
                 {{"type", "oracle_outage"}, {"start", "6h"}, {"duration", "2h"}});
         }},
        {"square-root impact",
         [](nlohmann::json& d) {
             d["market"]["impact"] = {{"model", "square_root"},
                                      {"daily_volume", 2e9},
                                      {"volatility", 0.04},
                                      {"half_life", "30min"}};
         }},
        {"liquidity drought 6h-8h, depth x 0.3",
         [](nlohmann::json& d) {
             d["shocks"].push_back({{"type", "liquidity_drought"},
                                    {"start", "6h"},
                                    {"duration", "2h"},
                                    {"depth_factor", 0.3}});
         }},
        {"partial liquidation: 20 % above 10,000, then the rest after 1 min", partial_hyperliquid},
        {"partial liquidation: 50 % at a time above 1,000, no cooldown", partial_repeated},
        {"funding hourly, cap 4 % (Hyperliquid)",
         [](nlohmann::json& d) {
             d["venue"]["funding"] = {{"interval", "1h"},
                                      {"rate_period", "8h"},
                                      {"interest_rate", 0.0001},
                                      {"cap", 0.04}};
         }},
        {"liquidators: 2 M of notional a minute",
         [](nlohmann::json& d) {
             d["venue"]["liquidators"] = {{"capacity", 2e6}, {"window", "1min"}};
         }},
        {"liquidators: 2 min latency",
         [](nlohmann::json& d) {
             d["venue"]["liquidators"] = {{"latency", "2min"}};
         }},
        {"liquidators: 20 of cost a liquidation (a profit floor)",
         [](nlohmann::json& d) {
             d["venue"]["liquidators"] = {{"cost", 20.0}};
         }},
        {"backstop vault below 2/3 of maintenance (Hyperliquid)",
         [](nlohmann::json& d) {
             d["venue"]["backstop"] = {{"maintenance_fraction", 2.0 / 3.0}, {"price", "mark"}};
         }},
        {"tiered maintenance margin",
         [](nlohmann::json& d) {
             d["venue"].erase("maintenance_margin");
             d["venue"]["maintenance_tiers"] = {{{"notional_cap", 5e3}, {"rate", 0.004}},
                                                {{"notional_cap", 5e4}, {"rate", 0.006}},
                                                {{"notional_cap", 5e5}, {"rate", 0.01}},
                                                {{"rate", 0.015}}};
         }},
    };
    {
        const auto first = scenario(mechanism_accounts, calm);
        const auto population = cascade::build_population(first.population, first.venue, 2000.0, 1);
        for (Market market : {calm, crash}) {
            const cascade::PathKernel plain(scenario(mechanism_accounts, market), population);
            for (const auto& [name, change] : mechanisms) {
                const auto s = scenario(mechanism_accounts, market, 1440, change);
                // Tiers move the liquidation prices: the books are built under them.
                const auto own = cascade::build_population(s.population, s.venue, 2000.0, 1);
                const cascade::PathKernel kernel(s, own);
                PathLoop base{plain, paths};
                PathLoop with{kernel, paths};
                const auto c = cascade::bench::compare(repetitions, base, with);
                char note[96];
                std::snprintf(
                    note, sizeof note, "%s a path liquidated, %s without",
                    cascade::bench::Report::format(static_cast<double>(with.liquidations) / paths)
                        .c_str(),
                    cascade::bench::Report::format(static_cast<double>(base.liquidations) / paths)
                        .c_str());
                report.row(std::string(kMarketNames[market]) + ", " + name,
                           c.seconds * 1e9 / with.path_steps(), "ns/path-step", c.ratio,
                           "default rules", note);
            }
        }
    }

    // With partial liquidation a path re-arms the accounts it cuts: the cost
    // per liquidation (re-armed ones included) must not grow with the
    // population, only with what the path touches.
    report.section(
        "partial liquidation (50 % at a time, no cooldown), crash, one thread: "
        "cost per liquidation");
    {
        double smallest = 0.0;
        for (std::uint64_t n = 10'000; n <= std::min<std::uint64_t>(max_accounts, 1'000'000);
             n *= 10) {
            const auto plain_s = scenario(n, crash);
            const auto population =
                cascade::build_population(plain_s.population, plain_s.venue, 2000.0, 1);
            const cascade::PathKernel plain(plain_s, population);
            const cascade::PathKernel partial(scenario(n, crash, 1440, partial_repeated),
                                              population);
            PathLoop base{plain, paths};
            PathLoop with{partial, paths};
            const auto c = cascade::bench::compare(repetitions, base, with);
            // The whole path (price, quiet steps, rounds) over its liquidations.
            const double ns = c.seconds * 1e9 / static_cast<double>(with.liquidations);
            if (smallest == 0.0) {
                smallest = ns;
            }
            char note[96];
            std::snprintf(
                note, sizeof note, "%s a path liquidated, %s without; %.2fx the plain engine",
                cascade::bench::Report::format(static_cast<double>(with.liquidations) / paths)
                    .c_str(),
                cascade::bench::Report::format(static_cast<double>(base.liquidations) / paths)
                    .c_str(),
                c.ratio);
            report.row(accounts_name(n) + " accounts, whole path per liquidation", ns, "ns",
                       ns / smallest, "the same at 1e4", note);
        }
    }

    // The reference engine scans every account every round: O(N) per step.
    // Ten-minute steps, one path or a few: a full day of one-minute steps at
    // 1e6 accounts takes seconds a path.
    constexpr std::uint32_t kCoarseSteps = 144;
    report.section("reference scan engine vs cursor, one thread, " + std::to_string(kCoarseSteps) +
                   " steps of 10 min");
    for (std::uint64_t n : {std::uint64_t{100'000}, std::uint64_t{1'000'000}}) {
        if (n > max_accounts) {
            break;
        }
        const auto first = scenario(n, calm, kCoarseSteps);
        const auto population = cascade::build_population(first.population, first.venue, 2000.0, 1);
        for (Market market : {calm, crash}) {
            const auto s = scenario(n, market, kCoarseSteps);
            const cascade::PathKernel cursor(s, population, EngineKind::cursor);
            const cascade::PathKernel scan(s, population, EngineKind::reference_scan);
            const std::uint64_t few = n >= 1'000'000 ? 1 : 4;
            // The cursor engine on the same paths, repeated to take a millisecond or so.
            PathLoop fast{cursor, few, 200};
            PathLoop slow{scan, few};
            const auto c = cascade::bench::compare(repetitions, fast, slow);
            const double ratio = c.ratio * fast.path_steps() / slow.path_steps();
            char note[96];
            std::snprintf(
                note, sizeof note, "cursor %s ns/path-step; %llu path(s)",
                cascade::bench::Report::format(c.baseline_seconds * 1e9 / fast.path_steps())
                    .c_str(),
                static_cast<unsigned long long>(few));
            report.row(accounts_name(n) + " accounts, " + kMarketNames[market] + ", reference scan",
                       c.seconds * 1e9 / slow.path_steps(), "ns/path-step", ratio, "cursor engine",
                       note);
        }
    }
    return 0;
}
