#pragma once
// Shock overlays: deterministic, time-windowed changes laid over the exogenous
// price model and the market's liquidity. They compose: volatility
// multipliers multiply (in variance), crashes and jumps add in log price,
// liquidity droughts multiply the book's depth. Oracle outages change no
// price: they freeze what the venue's liquidations trigger on.

#include <optional>
#include <variant>

namespace cascade {

// Scales the price model's diffusive volatility by `multiplier` inside the window.
struct VolatilityShock {
    double start_seconds = 0.0;
    double duration_seconds = 0.0;
    double multiplier = 1.0;
};

// A deterministic fall of `drop` (a fraction of the price) spread evenly in log
// price over the window, optionally followed by a recovery of a fraction of the
// lost price over a second window that starts when the crash ends.
struct CrashShock {
    double start_seconds = 0.0;
    double duration_seconds = 0.0;
    double drop = 0.0;  // 0.4: the price ends the window at 60 % of where it would be
    struct Recovery {
        double fraction = 0.0;  // 0.5: half of the lost price comes back
        double duration_seconds = 0.0;
    };
    std::optional<Recovery> recovery;
};

// One instantaneous relative price change at a given time.
struct JumpShock {
    double time_seconds = 0.0;
    double size = 0.0;  // -0.2: the price falls by 20 %
};

// The order book thins to `depth_factor` of its depth inside the window (the
// log-price impact of every order divided by it); the price itself is not
// moved. Market makers withdraw around news, exchange outages, weekends and
// the hours after a crash, and come back.
struct LiquidityDrought {
    double start_seconds = 0.0;
    double duration_seconds = 0.0;
    double depth_factor = 1.0;  // 0.2: a fifth of the usual depth, five times the impact
};

// The venue's oracle publishes nothing inside the window: liquidations
// trigger on the last value it published before (models/venue/oracle.hpp).
struct OracleOutageShock {
    double start_seconds = 0.0;
    double duration_seconds = 0.0;
};

using Shock = std::variant<VolatilityShock, CrashShock, JumpShock, LiquidityDrought,
                           OracleOutageShock>;

}  // namespace cascade
