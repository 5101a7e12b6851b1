// Cost of the cascade engine per path-step, against the bare exogenous price
// path measured in the same process, for growing populations; and the cursor
// engine against the reference scan engine. Medians of repeated runs.
//
//   ./build/bench/bench_engine [max_accounts]      (default 1000000)

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/harness.hpp"
#include "sim/path_kernel.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

using cascade::EngineKind;

constexpr int kRepetitions = 5;
constexpr std::uint32_t kSteps = 1440;

template <class Work>
double median_seconds(Work work) {
    return cascade::bench::median_seconds(kRepetitions, work);
}

// One day of one-minute steps. "crash": an 8 % fall over an hour, which
// liquidates a few per cent of the accounts; "calm": no shock, nothing liquidated.
cascade::Scenario scenario(std::uint64_t accounts, bool crash) {
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
        {"simulation", {{"paths", 1}, {"horizon", "1d"}, {"steps", kSteps}, {"seed", 1}}},
        {"market",
         {{"initial_price", 2000.0},
          {"price_model",
           {{"model", "merton"},
            {"volatility", crash ? 0.6 : 0.05},
            {"jump_intensity", crash ? 10 : 0},
            {"jump_mean", -0.01},
            {"jump_stdev", 0.02}}},
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
    if (crash) {
        doc["shocks"] = {{{"type", "crash"}, {"start", "6h"}, {"duration", "1h"}, {"drop", 0.08}}};
    }
    return cascade::parse_scenario(doc.dump(), "bench");
}

struct Measured {
    double ns_per_step = 0.0;
    double liquidated_share = 0.0;
};

Measured measure(const cascade::Scenario& s, const cascade::Population& population,
                 EngineKind engine, std::uint64_t paths) {
    const cascade::PathKernel kernel(s, population, engine);
    cascade::PathTraceStorage storage(kSteps);
    std::vector<std::uint64_t> cohorts(kernel.cohorts());
    double liquidated = 0.0;
    const double seconds = median_seconds([&] {
        liquidated = 0.0;
        for (std::uint64_t p = 0; p < paths; ++p) {
            cascade::PathOutcome outcome;
            kernel.simulate(p, storage.view(), outcome, cohorts);
            liquidated += static_cast<double>(outcome.liquidations);
        }
    });
    const double accounts =
        static_cast<double>(population.longs.count() + population.shorts.count());
    return {seconds * 1e9 / (static_cast<double>(paths) * kSteps),
            accounts > 0 ? liquidated / (accounts * static_cast<double>(paths)) : 0.0};
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t max_accounts = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const std::uint64_t paths = 200;

    // Baseline: the same exogenous price path, no engine.
    const cascade::Population nobody;
    const auto base_scenario = scenario(0, true);
    const cascade::PathKernel bare(base_scenario, nobody);
    std::vector<double> row(kSteps + 1);
    const double bare_ns = median_seconds([&] {
                               for (std::uint64_t p = 0; p < paths; ++p) {
                                   bare.simulate_exogenous(p, row);
                               }
                           }) *
                           1e9 / (static_cast<double>(paths) * kSteps);

    std::printf("cascade engine, one thread, %u steps per path, %llu paths (median of %d)\n",
                kSteps, static_cast<unsigned long long>(paths), kRepetitions);
    std::printf("  %-34s %14s %10s %12s\n", "", "ns/path-step", "vs bare", "liquidated");
    std::printf("  %-34s %14.2f %10.2f %12s\n", "bare exogenous path (baseline)", bare_ns, 1.0,
                "-");

    std::vector<double> crash_ns;
    std::vector<std::uint64_t> sizes;
    for (std::uint64_t n = 10'000; n <= max_accounts; n *= 10) {
        for (bool crash : {false, true}) {
            const auto s = scenario(n, crash);
            const auto population = cascade::build_population(s.population, s.venue, 2000.0, 1);
            const Measured m = measure(s, population, EngineKind::cursor, paths);
            std::printf("  cursor, %9llu accounts, %-6s %14.2f %10.2f %11.2f%%\n",
                        static_cast<unsigned long long>(n), crash ? "crash" : "calm", m.ns_per_step,
                        m.ns_per_step / bare_ns, 100.0 * m.liquidated_share);
            if (crash) {
                crash_ns.push_back(m.ns_per_step);
                sizes.push_back(n);
            }
        }
    }
    std::printf("  crash cost, largest / smallest population: %.2f\n",
                crash_ns.back() / crash_ns.front());

    // The reference engine scans every account every round: O(N) per step.
    std::printf("\ncursor vs reference scan engine (crash)\n");
    for (std::uint64_t n : {std::uint64_t{10'000}, std::uint64_t{100'000}}) {
        if (n > max_accounts) {
            break;
        }
        const auto s = scenario(n, true);
        const auto population = cascade::build_population(s.population, s.venue, 2000.0, 1);
        const std::uint64_t few = n >= 100'000 ? 2 : 10;
        const Measured fast = measure(s, population, EngineKind::cursor, few);
        const Measured slow = measure(s, population, EngineKind::reference_scan, few);
        std::printf(
            "  %9llu accounts: cursor %.1f ns/path-step, reference %.0f ns/path-step, "
            "reference / cursor %.0fx\n",
            static_cast<unsigned long long>(n), fast.ns_per_step, slow.ns_per_step,
            slow.ns_per_step / fast.ns_per_step);
    }
    return 0;
}
