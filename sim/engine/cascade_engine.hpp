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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

#include "models/market/impact.hpp"
#include "models/population/population.hpp"
#include "models/venue/venue.hpp"
#include "sim/engine/deferred_accounts.hpp"
#include "sim/engine/depth_tracker.hpp"
#include "sim/engine/funding_tracker.hpp"
#include "sim/engine/latency_clock.hpp"
#include "sim/engine/ledger.hpp"
#include "sim/engine/liquidation_event.hpp"
#include "sim/engine/loss_waterfall.hpp"
#include "sim/engine/margin_tracker.hpp"
#include "sim/engine/oracle_tracker.hpp"
#include "sim/engine/position_overlay.hpp"

namespace cascade {

// What the backstop vault took over on a path, and the positions it holds:
// per side the units and their cost, units x (take-over price - funding
// index then), so that their PnL at price P with index F is
// s (units x (P - F) - cost).
struct BackstopTotals {
    std::uint64_t takeovers = 0;
    double notional = 0.0;  // units x take-over price
    double long_units = 0.0;
    double long_cost = 0.0;
    double short_units = 0.0;
    double short_cost = 0.0;

    double unrealised(double price, double funding) const {
        return (long_units * (price - funding) - long_cost) -
               (short_units * (price - funding) - short_cost);
    }
};

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
    // Steps a partially liquidated account waits before it can be liquidated
    // again; 0: from the next round on.
    std::uint32_t partial_cooldown_steps = 0;
    std::uint32_t funding_interval_steps = 1;  // funding is paid every this many steps
    // Notional the liquidators absorb per step; infinite: no limit.
    double liquidator_capacity = std::numeric_limits<double>::infinity();
    // Steps an account must have been below maintenance before the
    // liquidators act on it; 0: in the round that finds it.
    std::uint32_t liquidator_latency_steps = 0;
};

// Finds crossing accounts by cursor: everything before the cursor has been
// liquidated on this path; the next candidate is one comparison away.
//
// A partially liquidated account (docs/models.md#partial-liquidation) is
// behind the cursor but still open, with a liquidation price of its own on
// this path: it waits out its cooldown in a queue, then sits in a heap per
// side, ordered by that price, whose top joins the book's next account in the
// quiet test. The cost grows with the accounts this path re-armed, never
// with the population.
class CursorFinder {
  public:
    explicit CursorFinder(const Population& population)
        : longs_(population.longs), shorts_(population.shorts) {
        refresh();
    }

    // True when no account can cross at `level`: the common case, two
    // comparisons against the next account's liquidation price on each side
    // (cached, -inf / +inf once a side is exhausted).
    bool quiet(const TriggerLevel& level) const {
        return !(level.long_x < next_long_trigger_) && !(level.short_x > next_short_trigger_);
    }

    // Appends the book indices of accounts whose liquidation price the
    // trigger price (`level`) has crossed, in book order: those of the heap
    // (re-armed, or set apart and woken) merged with the book's (a re-armed
    // account is behind the cursor, but one set apart may not be, once the
    // cursor was rewound before it). The book walk skips accounts set apart.
    void collect_longs(const TriggerLevel& level, std::vector<std::uint32_t>& out) {
        const double x = level.long_x;
        const std::size_t first = out.size();
        if (rearmed_ != nullptr && !rearmed_->long_heap.empty()) {
            take_from_heap(
                rearmed_->long_heap, [x](double trigger) { return x < trigger; }, long_below, out);
        }
        const std::size_t from_book = out.size();
        const std::unordered_set<std::uint32_t>* apart = apart_of(Side::long_side);
        while (next_long_ < longs_.count() && x < longs_.log_trigger[next_long_]) {
            const auto i = static_cast<std::uint32_t>(next_long_++);
            if (apart == nullptr || !apart->contains(i)) {
                out.push_back(i);
            }
        }
        in_book_order(out, first, from_book);
        refresh();
    }
    void collect_shorts(const TriggerLevel& level, std::vector<std::uint32_t>& out) {
        const double x = level.short_x;
        const std::size_t first = out.size();
        if (rearmed_ != nullptr && !rearmed_->short_heap.empty()) {
            take_from_heap(
                rearmed_->short_heap, [x](double trigger) { return x > trigger; }, short_above,
                out);
        }
        const std::size_t from_book = out.size();
        const std::unordered_set<std::uint32_t>* apart = apart_of(Side::short_side);
        while (next_short_ < shorts_.count() && x > shorts_.log_trigger[next_short_]) {
            const auto i = static_cast<std::uint32_t>(next_short_++);
            if (apart == nullptr || !apart->contains(i)) {
                out.push_back(i);
            }
        }
        in_book_order(out, first, from_book);
        refresh();
    }

