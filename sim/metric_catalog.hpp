#pragma once
// The scalar risk metrics every run reports, in one table: what each is
// computed from, so that `run` computes them, `sweep` computes them per grid
// point and their paired differences against a baseline point, and `tune`
// names them in a target, all from one definition.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "output/results.hpp"

namespace cascade {

enum class MetricKind {
    mean,               // mean of the column
    share_positive,     // share of paths with column > 0
    share_nonpositive,  // share of paths with column <= 0
    quantile,           // type-7 quantile at `level` (value at risk)
    tail_mean,          // mean of the ceil(n (1 - level)) largest values (expected shortfall)
};

struct MetricDefinition {
    DatasetInfo info;
    MetricKind kind = MetricKind::mean;
    std::string_view column;  // the /paths column it is computed from
    double level = 0.0;       // for quantile and tail_mean
};

// Every metric, in the order runs report them.
const std::vector<MetricDefinition>& metric_catalog();

// The definition named `name`, or nullptr.
const MetricDefinition* find_metric(std::string_view name);

// The estimate with its error bar and raw moments from the per-path values.
Metric compute_metric(const MetricDefinition& definition, std::span<const double> column);

// The difference between a metric at two settings simulated on the same paths
// (common random numbers): `value` = metric(x) - metric(baseline), and its
// standard error from the paired per-path differences: exact for means and
// shares (the standard deviation of the per-path differences / sqrt(n)), a
// paired bootstrap over paths for quantiles and tail means (`resamples`
// resamples of path indices, drawn from the stream (`seed`, `stream`), the
// same for both settings).
struct PairedDifference {
    double value = 0.0;
    double standard_error = 0.0;
};
PairedDifference paired_difference(const MetricDefinition& definition, std::span<const double> x,
                                   std::span<const double> baseline, std::uint64_t seed,
                                   std::uint64_t stream, unsigned resamples = 200);

}  // namespace cascade
