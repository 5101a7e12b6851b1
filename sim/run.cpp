#include "sim/run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "sim/errors.hpp"
#include "sim/path_kernel.hpp"
#include "sim/statistics.hpp"

namespace cascade {
namespace {

// Per-path summaries of a price path. Adding one: a field, a line in
// path_column_infos(), a line in summarise(), a row in docs/output-format.md.
struct PathSummary {
    double final_price;
    double min_price;
    double max_drawdown;
    double log_return;
};
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

std::array<double, kSummaryFields> summarise(std::span<const double> price) {
    double peak = price[0];
    double low = price[0];
    double drawdown = 0.0;
    for (double p : price) {
        peak = std::max(peak, p);
        low = std::min(low, p);
        drawdown = std::max(drawdown, 1.0 - p / peak);
    }
    return {price.back(), low, drawdown, std::log(price.back() / price.front())};
}

// What one block of paths contributes, merged in block order.
struct BlockResult {
    std::uint64_t first_path = 0;
    std::uint64_t count = 0;
    std::vector<std::array<double, kSummaryFields>> summaries;
    std::vector<double> sum;          // per grid point, over the block's paths
    std::vector<double> sum_squares;  // per grid point
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

    // Every path's prices, row per path: exact per-step quantiles and samples come from it.
    Matrix price(paths, points);
    std::vector<std::array<double, kSummaryFields>> summaries(paths);
    std::vector<double> sum(points, 0.0);
    std::vector<double> sum_squares(points, 0.0);

    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t blocks = (paths + kBlockPaths - 1) / kBlockPaths;
    std::uint64_t next_block = 0;
    std::uint64_t paths_done = 0;

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
                tbb::make_filter<std::uint64_t, BlockResult>(
                    tbb::filter_mode::parallel,
                    [&](std::uint64_t block) {
                        BlockResult r;
                        r.first_path = block * kBlockPaths;
                        r.count = std::min(kBlockPaths, paths - r.first_path);
                        r.summaries.resize(r.count);
                        r.sum.assign(points, 0.0);
                        r.sum_squares.assign(points, 0.0);
                        for (std::uint64_t i = 0; i < r.count; ++i) {
                            const std::uint64_t path = r.first_path + i;
                            const std::span<double> row(price.row(path), points);
                            kernel.simulate(path, PathTrace{row});
                            r.summaries[i] = summarise(row);
                            for (std::size_t k = 0; k < points; ++k) {
                                r.sum[k] += row[k];
                                r.sum_squares[k] += row[k] * row[k];
                            }
                        }
                        return r;
                    }) &
                tbb::make_filter<BlockResult, void>(
                    tbb::filter_mode::serial_in_order, [&](const BlockResult& r) {
                        std::copy(r.summaries.begin(), r.summaries.end(),
                                  summaries.begin() + static_cast<std::ptrdiff_t>(r.first_path));
                        for (std::size_t k = 0; k < points; ++k) {
                            sum[k] += r.sum[k];
                            sum_squares[k] += r.sum_squares[k];
                        }
                        paths_done += r.count;
                        if (options.on_progress) {
                            options.on_progress(paths_done);
                        }
                    }));
    });
    const auto simulated = std::chrono::steady_clock::now();

    // Per-path columns.
    const auto infos = path_column_infos();
    for (std::size_t f = 0; f < kSummaryFields; ++f) {
        PathColumn column{infos[f], std::vector<double>(paths)};
        for (std::uint64_t p = 0; p < paths; ++p) {
            column.values[p] = summaries[p][f];
        }
        results.paths.push_back(std::move(column));
    }

    // Per-step bands: moments from the merged sums, exact quantiles per grid point.
    StepSeries series;
    series.info = {"price", "quote currency", "market price"};
    series.mean.resize(points);
    series.standard_deviation.resize(points);
    const double n = static_cast<double>(paths);
    for (std::size_t k = 0; k < points; ++k) {
        series.mean[k] = sum[k] / n;
        const double variance =
            paths > 1
                ? std::max(0.0, (sum_squares[k] - n * series.mean[k] * series.mean[k]) / (n - 1))
                : 0.0;
        series.standard_deviation[k] = std::sqrt(variance);
    }
    series.quantiles = Matrix(points, results.quantile_levels.size());
    arena.execute([&] {
        tbb::parallel_for(std::size_t{0}, points, [&](std::size_t k) {
            std::vector<double> column(paths);
            for (std::uint64_t p = 0; p < paths; ++p) {
                column[p] = price(p, k);
            }
            const auto q = quantiles_type7(column, results.quantile_levels);
            std::copy(q.begin(), q.end(), series.quantiles.row(k));
        });
    });
    results.series.push_back(std::move(series));

    // The first K paths in full.
    const std::uint64_t kept = std::min<std::uint64_t>(scenario.output.sample_paths, paths);
    SampleSet samples{{"price", "quote currency", "market price of the first sample paths"},
                      Matrix(kept, points)};
    std::copy(price.data.begin(), price.data.begin() + static_cast<std::ptrdiff_t>(kept * points),
              samples.values.data.begin());
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
