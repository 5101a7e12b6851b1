#pragma once
// The maintenance margin in force at each step of one path (see
// models/venue/margin_policy.hpp), and what it does to the liquidation
// prices: with margin m instead of the m0 the books were sorted with, every
// long's log liquidation price moves by log(1 - m0) - log(1 - m) and every
// short's by log(1 + m0) - log(1 + m). The engine adds these offsets to the
// market's log price instead of moving N prices: testing
// x + long_offset < stored trigger is testing x against the moved trigger.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "models/venue/margin_policy.hpp"

namespace cascade {

// The margin for one step, as the finders use it.
struct MarginLevel {
    double maintenance = 0.0;   // m: the reference scan tests equity against it
    double long_offset = 0.0;   // log(1 - m) - log(1 - m0); 0 when m = m0
    double short_offset = 0.0;  // log(1 + m) - log(1 + m0); 0 when m = m0
};

class MarginTracker {
  public:
    // `step_years`: the grid's step in years; `window_steps`: returns the
    // realised volatility is measured over (at least 1).
    MarginTracker(const MarginPolicy& policy, double base, double step_years,
                  std::uint32_t window_steps)
        : policy_(policy),
          base_(base),
          step_years_(step_years),
          squares_(policy.dynamic() ? std::max<std::uint32_t>(window_steps, 1) : 0, 0.0) {
        level_.maintenance = base;
    }

    bool dynamic() const { return policy_.dynamic(); }
    const MarginLevel& level() const { return level_; }

    // Records the market's log return over the step just finished and sets
    // the margin for the next one.
    void observe(double log_return) {
        const double square = log_return * log_return;
        sum_ += square - squares_[next_];
        squares_[next_] = square;
        next_ = next_ + 1 == squares_.size() ? 0 : next_ + 1;
        count_ = std::min<std::size_t>(count_ + 1, squares_.size());
        // A running sum can drift below zero by rounding; a volatility cannot.
        const double realised =
            std::sqrt(std::max(sum_, 0.0) / (static_cast<double>(count_) * step_years_));
        const double m =
            std::clamp(base_ * realised / policy_.reference_volatility, policy_.floor, policy_.cap);
        if (m != level_.maintenance) {
            level_.maintenance = m;
            level_.long_offset = std::log1p(-m) - std::log1p(-base_);
            level_.short_offset = std::log1p(m) - std::log1p(base_);
        }
    }

  private:
    const MarginPolicy& policy_;
    double base_;
    double step_years_;
    std::vector<double> squares_;  // the window's squared returns, a ring
    std::size_t next_ = 0;
    std::size_t count_ = 0;
    double sum_ = 0.0;
    MarginLevel level_;
};

}  // namespace cascade
