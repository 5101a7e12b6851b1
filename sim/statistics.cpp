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

namespace {

// Quickselect for several ranks at once: each partition sends the ranks below
// the cut left and the rest right, so R ranks cost about n (2 + 2 ln R)
// comparisons. Pivots are medians of three pseudo-random elements: libstdc++'s
// nth_element picks them from fixed positions and slows down badly on a range
// that an earlier partition has already arranged, which is exactly what a
// second rank sees. The pivot choice affects only speed, never the result.
class MultiSelect {
  public:
    void operator()(std::span<double> values, std::size_t offset,
                    std::span<const std::size_t> ranks) {
        while (!ranks.empty() && values.size() > 16) {
            const double pivot = median_of_three_random(values);
            std::size_t cut = partition_before(values, [pivot](double v) { return v < pivot; });
            std::size_t settled = cut;
            if (cut == 0) {
                // The pivot is the smallest value: split off the values equal to it,
                // whose ranks are then settled.
                settled = partition_before(values, [pivot](double v) { return !(pivot < v); });
            }
            // [0, cut) < pivot, [cut, settled) == pivot, [settled, n) >= pivot.
            const auto split = std::lower_bound(ranks.begin(), ranks.end(), offset + cut);
            const auto rest = std::lower_bound(ranks.begin(), ranks.end(), offset + settled);
            (*this)(values.first(cut), offset,
                    ranks.first(static_cast<std::size_t>(split - ranks.begin())));
            ranks = ranks.subspan(static_cast<std::size_t>(rest - ranks.begin()));
            values = values.subspan(settled);
            offset += settled;
        }
        if (!ranks.empty()) {
            std::sort(values.begin(), values.end());
        }
    }

  private:
    // Moves the values satisfying `before` to the front and returns how many
    // there are. Branch-free Lomuto: the comparison only moves an index, so
    // random data costs no mispredicted branches.
    template <class Predicate>
    static std::size_t partition_before(std::span<double> values, Predicate before) {
        std::size_t store = 0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double v = values[i];
            values[i] = values[store];
            values[store] = v;
            store += before(v) ? 1 : 0;
        }
        return store;
    }

    double median_of_three_random(std::span<const double> values) {
        const double a = values[next() % values.size()];
        const double b = values[next() % values.size()];
        const double c = values[next() % values.size()];
        return std::max(std::min(a, b), std::min(std::max(a, b), c));
    }
    std::uint64_t next() {  // SplitMix64: cheap, and deterministic run to run
        state_ += 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t state_ = 0;
};

}  // namespace

std::vector<double> quantiles_type7(std::span<double> values, std::span<const double> levels) {
    std::vector<double> result(levels.size(), std::numeric_limits<double>::quiet_NaN());
    const std::size_t n = values.size();
    if (n == 0) {
        return result;
    }
    // Each level interpolates between the order statistics at floor(h) and floor(h) + 1.
    std::vector<std::size_t> ranks;
    for (double level : levels) {
        const auto lo = static_cast<std::size_t>(std::floor(static_cast<double>(n - 1) * level));
        ranks.push_back(lo);
        ranks.push_back(std::min(lo + 1, n - 1));
    }
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    MultiSelect()(values, 0, ranks);
    for (std::size_t j = 0; j < levels.size(); ++j) {
        result[j] = type7_from_ordered(values, levels[j]);
    }
    return result;
}

double type7_from_ordered(std::span<const double> ordered, double level) {
    const std::size_t n = ordered.size();
    const double h = static_cast<double>(n - 1) * level;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const double below = ordered[lo];
    const double above = ordered[std::min(lo + 1, n - 1)];
    return below + (h - static_cast<double>(lo)) * (above - below);
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
    m.ci_low = m.value - kZ95 * m.standard_error;
    m.ci_high = m.value + kZ95 * m.standard_error;
    return m;
}

}  // namespace cascade
