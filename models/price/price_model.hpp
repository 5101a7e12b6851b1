#pragma once
// Exogenous price models: the price path the market would follow with no
// liquidations. Parameters are annualised (drift and volatility per year, jump
// intensity per year); models/price/price_process.hpp converts them to the
// step length once.

#include <variant>

namespace cascade {

// Geometric Brownian motion: dS/S = drift dt + volatility dW.
struct GbmParams {
    double drift = 0.0;       // expected return per year: E[S_t] = S_0 exp(drift t)
    double volatility = 0.0;  // per sqrt(year)
};

// Merton (1976) jump-diffusion: GBM plus compound-Poisson jumps in the log
// price, J ~ Normal(jump_mean, jump_stdev^2), arriving at jump_intensity per
// year. The drift is compensated so that E[S_t] = S_0 exp(drift t) still holds.
struct MertonParams {
    double drift = 0.0;
    double volatility = 0.0;
    double jump_intensity = 0.0;  // expected jumps per year
    double jump_mean = 0.0;       // mean log jump size
    double jump_stdev = 0.0;      // standard deviation of the log jump size
};

enum class Innovations { normal, student_t };

// GARCH(1,1) on per-step log returns: r_k = drift dt - h_k / 2 + sqrt(h_k) z_k,
// h_{k+1} = omega + alpha (sqrt(h_k) z_k)^2 + beta h_k, with omega chosen so the
// unconditional per-step variance is long_run_volatility^2 dt. alpha and beta
// are per-step coefficients: they depend on the step length (no time aggregation).
struct GarchParams {
    double drift = 0.0;
    double long_run_volatility = 0.0;  // per sqrt(year)
    double initial_volatility = 0.0;   // per sqrt(year); sqrt(h_1 / dt)
    double alpha = 0.0;
    double beta = 0.0;
    Innovations innovations = Innovations::normal;
    double degrees_of_freedom = 0.0;  // Student-t only, > 2; scaled to unit variance
};

using PriceModel = std::variant<GbmParams, MertonParams, GarchParams>;

}  // namespace cascade
