#pragma once
// Tail and probability estimates over paths, each with a standard error and a
// 95 % confidence interval (see Metric). Deterministic: they depend only on
// the per-path values, in path order.

#include <span>

#include "output/results.hpp"

namespace cascade {

// P(value > threshold) over paths, with Wilson's score interval (honest near
// 0 and 1, where value -/+ 1.96 SE is not) and the binomial standard error
// sqrt(p (1 - p) / n). Raw moments: count = n, sum = sum_squares = successes.
Metric exceedance_probability(DatasetInfo info, std::span<const double> values, double threshold);

// Value at risk of a loss at confidence `level` (e.g. 0.99): the type-7
// empirical quantile of the losses (numpy.quantile's default). Interval: the
// distribution-free order-statistic interval [X_(l), X_(u)] with
// l, u = n level -/+ 1.96 sqrt(n level (1 - level)), clamped to the sample;
// standard_error = (ci_high - ci_low) / (2 x 1.96).
Metric value_at_risk(DatasetInfo info, std::span<const double> losses, double level);

// Expected shortfall at `level`: the mean of the losses at or beyond the VaR,
// estimated as the mean of the k = ceil(n (1 - level)) largest losses.
// Standard error from the asymptotic variance of the estimator,
// [Var(L | L >= VaR) + level (ES - VaR)^2] / (n (1 - level)); interval
// value -/+ 1.96 SE.
Metric expected_shortfall(DatasetInfo info, std::span<const double> losses, double level);

}  // namespace cascade
