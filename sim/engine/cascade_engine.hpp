#pragma once
// The liquidation engine of one path: impact state, the venue's ledger, and
// the cascade of liquidation rounds within each step.
//
// Each step: the impact decays, then rounds run until no account crosses (or
// the round cap is hit). A round takes every account whose liquidation price
// the trigger price has crossed (the market price itself, or the venue's
// oracle: sim/engine/oracle_tracker.hpp), sends their orders to the market as
// one net order (longs sell, shorts buy), fills them all at the average price
// along that order's impact, settles each through the ledger, and looks again
// at the new price: that is the cascade.
//
// The depth of the book may change from step to step (elastic depth,
// liquidity droughts): a step whose depth multiplier is not 1 fills its rounds
// against ImpactConfig::with_depth; one whose multiplier is 1 against the
// scenario's impact itself, the same operations as without these mechanisms.
//
// Which accounts cross is the Finder's business: CursorFinder walks the
// sorted books (a step costs O(1) plus O(accounts liquidated)); the reference
// ScanFinder tests every account's equity directly (O(N)), for differential
// tests. Both visit accounts in book order, so their sums agree bit for bit.

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "models/market/impact.hpp"
#include "models/population/population.hpp"
#include "models/venue/venue.hpp"
#include "sim/engine/depth_tracker.hpp"
#include "sim/engine/ledger.hpp"
#include "sim/engine/liquidation_event.hpp"
#include "sim/engine/margin_tracker.hpp"
#include "sim/engine/oracle_tracker.hpp"

namespace cascade {

// The rules a path is simulated under, derived from the scenario once.
struct MarketRules {
    VenueConfig venue;
    ImpactConfig impact;
    double impact_decay = 1.0;  // multiplier of the impact state per step
    std::uint32_t max_rounds = 0;
    double initial_price = 0.0;
    double step_years = 0.0;                // for realised volatility (margin, depth)
    std::uint32_t margin_window_steps = 1;  // a dynamic margin's window, in steps
    std::uint32_t depth_window_steps = 1;   // elastic depth's window, in steps
    // Depth multiplier of the liquidity droughts over step k at index k - 1;
    // empty when the scenario has none.
    std::vector<double> drought_depth;
    OracleRules oracle;  // what liquidations trigger on
};

// Finds crossing accounts by cursor: everything before the cursor is
// liquidated on this path; the next candidate is one comparison away.
class CursorFinder {
  public:
    explicit CursorFinder(const Population& population)
        : longs_(population.longs), shorts_(population.shorts) {
        refresh();
    }

    // True when no account can cross at log price x under margin m: the
    // common case, two comparisons against the next account's liquidation
    // price on each side (cached, -inf / +inf once a side is exhausted).
    bool quiet(double x, const MarginLevel& m) const {
        return !(x + m.long_offset < next_long_trigger_) &&
               !(x + m.short_offset > next_short_trigger_);
    }

    // Appends the book indices of accounts whose liquidation price the market
    // (log price x relative to the initial price) has crossed.
    void collect_longs(double x, const MarginLevel& m, std::vector<std::uint32_t>& out) {
        x += m.long_offset;
        while (next_long_ < longs_.count() && x < longs_.log_trigger[next_long_]) {
            out.push_back(static_cast<std::uint32_t>(next_long_++));
        }
        refresh();
    }
    void collect_shorts(double x, const MarginLevel& m, std::vector<std::uint32_t>& out) {
        x += m.short_offset;
        while (next_short_ < shorts_.count() && x > shorts_.log_trigger[next_short_]) {
            out.push_back(static_cast<std::uint32_t>(next_short_++));
        }
        refresh();
    }

  private:
    void refresh() {
        constexpr double kInf = std::numeric_limits<double>::infinity();
        next_long_trigger_ = next_long_ < longs_.count() ? longs_.log_trigger[next_long_] : -kInf;
        next_short_trigger_ =
            next_short_ < shorts_.count() ? shorts_.log_trigger[next_short_] : kInf;
    }

    const SideBook& longs_;
    const SideBook& shorts_;
    std::size_t next_long_ = 0;
    std::size_t next_short_ = 0;
    double next_long_trigger_ = 0.0;
    double next_short_trigger_ = 0.0;
};

template <class Finder>
class CascadeEngine {
  public:
    CascadeEngine(const Population& population, const MarketRules& rules, Finder finder,
                  std::span<std::uint64_t> cohort_liquidations)
        : population_(population),
          rules_(rules),
          finder_(std::move(finder)),
          cohort_liquidations_(cohort_liquidations),
          margin_(rules.venue.margin_policy, rules.venue.maintenance_margin, rules.step_years,
                  rules.margin_window_steps),
          depth_(rules.impact.elastic_depth, rules.step_years, rules.depth_window_steps),
          oracle_(rules.oracle),
          market_is_oracle_(rules.oracle.live && rules.oracle.frozen.empty()) {
        ledger_.trader_collateral = population.total_collateral;
        ledger_.insurance_fund = rules.venue.insurance_fund;
        initial_total_ = ledger_.total();
        fund_min_ = ledger_.insurance_fund;
        open_size_ = population.total_size_long + population.total_size_short;
    }

