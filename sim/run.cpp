#include "sim/run.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "sim/errors.hpp"
#include "sim/huge_buffer.hpp"
#include "sim/path_kernel.hpp"
#include "sim/statistics.hpp"

namespace cascade {
namespace {

// Per-path summaries of a price path. Adding one: a line here, a line in
// summarise(), a row in docs/output-format.md.
constexpr std::size_t kSummaryFields = 4;
std::array<DatasetInfo, kSummaryFields> path_column_infos() {
    return {{
        {"final_price", "quote currency", "market price at the horizon"},
        {"min_price", "quote currency", "lowest market price on the path, over all grid points"},
        {"max_drawdown", "fraction",
         "largest fall from a running peak, 1 - price / running maximum"},
        {"log_return", "1", "natural log of final price over initial price"},
    }};
}

// From the path's cumulative log returns x_k = log(S_k / S_0), without an exp per step.
std::array<double, kSummaryFields> summarise(std::span<const double> x, double initial_price) {
    double peak = x[0];
    double low = x[0];
    double deepest = 0.0;  // most negative x_k - running max
    for (double v : x) {
        peak = std::max(peak, v);
        low = std::min(low, v);
        deepest = std::min(deepest, v - peak);
    }
    return {initial_price * std::exp(x.back()), initial_price * std::exp(low), -std::expm1(deepest),
            x.back()};
}

// Running mean and sum of squared deviations per grid point (Welford within a
// block, Chan et al. between blocks): no cancellation when the spread is tiny
// next to the level, as for a price early in a path.
struct PointMoments {
    std::uint64_t count = 0;
    std::vector<double> mean;
    std::vector<double> m2;

    explicit PointMoments(std::size_t points) : mean(points, 0.0), m2(points, 0.0) {}

    void add(std::span<const double> values) {
        ++count;
        const double n = static_cast<double>(count);
        for (std::size_t k = 0; k < values.size(); ++k) {
            const double delta = values[k] - mean[k];
            mean[k] += delta / n;
            m2[k] += delta * (values[k] - mean[k]);
        }
    }

