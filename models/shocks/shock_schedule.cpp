#include "models/shocks/shock_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace cascade {
namespace {

// Calls visit(step_index, fraction) for each step overlapping [start, start + duration),
// where fraction is the share of the window that falls inside the step.
template <class Visit>
void spread_over_window(const TimeGrid& grid, double start, double duration, Visit visit) {
    const double end = start + duration;
    for (std::uint32_t k = 1; k <= grid.steps; ++k) {
        const double lo = std::max(start, grid.time_seconds(k - 1));
        const double hi = std::min(end, grid.time_seconds(k));
        if (hi > lo) {
            visit(k - 1, (hi - lo) / duration);
        }
    }
}

// Index of the step (t_{k-1}, t_k] that contains time t > 0, or none past the horizon.
std::optional<std::size_t> step_containing(const TimeGrid& grid, double t) {
    for (std::uint32_t k = 1; k <= grid.steps; ++k) {
        if (t <= grid.time_seconds(k)) {
            return k - 1;
        }
    }
    return std::nullopt;
}

}  // namespace

ShockSchedule::ShockSchedule(const TimeGrid& grid, std::span<const Shock> shocks)
    : volatility_multiplier_(grid.steps, 1.0), log_shift_(grid.steps, 0.0) {
    std::vector<double> variance_multiplier(grid.steps, 1.0);
    for (const Shock& shock : shocks) {
        if (const auto* vol = std::get_if<VolatilityShock>(&shock)) {
            // A step partly inside the window gets the time-weighted variance.
            const double step = grid.step_seconds();
            spread_over_window(grid, vol->start_seconds, vol->duration_seconds,
                               [&](std::size_t k, double fraction) {
                                   const double inside = fraction * vol->duration_seconds / step;
                                   variance_multiplier[k] *=
                                       1.0 + inside * (vol->multiplier * vol->multiplier - 1.0);
                               });
        } else if (const auto* crash = std::get_if<CrashShock>(&shock)) {
            const double fall = std::log1p(-crash->drop);
            spread_over_window(
                grid, crash->start_seconds, crash->duration_seconds,
                [&](std::size_t k, double fraction) { log_shift_[k] += fall * fraction; });
            if (crash->recovery) {
                // The recovered fraction is of the lost price: 0.6 -> 0.6 + f * 0.4.
                const double rebound =
                    std::log1p(crash->recovery->fraction * crash->drop / (1.0 - crash->drop));
                spread_over_window(
                    grid, crash->start_seconds + crash->duration_seconds,
                    crash->recovery->duration_seconds,
                    [&](std::size_t k, double fraction) { log_shift_[k] += rebound * fraction; });
            }
        } else if (const auto* jump = std::get_if<JumpShock>(&shock)) {
            if (const auto k = step_containing(grid, jump->time_seconds)) {
                log_shift_[*k] += std::log1p(jump->size);
            }
        } else if (const auto* drought = std::get_if<LiquidityDrought>(&shock)) {
            if (depth_multiplier_.empty()) {
                depth_multiplier_.assign(grid.steps, 1.0);
            }
            // A step partly inside gets the time-weighted impact per unit (1 / depth):
            // the expected impact of an order at a uniform time within the step. A
            // step inside but for rounding (grid times are products) gets the factor
            // itself, so a whole step's impact is exactly 1 / factor times.
            const double step = grid.step_seconds();
            const double factor = drought->depth_factor;
            spread_over_window(
                grid, drought->start_seconds, drought->duration_seconds,
                [&](std::size_t k, double fraction) {
                    const double inside = fraction * drought->duration_seconds / step;
                    depth_multiplier_[k] *=
                        inside > 1.0 - 1e-9 ? factor : 1.0 / (1.0 + inside * (1.0 / factor - 1.0));
                });
        } else if (const auto* outage = std::get_if<OracleOutageShock>(&shock)) {
            oracle_frozen_.resize(grid.steps, 0);
            const double end = outage->start_seconds + outage->duration_seconds;
            for (std::uint32_t k = 1; k <= grid.steps; ++k) {
                const double t = grid.time_seconds(k);
                if (outage->start_seconds <= t && t < end) {
                    oracle_frozen_[k - 1] = 1;
                }
            }
        }
    }
    std::transform(variance_multiplier.begin(), variance_multiplier.end(),
                   volatility_multiplier_.begin(), [](double v) { return std::sqrt(v); });
}

}  // namespace cascade
