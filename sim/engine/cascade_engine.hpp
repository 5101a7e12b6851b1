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
#include "sim/engine/loss_waterfall.hpp"
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

    // Not yet liquidated on this path: at or after the side's cursor.
    bool is_open(Side side, std::size_t index) const {
        return index >= (side == Side::long_side ? next_long_ : next_short_);
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
          market_is_oracle_(rules.oracle.live && rules.oracle.frozen.empty()),
          waterfall_(rules.venue.loss_waterfall.any()) {
        ledger_.trader_collateral = population.total_collateral;
        ledger_.insurance_fund = rules.venue.insurance_fund;
        initial_total_ = ledger_.total();
        tally_.fund_min = ledger_.insurance_fund;
        tally_.open_size = population.total_size_long + population.total_size_short;
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
    double fund_min() const { return tally_.fund_min; }
    std::uint64_t liquidations() const { return tally_.liquidations; }
    double liquidated_notional() const { return tally_.liquidated_notional; }
    double penalties() const { return tally_.penalties; }
    double fund_paid() const { return tally_.fund_paid; }
    std::uint32_t max_rounds() const { return max_rounds_; }
    std::int64_t first_liquidation_step() const { return first_liquidation_step_; }
    double open_size() const { return tally_.open_size; }  // long + short units still open
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
    // What the loss waterfall after the fund did (all 0 when it is off).
    const WaterfallTotals& waterfall() const { return waterfall_totals_; }

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
            if (waterfall_) [[unlikely]] {
                if (!waterfall_round(impact, x, step, round, path, events)) {
                    continue;  // every account that crossed had been deleveraged already
                }
            } else {
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
            }
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
        Tally tally = tally_;
        for (std::uint32_t i : indices) {
            const double size = book.size[i];
            const Settlement result =
                settle(ledger, s, size, book.entry[i], book.collateral[i], fill, penalty_rate);
            count(tally, ledger, book, i, size, fill, result);
            if (events != nullptr) {
                events->push_back(event_of(book, i, size, offset, fill, result, step, round, path));
            }
        }
        ledger_ = ledger;
        tally_ = tally;
    }

    // What a path's liquidations add up to. The settlement loops keep a local
    // copy, which the compiler holds in registers (see settle_all).
    struct Tally {
        std::uint64_t liquidations = 0;
        double liquidated_notional = 0.0;
        double penalties = 0.0;
        double fund_paid = 0.0;
        double open_size = 0.0;  // long + short units still open
        double fund_min = 0.0;
    };

    // Counts the liquidation of `size` units of account i of `book`.
    void count(Tally& tally, const Ledger& ledger, const SideBook& book, std::uint32_t i,
               double size, double fill, const Settlement& result) {
        ++tally.liquidations;
        ++cohort_liquidations_[book.cohort[i]];
        tally.liquidated_notional += size * fill;
        tally.penalties += result.penalty;
        tally.fund_paid += result.fund_paid;
        tally.open_size -= size;
        tally.fund_min = std::min(tally.fund_min, ledger.insurance_fund);
    }

    // The event of that liquidation; `offset` moves the book's liquidation
    // price to the one in force (the margin policy).
    LiquidationEvent event_of(const SideBook& book, std::uint32_t i, double size, double offset,
                              double fill, const Settlement& result, std::uint32_t step,
                              std::uint32_t round, std::uint64_t path) const {
        return {path,
                step,
                round,
                book.account[i],
                book.cohort[i],
                static_cast<std::int8_t>(book.side),
                size,
                rules_.initial_price * std::exp(book.log_trigger[i] - offset),
                fill,
                result.penalty,
                result.shortfall};
    }

    // A round under a loss waterfall after the fund. The same as the plain
    // round (one net order, one fill, settlement in book order), but accounts
    // are taken at what is still open of them on this path, and the units of
    // bankrupt positions handed to ADL close against the opposite side at
    // their bankruptcy prices instead of in the market: the market moves only
    // by the rest. (The round's fill is priced for its whole order, before the
    // waterfall is known.) Returns false when no account was left to
    // liquidate.
    [[gnu::noinline]] bool waterfall_round(const ImpactConfig& impact, double x, std::uint32_t step,
                                           std::uint32_t round, std::uint64_t path,
                                           std::vector<LiquidationEvent>* events) {
        const auto open_units = [](const SideBook& book, std::vector<std::uint32_t>& indices,
                                   const OpenFractions& fractions) {
            if (!fractions.empty()) {
                std::erase_if(indices, [&](std::uint32_t i) { return !(fractions.of(i) > 0.0); });
            }
            double units = 0.0;
            for (std::uint32_t i : indices) {
                units += book.size[i] * fractions.of(i);
            }
            return units;
        };
        const double sold = open_units(population_.longs, crossing_longs_, long_open_);
        const double bought = open_units(population_.shorts, crossing_shorts_, short_open_);
        if (crossing_longs_.empty() && crossing_shorts_.empty()) {
            return false;
        }
        const ImpactMove move = apply_impact(impact, impact_, sold - bought);
        const double price = rules_.initial_price * std::exp(x);
        const double fill = price * move.fill_factor;
        AdlOrder from_longs;
        AdlOrder from_shorts;
        settle_with_waterfall(population_.longs, crossing_longs_, long_open_, population_.shorts,
                              short_open_, short_queue_, from_longs, price, fill, step, round, path,
                              events);
        settle_with_waterfall(population_.shorts, crossing_shorts_, short_open_, population_.longs,
                              long_open_, long_queue_, from_shorts, price, fill, step, round, path,
                              events);
        const LossWaterfall::Adl adl = rules_.venue.loss_waterfall.adl;
        waterfall_totals_.adl_notional += from_longs.value + from_shorts.value;
        if (from_longs.units > 0.0) {
            tally_.open_size -=
                deleverage(ledger_, population_.shorts, short_queue_, adl, from_longs.units,
                           from_longs.value / from_longs.units, short_open_, waterfall_totals_);
        }
        if (from_shorts.units > 0.0) {
            tally_.open_size -=
                deleverage(ledger_, population_.longs, long_queue_, adl, from_shorts.units,
                           from_shorts.value / from_shorts.units, long_open_, waterfall_totals_);
        }
        impact_ = from_longs.units > 0.0 || from_shorts.units > 0.0
                      ? apply_impact(impact, impact_,
                                     (sold - from_longs.units) - (bought - from_shorts.units))
                            .after
                      : move.after;
        return true;
    }

    // Settles one side's crossing accounts at `fill` under the waterfall: the
    // fund first, then ADL against `opposite` (its queue built, at the market
    // price `price`, the first time a shortfall in this round needs it), then
    // the haircut; the units handed to ADL are added to `order`.
    void settle_with_waterfall(const SideBook& book, const std::vector<std::uint32_t>& indices,
                               const OpenFractions& fractions, const SideBook& opposite,
                               const OpenFractions& opposite_fractions, AdlQueue& opposite_queue,
                               AdlOrder& order, double price, double fill, std::uint32_t step,
                               std::uint32_t round, std::uint64_t path,
                               std::vector<LiquidationEvent>* events) {
        const double s = sign(book.side);
        const double offset = book.side == Side::long_side ? margin_.level().long_offset
                                                           : margin_.level().short_offset;
        const LossWaterfall& waterfall = rules_.venue.loss_waterfall;
        bool queue_built = false;
        for (std::uint32_t i : indices) {
            const double fraction = fractions.of(i);
            const double size = book.size[i] * fraction;
            const double collateral = book.collateral[i] * fraction;
            // Of `uncovered` (out of `shortfall`): ADL takes the share of the
            // position the opposite side can absorb, each unit closed at the
            // bankruptcy price, where its equity is 0: that unit's share of the
            // shortfall is not incurred. A haircut on the counterparty's
            // profit, up to what it holds, takes what ADL cannot.
            const auto cover = [&](double shortfall, double uncovered) {
                double covered = 0.0;
                if (waterfall.adl != LossWaterfall::Adl::off) {
                    if (!queue_built) {
                        opposite_queue.build(
                            opposite, opposite_fractions, price, waterfall.adl,
                            [&](std::uint32_t j) { return finder_.is_open(opposite.side, j); });
                        queue_built = true;
                    }
                    const double needed = size * (uncovered / shortfall);
                    const double units = std::min(needed, opposite_queue.capacity() - order.units);
                    if (units > 0.0) {
                        covered = units == needed ? uncovered : shortfall * (units / size);
                        const double bankrupt = bankruptcy_price(book.side, book.size[i],
                                                                 book.entry[i], book.collateral[i]);
                        order.units += units;
                        order.value += units * bankrupt;
                    }
                }
                if (waterfall.socialised_loss && covered < uncovered) {
                    const double rest = uncovered - covered;
                    const double available = std::max(ledger_.counterparty - covered, 0.0);
                    const double haircut = std::min(rest, available);
                    waterfall_totals_.socialised_loss += haircut;
                    covered = haircut == rest ? uncovered : covered + haircut;
                }
                return covered;
            };
            const Settlement result = settle(ledger_, s, size, book.entry[i], collateral, fill,
                                             rules_.venue.liquidation_penalty, cover);
            count(tally_, ledger_, book, i, size, fill, result);
            if (events != nullptr) {
                events->push_back(event_of(book, i, size, offset, fill, result, step, round, path));
            }
        }
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
    const bool waterfall_;         // ADL or socialised loss after the fund
    OpenFractions long_open_;      // accounts deleveraged on this path
    OpenFractions short_open_;
    AdlQueue long_queue_;  // longs ADL may close this round (against bankrupt shorts)
    AdlQueue short_queue_;
    WaterfallTotals waterfall_totals_;
    double oracle_gap_max_ = 0.0;
    double oracle_gap_sum_ = 0.0;
    double last_log_market_ = 0.0;  // for realised volatility (margin, depth)
    Ledger ledger_;
    double initial_total_ = 0.0;
    double impact_ = 0.0;  // log of the impact factor
    Tally tally_;
    std::uint32_t max_rounds_ = 0;
    std::int64_t first_liquidation_step_ = -1;
    double min_log_market_ = 0.0;
    double min_log_exogenous_ = 0.0;
    std::vector<std::uint32_t> crossing_longs_;
    std::vector<std::uint32_t> crossing_shorts_;
};

}  // namespace cascade
