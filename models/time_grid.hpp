#pragma once
// The simulation's time axis: steps of equal length from t = 0 to the horizon.

#include <cstdint>

namespace cascade {

// Annualised parameters use a 365-day year: crypto venues trade around the clock.
inline constexpr double kSecondsPerYear = 365.0 * 86400.0;

struct TimeGrid {
    double horizon_seconds = 0.0;
    std::uint32_t steps = 0;

    double step_seconds() const { return horizon_seconds / steps; }
    double step_years() const { return step_seconds() / kSecondsPerYear; }
    // Time of grid point k (k = 0 ... steps), in seconds.
    double time_seconds(std::uint32_t k) const { return horizon_seconds * k / steps; }
};

}  // namespace cascade
