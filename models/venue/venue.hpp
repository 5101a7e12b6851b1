#pragma once
// A venue's margin and liquidation rules for isolated-margin perpetuals, and
// the prices they imply for one position.
//
// A position of `size` units opened at `entry` with `collateral` posted has,
// at price P, equity  collateral + s size (P - entry)  (s = +1 long, -1 short)
// and maintenance requirement  maintenance_margin x size x P. It is liquidated
// when equity < requirement, i.e. when P crosses its liquidation price.

#include <cmath>
#include <limits>

#include "models/population/positions_csv.hpp"
#include "models/venue/margin_policy.hpp"
#include "models/venue/oracle.hpp"

namespace cascade {

struct VenueConfig {
    double initial_margin = 0.0;       // fraction of notional at entry; max leverage 1 / this
    double maintenance_margin = 0.0;   // fraction of notional at the current price
    double liquidation_penalty = 0.0;  // fraction of the notional at the fill, to the fund
    double insurance_fund = 0.0;       // starting balance, quote currency
    MarginPolicy margin_policy;        // flat: maintenance_margin throughout
    OracleConfig oracle;               // the price liquidations trigger on

    double max_leverage() const { return 1.0 / initial_margin; }
};

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

// Equity below the maintenance requirement at `price`: the direct test, used
// by the reference engine to check the liquidation prices above.
inline bool below_maintenance(Side side, double size, double entry, double collateral,
                              double maintenance_margin, double price) {
    const double equity = collateral + sign(side) * size * (price - entry);
    return equity < maintenance_margin * size * price;
}

}  // namespace cascade
