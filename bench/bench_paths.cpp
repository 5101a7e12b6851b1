// Price-path generation per model, in ns per path-step, as a ratio to the bare
// PCG64 draw timed alternately with it in the same process (thread CPU time);
// then the whole run driver on 1 and 2 threads (wall time; bench_run measures
// thread scaling on the default scenario). Every figure is a median of
// repeated runs.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/harness.hpp"
#include "sim/path_kernel.hpp"
#include "sim/random/streams.hpp"
#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

constexpr const char* kUsage =
    "usage: bench_paths [--quick] [--tsv] [--models] [PATHS]\n"
    "  ns per path-step per price model vs the bare PCG64 draw (PATHS x 1440 steps,\n"
    "  default 2000, 500 with --quick), then the run driver on 1 and 2 threads\n"
    "  (--models: the price models only)\n";

cascade::Scenario scenario(const nlohmann::json& price_model, std::uint64_t paths,
                           unsigned threads) {
    nlohmann::json doc = {{"name", "bench"},
                          {"simulation",
                           {{"paths", paths},
                            {"horizon", "1d"},
                            {"step", "1min"},
                            {"seed", 1},
                            {"threads", threads}}},
                          {"market", {{"initial_price", 2000.0}, {"price_model", price_model}}},
                          {"output", {{"sample_paths", 0}}}};
    return cascade::parse_scenario(doc.dump(), "bench");
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = cascade::bench::parse_options(argc, argv, kUsage, {"--models"});
    const std::uint64_t paths = options.number(0, options.quick ? 500 : 2000);
    const int repetitions = options.quick ? 5 : 9;
    const std::uint32_t steps = 1440;
    const double path_steps = static_cast<double>(paths) * steps;
    cascade::bench::Report report(options.tsv);

    auto rng = cascade::make_stream(1, 0, cascade::StreamPurpose::price_diffusion);
    std::uint64_t sink = 0;
    const auto bare_rng = [&] {
        for (std::uint64_t i = 0; i < paths * steps; ++i) {
            sink += rng();
        }
    };

    const struct {
        const char* name;
        nlohmann::json model;
    } models[] = {
        {"GBM", {{"model", "gbm"}, {"volatility", 0.8}}},
        {"Merton",
         {{"model", "merton"},
          {"volatility", 0.8},
          {"jump_intensity", 20},
          {"jump_mean", -0.01},
          {"jump_stdev", 0.03}}},
        {"GARCH(1,1), normal",
         {{"model", "garch"}, {"long_run_volatility", 0.8}, {"alpha", 0.05}, {"beta", 0.9}}},
        {"GARCH(1,1), Student-t 5",
         {{"model", "garch"},
          {"long_run_volatility", 0.8},
          {"alpha", 0.05},
          {"beta", 0.9},
          {"innovations", "student_t"},
          {"degrees_of_freedom", 5}}},
    };

    report.section("path generation, one thread, " + std::to_string(paths) + " paths x " +
                   std::to_string(steps) + " steps");
    const double rng_ns = cascade::bench::median_seconds(repetitions, bare_rng) * 1e9 / path_steps;
    report.row("bare PCG64 draw (baseline)", rng_ns, "ns/path-step", 1.0, "bare PCG64 draw");
    std::vector<double> row(steps + 1);
    for (const auto& m : models) {
        const cascade::Population no_population;
        const cascade::PathKernel kernel(scenario(m.model, paths, 1), no_population);
        const auto c = cascade::bench::compare(repetitions, bare_rng, [&] {
            for (std::uint64_t p = 0; p < paths; ++p) {
                kernel.simulate_exogenous(p, row);
            }
        });
        report.row(m.name, c.seconds * 1e9 / path_steps, "ns/path-step", c.ratio,
                   "bare PCG64 draw");
    }

    if (!options.has("--models")) {
        // The whole driver, Merton, 1 and 2 threads alternately: the simulation
        // phase (paths, per-path summaries, moments), the reduction (quantile
        // bands) and run_simulation end to end.
        const std::uint64_t run_paths = 8 * paths;
        const cascade::Scenario on[2] = {scenario(models[1].model, run_paths, 1),
                                         scenario(models[1].model, run_paths, 2)};
        std::vector<double> taken[2][3];
        for (int r = 0; r < (options.quick ? 3 : 5); ++r) {
            for (int t = 0; t < 2; ++t) {
                double simulation = 0.0;
                double reduction = 0.0;
                const double total = cascade::bench::wall_seconds([&] {
                    const auto results = cascade::run_simulation(on[t]);
                    simulation = results.run.simulation_seconds;
                    reduction = results.run.reduction_seconds;
                });
                taken[t][0].push_back(simulation);
                taken[t][1].push_back(reduction);
                taken[t][2].push_back(total);
            }
        }
        report.section("run driver, Merton, " + std::to_string(run_paths) + " paths x " +
                       std::to_string(steps) + " steps, 2 threads");
        const char* phases[3] = {"simulation", "reduction (quantile bands)",
                                 "run_simulation, end to end"};
        for (int phase = 0; phase < 3; ++phase) {
            std::vector<double> speedups;
            for (std::size_t r = 0; r < taken[0][phase].size(); ++r) {
                speedups.push_back(taken[0][phase][r] / taken[1][phase][r]);
            }
            report.row(phases[phase], cascade::bench::median(taken[1][phase]), "s",
                       cascade::bench::median(speedups), "speed-up over 1 thread");
        }
    }
    return sink == 42 ? 1 : 0;  // keeps the baseline loop from being optimised away
}
