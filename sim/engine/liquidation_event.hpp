#pragma once
#include <cstdint>
#include <vector>

#include "sim/huge_buffer.hpp"

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

// Liquidation events in memory. A sample path can keep up to a million
// (/output/max_events_per_path), tens of MiB: in huge pages, that is a page
// fault per 2 MiB instead of per 4 KiB, which on virtual machines cost more
// than recording the events.
using EventVector = std::vector<LiquidationEvent, HugePageAllocator<LiquidationEvent>>;

// Where one path's liquidation events go: appended to `sink` up to `limit`
// of them, the first in the order they happen; the rest are not kept
// (/output/max_events_per_path). The memory a sample path's events take is
// then bounded whatever the population, which the run's memory estimate
// relies on; /paths/liquidations still counts every liquidation, so a reader
// can tell a path whose events were cut.
class EventLog {
  public:
    EventLog(EventVector& sink, std::uint64_t limit) : sink_(sink), left_(limit) {}

    void push_back(const LiquidationEvent& event) {
        if (left_ > 0) {
            sink_.push_back(event);
            --left_;
        }
    }

  private:
    EventVector& sink_;
    std::uint64_t left_;  // events this path may still keep
};

}  // namespace cascade
