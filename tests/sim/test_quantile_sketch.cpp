// The relative-error quantile sketch behind sketched bands: its guarantee
// against exact order statistics, its independence of order, its bounds.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sim/quantile_sketch.hpp"
#include "sim/random/streams.hpp"
#include "sim/statistics.hpp"

namespace cascade {
namespace {

const std::vector<double> kSketchLevels = {0.0,  0.001, 0.01, 0.05,  0.25, 0.5,
                                           0.75, 0.95,  0.99, 0.999, 1.0};

// The bound the sketch promises for a type-7 quantile: the relative error
// times the same interpolation of the two order statistics' magnitudes.
std::vector<double> sketch_error_bounds(std::vector<double> values, double relative_error) {
    std::sort(values.begin(), values.end());
    std::vector<double> bounds;
    for (double level : kSketchLevels) {
        const double h = static_cast<double>(values.size() - 1) * level;
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const double f = h - static_cast<double>(lo);
        const double above = values[std::min(lo + 1, values.size() - 1)];
        bounds.push_back(relative_error * ((1 - f) * std::fabs(values[lo]) + f * std::fabs(above)));
    }
    return bounds;
}

// Samples of several shapes: 0 lognormal prices, 1 both signs with zeros,
// 2 a few distinct values, 3 heavy-tailed magnitudes over many decades.
std::vector<double> sketch_sample(std::size_t n, int shape, std::uint64_t seed) {
    auto rng = make_stream(seed, shape, StreamPurpose::price_diffusion);
    std::vector<double> values(n);
    for (double& v : values) {
        const double u = uniform01(rng);
        const double w = uniform01(rng);
        switch (shape) {
            case 0:
                v = 60000.0 * std::exp(0.3 * std::sqrt(-2 * std::log(u)) * std::cos(6.283 * w));
                break;
            case 1:
                v = u < 0.2 ? 0.0 : (w - 0.5) * 1e6 * u;
                break;
            case 2:
                v = std::floor(u * 4) - 1.0;
                break;
            default:
                v = std::pow(10.0, 12 * u - 3) * (w < 0.5 ? -1 : 1);
                break;
        }
    }
    return values;
}

}  // namespace

TEST_CASE("sketched quantiles are within the relative error of the exact type-7 quantiles") {
    for (double alpha : {1e-4, 1e-3, 0.01, 0.05}) {
        for (std::size_t n : {1u, 2u, 3u, 17u, 1000u, 20000u}) {
            for (int shape = 0; shape < 4; ++shape) {
                INFO("relative error " << alpha << ", n = " << n << ", shape " << shape);
                const std::vector<double> values = sketch_sample(n, shape, n);
                QuantileSketch sketch(alpha);
                for (double v : values) {
                    sketch.add(v);
                }
                CHECK(sketch.count() == n);
                CHECK(!sketch.collapsed());
                std::vector<double> work = values;
                const std::vector<double> exact = quantiles_type7(work, kSketchLevels);
                const std::vector<double> sketched = sketch.quantiles_type7(kSketchLevels);
                const std::vector<double> bounds = sketch_error_bounds(values, alpha);
                for (std::size_t j = 0; j < kSketchLevels.size(); ++j) {
                    INFO("level " << kSketchLevels[j] << ": exact " << exact[j] << ", sketched "
                                  << sketched[j]);
                    // The bound, and a few ulps for the rounding of the bucket edges.
                    CHECK(std::fabs(sketched[j] - exact[j]) <= bounds[j] * (1 + 1e-12) + 1e-300);
                }
            }
        }
    }
}

TEST_CASE("the sketch's error bound is tight: a value at a bucket's edge is off by nearly a") {
    // Buckets are equal steps of ln g in L(x) = e + m - 1. At x = 1 (L = 0) the
    // next edges are powers of g only approximately, but the worst case over a
    // fine grid of values must approach a without passing it.
    const double alpha = 0.01;
    double worst = 0.0;
    for (int i = 0; i < 20000; ++i) {
        const double x = 1.0 + i * 1e-4;  // [1, 3): two octaves
        QuantileSketch sketch(alpha);
        sketch.add(x);
        const double q = sketch.quantiles_type7(std::vector<double>{0.5})[0];
        worst = std::max(worst, std::fabs(q - x) / x);
    }
    CHECK(worst <= alpha * (1 + 1e-12));
    CHECK(worst > 0.9 * alpha);
}

TEST_CASE("the sketch is the same whatever order values arrive and sketches merge in") {
    const std::vector<double> values = sketch_sample(5000, 1, 7);
    QuantileSketch forward(1e-3);
    for (double v : values) {
        forward.add(v);
    }
    QuantileSketch backward(1e-3);
    for (auto it = values.rbegin(); it != values.rend(); ++it) {
        backward.add(*it);
    }
    // Merged from pieces of uneven sizes, the later pieces first.
    QuantileSketch merged(1e-3);
    for (std::size_t cut : {4000u, 1234u, 0u}) {
        QuantileSketch piece(1e-3);
        const std::size_t end = cut == 4000 ? values.size() : (cut == 1234 ? 4000 : 1234);
        for (std::size_t i = cut; i < end; ++i) {
            piece.add(values[i]);
        }
        merged.merge(piece);
    }
    const auto same = [](const QuantileSketch& a, const QuantileSketch& b) {
        const auto ca = a.counts();
        const auto cb = b.counts();
        return ca.size() == cb.size() &&
               std::equal(ca.begin(), ca.end(), cb.begin(), [](const auto& x, const auto& y) {
                   return x.bucket == y.bucket && x.count == y.count;
               });
    };
    CHECK(same(forward, backward));
    CHECK(same(forward, merged));
    CHECK(forward.quantiles_type7(kSketchLevels) == merged.quantiles_type7(kSketchLevels));
    // Rebuilt from its serialised buckets: the same sketch.
    QuantileSketch rebuilt(1e-3);
    for (const QuantileSketch::Count& c : forward.counts()) {
        rebuilt.add(c.bucket, c.count);
    }
    CHECK(same(forward, rebuilt));
}

TEST_CASE("the sketch's buckets by hand: ascending order, zero, NaN, infinity, empty") {
    QuantileSketch sketch(0.01);
    CHECK(std::isnan(sketch.quantiles_type7(std::vector<double>{0.5})[0]));  // empty
    // L(1) = 0: bucket 0; L(2) = 1: bucket floor(1 / ln g); negatives by magnitude.
    const double log_gamma = std::log(1.01 / 0.99);
    CHECK(sketch.bucket(1.0) == QuantileSketch::Bucket{0, 1});
    CHECK(sketch.bucket(2.0) ==
          QuantileSketch::Bucket{static_cast<std::int32_t>(std::floor(1 / log_gamma)), 1});
    CHECK(sketch.bucket(-2.0) ==
          QuantileSketch::Bucket{static_cast<std::int32_t>(std::floor(1 / log_gamma)), -1});
    CHECK(sketch.bucket(0.0) == QuantileSketch::Bucket{0, 0});
    CHECK(sketch.bucket(-0.0) == QuantileSketch::Bucket{0, 0});
    CHECK(sketch.bucket(std::numeric_limits<double>::quiet_NaN()).sign == 2);
    // A subnormal: L(2^-1074) = -1074.
    CHECK(sketch.bucket(std::numeric_limits<double>::denorm_min()).key ==
          static_cast<std::int32_t>(std::floor(-1074 / log_gamma)));

    for (double v : {5.0, -3.0, 0.0, 1e-3, -1e6}) {
        sketch.add(v);
    }
    const auto counts = sketch.counts();
    REQUIRE(counts.size() == 5);
    std::vector<double> ascending;
    for (const auto& c : counts) {
        ascending.push_back(sketch.representative(c.bucket));
    }
    CHECK(std::is_sorted(ascending.begin(), ascending.end()));
    CHECK(ascending[2] == 0.0);
    CHECK(ascending[0] == doctest::Approx(-1e6).epsilon(0.01));
    // Median of five: the zero, exactly; the extremes within 1 %.
    const auto q = sketch.quantiles_type7(std::vector<double>{0.0, 0.5, 1.0});
    CHECK(q[1] == 0.0);
    CHECK(q[0] == doctest::Approx(-1e6).epsilon(0.01));
    CHECK(q[2] == doctest::Approx(5.0).epsilon(0.01));
    // An infinity is the largest value and reads back as one.
    sketch.add(std::numeric_limits<double>::infinity());
    CHECK(sketch.quantiles_type7(std::vector<double>{1.0})[0] ==
          std::numeric_limits<double>::infinity());
    // A NaN makes every quantile NaN (as numpy's quantile does).
    sketch.add(std::numeric_limits<double>::quiet_NaN());
    CHECK(std::isnan(sketch.quantiles_type7(std::vector<double>{0.5})[0]));
}

TEST_CASE("the sketch's memory is bounded: beyond 15 decades the smallest magnitudes collapse") {
    const double alpha = 1e-3;
    QuantileSketch sketch(alpha);
    // 14 decades of one sign: kept apart, every bucket within the bound.
    for (int i = 0; i <= 140; ++i) {
        sketch.add(std::pow(10.0, i / 10.0));
    }
    CHECK(!sketch.collapsed());
    // A value 16 decades below the largest: merged into the lowest kept bucket.
    sketch.add(1e-2);
    CHECK(sketch.collapsed());
    CHECK(sketch.count() == 142);
    const auto counts = sketch.counts();
    CHECK(counts.back().bucket.key - counts.front().bucket.key < sketch.max_buckets());
    // The same values in another order collapse the same way.
    QuantileSketch other(alpha);
    other.add(1e-2);
    for (int i = 140; i >= 0; --i) {
        other.add(std::pow(10.0, i / 10.0));
    }
    CHECK(other.collapsed());
    const auto other_counts = other.counts();
    REQUIRE(other_counts.size() == counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
        CHECK(other_counts[i].bucket == counts[i].bucket);
        CHECK(other_counts[i].count == counts[i].count);
    }
    // The largest sketch's memory: both signs full.
    CHECK(QuantileSketch::max_bytes(alpha) >=
          2 * static_cast<std::uint64_t>(sketch.max_buckets()) * sizeof(QuantileSketch::Counter));
    CHECK_THROWS_AS(QuantileSketch(1e-5), std::invalid_argument);
    CHECK_THROWS_AS(QuantileSketch(0.1), std::invalid_argument);
}

}  // namespace cascade
