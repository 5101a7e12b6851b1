// Price models against closed forms. Every Monte Carlo assertion allows four
// standard errors of the estimate, the standard error coming from the sample
// or from the model's own higher moments, never from a tuned tolerance.

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "models/price/price_process.hpp"
#include "sim/path_kernel.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

struct LogReturns {
    std::vector<double> log_return;  // log(S_T / S_0) per path, as the kernel traces it
    std::vector<double> growth;      // S_T / S_0 per path
};

LogReturns simulate_log_returns(const Scenario& scenario) {
    const Population no_population;
    const PathKernel kernel(scenario, no_population);
    std::vector<double> row(kernel.steps() + 1);
    LogReturns out;
    for (std::uint64_t p = 0; p < scenario.simulation.paths; ++p) {
        kernel.simulate_exogenous(p, row);
        out.log_return.push_back(row.back());
        out.growth.push_back(std::exp(row.back()));
    }
    return out;
}

struct Moments {
    double mean;
    double variance;
};

Moments sample_moments(const std::vector<double>& x) {
    const auto m = test::estimate_mean(x);
    double squares = 0.0;
    for (double v : x) {
        squares += (v - m.mean) * (v - m.mean);
    }
    return {m.mean, squares / static_cast<double>(x.size() - 1)};
}

// Standard error of the sample variance from the fourth central moment:
// Var(s^2) ~ (mu4 - sigma^4) / n.
double variance_standard_error(double mu4, double variance, std::size_t n) {
    return std::sqrt((mu4 - variance * variance) / static_cast<double>(n));
}

}  // namespace

TEST_CASE("GBM log return has mean (mu - sigma^2/2) T and variance sigma^2 T") {
    auto doc = test::base_scenario();
    const double mu = 0.1, sigma = 0.5, years = 1.0;
    doc["simulation"]["paths"] = 40000;
    doc["simulation"]["horizon"] = "1y";
    doc["simulation"]["steps"] = 12;
    doc["market"]["price_model"] = {{"model", "gbm"}, {"drift", mu}, {"volatility", sigma}};
    const auto r = simulate_log_returns(test::scenario_from(doc));
    const auto m = sample_moments(r.log_return);
    const double n = static_cast<double>(r.log_return.size());

    const double mean_truth = (mu - 0.5 * sigma * sigma) * years;
    const double var_truth = sigma * sigma * years;
    CHECK(std::abs(m.mean - mean_truth) < 4.0 * std::sqrt(var_truth / n));
    // Normal: mu4 = 3 sigma^4.
    CHECK(std::abs(m.variance - var_truth) <
          4.0 * variance_standard_error(3 * var_truth * var_truth, var_truth, r.log_return.size()));
    // And the price itself grows at the drift: E[S_T / S_0] = exp(mu T).
    const auto growth = test::estimate_mean(r.growth);
    CHECK(std::abs(growth.mean - std::exp(mu * years)) < 4.0 * growth.standard_error);
}

TEST_CASE("Merton jump-diffusion log return matches its closed-form mean and variance") {
    const double mu = 0.05, sigma = 0.3, lambda = 5.0, jm = -0.05, js = 0.1, years = 1.0;
    auto doc = test::base_scenario();
    doc["simulation"]["paths"] = 40000;
    doc["simulation"]["horizon"] = "1y";
    doc["simulation"]["steps"] = 50;
    doc["market"]["price_model"] = {{"model", "merton"},   {"drift", mu},
                                    {"volatility", sigma}, {"jump_intensity", lambda},
                                    {"jump_mean", jm},     {"jump_stdev", js}};
    const auto r = simulate_log_returns(test::scenario_from(doc));
    const auto m = sample_moments(r.log_return);
    const std::size_t n = r.log_return.size();

    // Cumulants of sigma W_T + sum of N_T jumps J ~ N(jm, js^2), N_T ~ Poisson(lambda T).
    const double k = std::exp(jm + 0.5 * js * js) - 1.0;  // compensator E[e^J] - 1
    const double mean_truth = (mu - 0.5 * sigma * sigma - lambda * k) * years + lambda * years * jm;
    const double var_truth = sigma * sigma * years + lambda * years * (js * js + jm * jm);
    const double ej4 = std::pow(jm, 4) + 6 * jm * jm * js * js + 3 * std::pow(js, 4);
    const double mu4 = lambda * years * ej4 + 3 * var_truth * var_truth;

    CHECK(std::abs(m.mean - mean_truth) < 4.0 * std::sqrt(var_truth / static_cast<double>(n)));
    CHECK(std::abs(m.variance - var_truth) < 4.0 * variance_standard_error(mu4, var_truth, n));
    const auto growth = test::estimate_mean(r.growth);
    CHECK(std::abs(growth.mean - std::exp(mu * years)) < 4.0 * growth.standard_error);
}

