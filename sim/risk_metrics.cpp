#include "sim/risk_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "sim/statistics.hpp"

namespace cascade {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_level(double level) {
    if (!(level > 0.0 && level < 1.0)) {
        throw std::invalid_argument(fmt::format("risk level must be in (0, 1), got {}", level));
    }
}

// A metric over no paths: every estimate undefined, the moments zero.
Metric undefined_metric(DatasetInfo info) {
    Metric m;
    m.info = std::move(info);
    m.value = m.standard_error = m.ci_low = m.ci_high = kNaN;
    return m;
}

// A metric carrying the raw moments of the values it is estimated from.
Metric metric_with_moments(DatasetInfo info, std::span<const double> values) {
    Metric m;
    m.info = std::move(info);
    m.count = values.size();
    for (double x : values) {
        m.sum += x;
        m.sum_squares += x * x;
    }
    return m;
}

// The losses in increasing order: one sort serves the quantile, its interval
// and the tail, and the result does not depend on the input's order beyond
// the summation order of the raw moments.
std::vector<double> sorted_copy(std::span<const double> values) {
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

// 1-based rank clamped to [1, n], as a 0-based index.
std::size_t rank_index(double rank, std::size_t n) {
    return static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(n))) - 1;
}

}  // namespace

Metric exceedance_probability(DatasetInfo info, std::span<const double> values, double threshold) {
    const std::size_t n = values.size();
    if (n == 0) {
        return undefined_metric(std::move(info));
    }
    const auto successes = static_cast<std::uint64_t>(std::count_if(
        values.begin(), values.end(), [threshold](double v) { return v > threshold; }));
    Metric m;
    m.info = std::move(info);
    m.count = n;
    m.sum = m.sum_squares = static_cast<double>(successes);  // an indicator squared is itself
    const double nd = static_cast<double>(n);
    const double p = static_cast<double>(successes) / nd;
    m.value = p;
    m.standard_error = std::sqrt(p * (1.0 - p) / nd);
    const double z2 = kZ95 * kZ95;
    const double denominator = 1.0 + z2 / nd;
    const double centre = (p + z2 / (2.0 * nd)) / denominator;
    const double half = kZ95 / denominator * std::sqrt(p * (1.0 - p) / nd + z2 / (4.0 * nd * nd));
    // At 0 or n successes the interval ends exactly at 0 or 1; only rounding says otherwise.
    m.ci_low = successes == 0 ? 0.0 : std::max(0.0, centre - half);
    m.ci_high = successes == n ? 1.0 : std::min(1.0, centre + half);
    return m;
}

Metric value_at_risk(DatasetInfo info, std::span<const double> losses, double level) {
    check_level(level);
    if (losses.empty()) {
        return undefined_metric(std::move(info));
    }
    const std::size_t n = losses.size();
    const std::vector<double> sorted = sorted_copy(losses);
    Metric m = metric_with_moments(std::move(info), losses);
    m.value = type7_from_ordered(sorted, level);
    // The number of losses below the quantile is Binomial(n, level); ranks are
    // rounded outward so the interval never narrows below its nominal width.
    const double nd = static_cast<double>(n);
    const double centre = nd * level;
    const double spread = kZ95 * std::sqrt(nd * level * (1.0 - level));
    m.ci_low = sorted[rank_index(std::floor(centre - spread), n)];
    m.ci_high = sorted[rank_index(std::ceil(centre + spread), n)];
    m.standard_error = (m.ci_high - m.ci_low) / (2.0 * kZ95);
    return m;
}

Metric expected_shortfall(DatasetInfo info, std::span<const double> losses, double level) {
    check_level(level);
    if (losses.empty()) {
        return undefined_metric(std::move(info));
    }
    const std::size_t n = losses.size();
    const std::vector<double> sorted = sorted_copy(losses);
    Metric m = metric_with_moments(std::move(info), losses);
    const double nd = static_cast<double>(n);
    const double tail_share = nd * (1.0 - level);
    // The relative nudge keeps 2000 x (1 - 0.95) at 100 tail losses: 1 - 0.95
    // rounds up, and ceil would otherwise take 101.
    const auto k =
        static_cast<std::size_t>(std::clamp(std::ceil(tail_share * (1.0 - 1e-9)), 1.0, nd));
    const auto tail = std::span<const double>(sorted).last(k);
    double tail_sum = 0.0;
    for (double x : tail) {
        tail_sum += x;
    }
    const double es = tail_sum / static_cast<double>(k);
    double squares = 0.0;
    for (double x : tail) {
        squares += (x - es) * (x - es);
    }
    const double tail_variance = k > 1 ? squares / static_cast<double>(k - 1) : 0.0;
    const double var = type7_from_ordered(sorted, level);
    // The second term is the uncertainty of where the tail starts.
    const double variance = (tail_variance + level * (es - var) * (es - var)) / tail_share;
    m.value = es;
    m.standard_error = std::sqrt(variance);
    m.ci_low = es - kZ95 * m.standard_error;
    m.ci_high = es + kZ95 * m.standard_error;
    return m;
}

}  // namespace cascade
