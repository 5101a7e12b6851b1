#pragma once
// A mergeable quantile sketch with a relative-error guarantee, for quantile
// bands over more paths than their values fit in memory.
//
// Values fall into logarithmic buckets, as in DDSketch (Masson, Rim & Lee,
// "DDSketch: a fast and fully-mergeable quantile sketch with relative-error
// guarantees", VLDB 2019), with the paper's linearly interpolated mapping, so
// that no logarithm is taken: a positive x = m 2^e, m in [1, 2), sits at
// L(x) = e + m - 1 (log2 x, interpolated linearly between powers of two), and
// its bucket is floor(L(x) / ln g), g = (1 + a) / (1 - a). L rises at least
// as fast as ln x, so a bucket spans at most a ratio g of values. Negatives
// bucket by |x|, zero has its own. A bucket stands for 2 lo hi / (lo + hi),
// its edges' harmonic mean, within relative error a of every value in it;
// counts are exact, so the value at any rank is within a of the true order
// statistic. A type-7 quantile interpolates two of them: its error is at
// most a x the same interpolation of the two order statistics' magnitudes
// (a x |quantile| when they share a sign).
//
// The state is a function of the multiset of values alone: adding values and
// merging sketches in any order gives the same sketch, so the bands do not
// depend on the thread count or on where a run was stopped and resumed.
//
// Memory is bounded whatever the count: each sign keeps at most
// max_buckets() buckets (15 decades of magnitude). When the magnitudes of one
// sign span more, the smallest are merged into the lowest kept bucket and
// lose their guarantee; collapsed() says whether that happened.

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace cascade {

class QuantileSketch {
  public:
    // The bucket a value falls in: sign 0 for zero, +1 or -1 with the bucket
    // of |x|, 2 for NaN. Computed apart from add() so that the parallel part
    // of a run pays for the mapping, and the serial merge only counts.
    struct Bucket {
        std::int32_t key = 0;
        std::int32_t sign = 0;
        friend bool operator==(const Bucket&, const Bucket&) = default;
    };

    // One bucket and how many values it holds: the sketch's serialised form.
    struct Count {
        Bucket bucket;
        std::uint64_t count = 0;
    };

    // relative_error in [kMinRelativeError, kMaxRelativeError].
    explicit QuantileSketch(double relative_error);

    static constexpr double kMinRelativeError = 1e-4;
    static constexpr double kMaxRelativeError = 0.05;

    double relative_error() const { return relative_error_; }
    // Buckets per sign at most: enough for 15 decades.
    std::int64_t max_buckets() const { return max_buckets_; }
    // The most memory a sketch of this relative error can hold, in bytes.
    static std::uint64_t max_bytes(double relative_error);

    Bucket bucket(double x) const {
        // L(|x|) from the bits: exponent, plus the mantissa as a fraction.
        const std::uint64_t bits = std::bit_cast<std::uint64_t>(x) & ~kSignBit;
        if (bits == 0 || bits > kInfinityBits) {
            return {0, bits == 0 ? 0 : 2};
        }
        const double position = bits >= kNormalBits
                                    ? interpolated_log2(bits)
                                    : interpolated_log2(std::bit_cast<std::uint64_t>(
                                          std::bit_cast<double>(bits) * 0x1p64)) -
                                          64.0;
        return {static_cast<std::int32_t>(std::floor(position * inverse_log_gamma_)),
                x > 0.0 ? 1 : -1};
    }
    void add(Bucket b, std::uint64_t count = 1) {
        // Inline: a bucket already in range is one increment.
        Store& store = b.sign > 0 ? positive_ : negative_;
        const std::int64_t at = std::int64_t{b.key} - store.lowest;
        if ((b.sign == 1 || b.sign == -1) && at >= 0 &&
            at < static_cast<std::int64_t>(store.counts.size())) {
            store.counts[static_cast<std::size_t>(at)] += static_cast<Counter>(count);
            return;
        }
        add_outside(b, count);
    }
    // Asks the cache for the counter `b` will add to: adds are scattered over
    // a sketch that can be far larger than the cache.
    void prefetch(Bucket b) const {
        const Store& store = b.sign > 0 ? positive_ : negative_;
        const std::int64_t at = std::int64_t{b.key} - store.lowest;
        if (at >= 0 && at < static_cast<std::int64_t>(store.counts.size())) {
            __builtin_prefetch(store.counts.data() + at, 1);
        }
    }
    void add(double x) { add(bucket(x)); }
    void merge(const QuantileSketch& other);

    std::uint64_t count() const;
    // Whether some magnitudes were merged into a larger bucket (see above).
    bool collapsed() const { return positive_.collapsed || negative_.collapsed; }

    // Type-7 quantiles (numpy's default) at `levels`, each in [0, 1], in
    // increasing order; NaN when the sketch is empty or holds a NaN.
    std::vector<double> quantiles_type7(std::span<const double> levels) const;

    // Every non-empty bucket, negatives from the largest magnitude down, then
    // zero, positives, NaN: ascending value order.
    std::vector<Count> counts() const;
    // The value a bucket stands for.
    double representative(Bucket b) const;

    // A bucket holds fewer than 2^32 values (a run has at most 1e9 paths):
    // 4-byte counters halve the sketch's memory and cache traffic.
    using Counter = std::uint32_t;

  private:
    static constexpr std::uint64_t kSignBit = 1ULL << 63;
    static constexpr std::uint64_t kInfinityBits = 0x7ffULL << 52;
    static constexpr std::uint64_t kNormalBits = 1ULL << 52;  // DBL_MIN's
    // e + m - 1 for a positive normal value (or infinity: 1024) given by its bits.
    static double interpolated_log2(std::uint64_t bits) {
        const auto exponent = static_cast<double>(static_cast<std::int64_t>(bits >> 52) - 1023);
        return exponent + static_cast<double>(bits & (kNormalBits - 1)) * 0x1p-52;
    }
    // The value at interpolated log2 `position`: 2^floor(position) (1 + frac(position)).
    static double from_position(double position);

    void add_outside(Bucket b, std::uint64_t count);

    // Counts of the buckets of one sign, dense from `lowest`.
    struct Store {
        // counts[i] is bucket lowest + i, up to highest, the largest key with a
        // count (valid when counts is not empty).
        std::int64_t lowest = 0;
        std::int64_t highest = 0;
        std::vector<Counter> counts;
        bool collapsed = false;

        void add(std::int64_t key, std::uint64_t count, std::int64_t max_buckets);
        std::uint64_t total() const;

      private:
        void keep_from(std::int64_t floor);
    };

    double relative_error_;
    double log_gamma_;
    double inverse_log_gamma_;
    std::int64_t max_buckets_;
    Store positive_;
    Store negative_;
    std::uint64_t zeros_ = 0;
    std::uint64_t nans_ = 0;
};

}  // namespace cascade
