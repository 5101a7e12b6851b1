#pragma once
// Perpetual funding on one path (models/venue/venue.hpp FundingConfig,
// docs/models.md#funding): the premium of the venue's market (mark) price
// over the index (the exogenous price) is sampled at the end of every step
// and averaged over the funding interval; at the interval's last step the
// rate is set and every position pays s x rate x market price per unit. The
// path keeps the sum as one index F (quote per unit): a position's equity is
// c + s q (P - E - F), so funding moves every entry price by F alike and the
// sorted books stay sorted (sim/engine/margin_tracker.hpp TriggerLevel says
// how the finders compare).

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "models/venue/venue.hpp"

namespace cascade {

class FundingTracker {
  public:
    // `interval_steps`: the funding interval in whole steps (at least 1).
    FundingTracker(const FundingConfig& config, std::uint32_t interval_steps)
        : config_(&config), interval_steps_(std::max<std::uint32_t>(interval_steps, 1)) {}

    bool enabled() const { return config_->enabled; }
    double index() const { return index_; }  // F, quote per unit

    // The step just finished, with the market's log price over the index's
    // (the impact) and the market price: samples the premium, and on the
    // interval's last step pays funding.
    void observe(std::uint32_t step, double log_market_over_index, double market_price) {
        premium_sum_ += std::expm1(log_market_over_index);
        ++samples_;
        if (step % interval_steps_ == 0) {
            const double premium = premium_sum_ / static_cast<double>(samples_);
            index_ += rate(*config_, premium) * market_price;
            premium_sum_ = 0.0;
            samples_ = 0;
        }
    }

    // The rate of one interval for an average premium (Binance's and
    // Hyperliquid's published formula for a rate period, paid pro rata).
    static double rate(const FundingConfig& config, double premium) {
        const double interest =
            std::clamp(config.interest_rate - premium, -config.interest_band, config.interest_band);
        const double per_interval =
            config.period_seconds == config.interval_seconds
                ? premium + interest
                : (premium + interest) * (config.interval_seconds / config.period_seconds);
        return std::clamp(per_interval, -config.cap, config.cap);
    }

  private:
    const FundingConfig* config_;
    std::uint32_t interval_steps_ = 1;
    double index_ = 0.0;
    double premium_sum_ = 0.0;
    std::uint32_t samples_ = 0;
};

}  // namespace cascade