    void merge(const PointMoments& other) {
        const double na = static_cast<double>(count);
        const double nb = static_cast<double>(other.count);
        const double n = na + nb;
        for (std::size_t k = 0; k < mean.size(); ++k) {
            const double delta = other.mean[k] - mean[k];
            mean[k] += delta * (nb / n);
            m2[k] += other.m2[k] + delta * delta * (na * nb / n);
        }
        count += other.count;
    }
};

// One block's contribution to the order-dependent reductions; merged in block order.
struct BlockResult {
    std::uint64_t first_path = 0;
    std::uint64_t count = 0;
    PointMoments moments{0};
};

constexpr std::uint64_t kMemoryLimitBytes = 8ULL << 30;

}  // namespace

std::uint64_t estimate_run_memory(const Scenario& scenario) {
    const std::uint64_t points = scenario.simulation.grid.steps + 1ULL;
    const std::uint64_t paths = scenario.simulation.paths;
    // The price matrix for exact quantile bands dominates; then per-path columns.
    return paths * points * sizeof(double) + paths * kSummaryFields * sizeof(double);
}

Results run_simulation(const Scenario& scenario, const RunOptions& options) {
    const std::uint64_t memory = estimate_run_memory(scenario);
    if (memory > kMemoryLimitBytes) {
        throw InputError({Diagnostic{
            "", "",
            fmt::format("this run would hold {:.1f} GiB in memory for exact quantile bands "
                        "(paths x (steps + 1) x 8 bytes); the limit is {} GiB. Use fewer "
                        "/simulation/paths or /simulation/steps",
                        static_cast<double>(memory) / (1ULL << 30), kMemoryLimitBytes >> 30)}});
    }
    const auto& sim = scenario.simulation;
    const std::uint64_t paths = sim.paths;
    const std::size_t points = sim.grid.steps + 1ULL;
    const double initial_price = scenario.market.initial_price;
    const PathKernel kernel(scenario);

    Results results;
    results.run.seed = sim.seed;
    results.run.paths = paths;
    results.run.steps = sim.grid.steps;
    results.run.threads =
        sim.threads == 0 ? static_cast<unsigned>(tbb::info::default_concurrency()) : sim.threads;
    results.quantile_levels = scenario.output.quantile_levels;
    results.time_seconds.resize(points);
    for (std::uint32_t k = 0; k < points; ++k) {
        results.time_seconds[k] = sim.grid.time_seconds(k);
    }
    for (const DatasetInfo& info : path_column_infos()) {
        results.paths.push_back({info, std::vector<double>(paths)});
    }
    const std::uint64_t kept = std::min<std::uint64_t>(scenario.output.sample_paths, paths);
    SampleSet samples{{"price", "quote currency", "market price of the first sample paths"},
                      Matrix(kept, points)};

    // Every price, one row per grid point, so each point's quantiles read one
    // contiguous row. Blocks write disjoint column ranges; every element is
    // written, so it starts uninitialised.
    HugeBuffer<double> price_by_point(points * paths);
    PointMoments moments(points);

    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t blocks = (paths + kBlockPaths - 1) / kBlockPaths;
    std::uint64_t next_block = 0;
    std::uint64_t paths_done = 0;

    const auto simulate_block = [&](std::uint64_t block) {
        BlockResult r{block * kBlockPaths, 0, PointMoments(points)};
        r.count = std::min(kBlockPaths, paths - r.first_path);
        Matrix price(r.count, points);  // this block's paths, row per path
        for (std::uint64_t i = 0; i < r.count; ++i) {
            const std::uint64_t path = r.first_path + i;
            const std::span<double> row(price.row(i), points);
            kernel.simulate(path, PathTrace{row});
            const auto summary = summarise(row, initial_price);
            for (std::size_t f = 0; f < kSummaryFields; ++f) {
                results.paths[f].values[path] = summary[f];
            }
            for (double& v : row) {
                v = initial_price * std::exp(v);
            }
            r.moments.add(row);
            if (path < kept) {
                std::copy(row.begin(), row.end(), samples.values.row(path));
            }
        }
        for (std::size_t k = 0; k < points; ++k) {
            double* out = price_by_point.data() + k * paths + r.first_path;
            for (std::uint64_t i = 0; i < r.count; ++i) {
                out[i] = price(i, k);
            }
        }
        return r;
    };

    tbb::task_arena arena(static_cast<int>(results.run.threads));
    arena.execute([&] {
        tbb::parallel_pipeline(
            4 * results.run.threads,
            tbb::make_filter<void, std::uint64_t>(tbb::filter_mode::serial_in_order,
                                                  [&](tbb::flow_control& control) -> std::uint64_t {
                                                      if (next_block == blocks) {
                                                          control.stop();
                                                          return 0;
                                                      }
                                                      return next_block++;
                                                  }) &
                tbb::make_filter<std::uint64_t, BlockResult>(tbb::filter_mode::parallel,
                                                             simulate_block) &
                tbb::make_filter<BlockResult, void>(tbb::filter_mode::serial_in_order,
                                                    [&](const BlockResult& r) {
                                                        moments.merge(r.moments);
                                                        paths_done += r.count;
                                                        if (options.on_progress) {
                                                            options.on_progress(paths_done);
                                                        }
                                                    }));
    });
    const auto simulated = std::chrono::steady_clock::now();

    // Per-step bands: moments merged over blocks, exact quantiles per grid point.
    StepSeries series;
    series.info = {"price", "quote currency", "market price"};
    series.mean = moments.mean;
    series.standard_deviation.resize(points);
    for (std::size_t k = 0; k < points; ++k) {
        series.standard_deviation[k] =
            paths > 1 ? std::sqrt(moments.m2[k] / static_cast<double>(paths - 1)) : 0.0;
    }
    series.quantiles = Matrix(points, results.quantile_levels.size());
    arena.execute([&] {
        tbb::parallel_for(std::size_t{0}, points, [&](std::size_t k) {
            const double* row = price_by_point.data() + k * paths;
            std::vector<double> values(row, row + paths);
            const auto q = quantiles_type7(values, results.quantile_levels);
            std::copy(q.begin(), q.end(), series.quantiles.row(k));
        });
    });
    results.series.push_back(std::move(series));
    results.samples.push_back(std::move(samples));

    results.metrics.push_back(
        mean_metric({"final_price_mean", "quote currency", "mean market price at the horizon"},
                    results.path_column("final_price").values));
    results.metrics.push_back(
        mean_metric({"max_drawdown_mean", "fraction",
                     "mean over paths of the largest fall from a running peak"},
                    results.path_column("max_drawdown").values));

    const auto reduced = std::chrono::steady_clock::now();
    results.run.simulation_seconds = std::chrono::duration<double>(simulated - start).count();
    results.run.reduction_seconds = std::chrono::duration<double>(reduced - simulated).count();
    return results;
}

}  // namespace cascade
