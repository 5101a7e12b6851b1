#pragma once
// The oracle of one path (models/venue/oracle.hpp): what it has seen and what
// it has published. Once per step, before the step's liquidations, it reads
// its source (the market price after the impact's decay, or the index) and
// publishes the log price the step's liquidations trigger on. O(1) per step:
// the latency and TWAP windows are rings of past log prices, and before the
// start the price is taken to have sat at its initial value.

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "models/venue/oracle.hpp"

namespace cascade {

// An oracle's parameters in steps of the grid, derived once per run.
struct OracleRules {
    OracleConfig::Kind kind = OracleConfig::Kind::instant;
    bool reads_index = false;  // the index (exogenous) price, not the market's
    bool live = true;          // instant on the market: the engine reads the market itself
    std::uint32_t delay_steps = 0;
    std::uint32_t window_steps = 0;
    std::uint32_t heartbeat_steps = 0;
    double ema_weight = 1.0;           // of the newest price: 1 - 2^(-dt / half-life)
    double log_rise = 0.0;             // push: log(1 + deviation)
    double log_fall = 0.0;             // push: log(1 - deviation)
    std::vector<std::uint8_t> frozen;  // per step index (k - 1); empty: never frozen

    OracleRules() = default;
    OracleRules(const OracleConfig& oracle, double step_seconds, std::vector<std::uint8_t> frozen);

    bool frozen_at(std::uint32_t step) const { return !frozen.empty() && frozen[step - 1] != 0; }
};

inline OracleRules::OracleRules(const OracleConfig& oracle, double step_seconds,
                                std::vector<std::uint8_t> frozen_steps)
    : kind(oracle.kind),
      reads_index(oracle.source == OracleConfig::Source::index),
      live(oracle.live()),
      delay_steps(oracle_steps(oracle.delay_seconds, step_seconds)),
      window_steps(oracle_steps(oracle.window_seconds, step_seconds)),
      heartbeat_steps(oracle_steps(oracle.heartbeat_seconds, step_seconds)),
      ema_weight(oracle.kind == OracleConfig::Kind::ema
                     ? -std::expm1(-std::log(2.0) * step_seconds / oracle.half_life_seconds)
                     : 1.0),
      log_rise(std::log1p(oracle.deviation)),
      log_fall(std::log1p(-oracle.deviation)),
      frozen(std::move(frozen_steps)) {}

class OracleTracker {
  public:
    explicit OracleTracker(const OracleRules& rules) : rules_(rules) {
        const std::uint32_t ring = rules.kind == OracleConfig::Kind::latency ? rules.delay_steps
                                   : rules.kind == OracleConfig::Kind::twap  ? rules.window_steps
                                                                             : 0;
        ring_.assign(ring, 0.0);
    }

    // The log price (relative to the initial price) the oracle last published.
    double published() const { return published_; }

    // Step `step`: the oracle reads `observed` and publishes, unless an
    // outage freezes it; returns what is in force for the step.
    double update(std::uint32_t step, double observed) {
        const bool frozen = rules_.frozen_at(step);
        switch (rules_.kind) {
            case OracleConfig::Kind::instant:
                publish(observed, frozen);
                break;
            case OracleConfig::Kind::latency: {
                // The ring holds the last `delay` readings; the oldest is `delay` steps old.
                const double old = ring_[next_];
                ring_[next_] = observed;
                next_ = next_ + 1 == ring_.size() ? 0 : next_ + 1;
                publish(old, frozen);
                break;
            }
            case OracleConfig::Kind::ema:
                average_ += rules_.ema_weight * (observed - average_);
                publish(average_, frozen);
                break;
            case OracleConfig::Kind::twap: {
                // Re-summed over the window at each wrap, so rounding cannot accumulate.
                sum_ += observed - ring_[next_];
                ring_[next_] = observed;
                next_ = next_ + 1 == ring_.size() ? 0 : next_ + 1;
                if (next_ == 0) {
                    sum_ = 0.0;
                    for (double v : ring_) {
                        sum_ += v;
                    }
                }
                publish(sum_ / static_cast<double>(ring_.size()), frozen);
                break;
            }
            case OracleConfig::Kind::push: {
                ++since_push_;
                const double move = observed - published_;
                if (!frozen && (since_push_ >= rules_.heartbeat_steps || move >= rules_.log_rise ||
                                move <= rules_.log_fall)) {
                    published_ = observed;
                    since_push_ = 0;
                }
                break;
            }
        }
        return published_;
    }

    // The live oracle publishes the market price after each step's cascade,
    // which is what an outage then freezes.
    void set_published(double x) { published_ = x; }

  private:
    void publish(double value, bool frozen) {
        if (!frozen) {
            published_ = value;
        }
    }

    const OracleRules& rules_;
    double published_ = 0.0;
    std::vector<double> ring_;
    std::size_t next_ = 0;
    double sum_ = 0.0;
    double average_ = 0.0;
    std::uint32_t since_push_ = 0;
};

}  // namespace cascade
