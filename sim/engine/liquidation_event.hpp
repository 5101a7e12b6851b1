#pragma once
#include <cstdint>

namespace cascade {

// One liquidation, as recorded for the sample paths (/events/liquidations).
struct LiquidationEvent {
    std::uint64_t path = 0;
    std::uint32_t step = 0;   // step during which it happened (1 ... steps)
    std::uint32_t round = 0;  // cascade round within the step (0 ...)
    std::uint64_t account = 0;
    std::uint32_t cohort = 0;
    std::int8_t side = 0;      // +1 long, -1 short
    std::int8_t backstop = 0;  // 1: the backstop vault took the position over
    double size = 0.0;         // units of the asset
    double trigger_price = 0.0;
    double fill_price = 0.0;
    double penalty = 0.0;
    double shortfall = 0.0;
};

}  // namespace cascade
