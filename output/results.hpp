#pragma once
// What a run produces, as named, documented datasets. The engine fills it;
// output/results_writer.cpp turns it into HDF5 without knowing any metric by
// name, so adding a metric is one entry where it is computed plus one line in
// docs/output-format.md.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/liquidation_event.hpp"

namespace cascade {

// Name, units and one-line description: every dataset carries all three.
struct DatasetInfo {
    std::string name;
    std::string units;
    std::string description;
};

// A dense row-major matrix.
struct Matrix {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<double> data;

    Matrix() = default;
    Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), data(r * c) {}
    double* row(std::size_t r) { return data.data() + r * cols; }
    const double* row(std::size_t r) const { return data.data() + r * cols; }
    double& operator()(std::size_t r, std::size_t c) { return data[r * cols + c]; }
    double operator()(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
};

// One value per path: /paths/<name>.
struct PathColumn {
    DatasetInfo info;
    std::vector<double> values;
};

// Statistics over paths at every grid point: /series/<name>/{mean,std,quantiles}.
struct StepSeries {
    DatasetInfo info;
    std::vector<double> mean;                // steps + 1
    std::vector<double> standard_deviation;  // steps + 1, across paths
    Matrix quantiles;                        // (steps + 1) x levels
    // Sketched bands: grid points whose sketch merged its smallest magnitudes
    // (QuantileSketch::collapsed), where the error bound does not hold.
    std::uint64_t collapsed_points = 0;
};

// The first K paths in full: /samples/<name>, K x (steps + 1).
struct SampleSet {
    DatasetInfo info;
    Matrix values;
};

// A scalar estimate over paths with its error bar and the raw moments it
// came from: /metrics/<name>. The interval is a 95 % confidence interval; for
// means it is value -/+ 1.96 standard errors, for proportions Wilson's score
// interval, for quantiles the distribution-free order-statistic interval.
struct Metric {
    DatasetInfo info;
    double value = 0.0;
    double standard_error = 0.0;
    double ci_low = 0.0;
    double ci_high = 0.0;
    // Raw moments of the per-path values the estimate came from.
    std::uint64_t count = 0;
    double sum = 0.0;
    double sum_squares = 0.0;
};

// How the run went: written as root attributes and printed in the summary.
struct RunInfo {
    std::uint64_t seed = 0;
    std::uint64_t paths = 0;            // asked for
    std::uint64_t paths_completed = 0;  // in the results: fewer when the run was stopped
    std::uint32_t steps = 0;
    unsigned threads = 0;
    std::string engine;  // "cursor" or "reference"
    double population_seconds = 0.0;
    double simulation_seconds = 0.0;
    double reduction_seconds = 0.0;
    double max_ledger_imbalance = 0.0;  // largest relative conservation error over paths
};

// One cohort of the population, with what happened to it: /population/cohorts.
struct CohortRow {
    std::string name;
    std::int8_t side = 1;  // +1 long, -1 short
    std::uint64_t accounts = 0;
    std::uint64_t excluded = 0;
    std::uint64_t clipped = 0;
    double notional = 0.0;
    double collateral = 0.0;
    double liquidated_accounts_mean = 0.0;  // per path
};

// What a stopped run keeps so that `cascade run --resume` can finish it with
// results bit-identical to an uninterrupted run: /checkpoint, written only
// when paths_completed < paths. The per-path columns, samples and events are
// already in the file; these are the per-step values behind the exact
// quantile bands and the moments, and what the cohort table only shows divided.
struct Checkpoint {
    // Exact bands: one per recorded series, named after it: paths_completed x
    // (steps + 1), row p the values of path p at every grid point.
    std::vector<SampleSet> series_values;
    // Sketched bands: one per recorded series, the merged state itself.
    struct SketchedSeries {
        std::string name;
        std::uint64_t count = 0;   // paths merged
        std::vector<double> mean;  // steps + 1, running mean
        std::vector<double> m2;    // steps + 1, sum of squared deviations from it
        // Every grid point's non-empty sketch buckets: (point, sign, key, count)
        // with sign 0 zero, +1 or -1 the bucket of |value|, 2 NaN.
        std::vector<std::array<std::int64_t, 4>> buckets;
    };
    std::vector<SketchedSeries> sketched_series;
    std::vector<std::uint64_t> cohort_liquidations;  // per cohort, summed over the paths
    std::uint64_t population_fingerprint = 0;        // of the population the paths ran against
};

struct Results {
    RunInfo run;
    std::vector<double> time_seconds;     // steps + 1
    std::vector<double> quantile_levels;  // shared by every StepSeries
    // 0: the bands are exact; otherwise from sketches of this relative error.
    double band_relative_error = 0.0;
    std::vector<PathColumn> paths;
    std::vector<StepSeries> series;
    std::vector<SampleSet> samples;
    std::vector<Metric> metrics;
    EventVector events;  // of the sample paths, in path order
    // The first this many of each sample path's liquidations are in `events`;
    // of the sample paths, those that had more.
    std::uint64_t max_events_per_path = 0;
    std::uint64_t truncated_event_paths = 0;
    std::vector<CohortRow> cohorts;
    std::uint64_t first_imported_account = 0;
    std::vector<std::string> imported_accounts;  // CSV ids, from first_imported_account on
    Checkpoint checkpoint;                       // empty unless the run was stopped early

    const PathColumn& path_column(const std::string& name) const;
    const Metric& metric(const std::string& name) const;
};

}  // namespace cascade