    // Hands back an account collected this round that the liquidators had
    // no capacity for: it stays crossed, to be collected again. A re-armed
    // account, or one set apart, goes back on its heap; one from the book
    // rewinds the cursor (the accounts taken form a prefix of those
    // collected from the book, in book order, so what is handed back from
    // the book is everything from it on).
    void put_back(Side side, std::uint32_t index, const OpenPosition& position) {
        if (position.rearmed || is_apart(side, index)) {
            push(side, Rearmed{position.log_trigger, index, 0});
        } else if (side == Side::long_side) {
            next_long_ = std::min<std::size_t>(next_long_, index);
        } else {
            next_short_ = std::min<std::size_t>(next_short_, index);
        }
        refresh();
    }

    // The next liquidation prices, as quiet() compares them (for the
    // funding thresholds: FundingThresholds).
    double next_long_trigger() const { return next_long_trigger_; }
    double next_short_trigger() const { return next_short_trigger_; }

    // Not yet collected on this path: at or after the side's cursor, and not
    // set apart. (A re-armed account, or one set apart, has been: the
    // engine's overlay says whether it is open.)
    bool not_collected(Side side, std::size_t index) const {
        return index >= (side == Side::long_side ? next_long_ : next_short_) &&
               !is_apart(side, static_cast<std::uint32_t>(index));
    }

    // Sets apart an account collected this round that the liquidators passed
    // over as not worth liquidating: never collected from the book again,
    // nor from the heap until wake(). While any is set apart and not woken,
    // the finder is quiet only within the band the engine last gave
    // (set_quiet_band), and never without one, so that the engine's rounds,
    // which check the alerts that wake them (DeferredAccounts), run.
    void set_apart(Side side, std::uint32_t index) {
        if (rearmed_ == nullptr) {
            rearmed_ = std::make_unique<RearmedAccounts>();
        }
        (side == Side::long_side ? rearmed_->apart_longs : rearmed_->apart_shorts).insert(index);
        ++rearmed_->asleep;
        refresh();
    }

    // An account set apart goes on its heap, to be collected whenever its
    // liquidation price (`position`'s) is crossed.
    void wake(Side side, std::uint32_t index, const OpenPosition& position) {
        --rearmed_->asleep;
        push(side, Rearmed{position.log_trigger, index, 0});
        refresh();
    }

    // While accounts are set apart: the step is not quiet once the long
    // side's level falls below `long_floor` or the short side's rises above
    // `short_ceiling` (the engine's alerts and the count below maintenance,
    // in the books' terms, until its next round).
    void set_quiet_band(double long_floor, double short_ceiling) {
        if (rearmed_ != nullptr) {
            rearmed_->banded = true;
            rearmed_->long_floor = long_floor;
            rearmed_->short_ceiling = short_ceiling;
            refresh();
        }
    }

    // Puts back a partially liquidated account with what is left of it:
    // it can be collected again from step `ready` on (`now`: the current step).
    void rearm(Side side, std::uint32_t index, const OpenPosition& position, std::uint32_t ready,
               std::uint32_t now) {
        const Rearmed entry{position.log_trigger, index, ready};
        if (rearmed_ == nullptr) {
            rearmed_ = std::make_unique<RearmedAccounts>();
        }
        if (ready > now) {
            (side == Side::long_side ? rearmed_->cooling_longs : rearmed_->cooling_shorts)
                .push_back(entry);
            refresh();
            return;
        }
        push(side, entry);
        refresh();
    }

    // Moves the accounts whose cooldown ends by `step` into the heaps. The
    // cooldown is the same for all, so each queue is in order of `ready`.
    // While any account cools down the finder is never quiet (refresh), so
    // that the engine's rounds, which call this first, run every step: the
    // common step keeps no check of its own, at the price of a round that
    // finds nothing in each step of a cooldown.
    void release(std::uint32_t step) {
        if (rearmed_ == nullptr) {
            return;
        }
        CoolingQueue& longs = rearmed_->cooling_longs;
        while (!longs.empty() && longs.front().ready <= step) {
            push(Side::long_side, longs.front());
            longs.pop_front();
        }
        CoolingQueue& shorts = rearmed_->cooling_shorts;
        while (!shorts.empty() && shorts.front().ready <= step) {
            push(Side::short_side, shorts.front());
            shorts.pop_front();
        }
        refresh();
    }

  private:
    struct Rearmed {
        double log_trigger = 0.0;
        std::uint32_t index = 0;
        std::uint32_t ready = 0;  // first step it may be collected at
    };
    // The heaps' tops: the long that crosses first has the highest
    // liquidation price, the short the lowest.
    static bool long_below(const Rearmed& a, const Rearmed& b) {
        return a.log_trigger < b.log_trigger;
    }
    static bool short_above(const Rearmed& a, const Rearmed& b) {
        return a.log_trigger > b.log_trigger;
    }

    // The accounts of `side` set apart, null when there are none.
    const std::unordered_set<std::uint32_t>* apart_of(Side side) const {
        if (rearmed_ == nullptr) {
            return nullptr;
        }
        const auto& apart =
            side == Side::long_side ? rearmed_->apart_longs : rearmed_->apart_shorts;
        return apart.empty() ? nullptr : &apart;
    }
    bool is_apart(Side side, std::uint32_t index) const {
        const std::unordered_set<std::uint32_t>* apart = apart_of(side);
        return apart != nullptr && apart->contains(index);
    }

