// Order statistics and metrics over paths.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/random/streams.hpp"
#include "sim/statistics.hpp"

namespace cascade {
namespace {

// Type 7 straight from its definition, on a sorted copy.
std::vector<double> reference_quantiles(std::vector<double> values,
                                        const std::vector<double>& levels) {
    std::sort(values.begin(), values.end());
    std::vector<double> q;
    for (double level : levels) {
        const double h = (values.size() - 1) * level;
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const double above = values[std::min(lo + 1, values.size() - 1)];
        q.push_back(values[lo] + (h - lo) * (above - values[lo]));
    }
    return q;
}

}  // namespace

TEST_CASE("quantiles by multi-rank selection equal those from a full sort") {
    const std::vector<double> levels = {0.0, 0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0};
    auto rng = make_stream(3, 0, StreamPurpose::price_diffusion);
    for (std::size_t n : {1u, 2u, 3u, 17u, 100u, 1000u, 12345u}) {
        for (int ties : {0, 1, 2}) {
            std::vector<double> values(n);
            for (double& v : values) {
                const double u = uniform01(rng);
                // ties: 0 continuous, 1 a few distinct values, 2 all equal
                v = ties == 0 ? u : (ties == 1 ? std::floor(u * 4) : 7.0);
            }
            INFO("n = " << n << ", ties = " << ties);
            std::vector<double> work = values;
            CHECK(quantiles_type7(work, levels) == reference_quantiles(values, levels));
            // Only reordered: the same multiset comes back.
            std::sort(work.begin(), work.end());
            std::sort(values.begin(), values.end());
            CHECK(work == values);
        }
    }
}

TEST_CASE("quantiles of a small sample by hand (numpy's linear method)") {
    std::vector<double> values = {4, 1, 3, 2};
    // h = 3 q: q = 0.5 -> between the 2nd and 3rd smallest; q = 0.9 -> 3 + 0.7 * (4 - 3).
    const auto q = quantiles_type7(values, std::vector<double>{0.5, 0.9, 0.0});
    CHECK(q[0] == 2.5);
    CHECK(q[1] == doctest::Approx(3.7).epsilon(1e-15));
    CHECK(q[2] == 1.0);
    std::vector<double> empty;
    CHECK(std::isnan(quantiles_type7(empty, std::vector<double>{0.5})[0]));
}

TEST_CASE("mean metric: value, standard error and the raw moments it came from") {
    const std::vector<double> x = {1, 2, 3, 4, 10};
    const Metric m = mean_metric({"m", "1", "test"}, x);
    CHECK(m.value == 4.0);
    CHECK(m.count == 5);
    CHECK(m.sum == 20.0);
    CHECK(m.sum_squares == 130.0);
    // Sample variance (130 - 5 * 16) / 4 = 12.5; standard error sqrt(12.5 / 5).
    CHECK(m.standard_error == doctest::Approx(std::sqrt(2.5)).epsilon(1e-14));
}

}  // namespace cascade
