#pragma once
// Double-entry accounting of one path. Every transfer moves an amount from one
// balance to another, so the sum of the balances never changes: "nothing
// created, nothing lost" is checked at the end of every path.
//
// Balances (quote currency):
//   trader_collateral  margin locked in open positions
//   trader_cash        what liquidated traders got back
//   insurance_fund     the venue's fund
//   counterparty       the rest of the market, which takes the other side of
//                      every liquidation and settles the position's PnL
//   backstop_vault     what the backstop vault took with the positions it took
//                      over (docs/models.md#backstop): their equity at the
//                      take-over price, negative when it paid a deficit
//   uncovered_loss     <= 0: losses that neither the trader's margin nor the
//                      fund covered (bad debt is its negative)

#include <algorithm>
#include <cmath>

namespace cascade {

struct Ledger {
    double trader_collateral = 0.0;
    double trader_cash = 0.0;
    double insurance_fund = 0.0;
    double counterparty = 0.0;
    double backstop_vault = 0.0;
    double uncovered_loss = 0.0;

    double total() const {
        return trader_collateral + trader_cash + insurance_fund + counterparty + backstop_vault +
               uncovered_loss;
    }
    double bad_debt() const { return 0.0 - uncovered_loss; }  // +0.0, not -0.0, when none
};

// What one liquidation did to the books.
struct Settlement {
    double penalty = 0.0;    // paid to the fund from the trader's remaining margin
    double shortfall = 0.0;  // equity below zero at the fill
    double fund_paid = 0.0;  // part of the shortfall the fund covered
    double covered = 0.0;    // part the rest of the waterfall covered (ADL, haircut)
};

// Steps 1 and 2 of closing a position (below): the collateral is released to
// the trader, and the PnL to `price` settles with the counterparty. Returns
// the trader's equity at that price.
inline double close_at(Ledger& ledger, double s, double size, double entry, double collateral,
                       double price) {
    ledger.trader_collateral -= collateral;
    ledger.trader_cash += collateral;
    const double pnl = s * size * (price - entry);
    ledger.counterparty -= pnl;
    ledger.trader_cash += pnl;
    return collateral + pnl;
}

// Closes a position of `size` units (side sign s) opened at `entry` with
// `collateral` at fill price `fill`:
//   1. the collateral is released to the trader;
//   2. the position's PnL s q (fill - entry) settles with the counterparty;
//   3. a penalty of penalty_rate x q x fill goes from the trader to the fund,
//      capped at what equity remains;
//   4. negative equity (a fill beyond the bankruptcy price) is covered by the
//      fund; of what the fund cannot cover, `cover(shortfall, uncovered)`
//      says how much the rest of the loss waterfall takes on (it is paid
//      through the counterparty: sim/engine/loss_waterfall.hpp), and the
//      remainder is recorded as uncovered loss.
template <class Cover>
inline Settlement settle(Ledger& ledger, double s, double size, double entry, double collateral,
                         double fill, double penalty_rate, Cover&& cover) {
    Settlement result;
    const double equity = close_at(ledger, s, size, entry, collateral, fill);
    if (equity >= 0.0) {
        result.penalty = std::min(penalty_rate * size * fill, equity);
        ledger.trader_cash -= result.penalty;
        ledger.insurance_fund += result.penalty;
    } else {
        result.shortfall = -equity;
        result.fund_paid = std::min(result.shortfall, std::max(ledger.insurance_fund, 0.0));
        ledger.insurance_fund -= result.fund_paid;
        ledger.trader_cash += result.fund_paid;
        double uncovered = result.shortfall - result.fund_paid;
        if (uncovered > 0.0) {
            result.covered = cover(result.shortfall, uncovered);
            if (result.covered > 0.0) {
                ledger.counterparty -= result.covered;
                ledger.trader_cash += result.covered;
                // Covering all of it leaves exactly 0: no bad debt of rounding residue.
                uncovered = result.covered == uncovered ? 0.0 : uncovered - result.covered;
            }
        }
        ledger.uncovered_loss -= uncovered;
        ledger.trader_cash += uncovered;
    }
    return result;
}

// The backstop vault takes over a position of `size` units (side sign s)
// opened at `entry` with `collateral` at `price`: the collateral is released,
// the PnL to `price` settles with the counterparty as in a liquidation, and
// the trader's equity at that price, whatever its sign, goes to the vault.
// Returns that equity.
inline double take_over(Ledger& ledger, double s, double size, double entry, double collateral,
                        double price) {
    const double equity = close_at(ledger, s, size, entry, collateral, price);
    ledger.trader_cash -= equity;
    ledger.backstop_vault += equity;
    return equity;
}

// The venue without a waterfall after its fund: what the fund cannot cover is
// bad debt.
inline Settlement settle(Ledger& ledger, double s, double size, double entry, double collateral,
                         double fill, double penalty_rate) {
    return settle(ledger, s, size, entry, collateral, fill, penalty_rate,
                  [](double, double) { return 0.0; });
}

}  // namespace cascade
