#pragma once
// Order statistics and moment summaries over paths. Deterministic: results
// depend only on the values, never on the thread count.

#include <span>
#include <vector>

#include "output/results.hpp"

namespace cascade {

// Two-sided 95 % standard normal quantile.
inline constexpr double kZ95 = 1.959963984540054;

// Sample quantiles by linear interpolation between order statistics
// (Hyndman & Fan type 7, numpy's default), so analysts reproduce them with
// numpy.quantile. `levels` in [0, 1], in any order; `values` is reordered.
std::vector<double> quantiles_type7(std::span<double> values, std::span<const double> levels);

// The type-7 quantile at `level` from values whose positions floor(h) and
// floor(h) + 1, h = (n - 1) level, hold those order statistics (a sorted
// array, or one quantiles_type7 has arranged).
double type7_from_ordered(std::span<const double> ordered, double level);

// Mean over paths with its standard error (sample variance / n), plus the raw
// moments so the error bar can be recomputed.
Metric mean_metric(DatasetInfo info, std::span<const double> values);

}  // namespace cascade
