#pragma once
// The price a venue's liquidations trigger on (its oracle, or mark price), as
// opposed to the market price they execute at.
//
//   instant  the price itself, at every moment, updated between cascade
//            rounds (the default: a venue that marks to its own book)
//   latency  the price `delay` ago
//   ema      an exponential moving average of the log price, half-life given
//   twap     the mean of the log price over a trailing window (a geometric
//            time-weighted average, as a Uniswap v3 oracle reports)
//   push     Chainlink-style: a new value is published when the price has
//            moved by `deviation` from the last one, or `heartbeat` after it
//
// `source` is what the oracle reads: the venue's own `market` price (its
// liquidations move its oracle: the cascade feeds back) or the `index`, the
// exogenous price of the spot markets, which the venue's own liquidations do
// not move. Outage windows (shock type "oracle_outage") freeze whatever the
// oracle last published.

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace cascade {

struct OracleConfig {
    enum class Kind { instant, latency, ema, twap, push };
    enum class Source { market, index };
    Kind kind = Kind::instant;
    Source source = Source::market;
    double delay_seconds = 0.0;      // latency
    double half_life_seconds = 0.0;  // ema
    double window_seconds = 0.0;     // twap
    double deviation = 0.0;          // push: relative move that triggers a new value
    double heartbeat_seconds = 0.0;  // push: longest time between two values

    // The venue marks to its own price at every moment: liquidations within
    // a step see the impact of the rounds before them.
    bool live() const { return kind == Kind::instant && source == Source::market; }
};

// A duration in whole steps of `step_seconds`, to the nearest step; 0 when
// the ratio is not a positive number (a NaN never reaches the conversion).
inline std::uint32_t oracle_steps(double seconds, double step_seconds) {
    const double steps = std::round(seconds / step_seconds);
    if (!(steps > 0.0)) {
        return 0;
    }
    return static_cast<std::uint32_t>(std::min(steps, 4.0e9));
}

}  // namespace cascade
