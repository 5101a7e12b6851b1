#pragma once
// The reference engine's way of finding accounts to liquidate: every round,
// test every open account's equity against its maintenance requirement at the
// trigger price (the market's, or the venue's oracle), straight from the
// definition (flat, or the tiered table's bracket at the account's notional
// at that price). O(N) per round: slow and obviously correct, for
// differential tests against CursorFinder and as `--engine reference`.

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "models/population/population.hpp"
#include "models/venue/venue.hpp"
#include "sim/engine/margin_tracker.hpp"

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
    bool quiet(double, const MarginLevel&) const { return false; }

    // The margin in force, m.maintenance, straight into the equity test (a
    // tiered table has no margin policy, so it is the table itself).
    void collect_longs(double x, const MarginLevel& m, std::vector<std::uint32_t>& out) {
        collect(longs_, x, m.maintenance, open_long_, out);
    }
    void collect_shorts(double x, const MarginLevel& m, std::vector<std::uint32_t>& out) {
        collect(shorts_, x, m.maintenance, open_short_, out);
    }

    // Not yet liquidated on this path.
    bool is_open(Side side, std::size_t index) const {
        return (side == Side::long_side ? open_long_ : open_short_)[index] != 0;
    }

  private:
    void collect(const SideBook& book, double x, double maintenance_margin, std::vector<char>& open,
                 std::vector<std::uint32_t>& out) {
        const double price = initial_price_ * std::exp(x);
        for (std::size_t i = 0; i < book.count(); ++i) {
            if (open[i] &&
                (tiers_.empty() ? below_maintenance(book.side, book.size[i], book.entry[i],
                                                    book.collateral[i], maintenance_margin, price)
                                : below_maintenance(book.side, book.size[i], book.entry[i],
                                                    book.collateral[i], tiers_, price))) {
                open[i] = 0;
                out.push_back(static_cast<std::uint32_t>(i));
            }
        }
    }

    const SideBook& longs_;
    const SideBook& shorts_;
    std::vector<char> open_long_;
    std::vector<char> open_short_;
    double initial_price_;
    std::span<const MaintenanceBracket> tiers_;
};

}  // namespace cascade
