#pragma once
// The reference engine's way of finding accounts to liquidate: every round,
// test every open account's equity against its maintenance requirement at the
// trigger price (the market's, or the venue's oracle), straight from the
// definition (flat, or the tiered table's bracket at the account's notional
// at that price). O(N) per round: slow and obviously correct, for
// differential tests against CursorFinder and as `--engine reference`. A
// partially liquidated account is tested with what is left of it, once its
// cooldown is over.

#include <cmath>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "models/population/population.hpp"
#include "models/venue/venue.hpp"
#include "sim/engine/margin_tracker.hpp"
#include "sim/engine/position_overlay.hpp"

namespace cascade {

class ScanFinder {
  public:
    // `tiers`: the venue's tiered maintenance table, empty for a flat margin.
    ScanFinder(const Population& population, double initial_price,
               std::span<const MaintenanceBracket> tiers = {})
        : longs_(population.longs),
          shorts_(population.shorts),
          open_long_(population.longs.count(), 1),
          open_short_(population.shorts.count(), 1),
          initial_price_(initial_price),
          tiers_(tiers) {}

    // Never assumes: the reference tests every account every round.
    bool quiet(const TriggerLevel&) const { return false; }

    // The margin in force and the funding index straight into the equity
    // test (a tiered table has neither a margin policy nor funding, so it is
    // the table itself).
    void collect_longs(const TriggerLevel& level, std::vector<std::uint32_t>& out) {
        collect(longs_, level, open_long_, rearmed_longs_, out);
    }
    void collect_shorts(const TriggerLevel& level, std::vector<std::uint32_t>& out) {
        collect(shorts_, level, open_short_, rearmed_shorts_, out);
    }

    // Not yet collected on this path (or re-armed since).
    bool not_collected(Side side, std::size_t index) const {
        return (side == Side::long_side ? open_long_ : open_short_)[index] != 0;
    }

    // A partially liquidated account, open again with `position` from step
    // `ready` on (a copy: a later proportional cut by ADL leaves its test
    // unchanged under a flat margin).
    void rearm(Side side, std::uint32_t index, const OpenPosition& position, std::uint32_t ready,
               std::uint32_t) {
        (side == Side::long_side ? open_long_ : open_short_)[index] = 1;
        (side == Side::long_side ? rearmed_longs_ : rearmed_shorts_)[index] = {position, ready};
    }
    void release(std::uint32_t step) { step_ = step; }

    // An account collected this round that the liquidators had no capacity
    // for: open again (a re-armed one keeps its position and cooldown).
    void put_back(Side side, std::uint32_t index, const OpenPosition&) {
        (side == Side::long_side ? open_long_ : open_short_)[index] = 1;
    }

    // An account collected this round that the liquidators passed over: it
    // stays out of the test (collected) until woken, then is open again.
    void set_apart(Side, std::uint32_t) {}
    void set_quiet_band(double, double) {}  // never quiet anyway
    void wake(Side side, std::uint32_t index, const OpenPosition& position) {
        put_back(side, index, position);
    }

  private:
    struct Rearmed {
        OpenPosition position;
        std::uint32_t ready = 0;
    };

    void collect(const SideBook& book, const TriggerLevel& level, std::vector<char>& open,
                 const std::unordered_map<std::uint32_t, Rearmed>& rearmed,
                 std::vector<std::uint32_t>& out) {
        const double price = initial_price_ * std::exp(level.x);
        const double funding = level.funding;
        for (std::uint32_t i = 0; i < book.count(); ++i) {
            if (!open[i]) {
                continue;
            }
            double size = book.size[i];
            double collateral = book.collateral[i];
            if (!rearmed.empty()) {
                const auto it = rearmed.find(i);
                if (it != rearmed.end()) {
                    if (it->second.ready > step_) {
                        continue;  // cooling down
                    }
                    size = it->second.position.size;
                    collateral = it->second.position.collateral;
                }
            }
            // Funding shifts the entry price by F (never with tiers).
            if (tiers_.empty() ? below_maintenance(book.side, size, book.entry[i] + funding,
                                                   collateral, level.maintenance, price)
                               : below_maintenance(book.side, size, book.entry[i], collateral,
                                                   tiers_, price)) {
                open[i] = 0;
                out.push_back(i);
            }
        }
    }

    const SideBook& longs_;
    const SideBook& shorts_;
    std::vector<char> open_long_;
    std::vector<char> open_short_;
    std::unordered_map<std::uint32_t, Rearmed> rearmed_longs_;
    std::unordered_map<std::uint32_t, Rearmed> rearmed_shorts_;
    std::uint32_t step_ = 0;
    double initial_price_;
    std::span<const MaintenanceBracket> tiers_;
};

}  // namespace cascade