    // One step, at exogenous log price x_exo (relative to the initial price).
    // `events` receives this step's liquidations when not null. Small enough to
    // inline into the path loop; the rounds, rare, live out of line.
    void step(std::uint32_t step, double x_exo, std::uint64_t path,
              std::vector<LiquidationEvent>* events) {
        impact_ *= rules_.impact_decay;
        if (market_is_oracle_) [[likely]] {
            // The venue marks to its own price, round after round (the step
            // as it was before oracles: nothing more to do or remember).
            if (!finder_.quiet(x_exo + impact_, margin_.level())) [[unlikely]] {
                run_rounds<true>(step, x_exo, 0.0, path, events);
            }
        } else {
            oracle_step(step, x_exo, path, events);
        }
        const double x_market = x_exo + impact_;
        min_log_market_ = std::min(min_log_market_, x_market);
        min_log_exogenous_ = std::min(min_log_exogenous_, x_exo);
        if (margin_.dynamic() || depth_.elastic()) {
            const double log_return = x_market - last_log_market_;
            last_log_market_ = x_market;
            if (margin_.dynamic()) {
                margin_.observe(log_return);
            }
            if (depth_.elastic()) {
                depth_.observe(log_return);
            }
        }
    }

    double impact() const { return impact_; }
    const Ledger& ledger() const { return ledger_; }
    double initial_total() const { return initial_total_; }
    double fund_min() const { return fund_min_; }
    std::uint64_t liquidations() const { return liquidations_; }
    double liquidated_notional() const { return liquidated_notional_; }
    double penalties() const { return penalties_; }
    double fund_paid() const { return fund_paid_; }
    std::uint32_t max_rounds() const { return max_rounds_; }
    std::int64_t first_liquidation_step() const { return first_liquidation_step_; }
    double open_size() const { return open_size_; }  // long + short units still open
    double min_log_market() const { return min_log_market_; }
    double min_log_exogenous() const { return min_log_exogenous_; }
    // Log of the oracle price over the initial price, as last published,
    // given the market's (which it is for the instant market oracle).
    double oracle_log_price(double x_market) const {
        return market_is_oracle_ ? x_market : oracle_.published();
    }
    // |oracle / market - 1| when liquidations were triggered, market price
    // taken before their orders: the largest, and the sum over liquidations.
    double oracle_gap_max() const { return oracle_gap_max_; }
    double oracle_gap_sum() const { return oracle_gap_sum_; }

  private:
    // The depth multiplier in force over `step`: elastic depth times droughts.
    double depth(std::uint32_t step) const {
        double d = depth_.multiplier();
        if (!rules_.drought_depth.empty()) {
            d *= rules_.drought_depth[step - 1];
        }
        return d;
    }

    // A step under an oracle of the venue's own, or with outages: out of line,
    // so that the common step stays small enough to inline into the path loop.
    [[gnu::noinline]] void oracle_step(std::uint32_t step, double x_exo, std::uint64_t path,
                                       std::vector<LiquidationEvent>* events) {
        if (rules_.oracle.live && !rules_.oracle.frozen_at(step)) {
            // The instant market oracle between outages, which freeze the
            // last market price.
            if (!finder_.quiet(x_exo + impact_, margin_.level())) [[unlikely]] {
                run_rounds<true>(step, x_exo, 0.0, path, events);
            }
            oracle_.set_published(x_exo + impact_);
            return;
        }
        // One oracle value for the whole step: the rounds' impact moves the
        // fills, not the trigger.
        const double x_oracle =
            rules_.oracle.live
                ? oracle_.published()
                : oracle_.update(step, rules_.oracle.reads_index ? x_exo : x_exo + impact_);
        if (!finder_.quiet(x_oracle, margin_.level())) [[unlikely]] {
            run_rounds<false>(step, x_exo, x_oracle, path, events);
        }
    }