    // Merges the heap's accounts, out[first, from_book), with the book's
    // after them, each sorted, when they interleave.
    static void in_book_order(std::vector<std::uint32_t>& out, std::size_t first,
                              std::size_t from_book) {
        if (from_book > first && out.size() > from_book && out[from_book - 1] > out[from_book]) {
            std::inplace_merge(out.begin() + static_cast<std::ptrdiff_t>(first),
                               out.begin() + static_cast<std::ptrdiff_t>(from_book), out.end());
        }
    }

    void push(Side side, const Rearmed& entry) {
        if (side == Side::long_side) {
            rearmed_->long_heap.push_back(entry);
            std::push_heap(rearmed_->long_heap.begin(), rearmed_->long_heap.end(), long_below);
        } else {
            rearmed_->short_heap.push_back(entry);
            std::push_heap(rearmed_->short_heap.begin(), rearmed_->short_heap.end(), short_above);
        }
    }

    // Pops every crossed account off `heap` (ordered by `top_last`) and
    // appends their indices in book order.
    template <class Crossed>
    static void take_from_heap(std::vector<Rearmed>& heap, Crossed crossed,
                               bool (*top_last)(const Rearmed&, const Rearmed&),
                               std::vector<std::uint32_t>& out) {
        const std::size_t first = out.size();
        while (!heap.empty() && crossed(heap.front().log_trigger)) {
            out.push_back(heap.front().index);
            std::pop_heap(heap.begin(), heap.end(), top_last);
            heap.pop_back();
        }
        std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    }

    void refresh() {
        constexpr double kInf = std::numeric_limits<double>::infinity();
        next_long_trigger_ = next_long_ < longs_.count() ? longs_.log_trigger[next_long_] : -kInf;
        next_short_trigger_ =
            next_short_ < shorts_.count() ? shorts_.log_trigger[next_short_] : kInf;
        if (rearmed_ != nullptr) {
            if (!rearmed_->cooling_longs.empty() || !rearmed_->cooling_shorts.empty() ||
                (rearmed_->asleep > 0 && !rearmed_->banded)) {
                next_long_trigger_ = kInf;  // x < +inf: not quiet, see release() and set_apart()
                return;
            }
            if (rearmed_->asleep > 0) {
                next_long_trigger_ = std::max(next_long_trigger_, rearmed_->long_floor);
                next_short_trigger_ = std::min(next_short_trigger_, rearmed_->short_ceiling);
            }
            if (!rearmed_->long_heap.empty()) {
                next_long_trigger_ =
                    std::max(next_long_trigger_, rearmed_->long_heap.front().log_trigger);
            }
            if (!rearmed_->short_heap.empty()) {
                next_short_trigger_ =
                    std::min(next_short_trigger_, rearmed_->short_heap.front().log_trigger);
            }
        }
    }

    const SideBook& longs_;
    const SideBook& shorts_;
    std::size_t next_long_ = 0;
    std::size_t next_short_ = 0;
    double next_long_trigger_ = 0.0;
    double next_short_trigger_ = 0.0;
    // A first-in, first-out queue that allocates nothing until used (a
    // std::deque allocates when constructed, and a finder is made per path).
    class CoolingQueue {
      public:
        bool empty() const { return head_ == items_.size(); }
        const Rearmed& front() const { return items_[head_]; }
        void push_back(const Rearmed& entry) { items_.push_back(entry); }
        void pop_front() {
            if (++head_ == items_.size()) {
                items_.clear();
                head_ = 0;
            }
        }

      private:
        std::vector<Rearmed> items_;
        std::size_t head_ = 0;
    };

    // Partially liquidated accounts of this path: cooling down, then armed;
    // and those the liquidators passed over: set apart from the book for the
    // rest of the path, asleep, then armed in the heaps once woken.
    // Allocated by the first one: a path without any keeps the finder as
    // small as it was (its fields stay in registers in the path loop).
    struct RearmedAccounts {
        CoolingQueue cooling_longs;
        CoolingQueue cooling_shorts;
        std::vector<Rearmed> long_heap;
        std::vector<Rearmed> short_heap;
        std::unordered_set<std::uint32_t> apart_longs;
        std::unordered_set<std::uint32_t> apart_shorts;
        std::uint64_t asleep = 0;  // set apart and not woken
        bool banded = false;       // set_quiet_band was called
        double long_floor = 0.0;
        double short_ceiling = 0.0;
    };
    std::unique_ptr<RearmedAccounts> rearmed_;
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
          funding_(rules.venue.funding, rules.funding_interval_steps),
          market_is_oracle_(rules.oracle.live && rules.oracle.frozen.empty() &&
                            !rules.venue.funding.enabled),
          waterfall_(rules.venue.loss_waterfall.any()),
          partial_(rules.venue.partial_liquidation.enabled()),
          backstop_(rules.venue.backstop.enabled) {
        ledger_.trader_collateral = population.total_collateral;
        ledger_.insurance_fund = rules.venue.insurance_fund;
        initial_total_ = ledger_.total();
        tally_.fund_min = ledger_.insurance_fund;
        tally_.open_size = population.total_size_long + population.total_size_short;
    }

