#pragma once
// A venue's margin and liquidation rules for isolated-margin perpetuals, and
// the prices they imply for one position.
//
// A position of `size` units opened at `entry` with `collateral` posted has,
// at price P, equity  collateral + s size (P - entry)  (s = +1 long, -1 short)
// and maintenance requirement  maintenance_margin x size x P, or with a tiered
// table  rate_b x size x P - amount_b  for the bracket b holding the notional
// size x P. It is liquidated when equity < requirement, i.e. when P crosses its
// liquidation price.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "models/population/positions_csv.hpp"
#include "models/venue/margin_policy.hpp"
#include "models/venue/oracle.hpp"

namespace cascade {

// One bracket of a tiered maintenance margin, as the big centralised venues
// publish them (Binance USD-M "Leverage and Margin"): notionals above the
// previous bracket's cap and up to `notional_cap` need `rate` x notional -
// `amount`. The amount is cascade's to compute (next_maintenance_amount below), so
// that the requirement is continuous at every cap.
struct MaintenanceBracket {
    double notional_cap = std::numeric_limits<double>::infinity();  // the last: infinite
    double rate = 0.0;
    double amount = 0.0;  // the "maintenance amount", cumulative over the brackets below
};

// Who pays a shortfall (a liquidation filled beyond the bankruptcy price)
// after the trader's margin: the insurance fund always comes first; then, when
// switched on, auto-deleveraging of the population's profitable opposite-side
// accounts, then a haircut on the rest of the market's profit on the path
// (socialised loss). What is left is bad debt. Formulas: docs/models.md#loss-waterfall.
struct LossWaterfall {
    // How auto-deleveraging picks the opposite-side accounts it closes:
    // pnl_leverage ranks them by unrealised PnL % x effective leverage (the
    // BitMEX / Binance / Bybit queue) and closes from the top; pro_rata closes
    // the same fraction of every profitable one.
    enum class Adl { off, pnl_leverage, pro_rata };
    Adl adl = Adl::off;
    bool socialised_loss = false;

    bool any() const { return adl != Adl::off || socialised_loss; }
};

// Partial liquidation: a liquidated position above `min_notional` (at the
// price that triggered it) closes only `close_factor` of what is open; the
// rest stays open on that path with the margin it has left, a new liquidation
// price, and a cooldown before it can be liquidated again. After
// `max_partials` partial liquidations, or below `min_notional`, or once its
// equity at the triggering price is gone, the whole remaining position
// closes. Hyperliquid (positions above 100,000 USDC: 20 %, then the rest
// after a 30 s cooldown) is close_factor 0.2, min_notional 1e5,
// max_partials 1, cooldown 30 s. Formulas: docs/models.md#partial-liquidation.
struct PartialLiquidation {
    double close_factor = 1.0;  // 1: every liquidation closes the whole position (off)
    double min_notional = 0.0;  // quote currency
    std::uint32_t max_partials = std::numeric_limits<std::uint32_t>::max();  // per account, path
    double cooldown_seconds = 0.0;

    bool enabled() const { return close_factor < 1.0; }
};

// Perpetual funding (docs/models.md#funding). Every `interval` the venue
// sets a rate from the premium of its mark price over the index, averaged
// over the interval, with the interest-rate term Binance and Hyperliquid
// publish for a rate period (8 h for both; Hyperliquid pays an eighth of it
// every hour):
//   rate = clamp(interval / period x (premium + clamp(interest_rate - premium,
//                -interest_band, interest_band)), -cap, cap)
// and every position pays s x rate x mark price per unit (longs pay a
// positive rate, shorts receive it). cascade keeps the sum as one
// cumulative index F per path (quote per unit): a position's equity is
// c + s q (P - E - F), i.e. funding shifts every entry price by F.
struct FundingConfig {
    bool enabled = false;
    double interval_seconds = 0.0;  // how often funding is paid
    double period_seconds = 0.0;    // the period the formula's rate is for
    double interest_rate = 0.0;     // per period
    double interest_band = 0.0;     // the clamp on interest_rate - premium
    double cap = 0.0;               // on |rate|, per interval
};

// The liquidators: the notional they absorb per `window_seconds` (spread
// evenly over the steps), and how long an account must have been below
// maintenance before they act on it (`latency_seconds`). Accounts that cross
// beyond the capacity, or too recently, wait, below maintenance, in book order
// (the first to cross first). Unlimited and immediate unless the scenario
// says. With a profit floor they also pass over an account whose liquidation
// would earn them less than `min_profit`: the penalty at the fill of its
// order alone, less that order's slippage, less `cost`; it waits until the
// price makes it worth their while. docs/models.md#liquidators.
struct LiquidatorConfig {
    double capacity = std::numeric_limits<double>::infinity();  // quote currency per window
    double window_seconds = 0.0;
    double latency_seconds = 0.0;
    bool profit_floor = false;  // min_profit or cost given
    double min_profit = 0.0;    // quote currency per liquidation
    double cost = 0.0;          // quote currency per liquidation (gas, fees)

