#include "sim/quantile_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace cascade {
namespace {

// Decades of magnitude each sign's buckets cover before the smallest collapse.
constexpr double kDecades = 15.0;

double log_gamma_for(double relative_error) {
    return std::log1p(2.0 * relative_error / (1.0 - relative_error));
}

// L(x) spans log2(10) a decade, in buckets of ln g.
std::int64_t max_buckets_for(double relative_error) {
    return static_cast<std::int64_t>(
        std::ceil(kDecades * std::log2(10.0) / log_gamma_for(relative_error)));
}

}  // namespace

QuantileSketch::QuantileSketch(double relative_error)
    : relative_error_(relative_error),
      log_gamma_(log_gamma_for(relative_error)),
      inverse_log_gamma_(1.0 / log_gamma_),
      max_buckets_(max_buckets_for(relative_error)) {
    if (!(relative_error >= kMinRelativeError && relative_error <= kMaxRelativeError)) {
        throw std::invalid_argument("QuantileSketch: relative error out of range");
    }
}

std::uint64_t QuantileSketch::max_bytes(double relative_error) {
    return 2 * static_cast<std::uint64_t>(max_buckets_for(relative_error)) * sizeof(Counter) +
           sizeof(QuantileSketch);
}

void QuantileSketch::add_outside(Bucket b, std::uint64_t count) {
    switch (b.sign) {
        case 1:
            positive_.add(b.key, count, max_buckets_);
            break;
        case -1:
            negative_.add(b.key, count, max_buckets_);
            break;
        case 0:
            zeros_ += count;
            break;
        default:
            nans_ += count;
            break;
    }
}

void QuantileSketch::merge(const QuantileSketch& other) {
    if (other.relative_error_ != relative_error_) {
        throw std::invalid_argument(
            "QuantileSketch: merging sketches of different relative errors");
    }
    for (const Count& c : other.counts()) {
        add(c.bucket, c.count);
    }
    positive_.collapsed = positive_.collapsed || other.positive_.collapsed;
    negative_.collapsed = negative_.collapsed || other.negative_.collapsed;
}

std::uint64_t QuantileSketch::count() const {
    return positive_.total() + negative_.total() + zeros_ + nans_;
}

double QuantileSketch::representative(Bucket b) const {
    switch (b.sign) {
        case 0:
            return 0.0;
        case 1:
        case -1: {
            const double low = from_position(b.key * log_gamma_);
            const double high = from_position((b.key + 1.0) * log_gamma_);
            // Infinity's bucket stands for infinity.
            const double middle = std::isinf(high) ? high : 2.0 * low * (high / (low + high));
            return b.sign * middle;
        }
        default:
            return std::numeric_limits<double>::quiet_NaN();
    }
}

double QuantileSketch::from_position(double position) {
    const double whole = std::floor(position);
    return std::ldexp(1.0 + (position - whole), static_cast<int>(whole));
}

std::vector<QuantileSketch::Count> QuantileSketch::counts() const {
    std::vector<Count> out;
    const auto size = [](const Store& s) { return static_cast<std::int64_t>(s.counts.size()); };
    for (std::int64_t i = size(negative_) - 1; i >= 0; --i) {
        if (const Counter n = negative_.counts[static_cast<std::size_t>(i)]; n > 0) {
            out.push_back({{static_cast<std::int32_t>(negative_.lowest + i), -1}, n});
        }
    }
    if (zeros_ > 0) {
        out.push_back({{0, 0}, zeros_});
    }
    for (std::int64_t i = 0; i < size(positive_); ++i) {
        if (const Counter n = positive_.counts[static_cast<std::size_t>(i)]; n > 0) {
            out.push_back({{static_cast<std::int32_t>(positive_.lowest + i), 1}, n});
        }
    }
    if (nans_ > 0) {
        out.push_back({{0, 2}, nans_});
    }
    return out;
}

std::vector<double> QuantileSketch::quantiles_type7(std::span<const double> levels) const {
    std::vector<double> result(levels.size(), std::numeric_limits<double>::quiet_NaN());
    const std::uint64_t n = count();
    if (n == 0 || nans_ > 0) {
        return result;
    }
    const std::vector<Count> buckets = counts();
    std::vector<std::uint64_t> below(buckets.size());  // values in the buckets before and this one
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        running += buckets[i].count;
        below[i] = running;
    }
    // The value of rank r (0-based, ascending) is in the first bucket whose
    // running count exceeds r.
    const auto at_rank = [&](std::uint64_t rank) {
        const auto it = std::upper_bound(below.begin(), below.end(), rank);
        return representative(buckets[static_cast<std::size_t>(it - below.begin())].bucket);
    };
    for (std::size_t j = 0; j < levels.size(); ++j) {
        const double h = static_cast<double>(n - 1) * levels[j];
        const auto lo = static_cast<std::uint64_t>(std::floor(h));
        const double lower = at_rank(lo);
        const double upper = at_rank(std::min(lo + 1, n - 1));
        // Equal neighbours are the quantile itself (an infinity among them too).
        result[j] =
            lower == upper ? lower : lower + (h - static_cast<double>(lo)) * (upper - lower);
    }
    return result;
}

// ---- One sign's buckets ---------------------------------------------------------
// Invariant: lowest >= highest - max_buckets + 1. Keys below that floor count
// in the floor's bucket. The floor only rises, and a key once below it stays
// below, so the final counts depend only on the keys added, not their order.

void QuantileSketch::Store::add(std::int64_t key, std::uint64_t count, std::int64_t max_buckets) {
    if (counts.empty()) {
        lowest = key;
        highest = key;
        counts.assign(1, static_cast<Counter>(count));
        return;
    }
    if (key > highest) {
        highest = key;
        if (key - lowest + 1 > max_buckets) {
            keep_from(key - max_buckets + 1);
        }
        if (key - lowest >= static_cast<std::int64_t>(counts.size())) {
            counts.resize(static_cast<std::size_t>(key - lowest + 1), 0);
        }
    } else if (key < lowest) {
        const std::int64_t floor = highest - max_buckets + 1;
        if (key < floor) {
            key = floor;
            collapsed = true;
        }
        if (key < lowest) {
            // Room for as many again below, so that a slowly falling minimum
            // does not shift the counts once per new bucket.
            const auto size = static_cast<std::int64_t>(counts.size());
            const std::int64_t from = std::max(floor, std::min(key, lowest - size));
            counts.insert(counts.begin(), static_cast<std::size_t>(lowest - from), 0);
            lowest = from;
        }
    }
    counts[static_cast<std::size_t>(key - lowest)] += static_cast<Counter>(count);
}

void QuantileSketch::Store::keep_from(std::int64_t floor) {
    const auto cut =
        static_cast<std::size_t>(std::min<std::int64_t>(floor - lowest, counts.size()));
    const std::uint64_t folded =
        std::accumulate(counts.begin(), counts.begin() + cut, std::uint64_t{0});
    counts.erase(counts.begin(), counts.begin() + cut);
    if (counts.empty()) {
        counts.push_back(0);
    }
    counts[0] += static_cast<Counter>(folded);
    collapsed = collapsed || folded > 0;
    lowest = floor;
}

std::uint64_t QuantileSketch::Store::total() const {
    return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

}  // namespace cascade
