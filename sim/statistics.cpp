#include "sim/statistics.hpp"

#include <algorithm>
#include <cmath>

#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/count.hpp>
#include <boost/accumulators/statistics/mean.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <boost/accumulators/statistics/sum.hpp>
#include <boost/accumulators/statistics/variance.hpp>

namespace cascade {

std::vector<double> quantiles_type7(std::span<double> values, std::span<const double> levels) {
    std::vector<double> result(levels.size(), std::numeric_limits<double>::quiet_NaN());
    const std::size_t n = values.size();
    if (n == 0) {
        return result;
    }
    // Successive selections: after nth_element at position i, everything to
    // its right is >= values[i], so the next (larger) level searches only there.
    std::size_t settled = 0;
    for (std::size_t j = 0; j < levels.size(); ++j) {
        const double h = static_cast<double>(n - 1) * levels[j];
        const std::size_t lo = static_cast<std::size_t>(std::floor(h));
        const double weight = h - static_cast<double>(lo);
        std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(std::min(settled, lo)),
                         values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
        settled = lo;
        const double below = values[lo];
        double above = below;
        if (lo + 1 < n) {
            above = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo + 1),
                                      values.end());
        }
        result[j] = below + weight * (above - below);
    }
    return result;
}

Metric mean_metric(DatasetInfo info, std::span<const double> values) {
    namespace acc = boost::accumulators;
    acc::accumulator_set<
        double, acc::stats<acc::tag::count, acc::tag::sum, acc::tag::mean, acc::tag::variance>>
        stats;
    double sum_squares = 0.0;
    for (double x : values) {
        stats(x);
        sum_squares += x * x;
    }
    Metric m;
    m.info = std::move(info);
    m.count = acc::count(stats);
    m.sum = acc::sum(stats);
    m.sum_squares = sum_squares;
    m.value = m.count > 0 ? acc::mean(stats) : std::numeric_limits<double>::quiet_NaN();
    // Boost's variance divides by n; the unbiased sample variance divides by n - 1.
    m.standard_error = m.count > 1
                           ? std::sqrt(acc::variance(stats) / static_cast<double>(m.count - 1))
                           : std::numeric_limits<double>::quiet_NaN();
    return m;
}

}  // namespace cascade
