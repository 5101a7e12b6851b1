// Runs with sketched quantile bands: the same run as with exact bands except
// for the quantiles, which stay within the sketch's relative error; the same
// file for any thread count; counted by the memory estimate.

#include <doctest/doctest.h>

#include <cmath>

#include "sim/quantile_sketch.hpp"
#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// The crash of two_sided_crash_scenario on 641 paths (ten blocks and one
// path): with (n - 1) level a whole number at every level, each quantile is
// an order statistic, so the sketch's bound is relative_error x |quantile|.
Scenario banded_crash(const std::string& bands, unsigned threads) {
    nlohmann::json doc = test::two_sided_crash_scenario();
    doc["simulation"]["paths"] = 641;
    doc["simulation"]["threads"] = threads;
    doc["output"]["quantiles"] = {0.05, 0.25, 0.5, 0.75, 0.95};
    doc["output"]["band_method"] = bands;
    doc["output"]["series"] = {"price", "liquidated_notional", "insurance_fund", "open_interest"};
    return test::scenario_from(doc);
}

}  // namespace

TEST_CASE("sketched bands: quantiles within the relative error, everything else as exact bands") {
    const Results exact = run_simulation(banded_crash("exact", 2));
    const Results sketched = run_simulation(banded_crash("sketch", 2));
    CHECK(exact.band_relative_error == 0.0);
    CHECK(sketched.band_relative_error == 1e-3);
    REQUIRE(exact.series.size() == 4);
    REQUIRE(sketched.series.size() == 4);
    for (std::size_t c = 0; c < exact.paths.size(); ++c) {
        CHECK(test::same_bits(exact.paths[c].values, sketched.paths[c].values));
    }
    std::size_t compared = 0;
    for (std::size_t s = 0; s < exact.series.size(); ++s) {
        const StepSeries& e = exact.series[s];
        const StepSeries& k = sketched.series[s];
        INFO("series " << e.info.name);
        CHECK(test::same_bits(e.mean, k.mean));
        CHECK(test::same_bits(e.standard_deviation, k.standard_deviation));
        CHECK(k.collapsed_points == 0);
        REQUIRE(e.quantiles.data.size() == k.quantiles.data.size());
        for (std::size_t i = 0; i < e.quantiles.data.size(); ++i) {
            const double q = e.quantiles.data[i];
            // The level's h = 640 level is a whole number up to rounding, whose
            // interpolation weight (about 1e-14) the last term allows for.
            CHECK(std::fabs(k.quantiles.data[i] - q) <= 1e-3 * std::fabs(q) * (1 + 1e-9) + 1e-9);
            compared += q != 0.0 ? 1 : 0;
        }
    }
    // 25 grid points x 5 levels x 4 series; the crash moves most away from zero.
    CHECK(compared > 300);
}

TEST_CASE("sketched bands are bit-identical for 1 and 2 threads") {
    const Results one = run_simulation(banded_crash("sketch", 1));
    const Results two = run_simulation(banded_crash("sketch", 2));
    REQUIRE(one.series.size() == two.series.size());
    for (std::size_t s = 0; s < one.series.size(); ++s) {
        CHECK(test::same_bits(one.series[s].quantiles.data, two.series[s].quantiles.data));
        CHECK(test::same_bits(one.series[s].mean, two.series[s].mean));
    }
}

TEST_CASE("the memory estimate counts sketches at their largest instead of every path's values") {
    const Scenario exact = banded_crash("exact", 1);
    const Scenario sketched = banded_crash("sketch", 1);
    const std::uint64_t points = exact.simulation.grid.steps + 1ULL;
    const std::uint64_t series = 4;
    const std::uint64_t values = 641 * points * series * sizeof(double);
    const std::uint64_t sketches = series * points * QuantileSketch::max_bytes(1e-3);
    CHECK(estimate_run_memory(exact) - values == estimate_run_memory(sketched) - sketches);
    // The bound itself: 15 decades of buckets of ln(1.001 / 0.999) in
    // interpolated log2, both signs, 4 bytes a count.
    const auto buckets =
        static_cast<std::uint64_t>(std::ceil(15 * std::log2(10.0) / std::log(1.001 / 0.999)));
    CHECK(QuantileSketch::max_bytes(1e-3) == 2 * buckets * 4 + sizeof(QuantileSketch));
}

}  // namespace cascade