    // `Live`: the trigger is the market price of each round; otherwise it is
    // `x_oracle` throughout.
    template <bool Live>
    [[gnu::noinline]] void run_rounds(std::uint32_t step, double x_exo, double x_oracle,
                                      std::uint64_t path, std::vector<LiquidationEvent>* events) {
        // The book's depth is fixed within a step: one scaled copy for all rounds.
        const double step_depth = depth(step);
        if (step_depth != 1.0) {
            scaled_impact_ = rules_.impact.with_depth(step_depth);
        }
        const ImpactConfig& impact = step_depth != 1.0 ? scaled_impact_ : rules_.impact;
        std::uint32_t round = 0;
        for (; round < rules_.max_rounds; ++round) {
            const double x = x_exo + impact_;
            const double x_trigger = Live ? x : x_oracle;
            crossing_longs_.clear();
            crossing_shorts_.clear();
            finder_.collect_longs(x_trigger, margin_.level(), crossing_longs_);
            finder_.collect_shorts(x_trigger, margin_.level(), crossing_shorts_);
            if (crossing_longs_.empty() && crossing_shorts_.empty()) {
                break;
            }
            if constexpr (!Live) {
                const double gap = std::abs(std::expm1(x_oracle - x));
                oracle_gap_max_ = std::max(oracle_gap_max_, gap);
                oracle_gap_sum_ +=
                    gap * static_cast<double>(crossing_longs_.size() + crossing_shorts_.size());
            }
            double sold = 0.0;
            for (std::uint32_t i : crossing_longs_) {
                sold += population_.longs.size[i];
            }
            double bought = 0.0;
            for (std::uint32_t i : crossing_shorts_) {
                bought += population_.shorts.size[i];
            }
            const ImpactMove move = apply_impact(impact, impact_, sold - bought);
            const double fill = rules_.initial_price * std::exp(x) * move.fill_factor;
            settle_all(population_.longs, crossing_longs_, fill, step, round, path, events);
            settle_all(population_.shorts, crossing_shorts_, fill, step, round, path, events);
            impact_ = move.after;
            if (first_liquidation_step_ < 0) {
                first_liquidation_step_ = step;
            }
        }
        max_rounds_ = std::max(max_rounds_, round);
    }

    // The running totals live in locals for the loop: written through
    // members, every store to cohort_liquidations_ or events (which may alias
    // them, as far as the compiler knows) would force them back to memory for
    // each account. Same operations in the same order: same bits.
    void settle_all(const SideBook& book, const std::vector<std::uint32_t>& indices, double fill,
                    std::uint32_t step, std::uint32_t round, std::uint64_t path,
                    std::vector<LiquidationEvent>* events) {
        const double s = sign(book.side);
        // The liquidation prices in force: moved from the books' by the margin.
        const double offset = book.side == Side::long_side ? margin_.level().long_offset
                                                           : margin_.level().short_offset;
        const double penalty_rate = rules_.venue.liquidation_penalty;
        Ledger ledger = ledger_;
        std::uint64_t liquidations = liquidations_;
        double liquidated_notional = liquidated_notional_;
        double penalties = penalties_;
        double fund_paid = fund_paid_;
        double open_size = open_size_;
        double fund_min = fund_min_;
        for (std::uint32_t i : indices) {
            const double size = book.size[i];
            const Settlement result =
                settle(ledger, s, size, book.entry[i], book.collateral[i], fill, penalty_rate);
            ++liquidations;
            ++cohort_liquidations_[book.cohort[i]];
            liquidated_notional += size * fill;
            penalties += result.penalty;
            fund_paid += result.fund_paid;
            open_size -= size;
            fund_min = std::min(fund_min, ledger.insurance_fund);
            if (events != nullptr) {
                events->push_back({path, step, round, book.account[i], book.cohort[i],
                                   static_cast<std::int8_t>(book.side), size,
                                   rules_.initial_price * std::exp(book.log_trigger[i] - offset),
                                   fill, result.penalty, result.shortfall});
            }
        }
        ledger_ = ledger;
        liquidations_ = liquidations;
        liquidated_notional_ = liquidated_notional;
        penalties_ = penalties;
        fund_paid_ = fund_paid;
        open_size_ = open_size;
        fund_min_ = fund_min;
    }

    const Population& population_;
    const MarketRules& rules_;
    Finder finder_;
    std::span<std::uint64_t> cohort_liquidations_;  // per cohort, on this path
    MarginTracker margin_;
    DepthTracker depth_;
    ImpactConfig scaled_impact_;  // the impact at this step's depth, when not 1
    OracleTracker oracle_;
    const bool market_is_oracle_;  // the instant market oracle, never frozen
    double oracle_gap_max_ = 0.0;
    double oracle_gap_sum_ = 0.0;
    double last_log_market_ = 0.0;  // for realised volatility (margin, depth)
    Ledger ledger_;
    double initial_total_ = 0.0;
    double impact_ = 0.0;  // log of the impact factor
    double fund_min_ = 0.0;
    std::uint64_t liquidations_ = 0;
    double liquidated_notional_ = 0.0;
    double penalties_ = 0.0;
    double fund_paid_ = 0.0;
    double open_size_ = 0.0;
    std::uint32_t max_rounds_ = 0;
    std::int64_t first_liquidation_step_ = -1;
    double min_log_market_ = 0.0;
    double min_log_exogenous_ = 0.0;
    std::vector<std::uint32_t> crossing_longs_;
    std::vector<std::uint32_t> crossing_shorts_;
};

}  // namespace cascade
