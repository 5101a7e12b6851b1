#pragma once
// The loss waterfall of one path: who pays a shortfall after the trader's
// margin. The insurance fund first; then auto-deleveraging (ADL) of the
// population's profitable opposite-side accounts, closed at the bankrupt
// account's bankruptcy price; then socialised loss, a haircut on the rest of
// the market's profit on the path; what remains is bad debt. Formulas and the
// venues they mirror: docs/models.md#loss-waterfall.
//
// Cost model. Deleveraged accounts are recorded in a sparse per-path overlay
// (book index -> the fraction of its position still open), so the shared,
// sorted books stay untouched and a path pays only for the accounts it
// touches. Building the ADL queue scans the opposite book once per round that
// needs it: ADL happens only once the insurance fund is exhausted.

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "models/population/population.hpp"
#include "models/venue/venue.hpp"
#include "sim/engine/ledger.hpp"

namespace cascade {

// The fraction of each account's position still open on this path, by book
// index; 1 for every account the overlay does not hold. A proportional
// reduction (size and collateral alike) leaves the liquidation price of a flat
// margin unchanged, so the sorted books stay valid for the reduced account.
class OpenFractions {
  public:
    bool empty() const { return remaining_.empty(); }
    double of(std::uint32_t index) const {
        if (remaining_.empty()) {
            return 1.0;
        }
        const auto it = remaining_.find(index);
        return it == remaining_.end() ? 1.0 : it->second;
    }
    // Returns true when the account is touched for the first time on this path.
    bool set(std::uint32_t index, double fraction) {
        return remaining_.insert_or_assign(index, fraction).second;
    }

  private:
    std::unordered_map<std::uint32_t, double> remaining_;
};

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
        double open_units = 0.0;  // size x the fraction still open
        double score = 0.0;       // pnl_leverage: PnL % x effective leverage
    };

    // Every account of `book` still open on this path (is_open: not
    // liquidated; a fraction above 0: not wholly deleveraged) and in profit at
    // `price`, ranked for `adl`. Ties keep book order: the ranking is the same
    // for every engine and thread count.
    template <class IsOpen>
    void build(const SideBook& book, const OpenFractions& fractions, double price,
               LossWaterfall::Adl adl, IsOpen&& is_open) {
        candidates_.clear();
        capacity_ = 0.0;
        const double s = sign(book.side);
        for (std::uint32_t i = 0; i < book.count(); ++i) {
            if (!is_open(i)) {
                continue;
            }
            const double fraction = fractions.of(i);
            const double gain = s * (price - book.entry[i]);  // PnL per unit
            if (!(fraction > 0.0) || !(gain > 0.0)) {
                continue;
            }
            // Both factors are ratios of amounts that scale with the position,
            // so the score is that of the full position.
            const double pnl = gain * book.size[i];
            const double score =
                (pnl / book.collateral[i]) * (book.size[i] * price / (book.collateral[i] + pnl));
            const double units = book.size[i] * fraction;
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
// counterparty, from the queue: from the top for a ranked queue, the same
// fraction of each for pro rata. Each closes like a trader's own order: its
// collateral comes back with the PnL at `price`. Records the new open
// fractions; returns the units closed (== units, up to rounding).
inline double deleverage(Ledger& ledger, const SideBook& book, const AdlQueue& queue,
                         LossWaterfall::Adl adl, double units, double price,
                         OpenFractions& fractions, WaterfallTotals& totals) {
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
        const double size = book.size[c.index];
        const double collateral = book.collateral[c.index] * (closed / size);
        ledger.trader_collateral -= collateral;
        ledger.trader_cash += collateral;
        const double pnl = s * closed * (price - book.entry[c.index]);
        ledger.counterparty -= pnl;
        ledger.trader_cash += pnl;
        // Closing all that is open leaves exactly 0, not a rounding residue.
        const double open_after = closed == c.open_units ? 0.0 : c.open_units - closed;
        if (fractions.set(c.index, open_after / size)) {
            ++totals.adl_accounts;
        }
        left -= closed;
        closed_total += closed;
    }
    return closed_total;
}

}  // namespace cascade