    bool limited() const { return capacity < std::numeric_limits<double>::infinity(); }
};

// A backstop for liquidations the book cannot absorb (docs/models.md#backstop):
// a crossing account whose equity at the mark is below `maintenance_fraction`
// of its maintenance requirement is not sold into the market but taken over
// whole by the venue's backstop vault, at the mark or at its bankruptcy
// price. The trader keeps nothing; the vault takes the account's equity at
// that price (negative: the vault pays the deficit) and holds the position to
// the horizon. Hyperliquid's liquidator vault (equity below 2/3 of the
// maintenance margin, at the mark) is maintenance_fraction 2/3, price mark.
struct BackstopConfig {
    enum class Price { mark, bankruptcy };
    bool enabled = false;
    double maintenance_fraction = 0.0;  // in [0, 1]; 0: only bankrupt accounts
    Price price = Price::mark;
};

struct VenueConfig {
    double initial_margin = 0.0;       // fraction of notional at entry; max leverage 1 / this
    double maintenance_margin = 0.0;   // fraction of notional at the current price; NaN when tiered
    double liquidation_penalty = 0.0;  // fraction of the notional at the fill, to the fund
    double insurance_fund = 0.0;       // starting balance, quote currency
    MarginPolicy margin_policy;        // flat: maintenance_margin throughout
    OracleConfig oracle;               // the price liquidations trigger on
    // Empty: the flat maintenance_margin. Otherwise it replaces it (the scenario
    // gives one or the other), under the flat margin policy.
    std::vector<MaintenanceBracket> maintenance_tiers;
    LossWaterfall loss_waterfall;            // after the fund: off unless the scenario says
    PartialLiquidation partial_liquidation;  // off unless the scenario says
    FundingConfig funding;                   // off unless the scenario says
    LiquidatorConfig liquidators;            // unlimited unless the scenario says
    BackstopConfig backstop;                 // off unless the scenario says

