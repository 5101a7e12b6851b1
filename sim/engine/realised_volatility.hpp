#pragma once
// Realised volatility of the market price over a rolling window of steps, as
// a venue (or a market maker) measures it: only returns already seen.
//
//   sigma = sqrt(sum of the window's squared log returns / (returns in it x dt))
//
// annualised with dt the step in years, over the min(steps seen, W) most
// recent returns. O(1) per step: a ring of squared returns and their running
// sum. Used by the volatility-scaled margin (MarginTracker) and by elastic
// book depth (DepthTracker).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cascade {

class RealisedVolatility {
  public:
    // Holds nothing: for a path that measures no volatility.
    RealisedVolatility() = default;
    // `step_years`: the grid's step in years; `window_steps`: returns in the
    // window (at least 1).
    RealisedVolatility(double step_years, std::uint32_t window_steps)
        : step_years_(step_years), squares_(std::max<std::uint32_t>(window_steps, 1), 0.0) {}

    // Records the market's log return over the step just finished; returns the
    // annualised realised volatility over the window, this return included.
    double observe(double log_return) {
        const double square = log_return * log_return;
        sum_ += square - squares_[next_];
        squares_[next_] = square;
        next_ = next_ + 1 == squares_.size() ? 0 : next_ + 1;
        count_ = std::min<std::size_t>(count_ + 1, squares_.size());
        // A running sum can drift below zero by rounding; a volatility cannot.
        return std::sqrt(std::max(sum_, 0.0) / (static_cast<double>(count_) * step_years_));
    }

  private:
    double step_years_ = 0.0;
    std::vector<double> squares_;  // the window's squared returns, a ring
    std::size_t next_ = 0;
    std::size_t count_ = 0;
    double sum_ = 0.0;
};

}  // namespace cascade
