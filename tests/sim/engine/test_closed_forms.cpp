// The engine against closed forms: first passage of GBM through the
// liquidation price (no impact), and the fixed point of a linear-impact
// cascade (no volatility).

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "sim/run.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

double normal_cdf(double x) {
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// P(min over [0, T] of X_t <= b) for X_t = nu t + sigma W_t, b < 0 (Harrison 1985).
double continuous_down_crossing(double b, double nu, double sigma, double t) {
    const double s = sigma * std::sqrt(t);
    return normal_cdf((b - nu * t) / s) +
           std::exp(2.0 * nu * b / (sigma * sigma)) * normal_cdf((b + nu * t) / s);
}

// Broadie, Glasserman & Kou (1997): monitoring every dt instead of continuously
// is, to first order, a barrier moved away by beta sigma sqrt(dt).
constexpr double kBgkBeta = 0.5825971579390106;  // -zeta(1/2) / sqrt(2 pi)

nlohmann::json one_cohort_scenario(const std::string& side, double leverage, double mu,
                                   double sigma) {
    auto doc = test::base_scenario();
    doc["simulation"] = {{"paths", 40000}, {"horizon", "90d"}, {"steps", 90}, {"seed", 11}};
    doc["market"]["price_model"] = {{"model", "gbm"}, {"drift", mu}, {"volatility", sigma}};
    doc["venue"] = {{"initial_margin", 0.05}, {"maintenance_margin", 0.01}};
    doc["population"]["cohorts"] = nlohmann::json::array({{{"name", "identical"},
                                                           {"side", side},
                                                           {"accounts", 1},
                                                           {"leverage", leverage},
                                                           {"notional", 1000.0}}});
    doc["output"] = {{"sample_paths", 0}, {"series", {"price"}}};
    return doc;
}

double fraction_liquidated(const Results& results) {
    const auto& liquidations = results.path_column("liquidations").values;
    double hit = 0.0;
    for (double n : liquidations) {
        hit += n > 0.0 ? 1.0 : 0.0;
    }
    return hit / static_cast<double>(liquidations.size());
}

}  // namespace

TEST_CASE(
    "without impact, the share of paths liquidated is GBM's discretely monitored first passage") {
    const double mu = 0.1, sigma = 0.8, mm = 0.01, leverage = 10.0;
    const double years = 90.0 / 365.0, dt = years / 90.0;
    const double nu = mu - 0.5 * sigma * sigma;

    SUBCASE("longs: a barrier below") {
        const Results results =
            run_simulation(test::scenario_from(one_cohort_scenario("long", leverage, mu, sigma)));
        // Liquidation price of a long opened at S0 with leverage L: S0 (1 - 1/L) / (1 - m).
        const double barrier = std::log((1.0 - 1.0 / leverage) / (1.0 - mm));
        const double p =
            continuous_down_crossing(barrier - kBgkBeta * sigma * std::sqrt(dt), nu, sigma, years);
        const double estimate = fraction_liquidated(results);
        const double se = std::sqrt(p * (1 - p) / 40000.0);
        CHECK(std::abs(estimate - p) < 4 * se);
        // Continuous monitoring would be visibly wrong at this step: the test has power.
        CHECK(std::abs(continuous_down_crossing(barrier, nu, sigma, years) - p) > 4 * se);
    }
    SUBCASE("shorts: a barrier above, by the reflection X -> -X") {
        const Results results =
            run_simulation(test::scenario_from(one_cohort_scenario("short", leverage, mu, sigma)));
        // Short: S0 (1 + 1/L) / (1 + m), crossed from below.
        const double barrier = std::log((1.0 + 1.0 / leverage) / (1.0 + mm));
        const double p = continuous_down_crossing(-(barrier + kBgkBeta * sigma * std::sqrt(dt)),
                                                  -nu, sigma, years);
        const double estimate = fraction_liquidated(results);
        const double se = std::sqrt(p * (1 - p) / 40000.0);
        CHECK(std::abs(estimate - p) < 4 * se);
    }
}

