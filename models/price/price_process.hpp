#pragma once
// Price models discretised on the run's time grid, with the shock overlays
// folded in. Each process is a small value type with a pure step function:
//
//   State start(PathRandom&) const;
//   double log_return(State&, PathRandom&, std::size_t step_index) const;
//
// All conversions from annualised parameters happen in the constructors, so
// a step is a few multiply-adds on top of its random draws.

#include <cmath>
#include <limits>
#include <variant>
#include <vector>

#include "models/price/price_model.hpp"
#include "models/shocks/shock_schedule.hpp"
#include "models/time_grid.hpp"
#include "sim/random/streams.hpp"
#include "sim/random/variates.hpp"

namespace cascade {

// The random streams of one path, one per purpose.
struct PathRandom {
    const StandardNormal& normal;
    Rng diffusion;
    Rng jumps;
};

class GbmProcess {
  public:
    struct State {};
    GbmProcess(const GbmParams& params, const TimeGrid& grid, const ShockSchedule& shocks);
    State start(PathRandom&) const { return {}; }
    double log_return(State&, PathRandom& random, std::size_t k) const {
        return drift_[k] + scale_[k] * random.normal(random.diffusion);
    }

  private:
    std::vector<double> drift_;  // Ito-corrected drift plus shock shift, per step
    std::vector<double> scale_;  // volatility * sqrt(dt) * shock multiplier, per step
};

class MertonProcess {
  public:
    // Jump arrivals are drawn as exponential gaps, in units of steps, so a step
    // without a jump costs one comparison instead of a Poisson draw.
    struct State {
        double next_jump = 0.0;
    };
    MertonProcess(const MertonParams& params, const TimeGrid& grid, const ShockSchedule& shocks);
    State start(PathRandom& random) const { return {next_gap(random)}; }
    double log_return(State& state, PathRandom& random, std::size_t k) const {
        double r = drift_[k] + scale_[k] * random.normal(random.diffusion);
        while (state.next_jump < static_cast<double>(k + 1))
            [[unlikely]] {
                r += jump_mean_ + jump_stdev_ * random.normal(random.jumps);
                state.next_jump += next_gap(random);
            }
        return r;
    }

  private:
    double next_gap(PathRandom& random) const {
        return jumps_per_step_ > 0.0 ? standard_exponential(random.jumps) / jumps_per_step_
                                     : std::numeric_limits<double>::infinity();
    }
    std::vector<double> drift_;
    std::vector<double> scale_;
    double jumps_per_step_;
    double jump_mean_;
    double jump_stdev_;
};

class GarchProcess {
  public:
    struct State {
        double variance = 0.0;  // h_k, per step
    };
    GarchProcess(const GarchParams& params, const TimeGrid& grid, const ShockSchedule& shocks);
    State start(PathRandom&) const { return {initial_variance_}; }
    double log_return(State& state, PathRandom& random, std::size_t k) const {
        const double z = student_t_ ? t_scale_ * student_t(random.diffusion, dof_)
                                    : random.normal(random.diffusion);
        // A volatility shock scales the realised innovation, which then feeds
        // the variance recursion: a shock raises volatility after it, too.
        const double m = volatility_multiplier_[k];
        const double eps = m * std::sqrt(state.variance) * z;
        const double r = drift_dt_ - 0.5 * m * m * state.variance + eps + log_shift_[k];
        state.variance = omega_ + alpha_ * eps * eps + beta_ * state.variance;
        return r;
    }

  private:
    std::vector<double> volatility_multiplier_;
    std::vector<double> log_shift_;
    double drift_dt_;
    double omega_;
    double alpha_;
    double beta_;
    double initial_variance_;
    bool student_t_;
    double dof_;
    double t_scale_;  // sqrt((dof - 2) / dof): unit-variance Student-t
};

using PriceProcess = std::variant<GbmProcess, MertonProcess, GarchProcess>;

PriceProcess make_price_process(const PriceModel& model, const TimeGrid& grid,
                                const ShockSchedule& shocks);

}  // namespace cascade
