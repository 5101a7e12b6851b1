// One liquidation's four transfers, by hand.

#include <doctest/doctest.h>

#include "sim/engine/ledger.hpp"

namespace cascade {

TEST_CASE("a liquidation above the bankruptcy price pays the penalty from the remaining margin") {
    Ledger ledger{10.0, 0.0, 3.0, 0.0, 0.0};
    // Long 1 unit from 100 with 10 margin, filled at 95: PnL -5, equity 5,
    // penalty 1 % of 95 = 0.95; the trader keeps 4.05.
    const Settlement s = settle(ledger, +1.0, 1.0, 100.0, 10.0, 95.0, 0.01);
    CHECK(s.penalty == doctest::Approx(0.95));
    CHECK(s.shortfall == 0.0);
    CHECK(ledger.trader_collateral == 0.0);
    CHECK(ledger.trader_cash == doctest::Approx(4.05));
    CHECK(ledger.counterparty == doctest::Approx(5.0));
    CHECK(ledger.insurance_fund == doctest::Approx(3.95));
    CHECK(ledger.bad_debt() == 0.0);
    CHECK(ledger.total() == doctest::Approx(13.0));
}

TEST_CASE("the penalty never exceeds what equity remains") {
    Ledger ledger{10.0, 0.0, 0.0, 0.0, 0.0};
    const Settlement s = settle(ledger, +1.0, 1.0, 100.0, 10.0, 90.5, 0.01);  // equity 0.5
    CHECK(s.penalty == doctest::Approx(0.5));
    CHECK(ledger.trader_cash == doctest::Approx(0.0));
}

TEST_CASE("a fill beyond the bankruptcy price draws on the fund, then becomes bad debt") {
    Ledger ledger{10.0, 0.0, 3.0, 0.0, 0.0};
    // Short 2 units from 100 with 10 margin, filled at 107.5: PnL -15, equity -5.
    const Settlement s = settle(ledger, -1.0, 2.0, 100.0, 10.0, 107.5, 0.01);
    CHECK(s.penalty == 0.0);
    CHECK(s.shortfall == doctest::Approx(5.0));
    CHECK(s.fund_paid == doctest::Approx(3.0));
    CHECK(ledger.insurance_fund == 0.0);
    CHECK(ledger.bad_debt() == doctest::Approx(2.0));
    CHECK(ledger.trader_cash == doctest::Approx(0.0));  // the trader ends with nothing, not less
    CHECK(ledger.counterparty == doctest::Approx(15.0));
    CHECK(ledger.total() == doctest::Approx(13.0));
}

}  // namespace cascade
