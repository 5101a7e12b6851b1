#pragma once
// `cascade sweep`: the same scenario at every point of a parameter grid, on
// common random numbers, with every metric, its error bar, and its paired
// difference against a baseline point.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "output/results.hpp"
#include "sim/path_kernel.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/sweep/grid.hpp"

namespace cascade {

// The base scenario as text plus the command line's overrides: each grid point
// is that with the point's own overrides after them.
struct ScenarioSource {
    std::string text;
    std::string name;  // the file, for messages
    std::vector<Override> overrides;
};

// Reads a scenario file's text (InputError for a missing or unreadable file).
ScenarioSource read_scenario_source(const std::filesystem::path& file,
                                    std::vector<Override> overrides);

// Why a scenario value may not be swept or tuned (it would break common random
// numbers or the sweep's own output), or nullptr when it may.
const char* unsweepable_reason(const std::string& pointer);

// Every grid point's scenario, validated before anything runs: InputError
// carries the problems of every point, each message naming the point. Also
// refuses axes on values that would break common random numbers or the
// sweep's own output (/simulation/seed, /simulation/paths, /simulation/threads,
// /output/...).
std::vector<Scenario> grid_scenarios(const ScenarioSource& source, const Grid& grid);

// One metric over the grid, flat in row-major point order.
struct SweptMetric {
    DatasetInfo info;
    std::vector<double> value;
    std::vector<double> standard_error;
    std::vector<double> ci_low;
    std::vector<double> ci_high;
    // Raw moments of the per-path values behind each estimate (count = paths).
    std::vector<double> sum;
    std::vector<double> sum_squares;
    std::vector<double> difference;                 // value - value at the baseline point
    std::vector<double> difference_standard_error;  // from paired per-path differences
};

struct SweepResults {
    Grid grid;
    std::size_t baseline = 0;  // flat index of the baseline point
    std::uint64_t seed = 0;
    std::uint64_t paths = 0;
    unsigned threads = 0;
    std::string engine;
    std::vector<SweptMetric> metrics;  // in metric_catalog() order
    // The capital-efficiency side: what the settings allow, exactly (no error).
    std::vector<double> max_leverage;    // 1 / initial margin
    std::vector<double> admitted_share;  // accounts neither clipped nor excluded / accounts
    double max_ledger_imbalance = 0.0;
    double seconds = 0.0;
};

struct SweepOptions {
    EngineKind engine = EngineKind::cursor;
    std::size_t baseline = 0;  // flat index
    // Called after each grid point, with the number done; from one thread.
    std::function<void(std::size_t points_done)> on_point;
    const std::atomic<int>* stop = nullptr;  // set: stop after the current point (no results)
};

// Runs every grid point on the same paths (same seed: path p sees the same
// exogenous shocks at every point). Deterministic for any thread count, and
// each point's metrics equal those of `cascade run` of that point.
SweepResults run_sweep(const std::vector<Scenario>& scenarios, const Grid& grid,
                       const SweepOptions& options = {});

}  // namespace cascade
