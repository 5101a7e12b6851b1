// Price-path generation per model, in ns per path-step, as a ratio to the bare
// PCG64 draw measured in the same process; then the whole run driver on 1 and
// 2 threads. Every figure is the median of repeated runs.
//
//   ./build/bench/bench_paths [paths]

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/harness.hpp"
#include "sim/path_kernel.hpp"
#include "sim/random/streams.hpp"
#include "sim/run.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

constexpr int kRepetitions = 7;

template <class Work>
double median_seconds(Work work) {
    return cascade::bench::median_seconds(kRepetitions, work);
}

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
    const std::uint64_t paths = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000;
    const std::uint32_t steps = 1440;
    const double path_steps = static_cast<double>(paths) * steps;

    auto rng = cascade::make_stream(1, 0, cascade::StreamPurpose::price_diffusion);
    std::uint64_t sink = 0;
    const double rng_ns = median_seconds([&] {
                              for (double i = 0; i < path_steps; ++i) {
                                  sink += rng();
                              }
                          }) *
                          1e9 / path_steps;

    const struct {
        const char* name;
        nlohmann::json model;
    } models[] = {
        {"gbm", {{"model", "gbm"}, {"volatility", 0.8}}},
        {"merton",
         {{"model", "merton"},
          {"volatility", 0.8},
          {"jump_intensity", 20},
          {"jump_mean", -0.01},
          {"jump_stdev", 0.03}}},
        {"garch (normal)",
         {{"model", "garch"}, {"long_run_volatility", 0.8}, {"alpha", 0.05}, {"beta", 0.9}}},
        {"garch (student-t 5)",
         {{"model", "garch"},
          {"long_run_volatility", 0.8},
          {"alpha", 0.05},
          {"beta", 0.9},
          {"innovations", "student_t"},
          {"degrees_of_freedom", 5}}},
    };

    std::printf("path generation, %llu paths x %u steps, one thread (median of %d)\n",
                static_cast<unsigned long long>(paths), steps, kRepetitions);
    std::printf("  %-22s %12s %12s\n", "model", "ns/path-step", "vs pcg64");
    std::printf("  %-22s %12.2f %12.2f\n", "pcg64 draw (baseline)", rng_ns, 1.0);
    std::vector<double> row(steps + 1);
    for (const auto& m : models) {
        const cascade::Population no_population;
        const cascade::PathKernel kernel(scenario(m.model, paths, 1), no_population);
        const double ns = median_seconds([&] {
                              for (std::uint64_t p = 0; p < paths; ++p) {
                                  kernel.simulate_exogenous(p, row);
                              }
                          }) *
                          1e9 / path_steps;
        std::printf("  %-22s %12.2f %12.2f\n", m.name, ns, ns / rng_ns);
    }

    // The whole driver, Merton model, 1 vs 2 threads: the simulation phase
    // (paths, per-path summaries, moments) and the reduction (quantile bands).
    const std::uint64_t run_paths = 8 * paths;
    double simulate[2] = {};
    double reduce[2] = {};
    double total[2] = {};
    for (unsigned threads : {1u, 2u}) {
        const auto s = scenario(models[1].model, run_paths, threads);
        std::vector<double> sim_seconds;
        std::vector<double> reduce_seconds;
        total[threads - 1] = median_seconds([&] {
            const auto results = cascade::run_simulation(s);
            sim_seconds.push_back(results.run.simulation_seconds);
            reduce_seconds.push_back(results.run.reduction_seconds);
        });
        simulate[threads - 1] = cascade::bench::median(sim_seconds);
        reduce[threads - 1] = cascade::bench::median(reduce_seconds);
    }
    std::printf("\nrun driver, merton, %llu paths x %u steps (median of %d)\n",
                static_cast<unsigned long long>(run_paths), steps, kRepetitions);
    std::printf("  %-28s %10s %10s\n", "", "1 thread", "2 threads");
    const auto line = [](const char* name, const double* t) {
        std::printf("  %-28s %9.3fs %9.3fs   speed-up %.2fx\n", name, t[0], t[1], t[0] / t[1]);
    };
    line("simulation", simulate);
    line("reduction (quantile bands)", reduce);
    line("run_simulation, end to end", total);
    return sink == 42 ? 1 : 0;  // keeps the baseline loop from being optimised away
}
