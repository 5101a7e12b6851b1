#pragma once
// Simulates one path: the exogenous price from its own random streams, and the
// cascade engine on top of it. The kernel is immutable and shared by all
// threads; everything a path changes lives in its trace and outcome.

#include <cstdint>
#include <span>
#include <vector>

#include "models/population/population.hpp"
#include "models/price/price_process.hpp"
#include "models/shocks/shock_schedule.hpp"
#include "sim/engine/cascade_engine.hpp"
#include "sim/engine/liquidation_event.hpp"
#include "sim/random/variates.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

// Per-step values of one path, written by the kernel into caller-owned rows
// of steps + 1 values, so no per-path allocation is needed. Prices are traced
// in log space, log(price / initial price): an exp per step is paid only by
// the observers that need the price itself.
struct PathTrace {
    std::span<double> log_exogenous;        // exogenous price model, shocks included
    std::span<double> log_market;           // market price: exogenous x impact
    std::span<double> liquidated_notional;  // cumulative, at fill prices
    std::span<double> insurance_fund;       // balance
    std::span<double> open_interest;        // long + short units still open
    std::span<double> log_oracle;           // the price liquidations trigger on; may be empty
    std::span<double> adl_notional;         // cumulative ADL notional; may be empty
};

// Owning storage for one PathTrace (tests, benchmarks).
struct PathTraceStorage {
    explicit PathTraceStorage(std::uint32_t steps) : values(7, std::vector<double>(steps + 1)) {}
    PathTrace view() {
        return {values[0], values[1], values[2], values[3], values[4], values[5], values[6]};
    }
    std::vector<std::vector<double>> values;
};

// What a path ends with.
struct PathOutcome {
    std::uint64_t liquidations = 0;          // partial ones included
    std::uint64_t partial_liquidations = 0;  // those that left a position open
    double funding_index = 0.0;              // cumulative funding per unit at the horizon (quote)
    // Liquidator capacity: the most notional left waiting at the end of a
    // step, and account-seconds spent below maintenance waiting.
    double capacity_shortfall_max = 0.0;
    double under_water_time = 0.0;
    double liquidated_notional = 0.0;
    double penalties = 0.0;
    double fund_paid = 0.0;
    double bad_debt = 0.0;
    double fund_final = 0.0;
    double fund_min = 0.0;
    std::uint32_t max_rounds = 0;
    std::int64_t first_liquidation_step = -1;  // -1: none
    double min_log_market = 0.0;
    double min_log_exogenous = 0.0;
    // |oracle / market - 1| at liquidations: the largest (0 when none) and
    // the mean over liquidated accounts (NaN when none).
    double oracle_gap_max = 0.0;
    double oracle_gap_mean = 0.0;
    // The loss waterfall after the fund (0 when the venue has none).
    double adl_notional = 0.0;
    std::uint64_t adl_accounts = 0;
    double socialised_loss = 0.0;
    // Accounts the liquidators were passing over at the horizon as not worth
    // liquidating (0 without a profit floor).
    std::uint64_t passed_over = 0;
    double passed_over_deficit = 0.0;  // their negative equity at the final market price
    // The backstop vault (0 when the venue has none): positions taken over,
    // their notional at the take-over prices, and the vault's result at the
    // horizon, its positions marked at the final market price.
    std::uint64_t backstop_takeovers = 0;
    double backstop_notional = 0.0;
    double backstop_pnl = 0.0;
    // |sum of balances - initial sum| / max(initial sum, liquidated notional, 1)
    double ledger_imbalance = 0.0;
};

enum class EngineKind { cursor, reference_scan };

class PathKernel {
  public:
    PathKernel(const Scenario& scenario, const Population& population,
               EngineKind engine = EngineKind::cursor);

    std::uint32_t steps() const { return steps_; }
    std::size_t cohorts() const { return population_.cohorts.size(); }

    // `cohort_liquidations` (one counter per cohort) is incremented; `events`
    // receives the path's liquidations when not null, the first
    // /output/max_events_per_path of them.
    void simulate(std::uint64_t path, const PathTrace& trace, PathOutcome& outcome,
                  std::span<std::uint64_t> cohort_liquidations,
                  EventVector* events = nullptr) const;

    // The exogenous price alone (no population), for tests of the price models.
    void simulate_exogenous(std::uint64_t path, std::span<double> log_exogenous) const;

  private:
    // The shock schedule serves both the price process and the liquidity.
    PathKernel(const Scenario& scenario, const Population& population, EngineKind engine,
               const ShockSchedule& shocks);

    template <class Finder>
    void run(std::uint64_t path, const PathTrace& trace, PathOutcome& outcome,
             CascadeEngine<Finder>& engine, EventLog* events) const;

    std::uint64_t seed_;
    std::uint32_t steps_;
    std::uint64_t max_events_per_path_;
    double step_seconds_;  // the grid's step, for times on the path
    const Population& population_;
    MarketRules rules_;
    EngineKind engine_;
    // Bounds of log(price / initial price) for a positive, finite double price.
    double min_log_price_;
    double max_log_price_;
    StandardNormal normal_;
    PriceProcess process_;
};

}  // namespace cascade