namespace {

// A band of long positions whose liquidation prices are spread evenly in log
// price from just below the initial price down over `band` in log price, each
// of `size` units, written as a positions CSV.
std::string uniform_band_csv(int accounts, double band, double size, double initial_price,
                             double mm, double leverage) {
    std::string csv = "account,side,size,entry_price,collateral\n";
    for (int i = 0; i < accounts; ++i) {
        const double log_trigger = -band * (i + 0.5) / accounts;
        // Trigger = E (1 - 1/L) / (1 - m)  =>  E = trigger (1 - m) / (1 - 1/L).
        const double entry = initial_price * std::exp(log_trigger) * (1 - mm) / (1 - 1 / leverage);
        csv += fmt::format("a{},long,{:.17g},{:.17g},{:.17g}\n", i, size, entry,
                           size * entry / leverage);
    }
    return csv;
}

}  // namespace

TEST_CASE("with linear impact and no volatility, the cascade reaches its analytic fixed point") {
    // Accounts: M over a log band of width W, each q units: density rho = M q / W
    // units per unit of log price. Impact kappa per unit. A drop delta of the
    // exogenous price liquidates the accounts above, whose sale drops the price
    // further: D = delta + kappa rho D, so D = delta / (1 - kappa rho).
    const int accounts = 2000;
    const double band = 0.5, size = 1.0, initial = 100.0, mm = 0.01, leverage = 20.0;
    const double rho = accounts * size / band;
    const double delta = 0.05;

    for (double a : {0.3, 0.6, 0.9}) {  // kappa rho: the cascade's gain
        INFO("kappa rho = " << a);
        const double kappa = a / rho;
        test::TempDir dir;
        const auto csv =
            dir.write("band.csv", uniform_band_csv(accounts, band, size, initial, mm, leverage));
        auto doc = test::base_scenario();
        doc["simulation"] = {
            {"paths", 1}, {"horizon", "2h"}, {"steps", 2}, {"max_cascade_rounds", 100000}};
        doc["market"]["initial_price"] = initial;
        doc["market"]["price_model"] = {{"model", "gbm"}, {"volatility", 0.0}};
        // per_notional is per unit of quote notional at the initial price: kappa / S0.
        doc["market"]["impact"] = {
            {"model", "linear"}, {"per_notional", kappa / initial}, {"floor", 1e-6}};
        doc["shocks"] = {{{"type", "jump"}, {"time", "1h"}, {"size", std::expm1(-delta)}}};
        doc["venue"] = {{"initial_margin", 0.05}, {"maintenance_margin", mm}};
        doc["population"] = {{"positions_csv", csv.string()}};
        doc["output"] = {{"sample_paths", 1}, {"series", {"price", "exogenous_price"}}};
        const Results results = run_simulation(test::scenario_from(doc));

        const double fixed_point = delta / (1.0 - a);
        const double drop = -results.path_column("log_return").values[0];
        // Accounts are discrete, h = W / M apart: the cascade stops when the next
        // account is not reached, D_d = delta + a h N with N within one of D_d / h,
        // so D_d lies within a h / (1 - a) = kappa q / (1 - a) below the continuous D.
        const double discreteness = kappa * size / (1.0 - a);
        CHECK(drop <= fixed_point + 1e-12);
        CHECK(drop >= fixed_point - discreteness);
        CHECK(results.path_column("cascade_amplification").values[0] ==
              doctest::Approx(1.0 / (1.0 - a)).epsilon(discreteness / delta));
        // Every account above the final price, and none below, was liquidated.
        const double liquidated = results.path_column("liquidations").values[0];
        CHECK(std::abs(liquidated - drop / band * accounts) <= 1.0);
        // All of it happened in the step of the jump, over several rounds.
        CHECK(results.path_column("max_cascade_rounds").values[0] > 3);
    }
}

}  // namespace cascade