    // One step, at exogenous log price x_exo (relative to the initial price).
    // `events` receives this step's liquidations when not null. Small enough to
    // inline into the path loop; the rounds, rare, live out of line. (Keep it
    // so: a check added here for partial liquidation once stopped GCC from
    // inlining the path loop and cost about 4 ns a step, half of a quiet one.)
    void step(std::uint32_t step, double x_exo, std::uint64_t path, EventLog* events) {
        impact_ *= rules_.impact_decay;
        if (market_is_oracle_) [[likely]] {
            // The venue marks to its own price, round after round (the step
            // as it was before oracles: nothing more to do or remember).
            if (!finder_.quiet(plain_level(x_exo + impact_))) [[unlikely]] {
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

    // Ends the path after `steps` steps: what is still counted lazily
    // (accounts held apart below maintenance over the last quiet steps).
    void finish(std::uint32_t steps) {
        if (choosy_) {
            count_held_until(steps);
        }
    }

    double impact() const { return impact_; }
    const Ledger& ledger() const { return ledger_; }
    double initial_total() const { return initial_total_; }
    double fund_min() const { return tally_.fund_min; }
    std::uint64_t liquidations() const { return tally_.liquidations; }  // partial ones included
    std::uint64_t partial_liquidations() const { return tally_.partial_liquidations; }
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
    // Liquidator capacity: accounts left waiting at the end of a step, summed
    // over the steps; the most notional left waiting at the end of one.
    std::uint64_t waiting_account_steps() const { return waiting_account_steps_; }
    // Accounts the liquidators are passing over as not worth liquidating
    // (their profit floor), now.
    std::uint64_t passed_over() const { return deferred_.held(); }
    // What those accounts owe beyond their margin if closed at `price` now:
    // the sum of their negative equities (funding included).
    double passed_over_deficit(double price) const {
        double deficit = 0.0;
        deferred_.for_each_held([&](Side side, std::uint32_t i) {
            const bool is_long = side == Side::long_side;
            const SideBook& book = is_long ? population_.longs : population_.shorts;
            const OpenPosition p = (is_long ? long_overlay_ : short_overlay_).of(book, i);
            deficit += std::max(-equity_at(book, i, p, price), 0.0);
        });
        return deficit;
    }
    double capacity_shortfall_max() const { return capacity_shortfall_max_; }
    // The funding index F at this point of the path (quote per unit; 0 without funding).
    double funding_index() const { return funding_.index(); }
    // What the loss waterfall after the fund did (all 0 when it is off).
    const WaterfallTotals& waterfall() const { return waterfall_totals_; }
    // What the backstop vault took over (all 0 when there is none).
    const BackstopTotals& backstop() const { return backstop_totals_; }
    // The vault's result if its positions were closed at `price` now: what it
    // took with them plus their PnL since, funding included.
    double backstop_value(double price) const {
        return ledger_.backstop_vault + backstop_totals_.unrealised(price, funding_.index());
    }

  private:
    // The depth multiplier in force over `step`: elastic depth times droughts.
    double depth(std::uint32_t step) const {
        double d = depth_.multiplier();
        if (!rules_.drought_depth.empty()) {
            d *= rules_.drought_depth[step - 1];
        }
        return d;
    }

    // Where the books are tested at log trigger price x without funding: the
    // margin policy's offsets (the common step's test, kept small).
    TriggerLevel plain_level(double x) const {
        const MarginLevel& m = margin_.level();
        return {x, m.maintenance, 0.0, x + m.long_offset, x + m.short_offset};
    }

    // The same with the path's funding index F (sim/engine/margin_tracker.hpp
    // TriggerLevel): a log and an exp per call once F is not 0.
    TriggerLevel level_at(double x) const {
        const double funding = funding_.index();
        if (funding == 0.0) {
            return plain_level(x);
        }
        constexpr double kInf = std::numeric_limits<double>::infinity();
        const double m = margin_.level().maintenance;
        const double m0 = rules_.venue.maintenance_margin;
        const double price = std::exp(x);  // over the initial price
        const double shift = funding / rules_.initial_price;
        const double long_arg = price * (1.0 - m) - shift;
        const double short_arg = price * (1.0 + m) - shift;
        return {x, m, funding, long_arg > 0.0 ? std::log(long_arg / (1.0 - m0)) : -kInf,
                short_arg > 0.0 ? std::log(short_arg / (1.0 + m0)) : -kInf};
    }

    // The quiet test at log trigger price x, funding included. Once F is not
    // 0 the transform of level_at costs an exp and two logs; instead, the
    // prices x at which each side's next account would cross are kept,
    //   long:  log(((1 - m0) e^T_long + F / S0) / (1 - m))
    //   short: log(((1 + m0) e^T_short + F / S0) / (1 + m)),
    // recomputed only when F, the margin or a next account changes, and
    // the step is quiet when x is clear of both by 1e-12 (1 + |threshold|)
    // (closer, or a threshold not a number, and the exact test of level_at
    // decides).
    bool quiet_with_funding(double x) {
        const double funding = funding_.index();
        if (funding == 0.0) {
            return finder_.quiet(plain_level(x));
        }
        if constexpr (requires { finder_.next_long_trigger(); }) {
            const double long_next = finder_.next_long_trigger();
            const double short_next = finder_.next_short_trigger();
            const double m = margin_.level().maintenance;
            FundingThresholds& t = funding_thresholds_;
            if (funding != t.funding || m != t.maintenance || long_next != t.long_next ||
                short_next != t.short_next) {
                constexpr double kInf = std::numeric_limits<double>::infinity();
                const double m0 = rules_.venue.maintenance_margin;
                const double shift = funding / rules_.initial_price;
                t = {funding,
                     m,
                     long_next,
                     short_next,
                     long_next == -kInf
                         ? -kInf
                         : std::log(((1.0 - m0) * std::exp(long_next) + shift) / (1.0 - m)),
                     short_next == kInf
                         ? kInf
                         : std::log(((1.0 + m0) * std::exp(short_next) + shift) / (1.0 + m))};
            }
            // Clear of rounding in the thresholds and in level_at's test alike.
            constexpr double kMargin = 1e-12;
            if (x > t.long_x + kMargin * (1.0 + std::abs(t.long_x)) &&
                x < t.short_x - kMargin * (1.0 + std::abs(t.short_x))) {
                return true;
            }
        }
        return finder_.quiet(level_at(x));
    }

    // A step under an oracle of the venue's own, with outages, or with
    // funding: out of line, so that the common step stays small enough to
    // inline into the path loop.
    [[gnu::noinline]] void oracle_step(std::uint32_t step, double x_exo, std::uint64_t path,
                                       EventLog* events) {
        if (rules_.oracle.live && !rules_.oracle.frozen_at(step)) {
            // The instant market oracle between outages, which freeze the
            // last market price.
            if (!quiet_with_funding(x_exo + impact_)) [[unlikely]] {
                run_rounds<true>(step, x_exo, 0.0, path, events);
            }
            oracle_.set_published(x_exo + impact_);
        } else {
            // One oracle value for the whole step: the rounds' impact moves
            // the fills, not the trigger.
            const double x_oracle =
                rules_.oracle.live
                    ? oracle_.published()
                    : oracle_.update(step, rules_.oracle.reads_index ? x_exo : x_exo + impact_);
            if (!quiet_with_funding(x_oracle)) [[unlikely]] {
                run_rounds<false>(step, x_exo, x_oracle, path, events);
            }
        }
        if (funding_.enabled()) {
            // The step's last market price against the index: the premium.
            funding_.observe(step, impact_, rules_.initial_price * std::exp(x_exo + impact_));
        }
    }

    // `Live`: the trigger is the market price of each round; otherwise it is
    // `x_oracle` throughout.
    template <bool Live>
    [[gnu::noinline]] void run_rounds(std::uint32_t step, double x_exo, double x_oracle,
                                      std::uint64_t path, EventLog* events) {
        // The book's depth is fixed within a step: one scaled copy for all rounds.
        const double step_depth = depth(step);
        if (step_depth != 1.0) {
            scaled_impact_ = rules_.impact.with_depth(step_depth);
        }
        const ImpactConfig& impact = step_depth != 1.0 ? scaled_impact_ : rules_.impact;
        if (partial_) {
            finder_.release(step);  // partially liquidated accounts whose cooldown ended
        }
        capacity_left_ = rules_.liquidator_capacity;  // the liquidators' for this step
        waiting_ = 0;
        if (choosy_) [[unlikely]] {
            count_held_until(step - 1);  // the quiet steps since the last round
        }
        TriggerLevel last_level{};  // of the step's last round (profit floor)
        std::uint32_t round = 0;
        for (; round < rules_.max_rounds; ++round) {
            const double x = x_exo + impact_;
            const double x_trigger = Live ? x : x_oracle;
            crossing_longs_.clear();
            crossing_shorts_.clear();
            const TriggerLevel level = level_at(x_trigger);
            if (choosy_) [[unlikely]] {
                last_level = level;
                if (!deferred_.empty()) {
                    wake_deferred(x, x_trigger);
                }
            }
            finder_.collect_longs(level, crossing_longs_);
            finder_.collect_shorts(level, crossing_shorts_);
            if (crossing_longs_.empty() && crossing_shorts_.empty()) {
                break;
            }
            // The oracle's gap to the market before the round's orders, for
            // each account the round liquidates (counted once it has).
            const double gap = Live ? 0.0 : std::abs(std::expm1(x_oracle - x));
            RoundOutcome done{crossing_longs_.size() + crossing_shorts_.size(), false};
            if (overlaid_) [[unlikely]] {
                done = overlay_round(impact, x, x_trigger, step, round, path, events);
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
            // Nothing liquidated: every account that crossed had been
            // deleveraged already, or the liquidators took none (no capacity
            // left, or all too recent for their latency).
            if (done.liquidated > 0) {
                if constexpr (!Live) {
                    count_gap(gap, done.liquidated);
                }
                if (first_liquidation_step_ < 0) {
                    first_liquidation_step_ = step;
                }
            }
            if (done.liquidators_done) {
                break;  // the rest wait for the next step's liquidators
            }
        }
        max_rounds_ = std::max(max_rounds_, round);
        waiting_account_steps_ += waiting_;
        if (choosy_) [[unlikely]] {
            // Those passed over as not worth liquidating wait too, while
            // below maintenance.
            held_below_ = deferred_.empty() ? 0 : deferred_.below_maintenance(last_level);
            waiting_account_steps_ += held_below_;
            held_counted_step_ = step;
            if (band_quiet_ && !deferred_.empty()) {
                set_quiet_band();
            }
        }
    }

    // The oracle's gap when `accounts` were liquidated in one round.
    void count_gap(double gap, std::size_t accounts) {
        oracle_gap_max_ = std::max(oracle_gap_max_, gap);
        oracle_gap_sum_ += gap * static_cast<double>(accounts);
    }

    // The running totals live in locals for the loop: written through
    // members, every store to cohort_liquidations_ or events (which may alias
    // them, as far as the compiler knows) would force them back to memory for
    // each account. Same operations in the same order: same bits.
    void settle_all(const SideBook& book, const std::vector<std::uint32_t>& indices, double fill,
                    std::uint32_t step, std::uint32_t round, std::uint64_t path, EventLog* events) {
        const double s = sign(book.side);
        // The liquidation prices in force: moved from the books' by the margin.
        const double offset = book.side == Side::long_side ? margin_.level().long_offset
                                                           : margin_.level().short_offset;
        const double penalty_rate = rules_.venue.liquidation_penalty;
        const double funding = funding_.index();  // moves every entry price alike
        Ledger ledger = ledger_;
        Tally tally = tally_;
        for (std::uint32_t i : indices) {
            const double size = book.size[i];
            const Settlement result = settle(ledger, s, size, book.entry[i] + funding,
                                             book.collateral[i], fill, penalty_rate);
            count(tally, ledger, book, i, size, fill, result);
            if (events != nullptr) {
                events->push_back(event_of(book, i, book.log_trigger[i], size, offset, fill, result,
                                           step, round, path));
            }
        }
        ledger_ = ledger;
        tally_ = tally;
    }

    // What a path's liquidations add up to. The settlement loops keep a local
    // copy, which the compiler holds in registers (see settle_all).
    struct Tally {
        std::uint64_t liquidations = 0;
        std::uint64_t partial_liquidations = 0;  // of them, those that left a position open
        double liquidated_notional = 0.0;
        double penalties = 0.0;
        double fund_paid = 0.0;
        double open_size = 0.0;  // long + short units still open
        double fund_min = 0.0;
    };

    // Counts the liquidation of `size` units of account i of `book`; the
    // cohort's count of liquidated accounts only for the account's first
    // (`again`: it was partially liquidated before on this path).
    void count(Tally& tally, const Ledger& ledger, const SideBook& book, std::uint32_t i,
               double size, double fill, const Settlement& result, bool again = false) {
        ++tally.liquidations;
        if (!again) {
            ++cohort_liquidations_[book.cohort[i]];
        }
        tally.liquidated_notional += size * fill;
        tally.penalties += result.penalty;
        tally.fund_paid += result.fund_paid;
        tally.open_size -= size;
        tally.fund_min = std::min(tally.fund_min, ledger.insurance_fund);
    }

    // The event of that liquidation; `offset` moves the account's liquidation
    // price (`log_trigger`, in the books' terms) to the one in force (the
    // margin policy).
    LiquidationEvent event_of(const SideBook& book, std::uint32_t i, double log_trigger,
                              double size, double offset, double fill, const Settlement& result,
                              std::uint32_t step, std::uint32_t round, std::uint64_t path) const {
        return {path,
                step,
                round,
                book.account[i],
                book.cohort[i],
                static_cast<std::int8_t>(book.side),
                0,  // not the backstop's
                size,
                trigger_price(book.side, log_trigger, offset),
                fill,
                result.penalty,
                result.shortfall};
    }

    // The liquidation price in force of an account whose stored log
    // liquidation price is `log_trigger`: moved by the margin policy
    // (`offset`) and by funding, (P_liq0 (1 -/+ m0) + F) / (1 -/+ m).
    double trigger_price(Side side, double log_trigger, double offset) const {
        const double funding = funding_.index();
        if (funding == 0.0) {
            return rules_.initial_price * std::exp(log_trigger - offset);
        }
        const double m = margin_.level().maintenance;
        const double m0 = rules_.venue.maintenance_margin;
        const double stored = rules_.initial_price * std::exp(log_trigger);
        return side == Side::long_side ? (stored * (1.0 - m0) + funding) / (1.0 - m)
                                       : (stored * (1.0 + m0) + funding) / (1.0 + m);
    }

    // What a round did: the accounts it liquidated (taken over by the
    // backstop included), and whether the liquidators took none of those
    // left (no capacity left for the step, or all too recent for their
    // latency), which then wait for the next step.
    struct RoundOutcome {
        std::size_t liquidated = 0;
        bool liquidators_done = false;
    };

    // A round when the path may hold accounts the books no longer describe
    // (partial liquidation, a loss waterfall after the fund), or when not
    // every crossing account goes to the market (liquidator capacity, a
    // backstop vault). The same as the plain round (one net order, one fill,
    // settlement in book order), but each account is taken as it stands on
    // this path (the overlay), for the units its liquidation closes (all, or
    // a partial one's share); accounts the backstop vault takes over leave the
    // round before its order; and the units of bankrupt positions handed to
    // ADL close against the opposite side at their bankruptcy prices instead
    // of in the market: the market moves only by the rest. (The round's fill
    // is priced for its whole order, before the waterfall is known.)
    //
    // Defined in sim/engine/overlay_round.cpp, instantiated there for both
    // finders: kept out of the path loop's translation unit, whose inlining
    // budget the common step needs (GCC's unit-growth limit; with this code
    // in the unit the step and the normal draw stopped being inlined, about
    // 4 ns a step).
    [[gnu::noinline]] RoundOutcome overlay_round(const ImpactConfig& impact, double x,
                                                 double x_trigger, std::uint32_t step,
                                                 std::uint32_t round, std::uint64_t path,
                                                 EventLog* events);

    // Keeps the accounts of this round the liquidators' capacity left for
    // the step covers, in book order, longs first (at the pre-round price
    // `price`); hands the rest back to the finder. Returns true when none
    // could be kept.
    bool apply_capacity(double price);

    // Keeps the accounts of this round that have been below maintenance for
    // the liquidators' latency (since the start of their current spell below
    // it, LatencyClock); hands the rest back to the finder. Returns true when
    // none could be kept.
    bool apply_latency(std::uint32_t step);

    // Keeps the accounts of this round whose liquidation earns the
    // liquidators at least their minimum profit (sim/engine/liquidation_profit.hpp),
    // judged at the pre-round market price S0 e^x against `impact`: the
    // account's order alone. Sets the rest apart (finder and overlay) with
    // the alerts that will bring them back (DeferredAccounts), the trigger
    // price being S0 e^x_trigger. Returns true when none could be kept.
    bool apply_min_profit(const ImpactConfig& impact, double x, double x_trigger);

    // Adds the accounts held apart below maintenance for the quiet steps
    // after the last counted one, up to `step`: unchanged over them, since
    // a change would have made its step not quiet.
    void count_held_until(std::uint32_t step) {
        waiting_account_steps_ += held_below_ * (step - held_counted_step_);
        held_counted_step_ = step;
    }

    // Gives the finder the band of market log prices around the last round's
    // within which no alert of the accounts held apart fires and none
    // crosses its liquidation price, in the books' terms: a step inside it
    // is quiet, the others run their rounds, which check. Held 1e-12 (1 +
    // |bound|) inside each bound, so that rounding in the conversion never
    // hides a change.
    [[gnu::noinline]] void set_quiet_band();

    // Wakes the accounts set apart whose alerts fire at market log price x
    // and trigger log price x_trigger: back to the finder, to be judged again
    // if they cross.
    [[gnu::noinline]] void wake_deferred(double x, double x_trigger);

    // The log trigger price at which the backstop vault would take over
    // account i of `book` as it stands (`position`), found from the current
    // x_trigger, where it would not: the test of plan_closes, which is
    // monotone in the price, bisected. -inf (a long) or +inf (a short) when no
    // price within e^50 of the current one would do.
    double backstop_level(const SideBook& book, std::uint32_t i, const OpenPosition& position,
                          double x_trigger) const;

    // The units each crossing account of `book` closes (into `closing`, by
    // position in `indices`): all that is open, or a partial
    // liquidation's share of it, judged at the price that triggered it.
    // Accounts ADL has closed entirely leave `indices`.
    // An account the backstop vault takes over closes whole.
    struct Closing {
        OpenPosition position;  // as it stands on this path
        double units = 0.0;     // what this liquidation closes
        bool touched = false;   // the overlay holds it
        bool backstop = false;  // below the backstop's share of maintenance

        // The margin of the units closed: all of it, or their share.
        double margin() const {
            return units < position.size ? position.collateral * (units / position.size)
                                         : position.collateral;
        }
    };
    void plan_closes(const SideBook& book, const PositionOverlay& overlay, double trigger_price,
                     std::vector<std::uint32_t>& indices, std::vector<Closing>& closing) const;

    // Hands the accounts of `book` planned for the backstop to its vault, at
    // the mark `trigger_price` or their bankruptcy price, and takes them out
    // of `indices`. Returns how many it took.
    std::size_t hand_to_backstop(const SideBook& book, std::vector<std::uint32_t>& indices,
                                 std::vector<Closing>& closing, PositionOverlay& overlay,
                                 double trigger_price, std::uint32_t step, std::uint32_t round,
                                 std::uint64_t path, EventLog* events);

    // The equity of account i of `book`, as it stands (`position`), at
    // `price`, funding included.
    double equity_at(const SideBook& book, std::uint32_t i, const OpenPosition& position,
                     double price) const {
        return position.collateral +
               sign(book.side) * position.size * (price - (book.entry[i] + funding_.index()));
    }

    // The backstop vault's test: `position`, with `equity` at the trigger
    // price `price`, is below the vault's share of its maintenance requirement.
    bool below_backstop(const OpenPosition& position, double equity, double price) const {
        return equity <
               rules_.venue.backstop.maintenance_fraction * requirement(position.size, price);
    }

    // The maintenance requirement of `size` units at `price`: the margin
    // policy's rate in force, or the tiered table's.
    double requirement(double size, double price) const {
        return rules_.venue.maintenance_tiers.empty()
                   ? margin_.level().maintenance * size * price
                   : maintenance_requirement(rules_.venue.maintenance_tiers, size, price);
    }

    // Settles one side's crossing accounts at `fill` for the units planned:
    // the fund first, then ADL against `opposite` (its queue built, at the
    // market price `price`, the first time a shortfall in this round needs
    // it), then the haircut; the units handed to ADL are added to `order`. A
    // partial liquidation closes its units with their share of the margin,
    // puts what equity that share has left back into the margin of the rest,
    // and re-arms the account at the rest's liquidation price.
    void settle_overlaid(const SideBook& book, const std::vector<std::uint32_t>& indices,
                         const std::vector<Closing>& closing, PositionOverlay& overlay,
                         const SideBook& opposite, const PositionOverlay& opposite_overlay,
                         AdlQueue& opposite_queue, AdlOrder& order, double price, double fill,
                         std::uint32_t step, std::uint32_t round, std::uint64_t path,
                         EventLog* events);

    const Population& population_;
    const MarketRules& rules_;
    Finder finder_;
    std::span<std::uint64_t> cohort_liquidations_;  // per cohort, on this path
    MarginTracker margin_;
    DepthTracker depth_;
    ImpactConfig scaled_impact_;  // the impact at this step's depth, when not 1
    OracleTracker oracle_;
    FundingTracker funding_;
    // Where the next account of each side crosses, under funding (see
    // quiet_with_funding), and what they were computed from.
    struct FundingThresholds {
        double funding = 0.0;
        double maintenance = 0.0;
        double long_next = 0.0;
        double short_next = 0.0;
        double long_x = std::numeric_limits<double>::quiet_NaN();
        double short_x = std::numeric_limits<double>::quiet_NaN();
    };
    FundingThresholds funding_thresholds_;
    const bool market_is_oracle_;  // the instant market oracle, never frozen, no funding
    const bool waterfall_;         // ADL or socialised loss after the fund
    const bool partial_;           // partial liquidation
    const bool backstop_;          // a backstop vault takes some over
    const bool limited_ = rules_.liquidator_capacity < std::numeric_limits<double>::infinity();
    const bool delayed_ = rules_.liquidator_latency_steps > 0;   // the liquidators react late
    const bool choosy_ = rules_.venue.liquidators.profit_floor;  // they want a profit
    // The accounts they passed over need not make every step a round: the
    // market price is the trigger and the books' offsets are fixed, so
    // their alerts translate into the quiet test (set_quiet_band).
    const bool band_quiet_ = choosy_ && market_is_oracle_ && !margin_.dynamic();
    std::uint64_t held_below_ = 0;         // held apart and below maintenance, last counted
    std::uint32_t held_counted_step_ = 0;  // the last step counted
    // Accounts may differ from their book entries, or a round may send only
    // some of them to the market.
    const bool overlaid_ = waterfall_ || partial_ || limited_ || delayed_ || choosy_ || backstop_;
    double capacity_left_ = 0.0;               // the liquidators', this step
    std::uint64_t waiting_ = 0;                // accounts handed back in this step's last round
    std::uint64_t waiting_account_steps_ = 0;  // summed over the steps
    double capacity_shortfall_max_ = 0.0;      // notional left waiting at a step's end, the most
    DeferredAccounts deferred_;                // passed over as not worth liquidating
    LatencyClock long_clock_;                  // when crossing accounts began their spell
    LatencyClock short_clock_;
    PositionOverlay long_overlay_;  // accounts this path touched without closing them
    PositionOverlay short_overlay_;
    AdlQueue long_queue_;  // longs ADL may close this round (against bankrupt shorts)
    AdlQueue short_queue_;
    WaterfallTotals waterfall_totals_;
    BackstopTotals backstop_totals_;
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
    std::vector<Closing> closing_longs_;  // each crossing account's close (overlay rounds)
    std::vector<Closing> closing_shorts_;
};

}  // namespace cascade