    double max_leverage() const { return 1.0 / initial_margin; }
};

// The amount of the bracket after `previous`, at rate `rate`, that makes
// rate_b N - amount_b continuous at previous.notional_cap (Binance's
// "maintenance amount" formula):
//   amount_b = amount_{b-1} + (rate_b - rate_{b-1}) x cap_{b-1},  amount_0 = 0.
// With rates non-decreasing the requirement is then the convex function
// max_b (rate_b N - amount_b), which liquidation_price relies on.
inline double next_maintenance_amount(const MaintenanceBracket& previous, double rate) {
    return previous.amount + (rate - previous.rate) * previous.notional_cap;
}

// Fills in every bracket's amount from the caps and rates.
inline void set_maintenance_amounts(std::span<MaintenanceBracket> tiers) {
    for (std::size_t b = 0; b < tiers.size(); ++b) {
        tiers[b].amount = b == 0 ? 0.0 : next_maintenance_amount(tiers[b - 1], tiers[b].rate);
    }
}

// The bracket that holds notional N: the first whose cap is at least N.
inline const MaintenanceBracket& maintenance_bracket(std::span<const MaintenanceBracket> tiers,
                                                     double notional) {
    const auto it =
        std::lower_bound(tiers.begin(), tiers.end(), notional,
                         [](const MaintenanceBracket& b, double n) { return b.notional_cap < n; });
    return it == tiers.end() ? tiers.back() : *it;
}

// The tiered requirement at price P, straight from the table: rate x q x P -
// amount of the bracket holding q x P (multiplied in the flat form's order, so
// one bracket with amount 0 gives the flat requirement's bits).
inline double maintenance_requirement(std::span<const MaintenanceBracket> tiers, double size,
                                      double price) {
    const MaintenanceBracket& b = maintenance_bracket(tiers, size * price);
    return b.rate * size * price - b.amount;
}

inline double sign(Side side) {
    return side == Side::long_side ? 1.0 : -1.0;
}

// Price at which equity reaches zero.
inline double bankruptcy_price(Side side, double size, double entry, double collateral) {
    return entry - sign(side) * collateral / size;
}

// Price beyond which equity < maintenance: longs below it, shorts above it.
// Long:  c + q (P - E) < m q P  <=>  P < (E - c / q) / (1 - m)
// Short: c - q (P - E) < m q P  <=>  P > (E + c / q) / (1 + m)
// A long whose collateral covers the whole entry notional (leverage <= 1)
// can never be liquidated: its price is 0.
inline double liquidation_price(Side side, double size, double entry, double collateral,
                                double maintenance_margin) {
    const double bankrupt = bankruptcy_price(side, size, entry, collateral);
    if (side == Side::long_side) {
        return bankrupt > 0.0 ? bankrupt / (1.0 - maintenance_margin) : 0.0;
    }
    return bankrupt / (1.0 + maintenance_margin);
}

// The same under a tiered table. Within bracket b equity = requirement is
// linear in P, with root (P_bank the bankruptcy price)
//   long:  (P_bank - amount_b / q) / (1 - rate_b)
//   short: (P_bank + amount_b / q) / (1 + rate_b)
// The requirement is max_b (rate_b q P - amount_b) (convex: rates never fall),
// so equity < requirement exactly when equity < rate_b q P - amount_b for some
// b: for a long when P is below some bracket's root, i.e. below the largest
// root; for a short when P is above the smallest. That extreme root is the one
// of the bracket holding the notional at the liquidation price, found without
// searching, and at a cap the two brackets' roots coincide. With one bracket
// and amount 0 this is the flat formula, bit for bit (P_bank - 0 = P_bank).
inline double liquidation_price(Side side, double size, double entry, double collateral,
                                std::span<const MaintenanceBracket> tiers) {
    const double bankrupt = bankruptcy_price(side, size, entry, collateral);
    if (side == Side::long_side) {
        if (!(bankrupt > 0.0)) {
            return 0.0;  // equity - requirement rises with P and is >= 0 at P = 0
        }
        double highest = 0.0;
        for (const MaintenanceBracket& b : tiers) {
            highest = std::max(highest, (bankrupt - b.amount / size) / (1.0 - b.rate));
        }
        return highest;
    }
    double lowest = std::numeric_limits<double>::infinity();
    for (const MaintenanceBracket& b : tiers) {
        lowest = std::min(lowest, (bankrupt + b.amount / size) / (1.0 + b.rate));
    }
    return lowest;
}

// Equity below the maintenance requirement at `price`: the direct test, used
// by the reference engine to check the liquidation prices above.
inline bool below_maintenance(Side side, double size, double entry, double collateral,
                              double maintenance_margin, double price) {
    const double equity = collateral + sign(side) * size * (price - entry);
    return equity < maintenance_margin * size * price;
}

// The same against a tiered table: the bracket is looked up at the notional at
// `price`, independently of how liquidation_price finds its root.
inline bool below_maintenance(Side side, double size, double entry, double collateral,
                              std::span<const MaintenanceBracket> tiers, double price) {
    const double equity = collateral + sign(side) * size * (price - entry);
    return equity < maintenance_requirement(tiers, size, price);
}

// The venue's own rule, flat or tiered: what the population build uses.
inline double liquidation_price(Side side, double size, double entry, double collateral,
                                const VenueConfig& venue) {
    return venue.maintenance_tiers.empty()
               ? liquidation_price(side, size, entry, collateral, venue.maintenance_margin)
               : liquidation_price(side, size, entry, collateral, venue.maintenance_tiers);
}
inline bool below_maintenance(Side side, double size, double entry, double collateral,
                              const VenueConfig& venue, double price) {
    return venue.maintenance_tiers.empty()
               ? below_maintenance(side, size, entry, collateral, venue.maintenance_margin, price)
               : below_maintenance(side, size, entry, collateral, venue.maintenance_tiers, price);
}

// The liquidation price as the books store it: log of it over the initial
// price, -inf for a position that can never be liquidated.
inline double log_liquidation_price(Side side, double size, double entry, double collateral,
                                    const VenueConfig& venue, double initial_price) {
    const double trigger = liquidation_price(side, size, entry, collateral, venue);
    return trigger > 0.0 ? std::log(trigger / initial_price)
                         : -std::numeric_limits<double>::infinity();
}

}  // namespace cascade
