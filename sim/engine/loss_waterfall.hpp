#pragma once
// The loss waterfall of one path: who pays a shortfall after the trader's
// margin. The insurance fund first; then auto-deleveraging (ADL) of the
// population's profitable opposite-side accounts, closed at the bankrupt
// account's bankruptcy price; then socialised loss, a haircut on the rest of
// the market's profit on the path; what remains is bad debt. Formulas and the
// venues they mirror: docs/models.md#loss-waterfall.
//
// Cost model. Deleveraged accounts are recorded in the sparse per-path
// overlay (sim/engine/position_overlay.hpp), so the shared, sorted books stay
// untouched and a path pays only for the accounts it touches. Building the ADL queue scans the
// opposite book once per round that needs it: ADL happens only once the insurance fund is
// exhausted.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "models/population/population.hpp"
#include "models/venue/venue.hpp"
#include "sim/engine/ledger.hpp"
#include "sim/engine/position_overlay.hpp"

namespace cascade {

// The units of one side's bankrupt positions a round hands to ADL, and their
// value at their bankruptcy prices; the opposite accounts close them at the
// average price value / units.
struct AdlOrder {
    double units = 0.0;
    double value = 0.0;
};

// What the waterfall did on a path.
struct WaterfallTotals {
    double adl_notional = 0.0;       // units deleveraged x their bankruptcy prices
    std::uint64_t adl_accounts = 0;  // distinct opposite-side accounts deleveraged
    double socialised_loss = 0.0;    // haircut on the rest of the market's profit
};

// The opposite-side accounts ADL may close in one round, in the order it
// closes them, and how many units they hold in all.
class AdlQueue {
  public:
    struct Candidate {
        std::uint32_t index = 0;
        double open_units = 0.0;  // units still open on this path
        double score = 0.0;       // pnl_leverage: PnL % x effective leverage
    };

    // Every account of `book` still open on this path and in profit at
    // `price` (with the funding index `funding`, which moves every entry
    // price alike), ranked for `adl`. Open: as the overlay has it when the path has
    // touched the account, otherwise as `not_collected(i)` says (the finder
    // has not liquidated it). Ties keep book order: the ranking is the same
    // for every engine and thread count.
    template <class NotCollected>
    void build(const SideBook& book, const PositionOverlay& overlay, double price, double funding,
               LossWaterfall::Adl adl, NotCollected&& not_collected) {
        candidates_.clear();
        capacity_ = 0.0;
        const double s = sign(book.side);
        for (std::uint32_t i = 0; i < book.count(); ++i) {
            const OpenPosition* touched = overlay.find(i);
            if (touched != nullptr ? !(touched->size > 0.0) : !not_collected(i)) {
                continue;
            }
            const double gain = s * (price - (book.entry[i] + funding));  // PnL per unit
            if (!(gain > 0.0)) {
                continue;
            }
            // Both factors are ratios of amounts that scale with the position,
            // so a proportional cut (ADL) leaves the score of the full
            // position; a partial liquidation changed the margin, so a
            // re-armed account is scored as it stands.
            const bool rearmed = touched != nullptr && touched->rearmed;
            const double size = rearmed ? touched->size : book.size[i];
            const double collateral = rearmed ? touched->collateral : book.collateral[i];
            const double pnl = gain * size;
            const double score = (pnl / collateral) * (size * price / (collateral + pnl));
            const double units = touched != nullptr ? touched->size : book.size[i];
            candidates_.push_back({i, units, score});
            capacity_ += units;
        }
        if (adl == LossWaterfall::Adl::pnl_leverage) {
            std::stable_sort(
                candidates_.begin(), candidates_.end(),
                [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
        }
    }

    double capacity() const { return capacity_; }
    const std::vector<Candidate>& candidates() const { return candidates_; }

  private:
    std::vector<Candidate> candidates_;
    double capacity_ = 0.0;
};

// Closes `units` of opposite-side `book` accounts at `price` against the
// counterparty (funding index `funding`), from the queue: from the top for a ranked queue, the same
// fraction of each for pro rata. Each closes like a trader's own order: its
// share of the margin comes back with the PnL at `price`. Records what stays
// open in the overlay; returns the units closed (== units, up to rounding).
inline double deleverage(Ledger& ledger, const SideBook& book, const AdlQueue& queue,
                         LossWaterfall::Adl adl, double units, double price, double funding,
                         PositionOverlay& overlay, WaterfallTotals& totals) {
    const double s = sign(book.side);
    const double share = adl == LossWaterfall::Adl::pro_rata ? units / queue.capacity() : 0.0;
    double left = units;
    double closed_total = 0.0;
    for (const AdlQueue::Candidate& c : queue.candidates()) {
        if (!(left > 0.0)) {
            break;
        }
        const double closed = adl == LossWaterfall::Adl::pro_rata
                                  ? std::min(c.open_units * share, left)
                                  : std::min(c.open_units, left);
        if (!(closed > 0.0)) {
            continue;
        }
        OpenPosition position = overlay.of(book, c.index);
        // Closing all that is open leaves exactly 0, not a rounding residue.
        const bool all = closed == c.open_units;
        const double collateral =
            all ? position.collateral : position.collateral * (closed / position.size);
        ledger.trader_collateral -= collateral;
        ledger.trader_cash += collateral;
        const double pnl = s * closed * (price - (book.entry[c.index] + funding));
        ledger.counterparty -= pnl;
        ledger.trader_cash += pnl;
        position.size = all ? 0.0 : position.size - closed;
        position.collateral = all ? 0.0 : position.collateral - collateral;
        if (overlay.set(c.index, position)) {
            ++totals.adl_accounts;
        }
        left -= closed;
        closed_total += closed;
    }
    return closed_total;
}

}  // namespace cascade