namespace {

// Per path: the mean squared innovation over the last `window` of `steps`
// steps, in units of the long-run per-step variance. The start is far from
// the long run, so only the recursion's fixed point omega / (1 - alpha - beta)
// can make this average 1.
std::vector<double> garch_innovation_ratios(const GarchParams& params, std::size_t paths,
                                            std::size_t steps, std::size_t window) {
    const TimeGrid grid{365.0 * 86400.0, 8760};  // hourly steps over a year
    const ShockSchedule no_shocks(grid, {});
    const GarchProcess process(params, grid, no_shocks);
    const StandardNormal normal;
    const double dt = grid.step_years();
    const double long_run = params.long_run_volatility * params.long_run_volatility * dt;
    std::vector<double> ratios;
    for (std::size_t p = 0; p < paths; ++p) {
        PathRandom random{normal, make_stream(99, p, StreamPurpose::price_diffusion),
                          make_stream(99, p, StreamPurpose::price_jumps)};
        auto state = process.start(random);
        double sum = 0.0;
        for (std::size_t k = 0; k < steps; ++k) {
            const double h = state.variance;
            const double r = process.log_return(state, random, k);
            const double eps = r - params.drift * dt + 0.5 * h;
            if (k + window >= steps) {
                sum += eps * eps;
            }
        }
        ratios.push_back(sum / static_cast<double>(window) / long_run);
    }
    return ratios;
}

}  // namespace

TEST_CASE(
    "GARCH(1,1) innovations settle at the unconditional variance omega / (1 - alpha - beta)") {
    GarchParams params;
    params.long_run_volatility = 0.6;
    params.initial_volatility = 1.5;  // start 6.25x the long-run variance
    params.alpha = 0.08;
    params.beta = 0.9;  // persistence 0.98: 0.98^600 ~ 5e-6 of the start remains

    SUBCASE("normal innovations") {
        const auto ratios = garch_innovation_ratios(params, 4000, 700, 100);
        const auto m = test::estimate_mean(ratios);
        CHECK(std::abs(m.mean - 1.0) < 4.0 * m.standard_error);
        CHECK(m.standard_error < 0.02);  // the test has power to see a 10 % error
    }
    SUBCASE("Student-t innovations, scaled to unit variance") {
        params.innovations = Innovations::student_t;
        params.degrees_of_freedom = 8.0;
        const auto ratios = garch_innovation_ratios(params, 4000, 700, 100);
        const auto m = test::estimate_mean(ratios);
        CHECK(std::abs(m.mean - 1.0) < 4.0 * m.standard_error);
        CHECK(m.standard_error < 0.02);
    }
}

TEST_CASE("a path is a function of (seed, path index) only") {
    auto doc = test::base_scenario();
    doc["market"]["price_model"] = {{"model", "merton"},
                                    {"volatility", 0.6},
                                    {"jump_intensity", 50},
                                    {"jump_mean", -0.02},
                                    {"jump_stdev", 0.05}};
    const Population no_population;
    const PathKernel kernel(test::scenario_from(doc), no_population);
    std::vector<double> a(kernel.steps() + 1), b(kernel.steps() + 1), c(kernel.steps() + 1);
    kernel.simulate_exogenous(17, a);
    kernel.simulate_exogenous(3, c);  // another path in between changes nothing
    kernel.simulate_exogenous(17, b);
    CHECK(a == b);
    CHECK(a != c);
    doc["simulation"]["seed"] = 8;
    const PathKernel other_seed(test::scenario_from(doc), no_population);
    other_seed.simulate_exogenous(17, b);
    CHECK(a != b);
}

}  // namespace cascade
