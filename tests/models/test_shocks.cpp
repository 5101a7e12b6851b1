// Shock overlays do exactly what they say, checked on zero-volatility paths
// where the answer is known to rounding.

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "models/shocks/shock_schedule.hpp"
#include "sim/path_kernel.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

constexpr double kRounding = 1e-12;

// Prices of one zero-volatility path under `shocks`, on a grid whose step
// boundaries do not line up with the shocks' windows.
std::vector<double> deterministic_path(const nlohmann::json& shocks, std::uint32_t steps = 37,
                                       const char* horizon = "4h") {
    auto doc = test::base_scenario();
    doc["simulation"]["horizon"] = horizon;
    doc["simulation"]["steps"] = steps;
    doc["market"]["price_model"]["volatility"] = 0.0;
    doc["shocks"] = shocks;
    const Population no_population;
    const PathKernel kernel(test::scenario_from(doc), no_population);
    std::vector<double> price(kernel.steps() + 1);
    kernel.simulate_exogenous(0, price);
    for (double& x : price) {
        x = 100.0 * std::exp(x);  // the kernel traces log(S_k / S_0)
    }
    return price;
}

bool close(double a, double b) {
    return std::abs(a - b) <= kRounding * std::abs(b);
}

}  // namespace

TEST_CASE("a 40 % crash over 2 hours with zero volatility lands at 60 %") {
    const auto price = deterministic_path(nlohmann::json::parse(
        R"([{"type": "crash", "start": "1h", "duration": "2h", "drop": 0.4}])"));
    CHECK(close(price.back(), 60.0));
    // Untouched before the window, and falling evenly in log price inside it.
    const TimeGrid grid{4 * 3600.0, 37};
    for (std::uint32_t k = 0; k <= grid.steps; ++k) {
        const double t = grid.time_seconds(k);
        const double elapsed = std::clamp((t - 3600.0) / 7200.0, 0.0, 1.0);
        CHECK(close(price[k], 100.0 * std::pow(0.6, elapsed)));
    }
}

TEST_CASE("a crash with a partial recovery gives back the stated fraction of the lost price") {
    const auto price = deterministic_path(nlohmann::json::parse(R"([{"type": "crash",
        "start": "30min", "duration": "1h", "drop": 0.4,
        "recovery": {"fraction": 0.5, "duration": "2h"}}])"));
    CHECK(close(price.back(), 80.0));  // 60 + 0.5 * 40
    const double lowest = *std::min_element(price.begin(), price.end());
    CHECK(lowest >= 60.0 * (1 - kRounding));
}

TEST_CASE("a jump moves the price once, in the step that contains its time") {
    const auto price = deterministic_path(
        nlohmann::json::parse(R"([{"type": "jump", "time": "2h", "size": -0.2}])"), 8);
    // Steps of 30 min: t = 2h is the end of step 4, so grid point 4 is already down.
    for (std::size_t k = 0; k < price.size(); ++k) {
        CHECK(close(price[k], k < 4 ? 100.0 : 80.0));
    }
}

TEST_CASE("shocks compose: crashes and jumps add in log price") {
    const auto price = deterministic_path(nlohmann::json::parse(R"([
        {"type": "crash", "start": "1h", "duration": "1h", "drop": 0.5},
        {"type": "jump", "time": "3h", "size": 0.1},
        {"type": "crash", "start": "90min", "duration": "1h", "drop": 0.2}])"));
    CHECK(close(price.back(), 100.0 * 0.5 * 1.1 * 0.8));
}

TEST_CASE("volatility multipliers scale variance, time-weighted in partly covered steps") {
    const TimeGrid grid{10 * 3600.0, 10};  // hourly steps
    // 3x from 2.5h to 5.5h: steps 3 and 6 are half covered; a 2x window overlaps step 5.
    const std::vector<Shock> shocks = {VolatilityShock{2.5 * 3600, 3 * 3600, 3.0},
                                       VolatilityShock{4 * 3600, 1 * 3600, 2.0}};
    const ShockSchedule schedule(grid, shocks);
    const double half = std::sqrt(0.5 * 1 + 0.5 * 9);
    const std::vector<double> expected = {1, 1, half, 3, 3 * 2, half, 1, 1, 1, 1};
    for (std::size_t k = 0; k < expected.size(); ++k) {
        CHECK(schedule.volatility_multiplier(k) == doctest::Approx(expected[k]).epsilon(1e-14));
        CHECK(schedule.log_shift(k) == 0.0);
    }
}

TEST_CASE("a volatility shock raises the variance of GBM log returns by (m^2 - 1) D sigma^2") {
    auto doc = test::base_scenario();
    const double sigma = 0.5;
    doc["simulation"]["paths"] = 20000;
    doc["simulation"]["horizon"] = "10d";
    doc["simulation"]["steps"] = 40;
    doc["market"]["price_model"]["volatility"] = sigma;
    doc["shocks"] = nlohmann::json::parse(
        R"([{"type": "volatility", "start": "2d", "duration": "3d", "multiplier": 4}])");
    const Population no_population;
    const PathKernel kernel(test::scenario_from(doc), no_population);
    std::vector<double> row(kernel.steps() + 1);
    std::vector<double> log_returns;
    for (std::uint64_t p = 0; p < 20000; ++p) {
        kernel.simulate_exogenous(p, row);
        log_returns.push_back(row.back());
    }
    const double years = 10.0 / 365.0;
    const double var_truth = sigma * sigma * (years + (16.0 - 1.0) * 3.0 / 365.0);
    const auto m = test::estimate_mean(log_returns);
    double squares = 0.0;
    for (double x : log_returns) {
        squares += (x - m.mean) * (x - m.mean);
    }
    const double variance = squares / (log_returns.size() - 1.0);
    // Normal log returns: SE of the sample variance is var * sqrt(2 / n).
    CHECK(std::abs(variance - var_truth) < 4.0 * var_truth * std::sqrt(2.0 / 20000));
    // The Ito correction follows the shocked volatility: the drift of log S is -var/2.
    CHECK(std::abs(m.mean + 0.5 * var_truth) < 4.0 * std::sqrt(var_truth / 20000));
}

}  // namespace cascade
