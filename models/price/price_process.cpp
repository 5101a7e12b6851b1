#include "models/price/price_process.hpp"

#include <cmath>

namespace cascade {
namespace {

struct DiffusionArrays {
    std::vector<double> drift;
    std::vector<double> scale;
};

// Per-step drift (Ito-corrected for the step's volatility, plus the shock's
// deterministic shift and any jump compensator) and diffusion scale.
DiffusionArrays diffusion_arrays(double drift_per_year, double volatility, double compensator,
                                 const TimeGrid& grid, const ShockSchedule& shocks) {
    const double dt = grid.step_years();
    DiffusionArrays arrays{std::vector<double>(grid.steps), std::vector<double>(grid.steps)};
    for (std::size_t k = 0; k < grid.steps; ++k) {
        const double sigma = volatility * shocks.volatility_multiplier(k);
        arrays.drift[k] =
            (drift_per_year - 0.5 * sigma * sigma - compensator) * dt + shocks.log_shift(k);
        arrays.scale[k] = sigma * std::sqrt(dt);
    }
    return arrays;
}

}  // namespace

GbmProcess::GbmProcess(const GbmParams& params, const TimeGrid& grid, const ShockSchedule& shocks) {
    auto arrays = diffusion_arrays(params.drift, params.volatility, 0.0, grid, shocks);
    drift_ = std::move(arrays.drift);
    scale_ = std::move(arrays.scale);
}

MertonProcess::MertonProcess(const MertonParams& params, const TimeGrid& grid,
                             const ShockSchedule& shocks)
    : jumps_per_step_(params.jump_intensity * grid.step_years()),
      jump_mean_(params.jump_mean),
      jump_stdev_(params.jump_stdev) {
    // E[exp(J)] - 1: the mean relative jump, compensated in the drift.
    const double mean_relative_jump =
        std::expm1(params.jump_mean + 0.5 * params.jump_stdev * params.jump_stdev);
    auto arrays = diffusion_arrays(params.drift, params.volatility,
                                   params.jump_intensity * mean_relative_jump, grid, shocks);
    drift_ = std::move(arrays.drift);
    scale_ = std::move(arrays.scale);
}

GarchProcess::GarchProcess(const GarchParams& params, const TimeGrid& grid,
                           const ShockSchedule& shocks)
    : volatility_multiplier_(shocks.volatility_multipliers().begin(),
                             shocks.volatility_multipliers().end()),
      log_shift_(shocks.log_shifts().begin(), shocks.log_shifts().end()),
      drift_dt_(params.drift * grid.step_years()),
      omega_(params.long_run_volatility * params.long_run_volatility * grid.step_years() *
             (1.0 - params.alpha - params.beta)),
      alpha_(params.alpha),
      beta_(params.beta),
      initial_variance_(params.initial_volatility * params.initial_volatility * grid.step_years()),
      student_t_(params.innovations == Innovations::student_t),
      dof_(params.degrees_of_freedom),
      t_scale_(student_t_ ? std::sqrt((dof_ - 2.0) / dof_) : 1.0) {}

PriceProcess make_price_process(const PriceModel& model, const TimeGrid& grid,
                                const ShockSchedule& shocks) {
    return std::visit(
        [&](const auto& params) -> PriceProcess {
            using Params = std::decay_t<decltype(params)>;
            if constexpr (std::is_same_v<Params, GbmParams>) {
                return GbmProcess(params, grid, shocks);
            } else if constexpr (std::is_same_v<Params, MertonParams>) {
                return MertonProcess(params, grid, shocks);
            } else {
                return GarchProcess(params, grid, shocks);
            }
        },
        model);
}

}  // namespace cascade
